"""A thin Qt adapter over a plain list of model ids (a preferred-model priority list).

The Python list is the one source of truth; every change to it goes through this
model's ``moveRows``/``insertRows``/``removeRows`` so views stay in step. Drag and drop
moves rows through ``moveRows`` too, the same call the keyboard and the Move buttons use.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence

from PySide6.QtCore import (
    QAbstractListModel,
    QByteArray,
    QMimeData,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QBrush

from ..colours import problem_colour

MIME_TYPE = "application/x-modeldesk-model-rows"

# Custom roles, so views and tests can read the parts of a row without parsing text.
ModelIdRole = Qt.ItemDataRole.UserRole + 1
PositionRole = Qt.ItemDataRole.UserRole + 2
ProblemRole = Qt.ItemDataRole.UserRole + 3

Index = QModelIndex | QPersistentModelIndex


def position_label(row: int) -> str:
    """'Primary' for the first model, 'Fallback n' for the rest."""
    return "Primary" if row == 0 else f"Fallback {row}"


class ModelListModel(QAbstractListModel):
    """Rows are model ids. ``describe(id) -> (label, problem or None)`` supplies the
    display name and why a model is unusable (unknown, disabled, provider off)."""

    def __init__(
        self,
        describe: Callable[[str], tuple[str, str | None]],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._items: list[str] = []
        self._describe = describe

    # --- the list ---------------------------------------------------------------------

    def items(self) -> list[str]:
        return list(self._items)

    def set_items(self, items: Sequence[str]) -> None:
        self.beginResetModel()
        self._items = list(items)
        self.endResetModel()

    def append(self, model_id: str) -> None:
        row = len(self._items)
        self.beginInsertRows(QModelIndex(), row, row)
        self._items.append(model_id)
        self.endInsertRows()

    def refresh(self) -> None:
        """The registry changed (labels, problems): repaint every row."""
        if self._items:
            self.dataChanged.emit(self.index(0), self.index(len(self._items) - 1))

    # --- read -------------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._items)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid() or not 0 <= index.row() < len(self._items):
            return None
        model_id = self._items[index.row()]
        if role == ModelIdRole:
            return model_id
        if role == PositionRole:
            return position_label(index.row())
        # Display text does not include the position ("Primary", "Fallback 1"): a row's
        # data must not change when other rows move. The view's delegate adds it.
        if role == Qt.ItemDataRole.DisplayRole:
            label, problem = self._describe(model_id)
            return f"{label}  —  ⚠ {problem}" if problem else label
        if role == ProblemRole:
            return self._describe(model_id)[1]
        if role == Qt.ItemDataRole.ToolTipRole:
            label, problem = self._describe(model_id)
            if problem:
                return f"{label}\nNot usable: {problem}. It stays in the list until you remove it."
            return label
        if role == Qt.ItemDataRole.ForegroundRole and self._describe(model_id)[1]:
            return QBrush(problem_colour())
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            # Drops land between rows (on the root), never onto a row.
            return Qt.ItemFlag.ItemIsDropEnabled
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsDragEnabled

    # --- change -----------------------------------------------------------------------

    def moveRows(
        self, source_parent: Index, source_row: int, count: int, destination_parent: Index, destination_child: int
    ) -> bool:
        n = len(self._items)
        if (
            source_parent.isValid()
            or destination_parent.isValid()
            or count < 1
            or source_row < 0
            or source_row + count > n
            or not 0 <= destination_child <= n
            # Moving a block into itself (or right behind itself) changes nothing.
            or source_row <= destination_child <= source_row + count
        ):
            return False
        if not self.beginMoveRows(QModelIndex(), source_row, source_row + count - 1, QModelIndex(), destination_child):
            return False
        block = self._items[source_row : source_row + count]
        del self._items[source_row : source_row + count]
        insert_at = destination_child - count if destination_child > source_row else destination_child
        self._items[insert_at:insert_at] = block
        self.endMoveRows()
        return True

    def move(self, row: int, delta: int) -> bool:
        """Move one row up (-1) or down (+1): the keyboard and the Move buttons."""
        target = row + delta
        if not 0 <= row < len(self._items) or not 0 <= target < len(self._items):
            return False
        # moveRows' destination is the row the block goes *before*, in pre-move numbering.
        destination = target if delta < 0 else target + 1
        return self.moveRow(QModelIndex(), row, QModelIndex(), destination)

    def removeRows(self, row: int, count: int, parent: Index = QModelIndex()) -> bool:
        if parent.isValid() or count < 1 or row < 0 or row + count > len(self._items):
            return False
        self.beginRemoveRows(QModelIndex(), row, row + count - 1)
        del self._items[row : row + count]
        self.endRemoveRows()
        return True

    # --- drag and drop ----------------------------------------------------------------

    def supportedDropActions(self) -> Qt.DropAction:
        return Qt.DropAction.MoveAction

    def supportedDragActions(self) -> Qt.DropAction:
        return Qt.DropAction.MoveAction

    def mimeTypes(self) -> list[str]:
        return [MIME_TYPE]

    def mimeData(self, indexes: Sequence[QModelIndex]) -> QMimeData:
        rows = sorted({i.row() for i in indexes if i.isValid()})
        data = QMimeData()
        payload = {"ids": [self._items[r] for r in rows]}
        data.setData(MIME_TYPE, QByteArray(json.dumps(payload).encode()))
        return data

    def canDropMimeData(self, data: QMimeData, action: Qt.DropAction, row: int, column: int, parent: Index) -> bool:
        return action == Qt.DropAction.MoveAction and data.hasFormat(MIME_TYPE) and not parent.isValid()

    def dropMimeData(self, data: QMimeData, action: Qt.DropAction, row: int, column: int, parent: Index) -> bool:
        if not self.canDropMimeData(data, action, row, column, parent):
            return False
        moving = self._ids_from(data)
        if not moving:
            return False
        destination = len(self._items) if row < 0 else min(row, len(self._items))
        # Anchor on the first row at/after the drop point that is not being moved; each
        # dragged row goes right before it, so the block lands together, in order.
        anchor = next((m for m in self._items[destination:] if m not in moving), None)
        for model_id in moving:
            target = self._items.index(anchor) if anchor is not None else len(self._items)
            self.moveRow(QModelIndex(), self._items.index(model_id), QModelIndex(), target)
        # Returning True would make the view remove the "source" rows after the drop,
        # deleting what was just moved; the move is complete, so report no transfer.
        return False

    def _ids_from(self, data: QMimeData) -> list[str]:
        # Ids are unique within a list, so they identify rows even if rows moved meanwhile.
        try:
            payload = json.loads(bytes(data.data(MIME_TYPE).data()).decode())
            ids = [str(i) for i in payload["ids"]]
        except (ValueError, KeyError, TypeError):
            return []
        return [i for i in ids if i in self._items]
