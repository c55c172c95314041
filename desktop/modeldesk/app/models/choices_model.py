"""A combo box's entries as one list model: a text to show and the value it stands for.

Filling a ``QComboBox`` item by item costs a call into Qt per entry (10,000 agents took
~0.25 s on each fill); this model takes the whole list at once and Qt asks only for the
entries it shows. ``QComboBox.itemText``/``itemData``/``findText`` and its completer work
on it as on the combo's own model.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QObject, QPersistentModelIndex, Qt


class ChoicesModel(QAbstractListModel):
    """Rows of ``(text, value)``: the text for the display and edit roles, the value for
    ``Qt.UserRole`` (what ``QComboBox.itemData`` reads)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[tuple[str, str]] = []

    def set_choices(self, rows: list[tuple[str, str]]) -> None:
        self.beginResetModel()
        self._rows = rows
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            return self._rows[index.row()][0]
        if role == Qt.ItemDataRole.UserRole:
            return self._rows[index.row()][1]
        return None
