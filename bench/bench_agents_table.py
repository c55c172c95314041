"""The Agents page's table with 10,000 agents, against Qt's stock models.

Baseline, measured in the same run: a QStandardItemModel holding the same five text
columns (computed up front) behind a plain QSortFilterProxyModel, doing the same work:
load, filter by text, sort by a column. The agents table resolves effective models
lazily, so loading costs nothing per row; filtering by model and sorting by the
effective model resolve every row once (then the cache serves).
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import best_of, header, report
from PySide6.QtCore import QSortFilterProxyModel, Qt
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QApplication
from workspace import workspace

from modeldesk.app.document import Document
from modeldesk.app.models.agents_model import EFFECTIVE, AgentsFilterProxy, AgentsTableModel
from modeldesk.core.schema import model_list
from modeldesk.core.store import ConfigStore

AGENTS = 10_000


def main() -> None:
    app = QApplication.instance() or QApplication([])
    config = workspace(AGENTS)
    folder = tempfile.mkdtemp()
    document = Document(ConfigStore(Path(folder) / "c.json", policy_path=Path(folder) / "none.json"), config=config)
    rows = [[a.name, a.project or "", ", ".join(model_list(a.model)), "", ""] for a in config.agents]

    def stock_load() -> QSortFilterProxyModel:
        model = QStandardItemModel(0, 5)
        for row in rows:
            # appendRow, not setItem: PySide6 6.12 under-counts None's references when
            # setItem is called tens of thousands of times.
            model.appendRow([QStandardItem(text) for text in row])
        proxy = QSortFilterProxyModel()
        proxy.setSourceModel(model)
        proxy._keep = model  # type: ignore[attr-defined]
        return proxy

    def ours_load() -> AgentsFilterProxy:
        model = AgentsTableModel(document)
        proxy = AgentsFilterProxy()
        proxy.setSourceModel(model)
        proxy._keep = model  # type: ignore[attr-defined]
        return proxy

    stock, ours = stock_load(), ours_load()

    def stock_filter() -> None:
        stock.setFilterFixedString("Agent 99")
        stock.setFilterFixedString("")

    def ours_filter() -> None:
        ours.set_text("Agent 99")
        ours.set_text("")

    def ours_model_filter_cold() -> None:
        fresh = ours_load()
        fresh.set_model_filter("m3")
        assert fresh.rowCount() > 0

    def stock_sort() -> None:
        stock.sort(2, Qt.SortOrder.AscendingOrder)
        stock.sort(-1)

    def ours_sort() -> None:
        ours.sort(EFFECTIVE, Qt.SortOrder.AscendingOrder)
        ours.sort(-1)

    header(f"agents table: {AGENTS} agents")
    base_load = best_of(stock_load, repeat=3)
    report("baseline: QStandardItemModel load", base_load, base_load, "stock load")
    report("AgentsTableModel load", best_of(ours_load, repeat=3), base_load, "stock load")
    base_filter = best_of(stock_filter)
    report("baseline: stock proxy, text filter + clear", base_filter, base_filter, "stock filter")
    report("AgentsFilterProxy, text filter + clear", best_of(ours_filter), base_filter, "stock filter")
    report(
        "filter by model, cold (resolves every agent)",
        best_of(ours_model_filter_cold, repeat=3),
        base_filter,
        "stock filter",
    )
    base_sort = best_of(stock_sort)
    report("baseline: stock proxy, sort + unsort", base_sort, base_sort, "stock sort")
    report("sort by effective model + unsort (cached)", best_of(ours_sort), base_sort, "stock sort")
    del app


if __name__ == "__main__":
    main()
