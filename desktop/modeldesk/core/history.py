"""Run history: every run's outcome kept in a small SQLite database.

One database per user, in the platform's state folder
(``~/.local/state/modeldesk/history.sqlite3`` on Linux; ``$MODELDESK_HISTORY`` or an explicit
path overrides it). The app's test runs and ``modeldesk run`` both write to it, often at the
same time, so the database runs in WAL mode with a busy timeout: a writer waits for another
instead of failing, and readers never block writers.

What is recorded: the time, the config file, the agent, the layer its models came from, the
resolved list, the model that answered, every attempt (model, outcome, HTTP status, error
class, elapsed time), tokens and the total latency. The prompt only when the user turned
that on (``record_prompts``); keys never (nothing here ever sees one).

History is a convenience, never a reason for a run to fail: every problem with the database
(locked past the timeout, corrupt, unwritable) raises :class:`HistoryError`, which callers
report as a warning and otherwise ignore (:func:`record_or_warn`).

Retention is bounded: after each insert only the newest ``keep_runs`` runs are kept
(default 10,000). The settings live in the database itself, since it is shared by every
config file of the user.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import sqlite3
import statistics
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import platformdirs

from .errors import ModelDeskError
from .paths import APP_NAME
from .redaction import redact

HISTORY_ENV = "MODELDESK_HISTORY"
DEFAULT_KEEP_RUNS = 10_000
MIN_KEEP_RUNS = 1
MAX_KEEP_RUNS = 10_000_000
BUSY_TIMEOUT_MS = 10_000
# How long a finished run waits to record itself while another program holds the history:
# writers hold it for milliseconds, so longer means something is stuck, and the answer is
# already given; the process should not linger (a warning says the run was not recorded).
RECORD_TIMEOUT_MS = 1_500
SCHEMA_VERSION = 1


class HistoryError(ModelDeskError):
    """The history database cannot be used right now (locked, corrupt, unwritable)."""

    code = "history_unavailable"


def default_history_path() -> Path:
    """``$MODELDESK_HISTORY``, else ``history.sqlite3`` in the user state folder."""
    env = os.environ.get(HISTORY_ENV, "").strip()
    if env:
        return Path(os.path.expanduser(env))
    return Path(platformdirs.user_state_dir(APP_NAME)) / "history.sqlite3"


# --- records ------------------------------------------------------------------------


@dataclass(frozen=True)
class AttemptRecord:
    """One try of one model (or a model skipped without a try)."""

    model: str
    outcome: str  # "answered" | "failed" | "skipped" | "cancelled"
    status: int | None = None
    error_class: str | None = None
    error: str | None = None
    elapsed_ms: int = 0
    cost_usd: float | None = None  # reported tokens times price; None when not known

    def to_json(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "outcome": self.outcome,
            "status": self.status,
            "error_class": self.error_class,
            "error": self.error,
            "elapsed_ms": self.elapsed_ms,
            "cost_usd": self.cost_usd,
        }


@dataclass(frozen=True)
class RunRecord:
    """One run as recorded. ``id`` is set once stored; ``started_at`` is Unix time (UTC)."""

    agent: str
    models: list[str]
    attempts: list[AttemptRecord] = field(default_factory=list)
    answered_by: str | None = None
    source: str | None = None
    config_path: str | None = None
    error_code: str | None = None
    error_message: str | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    latency_ms: int = 0
    origin: str = "cli"  # "cli" | "app" | "serve"
    task: str | None = None
    prompt: str | None = None
    client: str | None = None  # the gateway client's User-Agent (origin "serve")
    started_at: float = field(default_factory=time.time)
    id: int | None = None
    cost_usd: float | None = None  # what the run's attempts cost, as far as known
    # A rehearsal: faults were injected (``run --simulate``, the Test run's Simulate), so
    # its failures say nothing about the models; success rates leave it out.
    simulated: bool = False
    # A gateway request refused before any agent ran (a wrong token, an unknown model, an
    # unreadable body): ``agent`` is the name the client asked for ("" when it named none)
    # and the error says why. It counts in no agent's spend.
    refused: bool = False

    @property
    def ok(self) -> bool:
        return self.answered_by is not None

    @property
    def primary(self) -> str | None:
        """The model the run was meant to use first (the resolved list's head)."""
        return self.models[0] if self.models else None

    @property
    def fell_back(self) -> bool:
        """True when another model than the primary answered ("answered by X instead of Y")."""
        return self.answered_by is not None and self.answered_by != self.primary

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "started_at": self.started_at,
            "config": self.config_path,
            "agent": self.agent,
            "task": self.task,
            "source": self.source,
            "models": list(self.models),
            "answered_by": self.answered_by,
            "fell_back": self.fell_back,
            "ok": self.ok,
            "error": None
            if self.error_code is None
            else {"code": self.error_code, "message": self.error_message or ""},
            "attempts": [a.to_json() for a in self.attempts],
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "latency_ms": self.latency_ms,
            "origin": self.origin,
            "client": self.client,
            "prompt": self.prompt,
            "cost_usd": self.cost_usd,
            "simulated": self.simulated,
            "refused": self.refused,
        }


@dataclass(frozen=True)
class ModelStats:
    """How one model did over the recorded attempts."""

    model: str
    attempts: int
    answered: int
    failed: int
    median_latency_ms: int | None  # over the answered attempts

    @property
    def success_rate(self) -> float | None:
        """Answered / (answered + failed); skipped and cancelled attempts do not count."""
        tried = self.answered + self.failed
        return None if tried == 0 else self.answered / tried

    def to_json(self) -> dict[str, Any]:
        rate = self.success_rate
        return {
            "model": self.model,
            "attempts": self.attempts,
            "answered": self.answered,
            "failed": self.failed,
            "success_rate": None if rate is None else round(rate, 4),
            "median_latency_ms": self.median_latency_ms,
        }


@dataclass(frozen=True)
class AgentSpend:
    """One agent's recorded runs and what they cost."""

    agent: str
    runs: int
    answered: int
    substitute_answers: int  # answered by another model than the primary
    cost_usd: float | None  # None when no run's cost is known

    def to_json(self) -> dict[str, Any]:
        return {
            "agent": self.agent,
            "runs": self.runs,
            "answered": self.answered,
            "substitute_answers": self.substitute_answers,
            "cost_usd": self.cost_usd,
        }


@dataclass(frozen=True)
class ModelSpend:
    """One model's recorded attempts, its answers (and how many stood in for a primary) and cost."""

    model: str
    attempts: int
    answers: int
    substitute_answers: int
    cost_usd: float | None

    def to_json(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "attempts": self.attempts,
            "answers": self.answers,
            "substitute_answers": self.substitute_answers,
            "cost_usd": self.cost_usd,
        }


@dataclass(frozen=True)
class Spend:
    agents: list[AgentSpend]
    models: list[ModelSpend]

    def to_json(self) -> dict[str, Any]:
        return {"agents": [a.to_json() for a in self.agents], "models": [m.to_json() for m in self.models]}


@dataclass(frozen=True)
class HistorySettings:
    keep_runs: int = DEFAULT_KEEP_RUNS
    record_prompts: bool = False


# --- the store ----------------------------------------------------------------------

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at REAL NOT NULL,
    config TEXT,
    agent TEXT NOT NULL,
    task TEXT,
    source TEXT,
    models TEXT NOT NULL,
    answered_by TEXT,
    error_code TEXT,
    error_message TEXT,
    input_tokens INTEGER,
    output_tokens INTEGER,
    latency_ms INTEGER NOT NULL,
    origin TEXT NOT NULL,
    prompt TEXT
);
CREATE INDEX IF NOT EXISTS runs_agent ON runs (agent, id);
CREATE TABLE IF NOT EXISTS attempts (
    run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    model TEXT NOT NULL,
    outcome TEXT NOT NULL,
    status INTEGER,
    error_class TEXT,
    error TEXT,
    elapsed_ms INTEGER NOT NULL,
    PRIMARY KEY (run_id, position)
);
CREATE INDEX IF NOT EXISTS attempts_model ON attempts (model, run_id);
"""

# Columns added after a table was first released: added to an existing database when it is
# opened (older versions of ModelDesk read such a file as before; they ignore the column).
_ADDED_COLUMNS: dict[str, dict[str, str]] = {
    # client: the gateway client's User-Agent (runs of origin "serve"); refused: a gateway
    # request refused before routing.
    "runs": {
        "cost_usd": "REAL",
        "simulated": "INTEGER NOT NULL DEFAULT 0",
        "client": "TEXT",
        "refused": "INTEGER NOT NULL DEFAULT 0",
    },
    "attempts": {"cost_usd": "REAL"},
}


class HistoryStore:
    """The run history database at ``path`` (created with its folder on first write).

    Each method opens its own short connection, so one store may be used from any thread
    and several processes may write at once.
    """

    def __init__(self, path: Path | str | None = None, *, timeout_ms: int = BUSY_TIMEOUT_MS) -> None:
        self.path = Path(path) if path is not None else default_history_path()
        self.timeout_ms = timeout_ms
        self._ready = False

    def __repr__(self) -> str:
        return f"HistoryStore({str(self.path)!r})"

    def _open(self, *, create: bool = True) -> sqlite3.Connection:
        """A connection in WAL mode with the busy timeout; every sqlite problem becomes a
        HistoryError naming the file. The caller closes it."""
        try:
            if create:
                self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            elif not self.path.exists():
                raise HistoryError(f"There is no run history yet ({self.path}).")
            # Not tied to its thread: a kept connection (HistoryWriter) may be closed by
            # whoever stops its one user; no two threads use one connection at once.
            connection = sqlite3.connect(
                self.path, timeout=self.timeout_ms / 1000, isolation_level=None, check_same_thread=False
            )
        except OSError as exc:
            raise HistoryError(f"Cannot open the run history {self.path}: {exc.strerror or exc}") from None
        except sqlite3.Error as exc:
            raise HistoryError(f"Cannot open the run history {self.path}: {exc}") from None
        try:
            connection.execute(f"PRAGMA busy_timeout = {int(self.timeout_ms)}")
            if not self._ready:
                self._prepare(connection)
            # Per connection, not per file: in WAL mode a commit then appends to the log
            # without waiting for the disk (a crash may lose the last runs, never the file).
            connection.execute("PRAGMA synchronous = NORMAL")
            connection.execute("PRAGMA foreign_keys = ON")
        except sqlite3.DatabaseError as exc:
            connection.close()
            raise HistoryError(_explain(self.path, exc)) from None
        except BaseException:
            connection.close()
            raise
        return connection

    @contextlib.contextmanager
    def _connect(self, *, create: bool = True) -> Iterator[sqlite3.Connection]:
        """A short connection (see :meth:`_open`), closed when the block ends."""
        connection = self._open(create=create)
        try:
            yield connection
        except sqlite3.DatabaseError as exc:
            raise HistoryError(_explain(self.path, exc)) from None
        finally:
            connection.close()

    def _prepare(self, connection: sqlite3.Connection) -> None:
        # WAL lets the app read while the CLI writes; it is a property of the file, so the
        # first connection sets it for everyone. The file is private (prompts may be in it).
        _use_wal(connection, self.timeout_ms)
        with _transaction(connection):
            _create_schema(connection)
        with contextlib.suppress(OSError):
            os.chmod(self.path, 0o600)
        self._ready = True

    # --- settings -----------------------------------------------------------------

    def settings(self) -> HistorySettings:
        if not self.path.exists():
            return HistorySettings()
        with self._connect() as connection:
            rows = dict(connection.execute("SELECT key, value FROM meta").fetchall())
        return _settings_from(rows)

    def set_settings(self, *, keep_runs: int | None = None, record_prompts: bool | None = None) -> HistorySettings:
        """Change the settings given (``None`` leaves one as it is); a smaller
        ``keep_runs`` prunes older runs at once."""
        if keep_runs is not None and not MIN_KEEP_RUNS <= keep_runs <= MAX_KEEP_RUNS:
            raise HistoryError(f"keep_runs must be between {MIN_KEEP_RUNS} and {MAX_KEEP_RUNS:,}, not {keep_runs}")
        with self._connect() as connection, _transaction(connection):
            if keep_runs is not None:
                _put_meta(connection, "keep_runs", str(keep_runs))
            if record_prompts is not None:
                _put_meta(connection, "record_prompts", "1" if record_prompts else "0")
            current = _settings_from(dict(connection.execute("SELECT key, value FROM meta").fetchall()))
            _prune(connection, current.keep_runs)
        return current

    # --- writing ------------------------------------------------------------------

    def record(self, run: RunRecord) -> int:
        """Store ``run`` (its prompt only when ``record_prompts`` is on) and return its id.
        Older runs beyond ``keep_runs`` are removed in the same transaction."""
        return self.record_many([run])[0]

    def record_many(self, runs: Sequence[RunRecord]) -> list[int]:
        """Store ``runs`` in one transaction, as :meth:`record` does each; their ids."""
        with self._connect() as connection:
            return _record_into(connection, runs)

    def clear(self) -> int:
        """Delete every recorded run; returns how many there were."""
        with self._connect() as connection, _transaction(connection):
            count = int(connection.execute("SELECT COUNT(*) FROM runs").fetchone()[0])
            connection.execute("DELETE FROM attempts")
            connection.execute("DELETE FROM runs")
        return count

    # --- reading ------------------------------------------------------------------

    def query(
        self,
        agent: str | None = None,
        model: str | None = None,
        failed: bool = False,
        limit: int | None = 100,
        *,
        fell_back: bool = False,
        before_id: int | None = None,
        origin: str | None = None,
    ) -> list[RunRecord]:
        """Recorded runs, newest first. ``model`` matches runs that tried that model (or
        resolved to it); ``failed`` keeps runs no model answered; ``fell_back`` keeps runs
        answered by another model than the primary; ``before_id`` pages backwards;
        ``origin`` keeps one kind of run ("serve": the gateway's requests)."""
        if not self.path.exists():
            return []
        where: list[str] = []
        params: list[Any] = []
        if agent is not None:
            where.append("agent = ?")
            params.append(agent)
        if model is not None:
            where.append(
                "(answered_by = ? OR EXISTS (SELECT 1 FROM attempts WHERE attempts.run_id = runs.id AND model = ?)"
                " OR EXISTS (SELECT 1 FROM json_each(runs.models) WHERE json_each.value = ?))"
            )
            params += [model, model, model]
        if failed:
            where.append("answered_by IS NULL")
        if fell_back:
            where.append("answered_by IS NOT NULL AND answered_by != json_extract(models, '$[0]')")
        if before_id is not None:
            where.append("id < ?")
            params.append(before_id)
        if origin is not None:
            where.append("origin = ?")
            params.append(origin)
        sql = "SELECT * FROM runs"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY id DESC"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(max(0, int(limit)))
        with self._connect() as connection:
            connection.row_factory = sqlite3.Row
            rows = connection.execute(sql, params).fetchall()
            attempts = _attempts_of(connection, [i for r in rows if (i := _int(r["id"])) is not None])
        runs = (_run_from(row, attempts.get(_int(row["id"]) or 0, [])) for row in rows)
        return [run for run in runs if run is not None]  # a damaged row is left out

    def get(self, run_id: int) -> RunRecord | None:
        if not self.path.exists():
            return None
        with self._connect() as connection:
            connection.row_factory = sqlite3.Row
            row = connection.execute("SELECT * FROM runs WHERE id = ?", (run_id,)).fetchone()
            if row is None:
                return None
            return _run_from(row, _attempts_of(connection, [run_id]).get(run_id, []))  # None if damaged

    def count(self) -> int:
        if not self.path.exists():
            return 0
        with self._connect() as connection:
            return int(connection.execute("SELECT COUNT(*) FROM runs").fetchone()[0])

    def spend(self, agent: str | None = None) -> Spend:
        """What the recorded runs cost, per agent and per model (attempts, answers, answers
        given in place of the primary), optionally for one agent only."""
        if not self.path.exists():
            return Spend([], [])
        return _spend(self, agent)

    def model_stats(
        self, models: Sequence[str] | None = None, *, config: str | os.PathLike[str] | None = None
    ) -> dict[str, ModelStats]:
        """Per model over the recorded attempts: attempts, answered, failed, success rate
        and the median latency of its answered attempts. ``models`` limits the result;
        ``config`` keeps the runs of that config file only (a model id means another model
        in another file). Rehearsals (runs with injected faults) are left out: they say
        nothing about a model."""
        if not self.path.exists():
            return {}
        sql = (
            "SELECT model, outcome, elapsed_ms FROM attempts"
            " WHERE NOT EXISTS (SELECT 1 FROM runs WHERE runs.id = attempts.run_id AND runs.simulated)"
        )
        params: list[Any] = []
        if config is not None:
            names = config_names(config)
            sql += (
                " AND EXISTS (SELECT 1 FROM runs WHERE runs.id = attempts.run_id"
                f" AND runs.config IN ({', '.join('?' for _ in names)}))"
            )
            params += names
        if models is not None:
            wanted = list(dict.fromkeys(models))
            if not wanted:
                return {}
            sql += f" AND model IN ({', '.join('?' for _ in wanted)})"
            params += wanted
        counts: dict[str, list[int]] = {}  # model -> [attempts, answered, failed]
        latencies: dict[str, list[int]] = {}
        with self._connect() as connection:
            for model, outcome, elapsed_ms in connection.execute(sql, params):
                if not isinstance(model, str):
                    continue  # a damaged row
                row = counts.setdefault(model, [0, 0, 0])
                row[0] += 1
                if outcome == "answered":
                    row[1] += 1
                    latencies.setdefault(model, []).append(_int(elapsed_ms) or 0)
                elif outcome == "failed":
                    row[2] += 1
        return {
            model: ModelStats(
                model,
                attempts,
                answered,
                failed,
                int(statistics.median(latencies[model])) if model in latencies else None,
            )
            for model, (attempts, answered, failed) in sorted(counts.items())
        }


def _record_into(connection: sqlite3.Connection, runs: Sequence[RunRecord]) -> list[int]:
    """Insert ``runs`` in one transaction on ``connection`` and prune past ``keep_runs``."""
    ids: list[int] = []
    with _transaction(connection):
        current = _settings_from(dict(connection.execute("SELECT key, value FROM meta").fetchall()))
        for run in runs:
            # Redacted here too: the history outlives the run, and text reaches it from
            # several places (the runner, the app, the gateway).
            prompt = _redacted(run.prompt) if current.record_prompts else None
            cursor = connection.execute(
                "INSERT INTO runs (started_at, config, agent, task, source, models, answered_by, error_code,"
                " error_message, input_tokens, output_tokens, latency_ms, origin, prompt, cost_usd, simulated,"
                " client, refused) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    run.started_at,
                    run.config_path,
                    run.agent,
                    run.task,
                    run.source,
                    json.dumps(list(run.models)),
                    run.answered_by,
                    run.error_code,
                    _redacted(run.error_message),
                    run.input_tokens,
                    run.output_tokens,
                    int(run.latency_ms),
                    run.origin,
                    prompt,
                    run.cost_usd,
                    int(run.simulated),
                    run.client,
                    int(run.refused),
                ),
            )
            run_id = int(cursor.lastrowid or 0)
            connection.executemany(
                "INSERT INTO attempts (run_id, position, model, outcome, status, error_class, error, elapsed_ms,"
                " cost_usd) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        run_id,
                        index,
                        a.model,
                        a.outcome,
                        a.status,
                        a.error_class,
                        _redacted(a.error),
                        int(a.elapsed_ms),
                        a.cost_usd,
                    )
                    for index, a in enumerate(run.attempts)
                ],
            )
            ids.append(run_id)
        _prune(connection, current.keep_runs)
    return ids


def _redacted(text: str | None) -> str | None:
    return None if text is None else redact(text)


def _spend(store: HistoryStore, agent: str | None) -> Spend:
    # Refused gateway requests ran no agent: they are in no one's spend.
    where, params = (
        ("WHERE NOT r.refused AND r.agent = ?", [agent]) if agent is not None else ("WHERE NOT r.refused", [])
    )
    substitute = "r.answered_by IS NOT NULL AND r.answered_by != json_extract(r.models, '$[0]')"
    with store._connect() as connection:
        agents = [
            AgentSpend(str(name), int(runs), int(answered or 0), int(subs or 0), cost)
            for name, runs, answered, subs, cost in connection.execute(
                f"SELECT r.agent, COUNT(*), SUM(r.answered_by IS NOT NULL), SUM({substitute}), SUM(r.cost_usd)"
                f" FROM runs r {where} GROUP BY r.agent ORDER BY r.agent",
                params,
            )
        ]
        models = [
            ModelSpend(str(name), int(tried), int(answers or 0), int(subs or 0), cost)
            for name, tried, answers, subs, cost in connection.execute(
                "SELECT a.model, COUNT(*), SUM(a.outcome = 'answered'),"
                f" SUM(a.outcome = 'answered' AND a.model = r.answered_by AND {substitute}), SUM(a.cost_usd)"
                f" FROM attempts a JOIN runs r ON r.id = a.run_id {where} GROUP BY a.model ORDER BY a.model",
                params,
            )
        ]
    return Spend(agents, models)


def config_names(config: str | os.PathLike[str]) -> list[str]:
    """The ways a config file's runs name it: its absolute path (as recorded) and its
    resolved one (the same file through a symlink)."""
    path = Path(config).expanduser()
    return list(dict.fromkeys([str(path.absolute()), str(path.resolve())]))


def money_text(value: float | None) -> str:
    """US dollars to a hundredth of a cent (``$0.0220``); ``-`` when the cost is not known."""
    return "-" if value is None else f"${value:,.4f}"


class HistoryWriter:
    """Records runs in ``store`` through one connection kept open, for a thread that
    records many (the gateway's history writer): a connection per run (its pragmas, and
    the WAL checkpoint its close runs when it is the last one open) cost more than the
    write itself. One thread at a time; :meth:`close` when done. A history file replaced
    or removed meanwhile is opened anew at the next write; a failed write closes the
    connection, so the next one starts clean."""

    def __init__(self, store: HistoryStore) -> None:
        self.store = store
        self._connection: sqlite3.Connection | None = None
        self._file: tuple[int, int] | None = None  # (device, inode) of the file kept open

    def record(self, run: RunRecord) -> int:
        return self.record_many([run])[0]

    def record_many(self, runs: Sequence[RunRecord]) -> list[int]:
        connection = self._connection_now()
        try:
            return _record_into(connection, runs)
        except sqlite3.DatabaseError as exc:
            self.close()
            raise HistoryError(_explain(self.store.path, exc)) from None

    def _connection_now(self) -> sqlite3.Connection:
        current = _file_of(self.store.path)
        if self._connection is not None:
            if current == self._file:
                return self._connection
            self.close()
            self.store._ready = False  # a new file needs its schema
        connection = self.store._open()
        self._connection, self._file = connection, _file_of(self.store.path)
        return connection

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = self._file = None


def _file_of(path: Path) -> tuple[int, int] | None:
    try:
        status = os.stat(path)
    except OSError:
        return None
    return (status.st_dev, status.st_ino)


def record_or_warn(store: HistoryStore | HistoryWriter, run: RunRecord) -> str | None:
    """Record ``run``; on any history problem return the warning to show instead of
    raising, so a broken database never stops a run."""
    try:
        store.record(run)
    except HistoryError as exc:
        return f"the run was not recorded in the history: {exc.message}"
    return None


def with_prompt(run: RunRecord, prompt: str | None) -> RunRecord:
    """``run`` carrying ``prompt`` (stored only if the user turned prompt recording on)."""
    return replace(run, prompt=prompt)


# --- helpers ------------------------------------------------------------------------


def _use_wal(connection: sqlite3.Connection, timeout_ms: int) -> None:
    """Put the database in WAL mode, waiting up to ``timeout_ms`` for other openers.

    Converting a file takes its write lock while holding a read lock, and SQLite answers
    "busy" at once there instead of running the busy handler: two first opens of a new
    file at the same moment left one failing. So the conversion is retried until the
    timeout; once any opener has converted the file, reading its mode is all there is.
    """
    deadline = time.monotonic() + timeout_ms / 1000
    delay = 0.001
    while True:
        try:
            mode = connection.execute("PRAGMA journal_mode").fetchone()
            if mode is None or str(mode[0]).lower() != "wal":
                mode = connection.execute("PRAGMA journal_mode = WAL").fetchone()
            break
        except sqlite3.OperationalError as exc:
            if not _is_busy(exc) or time.monotonic() + delay > deadline:
                raise
        time.sleep(delay)
        delay = min(delay * 2, 0.05)
    if mode is None or str(mode[0]).lower() != "wal":
        raise sqlite3.OperationalError("the database cannot use write-ahead logging")


def _is_busy(exc: sqlite3.Error) -> bool:
    text = str(exc)
    return "locked" in text or "busy" in text


@contextlib.contextmanager
def _transaction(connection: sqlite3.Connection) -> Iterator[None]:
    # BEGIN IMMEDIATE takes the write lock up front, so two writers queue on the busy
    # timeout instead of one failing with "database is locked" halfway through.
    connection.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")


def _create_schema(connection: sqlite3.Connection) -> None:
    for statement in _SCHEMA.split(";"):
        if statement.strip():
            connection.execute(statement)
    for table, columns in _ADDED_COLUMNS.items():
        present = {str(row[1]) for row in connection.execute(f"PRAGMA table_info({table})")}
        for name, kind in columns.items():
            if name not in present:
                connection.execute(f"ALTER TABLE {table} ADD COLUMN {name} {kind}")
    version = connection.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    if version is None:
        _put_meta(connection, "schema_version", str(SCHEMA_VERSION))
    elif int(version[0]) > SCHEMA_VERSION:
        raise sqlite3.DatabaseError(f"written by a newer ModelDesk (history schema {version[0]})")


def _put_meta(connection: sqlite3.Connection, key: str, value: str) -> None:
    connection.execute(
        "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (key, value),
    )


def _settings_from(meta: dict[str, str]) -> HistorySettings:
    try:
        keep = int(meta.get("keep_runs", DEFAULT_KEEP_RUNS))
    except ValueError:
        keep = DEFAULT_KEEP_RUNS
    return HistorySettings(
        keep_runs=min(max(keep, MIN_KEEP_RUNS), MAX_KEEP_RUNS),
        record_prompts=meta.get("record_prompts") == "1",
    )


def _prune(connection: sqlite3.Connection, keep_runs: int) -> None:
    cutoff = connection.execute("SELECT id FROM runs ORDER BY id DESC LIMIT 1 OFFSET ?", (keep_runs,)).fetchone()
    if cutoff is not None:
        connection.execute("DELETE FROM attempts WHERE run_id <= ?", (cutoff[0],))
        connection.execute("DELETE FROM runs WHERE id <= ?", (cutoff[0],))


def _attempts_of(connection: sqlite3.Connection, run_ids: list[int]) -> dict[int, list[AttemptRecord]]:
    out: dict[int, list[AttemptRecord]] = {}
    # In chunks: SQLite limits the number of parameters of one statement.
    for start in range(0, len(run_ids), 500):
        chunk = run_ids[start : start + 500]
        rows = connection.execute(
            "SELECT run_id, model, outcome, status, error_class, error, elapsed_ms, cost_usd FROM attempts"
            f" WHERE run_id IN ({', '.join('?' for _ in chunk)}) ORDER BY run_id, position",
            chunk,
        )
        for run_id, model, outcome, status, error_class, error, elapsed_ms, cost in rows:
            if _int(run_id) is None or not isinstance(model, str) or not isinstance(outcome, str):
                continue  # a damaged row
            out.setdefault(int(run_id), []).append(
                AttemptRecord(
                    model,
                    outcome,
                    _int(status),
                    _text(error_class),
                    _text(error),
                    _int(elapsed_ms) or 0,
                    _cost(cost),
                )
            )
    return out


def _int(value: object) -> int | None:
    """A stored integer, or None for anything else (a damaged row)."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _run_from(row: sqlite3.Row, attempts: list[AttemptRecord]) -> RunRecord | None:
    """The run a row holds; None for a row too damaged to read (the database was edited or
    broken by something else: such a row is left out, never a crash)."""
    try:
        models = [str(m) for m in json.loads(row["models"])]
    except (ValueError, TypeError, RecursionError):
        models = []
    try:
        return _run_fields(row, models, attempts)
    except (ValueError, TypeError, KeyError, IndexError, OverflowError):
        return None


def _run_fields(row: sqlite3.Row, models: list[str], attempts: list[AttemptRecord]) -> RunRecord:
    if not isinstance(row["agent"], str) or not isinstance(row["started_at"], (int, float)):
        raise ValueError("damaged row")
    return RunRecord(
        id=int(row["id"]),
        started_at=float(row["started_at"]),
        config_path=row["config"],
        agent=row["agent"],
        task=row["task"],
        source=row["source"],
        models=models,
        answered_by=row["answered_by"],
        error_code=row["error_code"],
        error_message=row["error_message"],
        input_tokens=row["input_tokens"],
        output_tokens=row["output_tokens"],
        latency_ms=int(row["latency_ms"]),
        origin=row["origin"],
        prompt=row["prompt"],
        client=row["client"],
        attempts=attempts,
        cost_usd=_cost(row["cost_usd"]),
        simulated=bool(row["simulated"]),
        refused=bool(row["refused"]),
    )


def _cost(value: object) -> float | None:
    """A stored cost, or None for anything that is not a finite number (a damaged row)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def _explain(path: Path, exc: sqlite3.DatabaseError) -> str:
    text = str(exc)
    if _is_busy(exc):
        return f"The run history {path} is busy (another program holds it); try again."
    if "not a database" in text or "malformed" in text or "corrupt" in text:
        return f"The run history {path} is damaged ({text}); move it aside or delete it to start a new one."
    return f"The run history {path} cannot be used: {text}"
