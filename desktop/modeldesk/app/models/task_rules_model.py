"""The Settings task-model rules table: the task, the chat model it applies to, and the
models it runs on."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from modeldesk.core.schema import WILDCARD

from ..document import Document
from .rows import RowsTableModel
from .task_model_cells import run_on_cell

TaskRule = tuple[str, str, tuple[str, ...]]  # (task, chat model or '*', models)


class TaskModelsModel(RowsTableModel[TaskRule]):
    COLUMNS = ("Task", "When the chat model is", "Run on")

    def __init__(self, document: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._document = document

    def cell(self, row: TaskRule, column: int, role: int) -> Any:
        task, chat, models = row
        if column == 2:
            return run_on_cell(self._document, models, role)
        if role == Qt.ItemDataRole.DisplayRole:
            if column == 0:
                return task
            return "any (*)" if chat == WILDCARD else chat
        return None
