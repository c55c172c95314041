"""The Projects page driven by keyboard and mouse: the list with effective defaults and
member counts, the default-model list through the shared list widget, task models,
delete with its agents' fate as one undo step, and the agent editor's project link."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLineEdit

from bench.workspace import workspace
from modeldesk.app.document import Document, wait_for_saves
from modeldesk.app.main_window import MainWindow
from modeldesk.app.models.projects_model import ProjectAgentsModel, ProjectsModel, project_rows
from modeldesk.app.views.projects_page import DeleteProjectDialog, ProjectsPage, project_id_for
from modeldesk.core.edits import UpdateItem
from modeldesk.core.schema import Project
from modeldesk.core.store import ConfigStore
from tests.app.helpers import show_active
from tests.app.squads_support import table_rows


def make_page(qtbot: Any, document: Document) -> ProjectsPage:
    return show_active(qtbot, ProjectsPage(document), (1100, 760))


def saved(config_file: Path) -> dict[str, Any]:
    wait_for_saves()  # saves run in a worker thread
    return json.loads(config_file.read_text(encoding="utf-8"))


def saved_project(config_file: Path, project_id: str) -> dict[str, Any] | None:
    return next((p for p in saved(config_file).get("projects", []) if p["id"] == project_id), None)


def saved_agent_projects(config_file: Path) -> dict[str, str | None]:
    return {a["id"]: a.get("project") for a in saved(config_file)["agents"]}


def test_item_models_pass_the_model_tester(qtmodeltester: Any, document: Document) -> None:
    projects = ProjectsModel(document)
    qtmodeltester.check(projects)
    assert table_rows(projects) == [
        ("Customer support", "gpt-4o-mini", "3"),
        ("Research", "claude-opus-4, gpt-4.1", "3"),
    ]
    # A project without a default shows what its agents inherit, marked as such.
    document.perform(UpdateItem("projects", "support", {"default_model": None}))
    projects.refresh()
    assert table_rows(projects)[0] == ("Customer support", "claude-sonnet-4, gpt-4o (inherited)", "3")
    agents = ProjectAgentsModel(document)
    agents.set_project("research")
    qtmodeltester.check(agents)
    assert table_rows(agents) == [
        ("Analyst (analyst)", "claude-sonnet-4, gpt-4o", "Agent's preferred models"),
        ("Researcher (researcher)", "claude-opus-4, gpt-4.1", "Project default"),
        ("Fact checker (fact-checker)", "o3-mini", "Agent's preferred models"),
    ]


def test_add_and_rename_by_keyboard_then_undo(qtbot: Any, document: Document, config_file: Path) -> None:
    page = make_page(qtbot, document)
    steps = document.undo_stack.count()
    page.new_project_edit.setFocus()
    qtbot.keyClicks(page.new_project_edit, "Web shop")
    qtbot.keyClick(page.new_project_edit, Qt.Key.Key_Return)
    assert saved_project(config_file, "web-shop") == {"id": "web-shop", "name": "Web shop"}
    assert page.current_project().id == "web-shop"
    # The new project's empty list says what its agents inherit.
    assert page.models_editor.inherited_label.text() == (
        "Inherits claude-sonnet-4, gpt-4o from Settings → Default agent model."
    )
    assert page.models_editor.hint_label.isVisible()

    # F2 renames in place.
    page.projects_view.setFocus()
    qtbot.keyClick(page.projects_view, Qt.Key.Key_F2)
    editor = QApplication.focusWidget()
    assert isinstance(editor, QLineEdit)
    editor.selectAll()
    qtbot.keyClicks(editor, "Online shop")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    # The view commits an edited cell on its next event-loop turn.
    qtbot.waitUntil(lambda: document.config.project("web-shop").name == "Online shop")
    assert saved_project(config_file, "web-shop") == {"id": "web-shop", "name": "Online shop"}
    assert document.undo_stack.count() == steps + 2
    document.undo_stack.undo()
    assert saved_project(config_file, "web-shop")["name"] == "Web shop"
    document.undo_stack.undo()
    assert saved_project(config_file, "web-shop") is None
    assert [p.id for p in document.config.projects] == ["support", "research"]


def test_default_list_reorders_with_ctrl_down_through_the_shared_widget(
    qtbot: Any, document: Document, config_file: Path
) -> None:
    page = make_page(qtbot, document)
    page.select_project("research")
    editor = page.models_editor
    assert editor.models() == ["claude-opus-4", "gpt-4.1"]
    editor.select_row(0)
    editor.view.setFocus()
    qtbot.keyClick(editor.view, Qt.Key.Key_Down, Qt.KeyboardModifier.ControlModifier)
    assert saved_project(config_file, "research")["default_model"] == ["gpt-4.1", "claude-opus-4"]
    assert table_rows(page.projects_model)[1] == ("Research", "gpt-4.1, claude-opus-4", "3")
    # The project's agents that inherit now run on the new primary.
    assert table_rows(page.agents_model)[1][1] == "gpt-4.1, claude-opus-4"
    assert editor.view.currentIndex().row() == 1  # the moved row stays selected
    document.undo_stack.undo()
    assert saved_project(config_file, "research")["default_model"] == ["claude-opus-4", "gpt-4.1"]
    assert editor.models() == ["claude-opus-4", "gpt-4.1"]

    # The Move buttons and Delete go through the same list; emptying it unsets the field.
    editor.select_row(1)
    qtbot.mouseClick(editor.up_button, Qt.MouseButton.LeftButton)
    assert saved_project(config_file, "research")["default_model"] == ["gpt-4.1", "claude-opus-4"]
    editor.view.setFocus()
    qtbot.keyClick(editor.view, Qt.Key.Key_Delete)
    qtbot.keyClick(editor.view, Qt.Key.Key_Delete)
    assert "default_model" not in saved_project(config_file, "research")
    assert editor.inherited_label.isVisible()
    # A duplicate is refused by the widget and nothing is saved.
    assert editor.add_model("gpt-4o")
    assert not editor.add_model("gpt-4o")
    assert saved_project(config_file, "research")["default_model"] == "gpt-4o"


def test_task_models_of_a_project(qtbot: Any, document: Document, config_file: Path) -> None:
    page = make_page(qtbot, document)
    page.select_project("support")
    assert table_rows(page.task_models.model) == [("summary", "any (*)", "claude-haiku-4")]
    page.task_models.table.selectRow(0)
    qtbot.mouseClick(page.task_models.remove_button, Qt.MouseButton.LeftButton)
    assert "task_models" not in saved_project(config_file, "support")
    assert table_rows(page.task_models.model) == []
    # Settings' own rules are untouched.
    assert saved(config_file)["settings"]["task_models"]["summary"] == {"*": ["gpt-4o-mini", "llama-3.2-3b"]}
    document.undo_stack.undo()
    assert saved_project(config_file, "support")["task_models"] == {"summary": {"*": "claude-haiku-4"}}
    assert table_rows(page.task_models.model) == [("summary", "any (*)", "claude-haiku-4")]
    page.select_project("research")
    assert table_rows(page.task_models.model) == []


def test_delete_moves_agents_to_another_project_as_one_undo_step(
    qtbot: Any, document: Document, config_file: Path
) -> None:
    page = make_page(qtbot, document)
    page.select_project("research")
    before = saved_agent_projects(config_file)
    steps = document.undo_stack.count()
    page.projects_view.setFocus()
    qtbot.keyClick(page.projects_view, Qt.Key.Key_Delete)
    dialog = page.findChild(DeleteProjectDialog)
    assert dialog is not None and dialog.isVisible()
    assert dialog.none_radio.isChecked()
    assert dialog.target_combo.count() == 1  # every other project
    qtbot.mouseClick(dialog.move_radio, Qt.MouseButton.LeftButton)
    assert dialog.target_combo.isEnabled() and dialog.target() == "support"
    dialog.buttons.button(dialog.buttons.StandardButton.Ok).click()

    assert saved_project(config_file, "research") is None
    after = saved_agent_projects(config_file)
    assert [a for a, p in after.items() if p == "support"] == [
        "analyst",
        "researcher",
        "fact-checker",
        "triage",
        "responder",
        "escalation",
    ]
    assert table_rows(page.projects_model) == [("Customer support", "gpt-4o-mini", "6")]
    assert document.undo_stack.count() == steps + 1
    document.undo_stack.undo()
    assert saved_agent_projects(config_file) == before
    assert [p["id"] for p in saved(config_file)["projects"]] == ["support", "research"]


def test_delete_leaving_agents_without_a_project_and_cancel(qtbot: Any, document: Document, config_file: Path) -> None:
    page = make_page(qtbot, document)
    page.select_project("support")
    dialog = page.delete_project()
    assert dialog is not None
    dialog.reject()  # Cancel changes nothing
    assert saved_project(config_file, "support") is not None
    dialog = page.delete_project()
    assert dialog is not None
    dialog.accept()
    assert saved_project(config_file, "support") is None
    after = saved_agent_projects(config_file)
    assert [after[a] for a in ("triage", "responder", "escalation")] == [None, None, None]
    # The agents now inherit Settings' default.
    assert document.resolver.chat("responder").source == "settings"

    # A project with no agents goes without a question (Undo brings it back).
    document.perform(UpdateItem("agents", "analyst", {"project": None}))
    document.perform(UpdateItem("agents", "researcher", {"project": None}))
    document.perform(UpdateItem("agents", "fact-checker", {"project": None}))
    page.select_project("research")
    assert page.delete_project() is None
    assert saved(config_file).get("projects", []) == []
    assert page.current_project() is None and page.empty_label.isVisible()


def test_agent_editor_links_to_its_project_and_back(qtbot: Any, document: Document) -> None:
    window = show_active(qtbot, MainWindow(document), (1280, 820))
    window.agents_page.select_agent("triage")
    editor = window.agents_page.editor
    assert editor.project_link.isEnabled()
    qtbot.mouseClick(editor.project_link, Qt.MouseButton.LeftButton)
    assert window.pages.currentWidget() is window.projects_page
    assert window.projects_page.current_project().id == "support"
    assert window.projects_page.models_editor.view.hasFocus()
    # And from the project's agents back to the agent editor.
    page = window.projects_page
    page.agents_view.selectRow(2)
    page.agents_view.setFocus()
    qtbot.keyClick(page.agents_view, Qt.Key.Key_Return)
    assert window.pages.currentWidget() is window.agents_page
    assert editor.agent_id == "escalation"
    # An agent without a project has nothing to link to.
    window.agents_page.select_agent("helper")
    assert not editor.project_link.isEnabled()


def test_fifty_projects_and_ten_thousand_agents(qtbot: Any, tmp_path: Path) -> None:
    config = workspace(10_000)
    config.projects = [Project(id=f"proj{i}", name=f"Project {i}", default_model=f"m{10 + i % 30}") for i in range(50)]
    for index, agent in enumerate(config.agents):
        agent.project = f"proj{index % 50}"
    store = ConfigStore(tmp_path / "big.json")
    store.save(config)
    document = Document(store)
    rows = project_rows(document)
    assert len(rows) == 50 and {row.members for row in rows} == {200}
    page = make_page(qtbot, document)
    assert page.projects_model.rowCount() == 50
    page.select_project("proj7")
    assert page.agents_model.rowCount() == 200
    assert page.agents_box.title() == "Agents (200)"
    dialog = page.delete_project()
    assert dialog is not None
    dialog.move_radio.setChecked(True)
    dialog.target_combo.setCurrentIndex(dialog.target_combo.findData("proj8"))
    dialog.accept()
    counts = {row.project.id: row.members for row in project_rows(document)}
    assert "proj7" not in counts and counts["proj8"] == 400
    document.undo_stack.undo()
    assert {row.project.id: row.members for row in project_rows(document)}["proj7"] == 200
    document.undo_stack.clear()


def test_project_ids_are_readable_and_unique(document: Document) -> None:
    assert project_id_for("Web shop", document.config) == "web-shop"
    assert project_id_for("Research", document.config) == "research-2"
    assert project_id_for("  !!! ", document.config) == "project"


def test_move_agents_into_and_out_of_a_project(qtbot: Any, document: Document, config_file: Path) -> None:
    page = make_page(qtbot, document)
    page.select_project("research")
    page.add_agent_edit.setFocus()
    # The completer offers every agent id, built when the field is first used.
    assert "note-taker" in page.agent_ids.stringList()
    qtbot.keyClicks(page.add_agent_edit, "note-taker")
    qtbot.keyClick(page.add_agent_edit, Qt.Key.Key_Return)
    assert saved_agent_projects(config_file)["note-taker"] == "research"
    assert page.agents_box.title() == "Agents (4)"
    assert table_rows(page.projects_model)[1][2] == "4"
    assert page.agents_model.row_value(page.agents_view.currentIndex().row()).id == "note-taker"
    # An agent of another project moves over (it leaves the old one).
    qtbot.keyClicks(page.add_agent_edit, "triage")
    qtbot.mouseClick(page.add_agent_button, Qt.MouseButton.LeftButton)
    assert saved_agent_projects(config_file)["triage"] == "research"
    assert table_rows(page.projects_model)[0][2] == "2"
    qtbot.keyClicks(page.add_agent_edit, "nobody")
    qtbot.keyClick(page.add_agent_edit, Qt.Key.Key_Return)
    assert page.message_label.text() == "There is no agent “nobody”."

    # Delete in the agents table takes the selected agent out of the project.
    page._select_agent_row("analyst")
    page.agents_view.setFocus()
    qtbot.keyClick(page.agents_view, Qt.Key.Key_Delete)
    assert saved_agent_projects(config_file)["analyst"] is None
    assert document.undo_stack.undoText() == "Take Analyst out of project Research"
    document.undo_stack.undo()
    document.undo_stack.undo()
    document.undo_stack.undo()
    assert saved_agent_projects(config_file)["analyst"] == "research"
    assert saved_agent_projects(config_file)["triage"] == "support"
    assert saved_agent_projects(config_file)["note-taker"] is None
