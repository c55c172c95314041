"""How the app's tables look and behave, in one place: whole-row single selection, read-only
unless a caller allows editing, no row-number column.

- :func:`make_table` builds a page's table: Tab leaves it (arrows move inside), columns
  fit their text and long text wraps; or, for tables of thousands of rows, rows of one
  line and columns sized once (``one_line``).
- :class:`ExactRepaintTable`, the view of every table in the app, repaints a changed row
  and not the row under it.
- :func:`setup_compact_table` sizes a small table inside a scrolling settings page to its
  rows, so the page does not show blocks of empty grid (the page scrolls, not each table).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QPersistentModelIndex
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget


class ExactRepaintTable(QTableView):
    """A QTableView whose repaint after a change within one row covers that row only.

    Qt repaints a changed range one pixel past its last row (the rectangle it builds counts
    the row's end as inside), so a change to one row also painted the row below it: half
    the repaint of an edit on the agents page. A one-row change is handed on cell by cell,
    and Qt repaints a single cell exactly."""

    def dataChanged(
        self,
        topLeft: QModelIndex | QPersistentModelIndex,
        bottomRight: QModelIndex | QPersistentModelIndex,
        roles: Sequence[int] = (),
    ) -> None:
        row, model = topLeft.row(), self.model()
        if row != bottomRight.row() or model is None or topLeft.column() == bottomRight.column():
            super().dataChanged(topLeft, bottomRight, roles)
            return
        parent = topLeft.parent()
        for column in range(topLeft.column(), bottomRight.column() + 1):
            cell = model.index(row, column, parent)
            super().dataChanged(cell, cell, roles)


def _select_whole_rows(table: QTableView) -> None:
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.verticalHeader().setVisible(False)


def make_table(
    model: QAbstractItemModel,
    name: str,
    accessible_name: str,
    parent: QWidget,
    *,
    stretch: tuple[int, ...] = (),
    one_line: bool = False,
    widths: Iterable[tuple[int, str | int]] = (),
) -> QTableView:
    """A read-only, single-selection table over ``model`` (call ``setEditTriggers`` to
    allow editing in place). Columns fit their text; the ``stretch`` columns (else the
    last one) share the width left, and wrap long text rather than scroll sideways.

    ``one_line``: for thousands of rows, which must never be measured cell by cell (the
    full text is in each cell's tooltip): rows of one line and one height, and the
    columns named in ``widths`` sized once, to a sample text or a number of pixels."""
    table = ExactRepaintTable(parent)
    table.setObjectName(name)
    table.setAccessibleName(accessible_name)
    table.setModel(model)
    _select_whole_rows(table)
    table.setTabKeyNavigation(False)
    table.setAlternatingRowColors(True)
    table.setWordWrap(True)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    # Columns fit the rows near the top: fitting every row read each cell of 500 squads.
    header.setResizeContentsPrecision(COLUMN_FIT_ROWS)
    for column in stretch:
        header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)
    header.setStretchLastSection(not stretch)
    if one_line:
        _one_line_rows(table, stretch, widths)
    else:
        _fit_row_heights_while_few(table, model)
    return table


def _one_line_rows(table: QTableView, stretch: tuple[int, ...], widths: Iterable[tuple[int, str | int]]) -> None:
    table.setWordWrap(False)
    rows = table.verticalHeader()
    rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    rows.setDefaultSectionSize(table.fontMetrics().height() + 8)
    sized = list(widths)
    if not sized:
        return
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    for column in stretch:
        header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)
    for column, sample in sized:
        width = sample if isinstance(sample, int) else table.fontMetrics().horizontalAdvance(sample) + 16
        header.resizeSection(column, width)


# How many rows a table's columns are fitted to.
COLUMN_FIT_ROWS = 40
# Up to this many rows, each row is as tall as its wrapped text; beyond, rows are one line
# (the full text is in the tooltip): fitting the height of every row measures every cell,
# ~1 s for 500 rows, on each change.
FIT_ROW_HEIGHTS_UP_TO = 200


def _fit_row_heights_while_few(table: QTableView, model: QAbstractItemModel) -> None:
    rows = table.verticalHeader()
    fitted: list[bool] = []  # the mode set last (none yet)

    def follow() -> None:
        few = model.rowCount() <= FIT_ROW_HEIGHTS_UP_TO
        if fitted != [few]:
            fitted[:] = [few]
            if not few:
                # As tall as a fitted row of one line (Qt's default is near twice that); the
                # rest of a long text is elided rather than wrapped out of sight.
                rows.setDefaultSectionSize(max(rows.minimumSectionSize(), table.fontMetrics().height() + 1))
            table.setWordWrap(few)
            rows.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents if few else QHeaderView.ResizeMode.Fixed)

    for signal in (model.modelReset, model.rowsInserted, model.rowsRemoved, model.layoutChanged):
        signal.connect(follow)
    follow()


def setup_compact_table(table: QTableView, *, min_rows: int = 2, max_rows: int = 14) -> None:
    """Row-select, read-only, fixed row height, and a height that follows the row count."""
    _select_whole_rows(table)
    table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    table.verticalHeader().setDefaultSectionSize(table.fontMetrics().height() + 10)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    table.horizontalHeader().setStretchLastSection(True)
    # Columns fit the rows near the top, not every row: a registry of 1,000 models would
    # otherwise be read cell by cell on each change (and each keystroke of its filter).
    table.horizontalHeader().setResizeContentsPrecision(0)
    table.setWordWrap(False)

    def fit() -> None:
        model = table.model()
        rows = max(min_rows, min(max_rows, model.rowCount() if model is not None else 0))
        frame = table.frameWidth() * 2
        scrollbar = table.horizontalScrollBar().sizeHint().height()
        height = table.horizontalHeader().sizeHint().height() + rows * table.verticalHeader().defaultSectionSize()
        table.setFixedHeight(height + frame + scrollbar)

    model = table.model()
    assert model is not None, "set the model before calling setup_compact_table"
    for signal in (model.modelReset, model.rowsInserted, model.rowsRemoved):
        signal.connect(fit)
    fit()
