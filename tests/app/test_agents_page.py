"""The Agents page: the agents table (effective model and source, flagged failures),
filters, add/remove, the bulk button, and the side panels following the selection."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QDialog, QInputDialog, QMessageBox

from modeldesk.app.document import Document, wait_for_saves
from modeldesk.app.models.agents_filter_model import AgentsFilterModel
from modeldesk.app.models.agents_model import (
    EFFECTIVE,
    NAME,
    PREFERRED,
    PROJECT,
    SOURCE,
    AgentIdRole,
    AgentsTableModel,
    ProblemRole,
)
from modeldesk.app.views.agents_page import AgentsPage, new_agent_id
from modeldesk.core.bulk import AgentsScope
from modeldesk.core.edits import RemoveItem, SetSetting, UpdateItem
from modeldesk.core.samples import sample_config
from modeldesk.core.schema import Agent, Config
from modeldesk.core.store import ConfigStore
from tests.app.helpers import show_active


def make_page(qtbot: Any, document: Document) -> AgentsPage:
    return show_active(qtbot, AgentsPage(document), (1200, 700))


def row_of(page: AgentsPage, agent_id: str) -> int:
    for row in range(page.proxy.rowCount()):
        if page.proxy.index(row, 0).data(AgentIdRole) == agent_id:
            return row
    return -1


def cell(page: AgentsPage, agent_id: str, column: int, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
    return page.proxy.index(row_of(page, agent_id), column).data(role)


def visible_ids(page: AgentsPage) -> list[str]:
    return [page.proxy.index(r, 0).data(AgentIdRole) for r in range(page.proxy.rowCount())]


def test_table_model_passes_the_model_tester(qtmodeltester: Any, document: Document) -> None:
    model = AgentsTableModel(document)
    qtmodeltester.check(model, force_py=True)
    document.perform(UpdateItem("agents", "helper", {"name": "Helper 2"}))  # a reset under the tester
    qtmodeltester.check(model, force_py=True)


def test_sorting_passes_the_model_tester(qtmodeltester: Any, document: Document) -> None:
    model = AgentsTableModel(document)
    qtmodeltester.check(model, force_py=True)
    model.sort(NAME, Qt.SortOrder.DescendingOrder)
    model.sort(EFFECTIVE)
    qtmodeltester.check(model, force_py=True)


def test_filter_proxy_passes_the_model_tester(qtmodeltester: Any, document: Document) -> None:
    proxy = AgentsFilterModel(AgentsTableModel(document))
    proxy.set_text("research")
    qtmodeltester.check(proxy, force_py=True)
    proxy.set_model_filter("gpt-4o")
    proxy.set_text("")
    qtmodeltester.check(proxy, force_py=True)


def test_table_shows_effective_model_and_source(qtbot: Any, document: Document) -> None:
    page = make_page(qtbot, document)
    assert cell(page, "analyst", NAME) == "Analyst"
    assert cell(page, "analyst", PROJECT) == "research"
    assert cell(page, "analyst", PREFERRED) == "claude-sonnet-4, gpt-4o"
    assert cell(page, "analyst", EFFECTIVE) == "claude-sonnet-4  +1"
    assert cell(page, "analyst", SOURCE) == "Agent's preferred models"
    assert cell(page, "researcher", PREFERRED) == "(inherits)"
    assert cell(page, "researcher", EFFECTIVE).startswith("claude-opus-4")
    assert cell(page, "researcher", SOURCE) == "Project default"
    assert cell(page, "helper", SOURCE) == "Settings default"
    # A disabled model is kept in the preferred list and flagged.
    assert cell(page, "fact-checker", PREFERRED) == "o3-mini, ⚠ claude-3-haiku"
    assert "model disabled" in cell(page, "fact-checker", PREFERRED, ProblemRole)
    assert page.count_label.text() == "9 agents"


def test_a_resolution_failure_is_a_flagged_cell_not_a_crash(qtbot: Any, document: Document) -> None:
    page = make_page(qtbot, document)
    document.perform(SetSetting(("default_agent_model",), None))
    assert cell(page, "helper", EFFECTIVE) == "⚠ no usable model"
    problem = cell(page, "helper", EFFECTIVE, ProblemRole)
    assert "Default agent model" in problem
    assert cell(page, "helper", EFFECTIVE, Qt.ItemDataRole.ForegroundRole) is not None
    assert cell(page, "helper", SOURCE) == ""


def test_filter_by_text_and_by_model(qtbot: Any, document: Document) -> None:
    page = make_page(qtbot, document)
    qtbot.keyClicks(page.filter_edit, "support")
    assert visible_ids(page) == ["triage", "responder", "escalation"]
    assert page.count_label.text() == "3 of 9 agents"
    page.filter_edit.clear()
    # The model filter matches preferred *and* effective lists.
    page.set_model_filter("gpt-4o-mini")
    assert visible_ids(page) == ["triage", "responder"]
    page.set_model_filter("claude-3-haiku")  # disabled, still findable
    assert visible_ids(page) == ["fact-checker"]
    assert page.model_filter.currentText() == "claude-3-haiku ⚠ model disabled"
    document.perform(RemoveItem("models", "o3-mini"))  # deleted, still listed by an agent
    page.set_model_filter("o3-mini")
    assert visible_ids(page) == ["fact-checker"]
    page.set_model_filter(None)
    assert len(visible_ids(page)) == 9


def test_selecting_an_agent_drives_editor_resolution_and_test_run(qtbot: Any, document: Document) -> None:
    page = make_page(qtbot, document)
    page.table.selectRow(row_of(page, "triage"))
    assert page.editor.agent_id == "triage"
    assert page.resolution.agent_id == "triage"
    assert page.test_run.agent_id == "triage"
    # Several selected: the side panels show nothing; the bulk button works on all.
    page.table.selectAll()
    assert page.editor.agent_id is None
    assert page.resolution.agent_id is None
    assert page.bulk_button.isEnabled()
    assert "9 selected" in page.count_label.text()
    document.perform(UpdateItem("agents", "helper", {"name": "Helper 2"}))
    assert len(page.selected_ids()) == 9  # a whole-table selection survives an edit too


def test_header_click_sorts_without_touching_the_config(qtbot: Any, document: Document) -> None:
    page = make_page(qtbot, document)
    page.select_agent("triage")
    header = page.table.horizontalHeader()
    qtbot.mouseClick(
        header.viewport(),
        Qt.MouseButton.LeftButton,
        pos=QPoint(header.sectionViewportPosition(NAME) + 20, header.height() // 2),
    )
    names = [page.proxy.index(r, NAME).data() for r in range(page.proxy.rowCount())]
    assert names == sorted(names, key=str.casefold)
    assert page.selected_ids() == ["triage"]  # the selection follows the row
    qtbot.mouseClick(
        header.viewport(),
        Qt.MouseButton.LeftButton,
        pos=QPoint(header.sectionViewportPosition(NAME) + 20, header.height() // 2),
    )
    assert [page.proxy.index(r, NAME).data() for r in range(page.proxy.rowCount())] == names[::-1]
    assert [a.id for a in document.config.agents][:2] == ["analyst", "researcher"]  # file order kept
    # An edit keeps the sort order.
    document.perform(UpdateItem("agents", "helper", {"name": "Zed"}))
    assert page.proxy.index(0, NAME).data() == "Zed"
    assert page.selected_ids() == ["triage"]


def test_selection_survives_an_edit(qtbot: Any, document: Document) -> None:
    page = make_page(qtbot, document)
    page.select_agent("escalation")
    document.perform(UpdateItem("agents", "helper", {"name": "Helper 2"}))
    assert page.selected_ids() == ["escalation"]
    assert page.editor.agent_id == "escalation"


def test_add_agent_then_undo(qtbot: Any, document: Document, monkeypatch: pytest.MonkeyPatch) -> None:
    page = make_page(qtbot, document)
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("Code Reviewer", True))
    qtbot.mouseClick(page.add_button, Qt.MouseButton.LeftButton)
    assert document.config.agent("code-reviewer").name == "Code Reviewer"
    assert page.selected_ids() == ["code-reviewer"]
    assert page.editor.agent_id == "code-reviewer"
    document.undo_stack.undo()
    assert document.config.agent("code-reviewer") is None
    # Cancel adds nothing.
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("", False))
    qtbot.mouseClick(page.add_button, Qt.MouseButton.LeftButton)
    assert len(document.config.agents) == 9


def test_new_agent_ids_are_readable_and_unique() -> None:
    assert new_agent_id("Code Reviewer", set()) == "code-reviewer"
    assert new_agent_id("Analyst", {"analyst"}) == "analyst-2"
    assert new_agent_id("!!!", set()) == "agent"


def test_remove_asks_removes_from_squads_and_undoes(
    qtbot: Any, document: Document, config_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = make_page(qtbot, document)
    page.select_agent("analyst")
    asked: list[str] = []

    def no(*args: Any, **kwargs: Any) -> QMessageBox.StandardButton:
        asked.append(args[2])
        return QMessageBox.StandardButton.No

    monkeypatch.setattr(QMessageBox, "question", no)
    qtbot.mouseClick(page.remove_button, Qt.MouseButton.LeftButton)
    assert "analyst" in asked[0]
    assert document.config.agent("analyst") is not None
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    page.table.setFocus()
    qtbot.keyClick(page.table, Qt.Key.Key_Delete)  # the Delete key does what the button does
    assert document.config.agent("analyst") is None
    assert "analyst" not in document.config.squad("research-team").agents
    document.undo_stack.undo()
    assert document.config.agent("analyst") is not None
    assert document.config.squad("research-team").agents == ["analyst", "researcher", "fact-checker"]
    wait_for_saves()  # saves run in a worker thread
    assert ConfigStore(config_file).load().agent("analyst") is not None


def test_change_models_opens_the_bulk_dialog_for_the_selection(
    qtbot: Any, document: Document, monkeypatch: pytest.MonkeyPatch
) -> None:
    from modeldesk.app.views.dialogs import bulk_change_dialog

    page = make_page(qtbot, document)
    page.select_agent("triage")
    page.table.selectionModel().select(
        page.proxy.index(row_of(page, "responder"), 0),
        page.table.selectionModel().SelectionFlag.Select | page.table.selectionModel().SelectionFlag.Rows,
    )
    opened: list[Any] = []

    def fake_exec(dialog: QDialog) -> int:
        opened.append(dialog)
        return QDialog.DialogCode.Rejected.value

    monkeypatch.setattr(bulk_change_dialog.BulkChangeDialog, "exec", fake_exec)
    qtbot.mouseClick(page.bulk_button, Qt.MouseButton.LeftButton)
    assert len(opened) == 1
    assert opened[0].scope() == AgentsScope(("triage", "responder"))


def test_ten_thousand_agents_load_and_filter(qtbot: Any, tmp_path: Path) -> None:
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
    page = make_page(qtbot, document)
    assert page.proxy.rowCount() == 10_000
    qtbot.keyClicks(page.filter_edit, "agent 99")
    assert page.proxy.rowCount() == 111  # 99, 990-999, 9900-9999
    page.filter_edit.clear()
    page.set_model_filter("gpt-4o-mini")  # the support project's default: every third even agent
    assert page.proxy.rowCount() == len([i for i in range(10_000) if i % 2 == 0 and i % 3 == 0])
    assert cell(page, "agent-00000", SOURCE) == "Project default"


def test_empty_config_shows_an_empty_table(qtbot: Any, tmp_path: Path) -> None:
    store = ConfigStore(tmp_path / "empty.json")
    store.save(Config())
    page = make_page(qtbot, Document(store))
    assert page.proxy.rowCount() == 0
    assert not page.remove_button.isEnabled()
    assert page.editor.empty_label.isVisible()


def test_tab_reaches_the_side_tabs_before_the_fields_they_show(qtbot: Any, document: Document) -> None:
    page = make_page(qtbot, document)
    page.select_agent("triage")
    page.bulk_button.setFocus()
    qtbot.waitUntil(page.bulk_button.hasFocus)
    qtbot.keyClick(page.bulk_button, Qt.Key.Key_Tab)
    assert page.focusWidget() is page.tabs.tabBar()
    qtbot.keyClick(page.tabs.tabBar(), Qt.Key.Key_Tab)
    assert page.focusWidget() is page.editor.name_edit


def test_a_filtered_list_follows_later_edits_row_by_row(qtbot: Any, document: Document) -> None:
    """A filter change decides every row in one pass; edits after it are still judged
    one row at a time (a renamed agent leaves or joins the filtered list)."""
    source = AgentsTableModel(document)
    proxy = AgentsFilterModel(source)
    proxy.set_text("analy")

    def shown() -> list[str]:
        return sorted(proxy.index(r, NAME).data() for r in range(proxy.rowCount()))

    assert shown() == ["Analyst"]
    document.perform(UpdateItem("agents", "helper", {"name": "Helper analyst"}))
    assert shown() == ["Analyst", "Helper analyst"]
    document.perform(UpdateItem("agents", "helper", {"name": "General helper"}))
    assert shown() == ["Analyst"]
