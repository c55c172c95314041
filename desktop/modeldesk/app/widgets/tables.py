"""Small tables inside a scrolling settings page: sized to their rows, so the page does
not show blocks of empty grid (the page scrolls, not each table)."""

from __future__ import annotations

from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView


def setup_compact_table(table: QTableView, *, min_rows: int = 2, max_rows: int = 14) -> None:
    """Row-select, read-only, fixed row height, and a height that follows the row count."""
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.verticalHeader().setVisible(False)
    table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    table.verticalHeader().setDefaultSectionSize(table.fontMetrics().height() + 10)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    table.horizontalHeader().setStretchLastSection(True)
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
