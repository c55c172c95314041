"""An agent's own task models (the agent editor's Task models section): the task and the
models it runs on."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Qt

from ..document import Document
from .rows import RowsTableModel
from .task_model_cells import run_on_cell

AgentTaskRow = tuple[str, tuple[str, ...]]  # (task, models)


class AgentTaskModelsModel(RowsTableModel[AgentTaskRow]):
    COLUMNS = ("Task", "Run on")

    def __init__(self, document: Document, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._document = document

    def row_key(self, row: AgentTaskRow) -> object:
        return row[0]

    def cell(self, row: AgentTaskRow, column: int, role: int) -> Any:
        task, models = row
        if column == 1:
            return run_on_cell(self._document, models, role)
        return task if role == Qt.ItemDataRole.DisplayRole else None
