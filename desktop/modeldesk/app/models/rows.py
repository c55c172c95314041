"""A base for the app's read-only tables: a plain list of row values and a column header.

Subclasses name their ``COLUMNS`` and answer :meth:`RowsTableModel.cell` for one row value;
the list bookkeeping (reset, append, bounds checks, headers) lives here once.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QPalette
from PySide6.QtWidgets import QApplication

if TYPE_CHECKING:
    pass

AnyIndex = QModelIndex | QPersistentModelIndex
Row = TypeVar("Row")

# The row value itself, for views and tests that want more than the text.
RowRole = Qt.ItemDataRole.UserRole + 1


def dim_brush() -> QBrush:
    """The palette's disabled-text colour: how the app dims rows that are only context."""
    return QBrush(QApplication.palette().color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text))


def plain_tooltip(text: str) -> str:
    """``text`` as a tooltip that shows it exactly as written: Qt renders any tooltip that
    looks like HTML ("<b>…") as HTML, so such text is escaped inside a paragraph that keeps
    its line breaks."""
    if "<" not in text:
        return text  # nothing Qt could take for a tag
    return f"<p style='white-space: pre-wrap'>{html.escape(text)}</p>"


class RowsTableModel(QAbstractTableModel, Generic[Row]):
    COLUMNS: tuple[str, ...] = ()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[Row] = []

    # --- the list ---------------------------------------------------------------------

    def set_rows(self, rows: Iterable[Row]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def append_row(self, row: Row) -> None:
        position = len(self._rows)
        self.beginInsertRows(QModelIndex(), position, position)
        self._rows.append(row)
        self.endInsertRows()

    def update_rows(self, rows: Iterable[Row]) -> None:
        """Show ``rows``. When their keys are the same, in the same order, the cells are
        updated in place, so views keep their selection and any open editor; otherwise
        the model resets."""
        rows = list(rows)
        if [self.row_key(r) for r in rows] != [self.row_key(r) for r in self._rows]:
            self.set_rows(rows)
            return
        self._rows = rows
        if rows:
            self.dataChanged.emit(self.index(0, 0), self.index(len(rows) - 1, len(self.COLUMNS) - 1))

    def row_key(self, row: Row) -> object:
        """What identifies a row across updates (its id); the row itself by default."""
        return row

    def row_of(self, key: object) -> int:
        """The row whose key is ``key``, or -1."""
        return next((i for i, r in enumerate(self._rows) if self.row_key(r) == key), -1)

    def rows(self) -> list[Row]:
        return list(self._rows)

    def row_value(self, row: int) -> Row:
        return self._rows[row]

    def cell(self, row: Row, column: int, role: int) -> Any:
        """What ``data()`` returns for ``row`` (a row value) in ``column`` for ``role``."""
        raise NotImplementedError

    # --- Qt ---------------------------------------------------------------------------

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if (
            orientation == Qt.Orientation.Horizontal
            and role == Qt.ItemDataRole.DisplayRole
            and 0 <= section < len(self.COLUMNS)
        ):
            return self.COLUMNS[section]
        return None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        if not 0 <= index.column() < len(self.COLUMNS):
            return None
        row = self._rows[index.row()]
        if role == RowRole:
            return row
        value = self.cell(row, index.column(), role)
        if role == Qt.ItemDataRole.ToolTipRole and isinstance(value, str) and value:
            # Tooltips quote names and other programs' text: shown as typed, never as markup
            # (Qt renders a tooltip that looks like HTML as HTML).
            return plain_tooltip(value)
        return value
