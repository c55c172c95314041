"""The agent editor, driven as a user would: each change is one undoable, saved edit and
the form follows undo/redo."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit

from modeldesk.app.document import Document, wait_for_saves
from modeldesk.app.views.agent_editor import NO_PROJECT, AgentEditor
from modeldesk.core.edits import SetAgentModels, SetSetting, UpdateItem
from modeldesk.core.store import ConfigStore
from tests.app.helpers import show_active, spy_on


def make_editor(qtbot: Any, document: Document, agent_id: str | None) -> AgentEditor:
    editor = AgentEditor(document)
    editor.set_agent(agent_id)
    return show_active(qtbot, editor, (600, 600))


def saved(config_file: Path, agent_id: str) -> Any:
    wait_for_saves()  # saves run in a worker thread
    return ConfigStore(config_file).load().agent(agent_id)


def test_rename_is_one_undoable_saved_edit(qtbot: Any, document: Document, config_file: Path) -> None:
    editor = make_editor(qtbot, document, "analyst")
    assert editor.name_edit.text() == "Analyst"
    editor.name_edit.selectAll()
    qtbot.keyClicks(editor.name_edit, "Chief analyst")
    qtbot.keyClick(editor.name_edit, Qt.Key.Key_Return)
    assert saved(config_file, "analyst").name == "Chief analyst"
    assert document.undo_stack.count() == 1
    document.undo_stack.undo()
    assert editor.name_edit.text() == "Analyst"
    assert saved(config_file, "analyst").name == "Analyst"
    document.undo_stack.redo()
    assert editor.name_edit.text() == "Chief analyst"


def test_blank_name_is_refused(qtbot: Any, document: Document) -> None:
    editor = make_editor(qtbot, document, "analyst")
    editor.name_edit.clear()
    qtbot.keyClick(editor.name_edit, Qt.Key.Key_Return)
    assert editor.name_edit.text() == "Analyst"
    assert editor.error_label.isVisible()
    assert document.undo_stack.count() == 0


def test_project_combo_sets_and_clears_the_project(qtbot: Any, document: Document) -> None:
    editor = make_editor(qtbot, document, "analyst")
    combo = editor.project_combo
    assert combo.currentText() == "Research (research)"
    assert combo.itemText(0) == NO_PROJECT
    combo.setFocus()
    qtbot.keyClick(combo, Qt.Key.Key_Up)  # keyboard change emits activated
    assert document.config.agent("analyst").project == "support"
    combo.setCurrentIndex(0)
    combo.activated.emit(0)
    assert document.config.agent("analyst").project is None
    document.undo_stack.undo()
    assert combo.currentText() == "Customer support (support)"


def test_instruction_is_saved_when_focus_leaves(qtbot: Any, document: Document) -> None:
    editor = make_editor(qtbot, document, "helper")
    editor.instruction_edit.setFocus()
    qtbot.waitUntil(editor.instruction_edit.hasFocus)
    editor.instruction_edit.selectAll()
    qtbot.keyClicks(editor.instruction_edit, "Be brief.")
    assert document.undo_stack.count() == 0
    editor.name_edit.setFocus()
    qtbot.waitUntil(lambda: document.undo_stack.count() == 1)
    assert document.config.agent("helper").instruction == "Be brief."


def test_switching_agents_keeps_unsaved_instruction_text(qtbot: Any, document: Document) -> None:
    editor = make_editor(qtbot, document, "helper")
    editor.instruction_edit.setPlainText("Typed but not committed")
    editor.set_agent("analyst")
    assert document.config.agent("helper").instruction == "Typed but not committed"
    assert editor.instruction_edit.toPlainText() == document.config.agent("analyst").instruction


def test_model_list_edits_become_set_agent_models(qtbot: Any, document: Document, config_file: Path) -> None:
    editor = make_editor(qtbot, document, "analyst")
    models = editor.models_editor
    assert models.models() == ["claude-sonnet-4", "gpt-4o"]
    models.select_row(1)
    models.view.setFocus()
    qtbot.keyClick(models.view, Qt.Key.Key_Up, Qt.KeyboardModifier.ControlModifier)
    assert saved(config_file, "analyst").model == ["gpt-4o", "claude-sonnet-4"]
    assert document.undo_stack.undoText() == "Set models of Analyst"
    qtbot.mouseClick(models.remove_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(models.remove_button, Qt.MouseButton.LeftButton)
    assert saved(config_file, "analyst").model is None  # empty = inherit
    assert models.inherited_label.isVisible()
    assert models.inherited_label.text() == "Inherits claude-opus-4, gpt-4.1 from the project's default model."
    for _ in range(3):
        document.undo_stack.undo()
    assert models.models() == ["claude-sonnet-4", "gpt-4o"]
    assert saved(config_file, "analyst").model == ["claude-sonnet-4", "gpt-4o"]


def test_inherited_text_names_settings_or_says_nothing_is_set(qtbot: Any, document: Document) -> None:
    editor = make_editor(qtbot, document, "helper")
    label = editor.models_editor.inherited_label
    assert label.text() == "Inherits claude-sonnet-4, gpt-4o from Settings → Default agent model."
    document.perform(SetSetting(("default_agent_model",), None))
    assert label.text().startswith("Inherits nothing")


def test_editor_follows_removal_and_shows_a_placeholder(qtbot: Any, document: Document) -> None:
    from modeldesk.core.edits import RemoveAgent

    editor = make_editor(qtbot, document, "helper")
    document.perform(RemoveAgent("helper"))
    assert not editor.form_widget.isVisible()
    assert "no longer exists" in editor.empty_label.text()
    editor.set_agent(None)
    assert editor.empty_label.text() == "Select an agent to edit it."
    assert editor.findChildren(QLineEdit)


def test_a_name_that_looks_like_markup_is_shown_as_typed(qtbot: Any, document: Document) -> None:
    editor = make_editor(qtbot, document, "analyst")
    editor.name_edit.selectAll()
    qtbot.keyClicks(editor.name_edit, "<i>R&D</i> bot")
    qtbot.keyClick(editor.name_edit, Qt.Key.Key_Return)
    assert document.config.agent("analyst").name == "<i>R&D</i> bot"
    # The heading is plain text: what is shown is what was typed.
    assert editor.title.textFormat() == Qt.TextFormat.PlainText
    assert editor.title.text() == "<i>R&D</i> bot  (analyst)"


def test_the_editor_keeps_qwidgets_scroll_method(qtbot: Any, document: Document) -> None:
    # The editor's scroll area once lived in `self.scroll`, hiding QWidget.scroll(dx, dy).
    editor = make_editor(qtbot, document, "analyst")
    editor.scroll(0, 0)
    assert editor.scroll_area.widget() is editor.form_widget


def test_the_editor_reads_its_agent_again_only_for_edits_that_concern_it(
    qtbot: Any, document: Document, config_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At 10,000 agents nearly every edit is of another agent: those leave the form unread.
    An edit of the agent shown, and a reload, read it again."""
    refreshes = spy_on(monkeypatch, AgentEditor, "_refresh")
    editor = make_editor(qtbot, document, "analyst")
    built = len(refreshes)

    document.perform(UpdateItem("agents", "triage", {"name": "Sorter"}))
    document.perform(SetAgentModels("researcher", ("o3-mini",)))
    assert len(refreshes) == built

    document.perform(UpdateItem("agents", "analyst", {"name": "Data analyst"}))
    assert len(refreshes) == built + 1
    assert editor.title.text() == "Data analyst  (analyst)"
    document.undo_stack.undo()
    assert len(refreshes) == built + 2 and editor.name_edit.text() == "Analyst"

    # Another program changed the file (after our saves: else they merge it, a reload of
    # their own): the reload reads the agent again.
    assert document.wait_saved()
    ConfigStore(config_file).apply(UpdateItem("agents", "analyst", {"instruction": "Read the numbers."}))
    document.reload()
    assert len(refreshes) == built + 3
    assert editor.instruction_edit.toPlainText() == "Read the numbers."
