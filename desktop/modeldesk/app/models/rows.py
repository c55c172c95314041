"""A base for the app's read-only tables: a plain list of row values and a column header.

Subclasses name their ``COLUMNS`` and answer :meth:`RowsTableModel.cell` for one row value;
the list bookkeeping (reset, append, bounds checks, headers) lives here once.

Following the document: an edit's :class:`~modeldesk.core.edits.Change` names the ids it
inserted, removed and updated, and :meth:`RowsTableModel.change_rows` turns those straight
into row removals, insertions and ``dataChanged`` for just the rows concerned (as napari's
list model turns its list's events into row signals), building only those rows again.
:meth:`RowsTableModel.update_rows`, which compares the row keys of the whole list, is the
fallback for what no record describes (a reload, a view catching up on several edits).
"""

from __future__ import annotations

import html
from collections.abc import Callable, Collection, Iterable, Sequence
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush

from ..colours import quiet_text_colour

if TYPE_CHECKING:
    from modeldesk.core.edits import Change

AnyIndex = QModelIndex | QPersistentModelIndex
Row = TypeVar("Row")
Item = TypeVar("Item")

# The row value itself, for views and tests that want more than the text.
RowRole = Qt.ItemDataRole.UserRole + 1


def dim_brush() -> QBrush:
    """How the app dims cells that are only context: quieter than the text, still
    readable (see :func:`~modeldesk.app.colours.quiet_text_colour`)."""
    return QBrush(quiet_text_colour())


def plain_tooltip(text: str) -> str:
    """``text`` as a tooltip that shows it exactly as written: Qt renders any tooltip that
    looks like HTML ("<b>…") as HTML, so such text is escaped inside a paragraph that keeps
    its line breaks."""
    if "<" not in text:
        return text  # nothing Qt could take for a tag
    return f"<p style='white-space: pre-wrap'>{html.escape(text)}</p>"


def changed_ids(change: Change, collection: str) -> set[str]:
    """The ids of ``collection`` that ``change`` inserted, removed or updated."""
    return {
        item_id for part in (change.inserted, change.removed, change.updated) for item_id in part.get(collection, ())
    }


def collection_changes(change: Change, collection: str) -> tuple[list[str], list[str], list[str]]:
    """The ids of ``collection`` that ``change`` inserted, removed and updated."""
    return (
        change.inserted.get(collection, []),
        change.removed.get(collection, []),
        change.updated.get(collection, []),
    )


def added_and_gone(before: Sequence[str], after: Sequence[str]) -> tuple[list[str], list[str]]:
    """The ids in ``after`` only, and those in ``before`` only (a list of members that
    changed, told as rows to insert and to remove)."""
    was, now = set(before), set(after)
    return [i for i in after if i not in was], [i for i in before if i not in now]


def found(item: Item | None) -> Item:
    """An item looked up by an id just read from the config (so it is there)."""
    assert item is not None
    return item


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
        """Show ``rows``, as row-level changes where they can say it: rows whose key is
        gone are removed, new keys inserted, and the cells of the rest updated in place,
        so views keep their selection, scroll position and any open editor. Rows that
        changed order (or repeated keys) reset the model."""
        rows = list(rows)
        new_keys = [self.row_key(r) for r in rows]
        old_keys = [self.row_key(r) for r in self._rows]
        if new_keys != old_keys and not self._insert_and_remove(old_keys, new_keys, rows):
            self.set_rows(rows)
            return
        self._rows = rows
        if rows:
            self.dataChanged.emit(self.index(0, 0), self.index(len(rows) - 1, len(self.COLUMNS) - 1))

    def change_rows(
        self,
        keys: Sequence[object],
        make_row: Callable[[object], Row],
        *,
        inserted: Iterable[object] = (),
        removed: Iterable[object] = (),
        updated: Iterable[object] = (),
    ) -> None:
        """Show the rows whose keys are now ``keys`` (in order), knowing from a change
        record which keys were ``inserted``, ``removed`` and ``updated``: those rows are
        removed, inserted (built by ``make_row``) and rebuilt in place with one
        ``dataChanged`` per run of rows; every other row stays as it is, unread. A key
        removed that is not shown is passed over; one inserted that is shown already is
        built again in place. Should the result not be
        ``keys`` (the record did not tell the whole story), every row is built again and
        compared as :meth:`update_rows` does."""
        inserted = list(inserted)
        index = {self.row_key(row): i for i, row in enumerate(self._rows)}
        gone = sorted({index[key] for key in removed if key in index})
        for first, last in reversed(_runs(gone)):
            self.beginRemoveRows(QModelIndex(), first, last)
            del self._rows[first : last + 1]
            self.endRemoveRows()
        if gone:
            index = {self.row_key(row): i for i, row in enumerate(self._rows)}
        new = {key for key in inserted if key not in index}
        arriving = [i for i, key in enumerate(keys) if key in new] if new else []
        # Ascending: every row before ``first`` already matches ``keys``.
        for first, last in _runs(arriving):
            if first > len(self._rows):
                break  # the record does not fit what is shown: the check below rebuilds
            self.beginInsertRows(QModelIndex(), first, last)
            self._rows[first:first] = [make_row(keys[i]) for i in range(first, last + 1)]
            self.endInsertRows()
        if len(self._rows) != len(keys) or any(
            self.row_key(row) != key for row, key in zip(self._rows, keys, strict=True)
        ):
            self.update_rows([make_row(key) for key in keys])
            return
        if arriving:
            index = {self.row_key(row): i for i, row in enumerate(self._rows)}
        changed = sorted({index[key] for key in (*updated, *inserted) if key in index and key not in new})
        for row in changed:
            self._rows[row] = make_row(self.row_key(self._rows[row]))
        for first, last in _runs(changed):
            self.dataChanged.emit(self.index(first, 0), self.index(last, len(self.COLUMNS) - 1))

    def show_again(self, keys: Collection[object] | None = None) -> None:
        """Say that the cells of the rows with ``keys`` (all rows: ``None``) may read
        differently now, though the row values are the same (what they show is worked out
        when painted, from something that changed)."""
        if keys is None:
            rows = [0, len(self._rows) - 1] if self._rows else []
            runs = [(rows[0], rows[1])] if rows else []
        else:
            runs = _runs([i for i, row in enumerate(self._rows) if self.row_key(row) in keys])
        for first, last in runs:
            self.dataChanged.emit(self.index(first, 0), self.index(last, len(self.COLUMNS) - 1))

    # Past this many separate runs of rows, one reset is cheaper for the views.
    _MAX_RUNS = 64

    def _insert_and_remove(self, old_keys: list[Any], new_keys: list[Any], rows: list[Row]) -> bool:
        """Turn the old rows into ``rows`` by removing and inserting runs of rows; False
        (nothing done) when that cannot express the change."""
        try:
            old_set, new_set = set(old_keys), set(new_keys)
        except TypeError:  # keys that cannot be hashed: compare nothing, reset
            return False
        if len(old_set) != len(old_keys) or len(new_set) != len(new_keys):
            return False
        if [k for k in old_keys if k in new_set] != [k for k in new_keys if k in old_set]:
            return False  # kept rows moved
        removed = _runs([i for i, k in enumerate(old_keys) if k not in new_set])
        inserted = _runs([i for i, k in enumerate(new_keys) if k not in old_set])
        if len(removed) + len(inserted) > self._MAX_RUNS:
            return False
        for first, last in reversed(removed):
            self.beginRemoveRows(QModelIndex(), first, last)
            del self._rows[first : last + 1]
            self.endRemoveRows()
        # Ascending: every row before ``first`` already matches ``rows``.
        for first, last in inserted:
            self.beginInsertRows(QModelIndex(), first, last)
            self._rows[first:first] = rows[first : last + 1]
            self.endInsertRows()
        return True

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


def _runs(indices: list[int]) -> list[tuple[int, int]]:
    """Ascending ``indices`` as (first, last) runs of consecutive numbers."""
    runs: list[tuple[int, int]] = []
    for i in indices:
        if runs and runs[-1][1] == i - 1:
            runs[-1] = (runs[-1][0], i)
        else:
            runs.append((i, i))
    return runs
