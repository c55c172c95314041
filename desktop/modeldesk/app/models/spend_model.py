"""The History page's spend tables: per agent and per model, what the recorded runs cost
and how many answers came from a substitute (another model than the primary)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt

from modeldesk.core.history import AgentSpend, ModelSpend, money_text

from .rows import RowsTableModel

_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)


class AgentSpendModel(RowsTableModel[AgentSpend]):
    COLUMNS = ("Agent", "Runs", "Answered", "By a substitute", "Spend")
    AGENT, RUNS, ANSWERED, SUBSTITUTE, SPEND = range(5)

    def row_key(self, row: AgentSpend) -> object:
        return row.agent

    def cell(self, row: AgentSpend, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            return (row.agent, str(row.runs), str(row.answered), str(row.substitute_answers), money_text(row.cost_usd))[
                column
            ]
        if role == Qt.ItemDataRole.TextAlignmentRole and column != self.AGENT:
            return _RIGHT
        return None


class ModelSpendModel(RowsTableModel[ModelSpend]):
    COLUMNS = ("Model", "Attempts", "Answers", "As a substitute", "Spend")
    MODEL, ATTEMPTS, ANSWERS, SUBSTITUTE, SPEND = range(5)

    def row_key(self, row: ModelSpend) -> object:
        return row.model

    def cell(self, row: ModelSpend, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            return (
                row.model,
                str(row.attempts),
                str(row.answers),
                str(row.substitute_answers),
                money_text(row.cost_usd),
            )[column]
        if role == Qt.ItemDataRole.TextAlignmentRole and column != self.MODEL:
            return _RIGHT
        return None
