"""The agents table's rows that pass the Agents page's filters, in the table's order.

A stock ``QSortFilterProxyModel`` asks Python whether to keep each row, one call per row:
10,000 calls on every keystroke, and again after any change to many rows. This model keeps
its own list of the source rows it shows instead. A filter change decides every row in one
Python pass over each row's search text (kept in a list in row order; typing more letters
searches only the rows already shown) and tells the views in one layout change, which
keeps the selection of the rows still shown. The table's own row signals (an agent added,
removed, changed, moved, the table sorted) become the same signals here, for the rows shown;
a changed row that no longer passes, or now passes, is removed or inserted.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt

from modeldesk.core.schema import Agent, model_list

from .agents_model import AgentsTableModel

Index = QModelIndex | QPersistentModelIndex

# A change to more source rows than this drops the kept search texts (made again when a
# text filter next needs them) instead of updating them one by one.
TEXTS_UPDATE_LIMIT = 200
# A source change that hides or shows rows in more separate runs than this is told as one
# layout change rather than a remove or insert signal per run.
RUNS_LIMIT = 32


class AgentsFilterModel(QAbstractTableModel):
    """Filters by free text (name, id, project, model ids) and by one model id (rows whose
    preferred or effective list contains it). Sorting is the table's own (see
    ``AgentsTableModel``): ``sort`` passes it on and the rows shown follow."""

    def __init__(self, source: AgentsTableModel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._source = source
        self._text = ""
        self._model_id: str | None = None
        self._rows: list[int] = list(range(source.rowCount()))  # the source rows shown, ascending
        self._texts: list[str] | None = None  # each source row's search text, while kept
        self._removing = (0, 0)  # the rows leaving, between the source's two remove signals
        self._moving = False  # whether a source move is one here too
        self._held: list[tuple[QModelIndex, str]] = []  # during a source layout change
        self._shown_ids: set[str] | None = None  # likewise: the agents shown (None: every agent)
        source.modelAboutToBeReset.connect(self.beginResetModel)
        source.modelReset.connect(self._source_reset)
        source.rowsInserted.connect(self._source_rows_inserted)
        source.rowsAboutToBeRemoved.connect(self._source_rows_about_to_be_removed)
        source.rowsRemoved.connect(self._source_rows_removed)
        source.rowsAboutToBeMoved.connect(self._source_rows_about_to_be_moved)
        source.rowsMoved.connect(self._source_rows_moved)
        source.dataChanged.connect(self._source_data_changed)
        source.layoutAboutToBeChanged.connect(self._source_layout_about_to_change)
        source.layoutChanged.connect(self._source_layout_changed)
        source.headerDataChanged.connect(self.headerDataChanged)

    # --- the filters --------------------------------------------------------------------

    def sourceModel(self) -> AgentsTableModel:
        return self._source

    def set_text(self, text: str) -> None:
        self.set_filters(text, self._model_id)

    def set_model_filter(self, model_id: str | None) -> None:
        self.set_filters(self._text, model_id)

    def set_filters(self, text: str, model_id: str | None) -> None:
        """Both filters at once: one pass over the rows, none when nothing changed."""
        text, model_id = text.strip().casefold(), model_id or None
        if (text, model_id) == (self._text, self._model_id):
            return
        # A longer text (the same model filter) can only match rows the shorter one did.
        narrower = model_id == self._model_id and self._text in text
        self._text, self._model_id = text, model_id
        self._show(self._passing(self._rows if narrower else range(self._source.rowCount())))

    def shown_agents(self) -> list[Agent]:
        """The agents shown, in row order."""
        agents = self._source.agents()
        return [agents[row] for row in self._rows]

    def is_filtering(self) -> bool:
        return bool(self._text) or self._model_id is not None

    def _passing(self, rows: Sequence[int]) -> list[int]:
        """The source rows among ``rows`` (ascending) that pass both filters."""
        if self._text:
            texts, needle = self._search_texts(), self._text
            rows = [row for row in rows if needle in texts[row]]
        if self._model_id is not None:
            agents = self._source.agents()
            rows = [row for row in rows if self._uses_model(agents[row])]
        return list(rows)

    def _uses_model(self, agent: Agent) -> bool:
        model_id = self._model_id
        return model_id in model_list(agent.model) or model_id in self._source.effective(agent).models

    def _search_texts(self) -> list[str]:
        if self._texts is None:
            search_text = self._source.search_text
            self._texts = [search_text(agent) for agent in self._source.agents()]
        return self._texts

    def _show(self, rows: list[int]) -> None:
        """Show ``rows`` instead, as one layout change: indexes of rows still shown (the
        selection, the current row) move with them, the others become invalid."""
        if rows == self._rows:
            return
        self.layoutAboutToBeChanged.emit()
        persistent = self.persistentIndexList()
        old = self._rows
        self._rows = rows
        moved = []
        for index in persistent:
            row = self._position(old[index.row()]) if 0 <= index.row() < len(old) else -1
            moved.append(self.index(row, index.column()) if row >= 0 else QModelIndex())
        self.changePersistentIndexList(persistent, moved)
        self.layoutChanged.emit()

    def _position(self, source_row: int) -> int:
        """This model's row showing ``source_row``, or -1."""
        rows = self._rows
        row = bisect.bisect_left(rows, source_row)
        return row if row < len(rows) and rows[row] == source_row else -1

    # --- mapping ------------------------------------------------------------------------

    def mapToSource(self, index: Index) -> QModelIndex:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return QModelIndex()
        return self._source.index(self._rows[index.row()], index.column())

    def mapFromSource(self, source_index: Index) -> QModelIndex:
        row = self._position(source_index.row()) if source_index.isValid() else -1
        return self.index(row, source_index.column()) if row >= 0 else QModelIndex()

    # --- Qt API -------------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else self._source.columnCount()

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if orientation == Qt.Orientation.Vertical:
            return None
        return self._source.headerData(section, orientation, role)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        row = index.row()
        if not 0 <= row < len(self._rows):
            return None
        return self._source.cell_data(self._rows[row], index.column(), role)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self._source.sort(column, order)

    # --- following the source -----------------------------------------------------------

    def _source_reset(self) -> None:
        self._texts = None
        self._rows = self._passing(range(self._source.rowCount()))
        self.endResetModel()

    def _source_rows_inserted(self, _parent: QModelIndex, first: int, last: int) -> None:
        count = last - first + 1
        at = bisect.bisect_left(self._rows, first)
        self._rows[at:] = [row + count for row in self._rows[at:]]
        if self._texts is not None:
            agents, search_text = self._source.agents(), self._source.search_text
            self._texts[first:first] = [search_text(agents[row]) for row in range(first, last + 1)]
        shown = self._passing(range(first, last + 1))
        if shown:
            self.beginInsertRows(QModelIndex(), at, at + len(shown) - 1)
            self._rows[at:at] = shown
            self.endInsertRows()

    def _source_rows_about_to_be_removed(self, _parent: QModelIndex, first: int, last: int) -> None:
        self._removing = (bisect.bisect_left(self._rows, first), bisect.bisect_right(self._rows, last))
        low, high = self._removing
        if high > low:
            self.beginRemoveRows(QModelIndex(), low, high - 1)

    def _source_rows_removed(self, _parent: QModelIndex, first: int, last: int) -> None:
        count = last - first + 1
        low, high = self._removing
        del self._rows[low:high]
        self._rows[low:] = [row - count for row in self._rows[low:]]
        if self._texts is not None:
            del self._texts[first : last + 1]
        if high > low:
            self.endRemoveRows()

    def _source_rows_about_to_be_moved(
        self, _parent: QModelIndex, start: int, end: int, _destination_parent: QModelIndex, destination: int
    ) -> None:
        low, high = bisect.bisect_left(self._rows, start), bisect.bisect_right(self._rows, end)
        target = bisect.bisect_left(self._rows, destination)
        # Qt's destination is a position before the move; one inside the moved rows, or just
        # after them, leaves the rows shown in the same order.
        self._moving = high > low and not low <= target <= high
        if self._moving:
            self.beginMoveRows(QModelIndex(), low, high - 1, QModelIndex(), target)

    def _source_rows_moved(
        self, _parent: QModelIndex, start: int, end: int, _destination_parent: QModelIndex, destination: int
    ) -> None:
        count = end - start + 1
        # Where each source row is after the move: the moved ones land before `destination`,
        # the rows between shift to close the gap.
        lands = destination - count if destination > end else destination

        def after_move(row: int) -> int:
            if start <= row <= end:
                return row - start + lands
            if destination > end and end < row < destination:
                return row - count
            if destination < start and destination <= row < start:
                return row + count
            return row

        self._rows = sorted(after_move(row) for row in self._rows)
        if self._texts is not None:
            moved = self._texts[start : end + 1]
            del self._texts[start : end + 1]
            self._texts[lands:lands] = moved
        if self._moving:
            self.endMoveRows()

    def _source_data_changed(self, top_left: QModelIndex, bottom_right: QModelIndex, roles: Sequence[int] = ()) -> None:
        first, last = top_left.row(), bottom_right.row()
        if self._texts is not None:
            if last - first < TEXTS_UPDATE_LIMIT:
                agents, search_text = self._source.agents(), self._source.search_text
                for row in range(first, last + 1):
                    self._texts[row] = search_text(agents[row])
            else:
                self._texts = None
        low, high = bisect.bisect_left(self._rows, first), bisect.bisect_right(self._rows, last)
        if self.is_filtering():
            shown = self._passing(range(first, last + 1))
            if shown != self._rows[low:high]:
                self._replace_span(low, high, shown)
                high = low + len(shown)
        if high > low:
            self.dataChanged.emit(
                self.index(low, top_left.column()), self.index(high - 1, bottom_right.column()), roles
            )

    def _replace_span(self, low: int, high: int, shown: list[int]) -> None:
        """Show ``shown`` instead of the rows ``low`` to ``high`` (exclusive): a remove
        signal per run of rows leaving, an insert signal per run arriving."""
        staying = set(shown)
        leaving = [row for row in range(low, high) if self._rows[row] not in staying]
        before = set(self._rows[low:high])
        arriving = [row for row in shown if row not in before]
        if len(_runs(leaving)) + len(_runs(arriving)) > RUNS_LIMIT:
            self._show(self._rows[:low] + shown + self._rows[high:])
            return
        for first, last in reversed(_runs(leaving)):
            self.beginRemoveRows(QModelIndex(), first, last)
            del self._rows[first : last + 1]
            self.endRemoveRows()
        index = 0
        while index < len(arriving):
            at = bisect.bisect_left(self._rows, arriving[index])
            following = self._rows[at] if at < len(self._rows) else None
            end = index + 1
            while end < len(arriving) and (following is None or arriving[end] < following):
                end += 1
            self.beginInsertRows(QModelIndex(), at, at + end - index - 1)
            self._rows[at:at] = arriving[index:end]
            self.endInsertRows()
            index = end

    def _source_layout_about_to_change(self, *_: object) -> None:
        self.layoutAboutToBeChanged.emit()
        agents = self._source.agents()
        self._shown_ids = {agents[row].id for row in self._rows} if self.is_filtering() else None
        self._held = [
            (index, agents[self._rows[index.row()]].id)
            for index in self.persistentIndexList()
            if 0 <= index.row() < len(self._rows)
        ]

    def _source_layout_changed(self, *_: object) -> None:
        source = self._source
        agents = source.agents()
        self._texts = None
        shown = self._shown_ids
        if shown is None:
            self._rows = list(range(len(agents)))
        else:
            self._rows = [row for row, agent in enumerate(agents) if agent.id in shown]
        held, self._held, self._shown_ids = self._held, [], None
        persistent = [index for index, _ in held]
        moved = []
        for index, agent_id in held:
            row = self._position(source.row_of(agent_id))
            moved.append(self.index(row, index.column()) if row >= 0 else QModelIndex())
        self.changePersistentIndexList(persistent, moved)
        self.layoutChanged.emit()


def _runs(rows: list[int]) -> list[tuple[int, int]]:
    """Ascending ``rows`` as runs of consecutive numbers, (first, last) each."""
    runs: list[tuple[int, int]] = []
    for row in rows:
        if runs and runs[-1][1] == row - 1:
            runs[-1] = (runs[-1][0], row)
        else:
            runs.append((row, row))
    return runs
