"""The app's run history beside its pages: :class:`HistoryRecorder` writes the app's test
runs to the history database on a worker thread (SQLite may wait on another writer, the CLI,
for seconds, which the GUI thread must not; a locked or damaged database never stops a run:
the recorder reports it, ``failed``), and :class:`ModelRecords` caches each model's record
for the registry and the pickers. One of each per process (``history_recorder()``,
``model_records()``)."""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from modeldesk.core.errors import ModelDeskError
from modeldesk.core.history import BUSY_TIMEOUT_MS, HISTORY_ENV, HistoryError, HistoryStore, ModelStats, RunRecord
from modeldesk.core.schema import ModelValue

from ..text import latency_text

if TYPE_CHECKING:  # the runner (and httpx with it) loads with the first run
    from modeldesk.runtime.runner import RunResult

    from ..document import Document


# Reading runs on the GUI thread: never wait long for a writer (WAL readers rarely do).
READ_TIMEOUT_MS = 1000


class HistoryRecorder(QObject):
    """Writes runs to the history database one at a time on a worker thread."""

    # The id of a run just stored.
    recorded = Signal(int)
    # Why a run could not be recorded (the run itself went on unharmed).
    failed = Signal(str)

    def __init__(self, parent: QObject | None = None, *, timeout_ms: int = BUSY_TIMEOUT_MS) -> None:
        super().__init__(parent)
        # How long a write waits for another writer (the CLI) before giving up on the record.
        self.timeout_ms = timeout_ms
        # One worker: writes stay in order and never compete with each other.
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="history")

    def record(self, run: RunRecord) -> None:
        """Store ``run`` in the background; ``recorded`` or ``failed`` follows."""
        # The path is read now (it follows $MODELDESK_HISTORY and the state folder).
        store = HistoryStore(timeout_ms=self.timeout_ms)
        self._pool.submit(self._write, store, run)

    def _write(self, store: HistoryStore, run: RunRecord) -> None:
        # Signals emitted here reach GUI-thread receivers queued, on the GUI thread.
        try:
            run_id = store.record(run)
        except HistoryError as exc:
            self.failed.emit(f"The run was not recorded in the history: {exc.message}")
            return
        except Exception as exc:  # noqa: BLE001 - history must never break a run, whatever went wrong
            self.failed.emit(f"The run was not recorded in the history: {exc}")
            return
        self.recorded.emit(run_id)

    def wait(self) -> None:
        """Block until every queued write is done (closing the app, tests)."""
        self._pool.submit(lambda: None).result()


@functools.cache
def history_recorder() -> HistoryRecorder:
    """The app's one recorder (created in the GUI thread on first use)."""
    return HistoryRecorder()


def app_run_record(
    document: Document, agent_id: str, call: ModelValue | None, prompt: str, result: RunResult
) -> RunRecord:
    """The history record of one Test run: the resolved list and its layer are worked
    out the way the run did (the agent's chain, or the call model chosen in the panel)."""
    try:
        resolution = document.resolver.chat(agent_id, call=call)
        models: Sequence[str] = resolution.models
        source: str | None = resolution.source
    except ModelDeskError:
        models, source = [a.model for a in result.attempts], None
    from modeldesk.runtime.history_record import run_record

    return run_record(
        result,
        agent=agent_id,
        models=models,
        source=source,
        config_path=document.store.path,
        origin="app",
        prompt=prompt,
    )


def stats_text(stats: ModelStats | None) -> str:
    """A model's record over the history, short enough for a column: "92% of 25 · 840 ms"
    (answered out of tried, then the median time of its answers)."""
    if stats is None or stats.success_rate is None:
        return ""
    tried = stats.answered + stats.failed
    median = f" · {latency_text(stats.median_latency_ms)}" if stats.median_latency_ms is not None else ""
    return f"{stats.success_rate:.0%} of {tried}{median}"


class ModelRecords:
    """Each model's record over the history (success rate, median latency) for the model
    registry and pickers, from the runs of one config file (a model id names another
    model in another file): read once, then again after a run is recorded, when older
    than ``max_age_s`` (runs from the CLI) or for another file. A history that cannot be
    read gives none."""

    def __init__(self, max_age_s: float = 30.0) -> None:
        self.max_age_s = max_age_s
        self._stats: dict[str, ModelStats] = {}
        self._read: tuple[Path, Path | None, float] | None = None  # (database, config, monotonic time read)
        self._where = ""  # $MODELDESK_HISTORY when last read

    def stats(self, config: Path | None = None) -> dict[str, ModelStats]:
        # Asked once per painted cell: the time is checked first, and the path (which
        # follows $MODELDESK_HISTORY) only by the environment variable's text.
        now = time.monotonic()
        where = os.environ.get(HISTORY_ENV, "")
        fresh = self._read is not None and now - self._read[2] <= self.max_age_s
        if fresh and self._where == where and self._read is not None and self._read[1] == config:
            return self._stats
        self._where = where
        path = HistoryStore().path
        if not fresh or self._read is None or self._read[:2] != (path, config):
            try:
                self._stats = HistoryStore(path, timeout_ms=READ_TIMEOUT_MS).model_stats(config=config)
            except HistoryError:
                self._stats = {}
            self._read = (path, config, now)
        return self._stats

    def text(self, model_id: str, config: Path | None = None) -> str:
        return stats_text(self.stats(config).get(model_id))

    def invalidate(self, *_: object) -> None:
        self._read = None


@functools.cache
def model_records() -> ModelRecords:
    """The app's one cache of model records, refreshed after each recorded Test run."""
    records = ModelRecords()
    history_recorder().recorded.connect(records.invalidate)
    return records
