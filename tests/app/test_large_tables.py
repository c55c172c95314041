"""Tables and choice lists that stay quick with thousands of rows keep showing what the
config holds: the squads page's agent choices follow edits, and a page table fits its row
heights to wrapped text only while it has few rows; a changed row repaints that row alone."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import QAbstractTableModel, Qt
from PySide6.QtWidgets import QApplication, QHeaderView, QWidget

from modeldesk.app.models.choices_model import ChoicesModel
from modeldesk.app.models.squads_model import SquadsModel
from modeldesk.app.views.squads_page import SquadsPage
from modeldesk.app.widgets.tables import FIT_ROW_HEIGHTS_UP_TO, ExactRepaintTable, make_table
from modeldesk.core.edits import AddItem, Batch, RemoveItem
from modeldesk.core.schema import Agent, Squad


def offered(page: SquadsPage) -> dict[str, str]:
    combo = page.agent_combo
    return {str(combo.itemData(i)): combo.itemText(i) for i in range(combo.count())}


def test_choices_model_passes_the_model_tester(qtmodeltester: Any) -> None:
    choices = ChoicesModel()
    choices.set_choices([("Analyst (analyst)", "analyst"), ("writer", "writer")])
    qtmodeltester.check(choices)
    choices.set_choices([])
    qtmodeltester.check(choices)


def test_squad_agent_choices_follow_edits(qtbot: Any, document: Any) -> None:
    page = SquadsPage(document)
    qtbot.addWidget(page)
    page.select_squad("research-team")
    members = set(document.config.squad("research-team").agents)
    before = offered(page)
    assert set(before) == {a.id for a in document.config.agents} - members
    assert before["triage"] == f"{document.config.agent('triage').name} (triage)"

    document.perform(AddItem("agents", Agent(id="newcomer", name="Newcomer")))
    assert offered(page)["newcomer"] == "Newcomer (newcomer)"
    # Found by its text, as typing it and pressing Enter does.
    combo = page.agent_combo
    assert combo.itemData(combo.findText("Newcomer (newcomer)")) == "newcomer"

    document.perform(RemoveItem("agents", "newcomer"))
    assert "newcomer" not in offered(page)
    # Another squad: its members are not offered, the research team's are.
    page.select_squad("support-desk")
    support = set(document.config.squad("support-desk").agents)
    assert set(offered(page)) == {a.id for a in document.config.agents} - support


def test_row_heights_fit_the_text_only_while_rows_are_few(qtbot: Any, document: Any) -> None:
    holder = QWidget()
    qtbot.addWidget(holder)
    model = SquadsModel(document)
    table = make_table(model, "squads", "Squads", holder)
    rows = table.verticalHeader()
    assert rows.sectionResizeMode(0) == QHeaderView.ResizeMode.ResizeToContents
    holder.resize(400, 300)
    holder.show()
    qtbot.waitExposed(holder)
    one_line = table.rowHeight(0)  # "Research team": one line
    many = [Squad(id=f"s{i}", name=f"Squad {i}") for i in range(FIT_ROW_HEIGHTS_UP_TO + 1)]
    document.perform(Batch(tuple(AddItem("squads", squad) for squad in many)))
    model.refresh()
    assert model.rowCount() > FIT_ROW_HEIGHTS_UP_TO
    assert rows.sectionResizeMode(0) == QHeaderView.ResizeMode.Fixed
    # Rows of one line, as tall as a one-line row was (Qt's default height was near twice
    # that: 500 squads showed in rows of 30 px beside their members' 18).
    assert table.rowHeight(0) == table.rowHeight(FIT_ROW_HEIGHTS_UP_TO) == one_line
    assert not table.wordWrap()  # a long name is elided, not cut after its first line
    document.perform(Batch(tuple(RemoveItem("squads", squad.id) for squad in many)))
    model.refresh()
    assert rows.sectionResizeMode(0) == QHeaderView.ResizeMode.ResizeToContents
    assert table.wordWrap()


class _RowsAsked(QAbstractTableModel):
    """Ten rows of five cells that note which rows a paint read."""

    def __init__(self) -> None:
        super().__init__()
        self.rows_read: set[int] = set()

    def rowCount(self, parent: Any = None) -> int:
        return 10

    def columnCount(self, parent: Any = None) -> int:
        return 5

    def data(self, index: Any, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if role == Qt.ItemDataRole.DisplayRole:
            self.rows_read.add(index.row())
            return f"r{index.row()} c{index.column()}"
        return None


@pytest.mark.parametrize("grid", [True, False])
def test_a_changed_row_repaints_that_row_alone(qtbot: Any, grid: bool) -> None:
    """Qt repaints a changed range a pixel past its last row, which painted the row below as
    well; an edit at 10,000 agents paid for two rows."""
    model = _RowsAsked()
    table = ExactRepaintTable()
    table.setShowGrid(grid)
    table.setModel(model)
    table.resize(500, 400)
    table.show()
    qtbot.waitExposed(table)
    qtbot.waitUntil(lambda: 9 in model.rows_read)  # the first paint read every row
    model.rows_read.clear()
    model.dataChanged.emit(model.index(3, 0), model.index(3, 4))
    qtbot.waitUntil(lambda: bool(model.rows_read))
    QApplication.processEvents()
    assert model.rows_read == {3}
    # A change of several rows repaints at least those rows.
    model.rows_read.clear()
    model.dataChanged.emit(model.index(5, 1), model.index(6, 2))
    qtbot.waitUntil(lambda: {5, 6} <= model.rows_read)
