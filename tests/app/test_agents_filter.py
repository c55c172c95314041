"""The agents filter (AgentsFilterModel) under real views: what it shows always equals the
table's rows that pass the filters, in the table's order, through filter changes, sorting
and every kind of edit; the selection stays on the agents still shown."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication, QTableView

from modeldesk.app.document import Document
from modeldesk.app.models.agents_filter_model import AgentsFilterModel
from modeldesk.app.models.agents_model import NAME, AgentIdRole, AgentsTableModel
from modeldesk.app.views.agents_page import AgentsPage
from modeldesk.core.bulk import SetAgentLists
from modeldesk.core.edits import Batch, PutItem, RemoveAgent, SetSetting, UpdateItem
from modeldesk.core.samples import sample_config
from modeldesk.core.schema import Agent, model_list
from modeldesk.core.store import ConfigStore
from tests.app.helpers import show_active


def shown_ids(model: AgentsFilterModel) -> list[str]:
    return [model.index(row, 0).data(AgentIdRole) for row in range(model.rowCount())]


def expected_ids(source: AgentsTableModel, text: str, model_id: str | None = None) -> list[str]:
    """The table's agents that pass, in its order, decided the plain way, row by row."""
    needle = text.strip().casefold()
    found = []
    for row in range(source.rowCount()):
        agent = source.agent_at(row)
        words = " ".join([agent.id, agent.name, agent.project or "", *model_list(agent.model)]).casefold()
        uses = model_id is None or model_id in model_list(agent.model) or model_id in source.effective(agent).models
        if needle in words and uses:
            found.append(agent.id)
    return found


def click_header(qtbot: Any, table: QTableView, column: int) -> None:
    header = table.horizontalHeader()
    qtbot.mouseClick(
        header.viewport(),
        Qt.MouseButton.LeftButton,
        pos=QPoint(header.sectionViewportPosition(column) + 20, header.height() // 2),
    )


def test_the_filter_passes_the_model_tester_through_filters_sorts_and_edits(
    qtbot: Any, qtmodeltester: Any, document: Document
) -> None:
    source = AgentsTableModel(document)
    model = AgentsFilterModel(source)
    view = QTableView()
    qtbot.addWidget(view)
    view.setModel(model)
    view.show()
    # The tester stays connected: every signal below is checked as it comes.
    qtmodeltester.check(model, force_py=True)
    model.set_text("support")
    assert shown_ids(model) == expected_ids(source, "support")
    model.sort(NAME, Qt.SortOrder.DescendingOrder)
    assert shown_ids(model) == expected_ids(source, "support")
    document.perform(UpdateItem("agents", "helper", {"name": "Support helper"}))  # joins, moved where it sorts
    document.perform(PutItem("agents", Agent(id="late", name="Late support")))
    document.perform(RemoveAgent("triage"))
    document.perform(UpdateItem("agents", "responder", {"name": "Answers"}))  # still shown: its project
    assert shown_ids(model) == expected_ids(source, "support")
    model.set_model_filter("gpt-4o-mini")
    document.perform(SetSetting(("default_agent_model",), "gpt-4o-mini"))  # any row may join
    assert shown_ids(model) == expected_ids(source, "support", "gpt-4o-mini")
    model.set_filters("", None)
    document.reload()
    assert shown_ids(model) == [source.agent_at(row).id for row in range(source.rowCount())]
    qtmodeltester.check(model, force_py=True)


def test_typing_narrows_widening_brings_rows_back_and_headers_sort(qtbot: Any, document: Document) -> None:
    page = show_active(qtbot, AgentsPage(document), (1200, 700))
    for typed in ("s", "su", "sup", "su", "", "a", "an", "analy"):
        page.filter_edit.setText(typed)
        assert shown_ids(page.proxy) == expected_ids(page.model, typed), typed
    page.filter_edit.setText("e")
    click_header(qtbot, page.table, NAME)
    names = [page.proxy.index(row, NAME).data() for row in range(page.proxy.rowCount())]
    assert names == sorted(names, key=str.casefold) and len(names) == len(expected_ids(page.model, "e"))
    click_header(qtbot, page.table, NAME)
    assert [page.proxy.index(row, NAME).data() for row in range(page.proxy.rowCount())] == names[::-1]
    page.filter_edit.setText("er")  # narrows within the sorted rows, keeping their order
    assert shown_ids(page.proxy) == expected_ids(page.model, "er")
    assert page.table.horizontalHeader().sortIndicatorSection() == NAME
    assert page.proxy.headerData(NAME, Qt.Orientation.Horizontal) == "Agent"


def test_the_selection_stays_on_agents_still_shown_and_the_panels_follow(qtbot: Any, document: Document) -> None:
    page = show_active(qtbot, AgentsPage(document), (1200, 700))
    page.select_agent("responder")
    assert page.editor.agent_id == "responder"
    for typed in ("s", "sup", "support", "su", ""):
        page.filter_edit.setText(typed)
        assert page.selected_ids() == ["responder"], typed
        assert page.table.currentIndex().data(AgentIdRole) == "responder"
        assert page.editor.agent_id == "responder"
    # Several selected: those still shown stay selected, and the count says so.
    page.table.selectAll()
    page.filter_edit.setText("support")
    assert page.selected_ids() == expected_ids(page.model, "support")
    assert page.count_label.text() == "3 of 9 agents, 3 selected"
    # A filter that hides the selected agent: nothing is selected, the panels show nothing.
    page.select_agent("responder")
    page.filter_edit.setText("analy")
    assert page.selected_ids() == []
    assert page.editor.agent_id is None and page.test_run.agent_id is None
    assert page.count_label.text() == "1 of 9 agents"
    # Down from the filter goes into the list, on its first agent.
    page.filter_edit.setFocus()
    qtbot.waitUntil(page.filter_edit.hasFocus)
    qtbot.keyClick(page.filter_edit, Qt.Key.Key_Down)
    assert page.table.hasFocus()
    assert page.selected_ids() == ["analyst"] and page.editor.agent_id == "analyst"


def test_edits_while_filtered_add_remove_and_move_only_the_rows_shown(qtbot: Any, document: Document) -> None:
    page = show_active(qtbot, AgentsPage(document), (1200, 700))
    page.filter_edit.setText("support")
    page.select_agent("escalation")
    signals: list[str] = []
    page.proxy.rowsInserted.connect(lambda *_: signals.append("inserted"))
    page.proxy.rowsRemoved.connect(lambda *_: signals.append("removed"))
    page.proxy.modelReset.connect(lambda: signals.append("reset"))
    page.proxy.layoutChanged.connect(lambda *_: signals.append("layout"))

    document.perform(PutItem("agents", Agent(id="hidden", name="Hidden")))  # does not pass: no signal
    assert signals == []
    document.perform(PutItem("agents", Agent(id="night", name="Night support")))
    assert signals == ["inserted"] and page.count_label.text() == "4 of 11 agents"
    document.perform(UpdateItem("agents", "hidden", {"project": "support"}))  # now passes
    document.perform(RemoveAgent("triage"))
    assert signals == ["inserted", "inserted", "removed"]
    assert shown_ids(page.proxy) == expected_ids(page.model, "support")
    assert page.selected_ids() == ["escalation"]

    # Sorted: a renamed agent moves where it sorts, and stays selected.
    click_header(qtbot, page.table, NAME)
    document.perform(UpdateItem("agents", "escalation", {"name": "Aardvark support"}))
    assert shown_ids(page.proxy) == expected_ids(page.model, "support")
    assert shown_ids(page.proxy)[0] == "escalation"
    assert page.selected_ids() == ["escalation"]
    assert "reset" not in signals

    document.undo_stack.undo()
    document.undo_stack.undo()
    assert shown_ids(page.proxy) == expected_ids(page.model, "support")
    assert page.selected_ids() == ["escalation"]


def test_ten_thousand_agents_filter_sort_and_bulk_change_while_filtered(qtbot: Any, tmp_path: Path) -> None:
    config = sample_config()
    config.agents = [
        Agent(
            id=f"agent-{i:05d}",
            name=f"Agent {i}",
            project="support" if i % 3 == 0 else None,
            model=["gpt-4o", "o3-mini"] if i % 2 else None,
        )
        for i in range(10_000)
    ]
    config.squads = []
    store = ConfigStore(tmp_path / "big.json")
    store.save(config)
    document = Document(store)
    page = show_active(qtbot, AgentsPage(document), (1200, 700))
    qtbot.keyClicks(page.filter_edit, "agent 12")
    assert shown_ids(page.proxy) == expected_ids(page.model, "agent 12")
    assert page.proxy.rowCount() == 111  # 12, 120-129, 1200-1299
    page.select_agent("agent-01234")
    click_header(qtbot, page.table, NAME)
    click_header(qtbot, page.table, NAME)  # descending
    assert shown_ids(page.proxy) == expected_ids(page.model, "agent 12")
    assert shown_ids(page.proxy)[0] == "agent-01299"
    qtbot.keyClicks(page.filter_edit, "3")
    assert page.selected_ids() == ["agent-01234"]
    assert shown_ids(page.proxy) == expected_ids(page.model, "agent 123")
    assert shown_ids(page.proxy)[0] == "agent-01239" and page.proxy.rowCount() == 11  # 1239 down to 123
    # Every agent's list changes in one step: those that now name o3-mini leave the
    # filtered list, the rest stay, selected as they were.
    page.set_model_filter("gpt-4o")
    assert shown_ids(page.proxy) == expected_ids(page.model, "agent 123", "gpt-4o")
    lists = tuple(
        (agent.id, agent.model, ["o3-mini"] if i % 4 == 1 else ["gpt-4o"])
        for i, agent in enumerate(document.config.agents)
    )
    document.perform(SetAgentLists(lists))
    assert shown_ids(page.proxy) == expected_ids(page.model, "agent 123", "gpt-4o")
    page.filter_edit.clear()
    page.set_model_filter(None)
    assert page.proxy.rowCount() == 10_000
    assert page.selected_ids() == ["agent-01234"]
    QApplication.processEvents()


def test_a_batch_removing_many_shown_agents_keeps_the_filtered_list_exact(qtbot: Any, document: Document) -> None:
    extra = [Agent(id=f"ops-{n:03}", name=f"Ops {n:03}", project="support" if n % 2 else None) for n in range(60)]
    document.perform(Batch(tuple(PutItem("agents", agent) for agent in extra), label="add"))
    page = show_active(qtbot, AgentsPage(document), (1200, 700))
    page.filter_edit.setText("support")
    document.perform(Batch(tuple(RemoveAgent(f"ops-{n:03}") for n in range(0, 60, 3)), label="remove"))
    assert shown_ids(page.proxy) == expected_ids(page.model, "support")
    document.undo_stack.undo()
    assert shown_ids(page.proxy) == expected_ids(page.model, "support")
    assert page.count_label.text() == f"{len(expected_ids(page.model, 'support'))} of 69 agents"


def test_a_whole_table_selection_keeps_the_agents_still_shown(qtbot: Any, tmp_path: Path) -> None:
    # Over 1,000 cells selected as one range: Qt's selection model holds that as "the whole
    # table", which a change of the row count alone would drop.
    config = sample_config()
    config.agents = [Agent(id=f"agent-{i:04d}", name=f"Agent {i}") for i in range(1000)]
    config.squads = []
    store = ConfigStore(tmp_path / "wide.json")
    store.save(config)
    page = show_active(qtbot, AgentsPage(Document(store)), (1200, 700))
    page.table.selectAll()
    qtbot.keyClicks(page.filter_edit, "agent 12")
    assert page.selected_ids() == expected_ids(page.model, "agent 12")
    assert page.count_label.text() == "11 of 1,000 agents, 11 selected"
    assert page.bulk_button.isEnabled() and page.editor.agent_id is None
    page.filter_edit.clear()  # the agents shown again come back unselected, as they left
    assert page.selected_ids() == expected_ids(page.model, "agent 12")
