"""The tables of recorded runs (History's runs, the gateway page's recent requests), and
how a run's outcome, latency, tokens and time read there."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt

from modeldesk.core.history import RunRecord

from ..colours import problem_colour, warning_colour
from ..text import latency_text
from .rows import RowsTableModel, dim_brush


def answered_text(run: RunRecord) -> str:
    """Who answered, at a glance: "gpt-4o instead of claude-sonnet-4", or the failure;
    "rehearsal: …" when faults were injected (Simulate)."""
    if run.refused:  # the gateway refused the request before any agent ran
        return f"refused: {run.error_code}"
    if run.answered_by is None:
        text = f"failed: {run.error_code}" if run.error_code else "failed"
    elif run.fell_back and run.primary:
        text = f"{run.answered_by} instead of {run.primary}"
    else:
        text = run.answered_by
    return f"rehearsal: {text}" if run.simulated else text


REHEARSAL_NOTE = "A rehearsal: faults were injected (Simulate), so it counts in no model's success rate."


def tokens_text(run: RunRecord) -> str:
    if run.input_tokens is None and run.output_tokens is None:
        return ""
    return f"{run.input_tokens or 0} → {run.output_tokens or 0}"


def when_text(started_at: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(started_at))


# A User-Agent is whatever the client sent: shown shortened, printable characters only.
CLIENT_TEXT_MAX = 48


def client_text(run: RunRecord, *, full: bool = False) -> str:
    """The gateway client that sent the request, from its User-Agent: the first word
    ("claude-cli/2.1.332"), or all of it with ``full``; "" for runs not from the gateway."""
    agent = "".join(ch for ch in (run.client or "") if ch.isprintable()).strip()
    if full or not agent:
        return agent
    first = agent.split()[0]
    return first if len(first) <= CLIENT_TEXT_MAX else first[: CLIENT_TEXT_MAX - 1] + "…"


def origin_text(run: RunRecord) -> str:
    """Where a run came from: "app", "CLI", or the gateway's client ("gateway" when it
    sent no User-Agent)."""
    if run.origin == "serve":
        return client_text(run) or "gateway"
    return "app" if run.origin == "app" else "CLI"


def answered_colour(run: RunRecord) -> Any:
    """How "Answered by" is coloured: a failure as a problem, a fallback as a warning, a
    rehearsal dimmed (its failures are not real ones); ``None`` for a plain answer."""
    if run.simulated:
        return dim_brush()
    if run.answered_by is None:
        return problem_colour()
    if run.fell_back:
        return warning_colour()
    return None


class RunRecordsModel(RowsTableModel[RunRecord]):
    """Recorded runs, one a row known by the run's id, the first column saying when it
    started; subclasses answer the other cells in :meth:`run_cell`."""

    WHEN = 0

    def row_key(self, run: RunRecord) -> object:
        return run.id

    def cell(self, run: RunRecord, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and column == self.WHEN:
            return when_text(run.started_at)
        return self.run_cell(run, column, role)

    def run_cell(self, run: RunRecord, column: int, role: int) -> Any:
        raise NotImplementedError


class RunsModel(RunRecordsModel):
    COLUMNS = ("When", "Agent", "Answered by", "Attempts", "Latency", "Tokens", "From")
    WHEN, AGENT, ANSWERED, ATTEMPTS, LATENCY, TOKENS, ORIGIN = range(7)

    def __init__(self, parent: QObject | None = None, *, agent_name: Callable[[str], str] | None = None) -> None:
        super().__init__(parent)
        # An agent's name from its id (the history keeps ids; the agent may be gone).
        self._agent_name = agent_name or (lambda agent_id: agent_id)

    def run_cell(self, run: RunRecord, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            if column == self.AGENT:
                name = self._agent_name(run.agent)
                return name if not run.task else f"{name} ({run.task})"
            if column == self.ANSWERED:
                return answered_text(run)
            if column == self.ATTEMPTS:
                return len([a for a in run.attempts if a.outcome != "skipped"])
            if column == self.LATENCY:
                return latency_text(run.latency_ms)
            if column == self.TOKENS:
                return tokens_text(run)
            return origin_text(run)
        if role == Qt.ItemDataRole.ForegroundRole and column == self.ANSWERED:
            return answered_colour(run)
        if role == Qt.ItemDataRole.ForegroundRole and column == self.ORIGIN:
            return dim_brush()
        if role == Qt.ItemDataRole.ToolTipRole and column == self.AGENT:
            return f"Agent id: {run.agent}"
        if role == Qt.ItemDataRole.ToolTipRole and column == self.ANSWERED:
            tip = run.error_message if run.answered_by is None else f"Resolved list: {', '.join(run.models)}"
            return f"{REHEARSAL_NOTE}\n{tip or ''}".rstrip() if run.simulated else tip
        if role == Qt.ItemDataRole.ToolTipRole and column == self.ORIGIN and run.origin == "serve":
            return f"A request to the gateway from {client_text(run, full=True) or 'a client that did not say'}"
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (self.ATTEMPTS, self.LATENCY):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


class ServeRequestsModel(RunRecordsModel):
    """The gateway's recent requests, newest first."""

    COLUMNS = ("When", "Client", "Agent", "Answered by", "Latency")
    WHEN, CLIENT, AGENT, ANSWERED, LATENCY = range(5)

    def run_cell(self, run: RunRecord, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            if column == self.CLIENT:
                return client_text(run) or "(no User-Agent)"
            if column == self.AGENT:
                return run.agent
            if column == self.ANSWERED:
                return answered_text(run)
            return latency_text(run.latency_ms)
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == self.CLIENT:
                return client_text(run, full=True) or "The client sent no User-Agent."
            if column == self.ANSWERED:
                return run.error_message if run.answered_by is None else f"Resolved list: {', '.join(run.models)}"
        if role == Qt.ItemDataRole.ForegroundRole:
            if column == self.ANSWERED:
                return answered_colour(run)
            if column == self.CLIENT and not run.client:
                return dim_brush()
        if role == Qt.ItemDataRole.TextAlignmentRole and column == self.LATENCY:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None
