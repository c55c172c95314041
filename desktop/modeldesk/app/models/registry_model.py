"""The model registry table (Settings → Models): one row per model with its usability and
run history; the Enabled check box becomes an undoable edit."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import QWidget

from modeldesk.core.edits import UpdateItem
from modeldesk.core.errors import EditError
from modeldesk.core.schema import Model

from ..colours import problem_colour
from ..document import Document
from ..services.history_records import model_records
from ..text import context_text, model_badges
from .rows import RowsTableModel

ENABLED = 0
_UNSET_ROLES = frozenset(
    int(role.value)
    for role in (
        Qt.ItemDataRole.DecorationRole,
        Qt.ItemDataRole.FontRole,
        Qt.ItemDataRole.TextAlignmentRole,
        Qt.ItemDataRole.BackgroundRole,
        Qt.ItemDataRole.SizeHintRole,
    )
)


class RegistryModel(RowsTableModel[Model]):
    COLUMNS = (
        "Enabled",
        "Model",
        "Provider",
        "Name at provider",
        "Context",
        "Capabilities and price",
        "Success · median",
    )

    def __init__(self, document: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._document = document

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        # A view asks each cell for a dozen roles on every layout pass and paint; the ones
        # this table never sets are answered before any look-up.
        if role in _UNSET_ROLES:
            return None
        return super().data(index, role)

    def cell(self, row: Model, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.CheckStateRole and column == ENABLED:
            return Qt.CheckState.Checked if row.enabled else Qt.CheckState.Unchecked
        if role == Qt.ItemDataRole.DisplayRole:
            # Only the cell asked for: the views ask cell by cell, many times per paint.
            if column == ENABLED:
                return ""
            if column == 1:
                return row.id if row.display_name == row.id else f"{row.display_name} ({row.id})"
            if column == 2:
                return row.provider
            if column == 3:
                return row.name
            if column == 4:
                return context_text(row.context_window)
            if column == 5:
                return model_badges(row, self._document.resolver.providers.get(row.provider))
            # Success and latency in this file's runs.
            return model_records().text(row.id, self._document.store.path)
        if role in (Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.ForegroundRole) and column in (1, 2):
            # The other roles a view asks for each cell (font, alignment, size...) never
            # need the model's problem: it is worked out only for these two.
            problem = self._document.resolver.model_problem(row.id)
            if not problem:
                return None
            return f"Not usable: {problem}" if role == Qt.ItemDataRole.ToolTipRole else problem_colour()
        if role == Qt.ItemDataRole.AccessibleTextRole and column == ENABLED:
            return "enabled" if row.enabled else "disabled"
        return None

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        flags = super().flags(index)
        if index.isValid() and index.column() == ENABLED:
            flags |= Qt.ItemFlag.ItemIsUserCheckable
        return flags

    def setData(
        self, index: QModelIndex | QPersistentModelIndex, value: Any, role: int = Qt.ItemDataRole.EditRole
    ) -> bool:
        # The checkbox does not change the row here: it becomes an undoable edit, and the
        # table is refreshed from the document like after any other edit.
        if not index.isValid() or index.column() != ENABLED or role != Qt.ItemDataRole.CheckStateRole:
            return False
        model = self.row_value(index.row())
        enabled = Qt.CheckState(value) == Qt.CheckState.Checked
        if enabled == model.enabled:
            return False
        verb = "Enable" if enabled else "Disable"
        try:
            self._document.perform(UpdateItem("models", model.id, {"enabled": enabled}, label=f"{verb} {model.id}"))
        except EditError:
            return False
        return True
