"""The agent editor's Task models and Fallback options sections, driven as a user would:
each change is one undoable edit saved at once, an emptied override leaves the file,
and the sections follow undo, redo and changes made by the CLI."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QLabel

from modeldesk.app.document import Document, wait_for_saves
from modeldesk.app.views.agent_editor import AgentEditor
from modeldesk.app.views.agent_task_models import AgentTaskModelDialog
from modeldesk.core.schema import FallbackSettings
from modeldesk.core.setting_fields import number_fields
from tests.app.helpers import answer_modal, show_active


def make_editor(qtbot: Any, document: Document, agent_id: str) -> AgentEditor:
    editor = AgentEditor(document)
    editor.set_agent(agent_id)
    return show_active(qtbot, editor, (640, 700))


def agent_on_disk(config_file: Path, agent_id: str) -> dict[str, Any]:
    wait_for_saves()  # saves run in a worker thread
    data = json.loads(config_file.read_text())
    return next(a for a in data["agents"] if a["id"] == agent_id)


def table_rows(editor: AgentEditor) -> list[tuple[str, str]]:
    model = editor.task_models.model
    return [(model.index(r, 0).data(), model.index(r, 1).data()) for r in range(model.rowCount())]


def test_sections_are_collapsed_and_say_what_they_hold(qtbot: Any, document: Document) -> None:
    editor = make_editor(qtbot, document, "analyst")
    assert not editor.task_section.is_expanded() and not editor.task_models.isVisible()
    assert editor.task_section.toggle.text() == "Tas&k models  (1 task)"
    assert editor.fallback_section.toggle.text() == "Fallback &options  (1 overridden)"
    editor.set_agent("helper")
    assert editor.task_section.toggle.text() == "Tas&k models  (none)"
    assert editor.fallback_section.toggle.text() == "Fallback &options  (all from Settings)"


def test_add_then_remove_a_task_model(qtbot: Any, document: Document, config_file: Path) -> None:
    editor = make_editor(qtbot, document, "helper")
    before = agent_on_disk(config_file, "helper")
    assert "task_models" not in before
    qtbot.keyClick(editor, Qt.Key.Key_K, Qt.KeyboardModifier.AltModifier)  # Tas&k models
    qtbot.waitUntil(editor.task_models.isVisible)
    assert not editor.fallback_section.is_expanded()

    def fill(dialog: AgentTaskModelDialog) -> None:
        assert not dialog.chat_combo.isVisible()  # an agent's entry has no chat-model map
        dialog.task_edit.setText("summary")
        dialog.models_editor.add_model("claude-haiku-4")
        dialog.models_editor.add_model("gpt-4o-mini")
        dialog.accept()

    seen = answer_modal(AgentTaskModelDialog, fill)
    qtbot.mouseClick(editor.task_models.add_button, Qt.MouseButton.LeftButton)
    assert seen
    assert agent_on_disk(config_file, "helper")["task_models"] == {"summary": ["claude-haiku-4", "gpt-4o-mini"]}
    assert document.undo_stack.count() == 1
    assert document.undo_stack.undoText() == "Add task model summary of helper"
    assert table_rows(editor) == [("summary", "claude-haiku-4, gpt-4o-mini")]
    assert editor.task_section.toggle.text() == "Tas&k models  (1 task)"
    # The added row is selected; the line under the table says what it would run on otherwise.
    assert editor.task_models.current() == ("summary", ("claude-haiku-4", "gpt-4o-mini"))
    assert editor.task_models.otherwise_label.text() == (
        "Without this entry, summary would run on gpt-4o-mini, llama-3.2-3b (Settings task model)."
    )

    editor.task_models.table.setFocus()
    qtbot.keyClick(editor.task_models.table, Qt.Key.Key_Delete)
    assert "task_models" not in agent_on_disk(config_file, "helper")  # an empty map is unset
    assert table_rows(editor) == []
    assert document.undo_stack.count() == 2

    document.undo_stack.undo()
    assert agent_on_disk(config_file, "helper")["task_models"] == {"summary": ["claude-haiku-4", "gpt-4o-mini"]}
    assert table_rows(editor) == [("summary", "claude-haiku-4, gpt-4o-mini")]
    document.undo_stack.undo()
    assert agent_on_disk(config_file, "helper") == before
    assert table_rows(editor) == []
    document.undo_stack.redo()
    assert table_rows(editor) == [("summary", "claude-haiku-4, gpt-4o-mini")]


def test_editing_a_task_model_can_rename_the_task(qtbot: Any, document: Document, config_file: Path) -> None:
    editor = make_editor(qtbot, document, "analyst")
    editor.task_section.set_expanded(True)
    editor.task_models.table.selectRow(0)

    def fill(dialog: AgentTaskModelDialog) -> None:
        assert dialog.task_edit.text() == "title"
        assert dialog.models() == ["gpt-4o-mini"]
        dialog.task_edit.setText("tags")
        dialog.accept()

    answer_modal(AgentTaskModelDialog, fill)
    qtbot.mouseClick(editor.task_models.edit_button, Qt.MouseButton.LeftButton)
    assert agent_on_disk(config_file, "analyst")["task_models"] == {"tags": "gpt-4o-mini"}  # a string stays one
    assert document.undo_stack.count() == 1
    document.undo_stack.undo()
    assert agent_on_disk(config_file, "analyst")["task_models"] == {"title": "gpt-4o-mini"}


def test_override_a_fallback_option_by_keyboard(qtbot: Any, document: Document, config_file: Path) -> None:
    editor = make_editor(qtbot, document, "helper")
    original = agent_on_disk(config_file, "helper")
    form = editor.fallback_form
    check, box = form.checks["retries"], form.boxes["retries"]
    # Not overridden: the Settings value, greyed.
    assert not check.isChecked() and not box.isEnabled()
    assert box.value() == 2
    assert form.notes["retries"].text() == "from Settings: 2"

    qtbot.keyClick(editor, Qt.Key.Key_O, Qt.KeyboardModifier.AltModifier)  # Fallback &options
    qtbot.waitUntil(check.isVisible)
    qtbot.keyClick(editor.fallback_section.toggle, Qt.Key.Key_Tab)
    qtbot.waitUntil(check.hasFocus)
    qtbot.keyClick(check, Qt.Key.Key_Space)
    assert agent_on_disk(config_file, "helper")["fallback"] == {"retries": 2}
    assert box.isEnabled()
    assert document.undo_stack.undoText() == "Override retries per model of General helper"

    qtbot.keyClick(check, Qt.Key.Key_Tab)
    qtbot.waitUntil(box.hasFocus)
    box.selectAll()
    qtbot.keyClicks(box, "5")
    qtbot.keyClick(box, Qt.Key.Key_Return)
    assert agent_on_disk(config_file, "helper")["fallback"] == {"retries": 5}
    assert document.config.agent("helper").fallback.retries == 5
    assert document.undo_stack.count() == 2
    assert editor.fallback_section.toggle.text() == "Fallback &options  (1 overridden)"
    assert form.notes["retries"].text() == "Settings: 2"

    # Removing the last override leaves no "fallback" in the file at all.
    check.setFocus()
    qtbot.keyClick(check, Qt.Key.Key_Space)
    assert "fallback" not in agent_on_disk(config_file, "helper")
    assert document.config.agent("helper").fallback is None
    assert not box.isEnabled() and box.value() == 2
    assert document.undo_stack.count() == 3

    document.undo_stack.undo()
    assert agent_on_disk(config_file, "helper")["fallback"] == {"retries": 5}
    assert check.isChecked() and box.value() == 5
    document.undo_stack.undo()
    document.undo_stack.undo()
    assert agent_on_disk(config_file, "helper") == original
    assert not check.isChecked() and box.value() == 2


def test_other_overrides_are_kept_and_undo_restores_exactly(qtbot: Any, document: Document, config_file: Path) -> None:
    editor = make_editor(qtbot, document, "analyst")
    original = agent_on_disk(config_file, "analyst")
    assert original["fallback"] == {"cooldown_s": 0.0}
    form = editor.fallback_form
    editor.fallback_section.set_expanded(True)
    assert form.checks["cooldown_s"].isChecked() and form.boxes["cooldown_s"].value() == 0
    form.checks["jitter"].click()
    assert agent_on_disk(config_file, "analyst")["fallback"] == {"jitter": 0.1, "cooldown_s": 0.0}
    form.checks["cooldown_s"].click()
    form.checks["jitter"].click()
    assert "fallback" not in agent_on_disk(config_file, "analyst")
    for _ in range(3):
        document.undo_stack.undo()
    assert agent_on_disk(config_file, "analyst") == original
    assert [name for name, check in form.checks.items() if check.isChecked()] == ["cooldown_s"]


def test_spin_boxes_take_the_fields_range(qtbot: Any, document: Document) -> None:
    editor = make_editor(qtbot, document, "helper")
    for name in number_fields(FallbackSettings):
        info = FallbackSettings.model_fields[name]
        box = editor.fallback_form.boxes[name]
        high = next(rule.le for rule in info.metadata if hasattr(rule, "le"))
        assert box.maximum() == high
        assert editor.fallback_form.checks[name].text() == info.title
        # An excluded lower bound (a timeout must be above 0) is not offered.
        assert box.minimum() > 0 if any(hasattr(rule, "gt") for rule in info.metadata) else box.minimum() == 0


def test_editor_follows_a_change_made_by_the_cli(qtbot: Any, document: Document, config_file: Path) -> None:
    editor = make_editor(qtbot, document, "helper")
    editor.task_section.set_expanded(True)
    assert table_rows(editor) == []
    subprocess.run(
        [
            sys.executable,
            "-m",
            "modeldesk",
            "--config",
            str(config_file),
            "agents",
            "set-task-model",
            "helper",
            "title",
            "gpt-4o-mini",
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert document.reload_if_changed()
    assert table_rows(editor) == [("title", "gpt-4o-mini")]
    assert editor.task_section.toggle.text() == "Tas&k models  (1 task)"
    # A later local edit is replayed on the file as the CLI left it.
    editor.fallback_form.checks["retries"].click()
    saved = agent_on_disk(config_file, "helper")
    assert saved["task_models"] == {"title": "gpt-4o-mini"} and saved["fallback"] == {"retries": 2}


def test_no_mnemonic_is_used_twice_in_the_editor(qtbot: Any, document: Document) -> None:
    editor = make_editor(qtbot, document, "analyst")
    texts = [w.text() for w in editor.findChildren(QAbstractButton) + editor.findChildren(QLabel)]
    letters = [m.group(1).lower() for t in texts for m in re.finditer(r"&([^&\s])", t)]
    assert len(letters) == len(set(letters)), letters


def test_an_override_set_meanwhile_by_another_program_is_kept(
    qtbot: Any, document: Document, config_file: Path
) -> None:
    editor = make_editor(qtbot, document, "analyst")
    editor.fallback_section.set_expanded(True)
    # The CLI overrides retries for the same agent; the app has not reloaded yet.
    subprocess.run(
        [
            sys.executable,
            "-m",
            "modeldesk",
            "--config",
            str(config_file),
            "agents",
            "set-fallback",
            "analyst",
            "retries",
            "4",
        ],
        check=True,
        capture_output=True,
    )
    editor.fallback_form.checks["jitter"].click()
    # Each option is its own edit, replayed on the file as it is: both changes are kept.
    assert agent_on_disk(config_file, "analyst")["fallback"] == {"retries": 4, "jitter": 0.1, "cooldown_s": 0.0}
    assert document.config.agent("analyst").fallback.retries == 4


def test_a_switch_is_overridden_from_its_drop_down(qtbot: Any, document: Document, config_file: Path) -> None:
    editor = make_editor(qtbot, document, "helper")
    form = editor.fallback_form
    assert "state" not in form.checks  # where cooldowns are shared is for Settings only
    form.checks["on_stream_break"].click()
    assert agent_on_disk(config_file, "helper")["fallback"] == {"on_stream_break": "withdraw"}
    box = form.boxes["on_stream_break"]
    box.setCurrentText("continue")
    box.activated.emit(box.currentIndex())  # what choosing an entry with the mouse or keys sends
    assert agent_on_disk(config_file, "helper")["fallback"] == {"on_stream_break": "continue"}
    assert form.notes["on_stream_break"].text() == "Settings: withdraw"
    document.undo_stack.undo()
    assert agent_on_disk(config_file, "helper")["fallback"] == {"on_stream_break": "withdraw"}
