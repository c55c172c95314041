"""The bulk model-change dialog, driven as a user would: every scope, every change kind,
the exact preview rows, Apply as one undo step, and Cancel/Escape changing nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QDialog, QPushButton

from modeldesk.app.document import wait_for_saves
from modeldesk.app.models.bulk_preview_model import BulkPreviewModel
from modeldesk.app.views.dialogs.bulk_change_dialog import BulkChangeDialog
from modeldesk.core.bulk import AgentsScope, AllAgentsScope, PlannedChange, SquadScope, UsingModelScope
from tests.app.helpers import show_active
from tests.app.squads_support import agent_models, pick_in_model_picker, saved_agent_models, table_rows, type_model


def open_dialog(qtbot: Any, document: Any, scope: Any = None) -> BulkChangeDialog:
    dialog = BulkChangeDialog(document, scope)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog


def settle(qtbot: Any, dialog: BulkChangeDialog) -> None:
    """Wait for the preview, which is re-planned a moment after the form last changed."""
    qtbot.waitUntil(lambda: not dialog.preview_pending(), timeout=2000)


def apply(qtbot: Any, dialog: BulkChangeDialog) -> None:
    with qtbot.waitSignal(dialog.finished, timeout=2000) as finished:
        qtbot.mouseClick(dialog.apply_button, Qt.MouseButton.LeftButton)
    assert finished.args == [QDialog.DialogCode.Accepted.value]


def test_preview_model_passes_the_model_tester(qtmodeltester: Any) -> None:
    model = BulkPreviewModel()
    model.set_plan(
        [
            PlannedChange("a", ("x",), ("y",)),
            PlannedChange("b", (), (), "no change"),
            PlannedChange("c", ("x", "z"), (), "will inherit"),
        ],
        {"a": "Agent A"},
        lambda model_id: "unknown model" if model_id == "y" else None,
    )
    qtmodeltester.check(model)
    assert table_rows(model) == [
        ("Agent A (a)", "x", "y", "y: unknown model"),
        ("b", "(inherits)", "(inherits)", "no change"),
        ("c", "x, z", "(inherits)", "will inherit"),
    ]
    # Unchanged rows are dimmed; changed rows use the normal colour.
    assert model.index(1, 0).data(Qt.ItemDataRole.ForegroundRole) is not None
    assert model.index(0, 0).data(Qt.ItemDataRole.ForegroundRole) is None


def test_squad_scope_replace_previews_and_applies_as_one_undo_step(
    qtbot: Any, document: Any, config_file: Path
) -> None:
    before_memory, before_file = agent_models(document), saved_agent_models(config_file)
    dialog = open_dialog(qtbot, document, SquadScope("research-team"))
    # The squad's lists differ, so the dialog starts on "replace" with nothing to apply.
    assert dialog.replace_radio.isChecked()
    assert not dialog.apply_button.isEnabled()

    type_model(qtbot, dialog.replace_old, "o3-mini")
    settle(qtbot, dialog)
    type_model(qtbot, dialog.replace_new, "gpt-4.1")
    settle(qtbot, dialog)
    assert table_rows(dialog.preview_model) == [
        ("Analyst (analyst)", "claude-sonnet-4, gpt-4o", "claude-sonnet-4, gpt-4o", "does not list o3-mini"),
        (
            "Researcher (researcher)",
            "(inherits)",
            "(inherits)",
            "inherits claude-opus-4, gpt-4.1 from project research: skipped",
        ),
        ("Fact checker (fact-checker)", "o3-mini, claude-3-haiku", "gpt-4.1, claude-3-haiku", ""),
    ]
    assert dialog.apply_button.isEnabled()
    assert dialog.apply_button.text() == "Apply to 1 agent"

    steps = document.undo_stack.count()
    apply(qtbot, dialog)
    assert document.undo_stack.count() == steps + 1
    assert document.undo_stack.undoText() == ("Change models of squad research-team: replace o3-mini with gpt-4.1")
    assert document.config.agent("fact-checker").model == ["gpt-4.1", "claude-3-haiku"]
    assert saved_agent_models(config_file)["fact-checker"] == ["gpt-4.1", "claude-3-haiku"]

    document.undo_stack.undo()
    settle(qtbot, dialog)
    assert agent_models(document) == before_memory
    assert saved_agent_models(config_file) == before_file


def test_selected_agents_add_fallback_undo_restores_string_form(qtbot: Any, document: Any, config_file: Path) -> None:
    before_memory, before_file = agent_models(document), saved_agent_models(config_file)
    assert before_file["triage"] == "gpt-4o-mini"  # written as a string, not a list
    dialog = open_dialog(qtbot, document, AgentsScope(("triage", "note-taker", "helper")))
    assert dialog.selected_radio.isChecked()

    qtbot.mouseClick(dialog.add_radio, Qt.MouseButton.LeftButton)
    settle(qtbot, dialog)
    type_model(qtbot, dialog.add_combo, "llama-3.2-3b")
    settle(qtbot, dialog)
    # An agent that inherits is skipped unless the user chooses to copy its list first:
    # it never ends up with a list holding only the fallback.
    assert dialog.skip_inherited_radio.isChecked()
    assert table_rows(dialog.preview_model) == [
        ("Ticket triage (triage)", "gpt-4o-mini", "gpt-4o-mini, llama-3.2-3b", ""),
        (
            "Note taker (note-taker)",
            "qwen2.5-7b, llama-3.2-3b",
            "qwen2.5-7b, llama-3.2-3b",
            "already lists llama-3.2-3b",
        ),
        (
            "General helper (helper)",
            "(inherits)",
            "(inherits)",
            "inherits claude-sonnet-4, gpt-4o from Settings: skipped",
        ),
    ]
    assert dialog.apply_button.text() == "Apply to 1 agent"
    qtbot.mouseClick(dialog.copy_inherited_radio, Qt.MouseButton.LeftButton)
    settle(qtbot, dialog)
    assert table_rows(dialog.preview_model)[2] == (
        "General helper (helper)",
        "(inherits)",
        "claude-sonnet-4, gpt-4o, llama-3.2-3b",
        "copied claude-sonnet-4, gpt-4o inherited from Settings",
    )
    apply(qtbot, dialog)
    assert saved_agent_models(config_file)["triage"] == ["gpt-4o-mini", "llama-3.2-3b"]
    assert saved_agent_models(config_file)["helper"] == ["claude-sonnet-4", "gpt-4o", "llama-3.2-3b"]

    document.undo_stack.undo()
    settle(qtbot, dialog)
    assert agent_models(document) == before_memory
    assert saved_agent_models(config_file) == before_file
    assert "model" not in _saved_agent(config_file, "helper")
    document.undo_stack.redo()
    assert saved_agent_models(config_file)["helper"] == ["claude-sonnet-4", "gpt-4o", "llama-3.2-3b"]


def _saved_agent(config_file: Path, agent_id: str) -> dict[str, Any]:
    import json

    wait_for_saves()  # saves run in a worker thread
    data = json.loads(config_file.read_text(encoding="utf-8"))
    return next(a for a in data["agents"] if a["id"] == agent_id)


def test_every_agent_using_a_model_remove(qtbot: Any, document: Any, config_file: Path) -> None:
    before = agent_models(document)
    dialog = open_dialog(qtbot, document)
    qtbot.mouseClick(dialog.using_radio, Qt.MouseButton.LeftButton)
    settle(qtbot, dialog)
    type_model(qtbot, dialog.using_combo, "llama-3.2-3b")
    settle(qtbot, dialog)
    qtbot.mouseClick(dialog.remove_radio, Qt.MouseButton.LeftButton)
    settle(qtbot, dialog)
    type_model(qtbot, dialog.remove_combo, "llama-3.2-3b")
    settle(qtbot, dialog)
    assert table_rows(dialog.preview_model) == [
        ("Note taker (note-taker)", "qwen2.5-7b, llama-3.2-3b", "qwen2.5-7b", ""),
    ]
    apply(qtbot, dialog)
    # One model left in what was a list: it stays a list, as the user wrote it.
    assert saved_agent_models(config_file)["note-taker"] == ["qwen2.5-7b"]
    document.undo_stack.undo()
    settle(qtbot, dialog)
    assert agent_models(document) == before


def test_using_model_scope_starts_on_replace_with_that_model(qtbot: Any, document: Any) -> None:
    dialog = open_dialog(qtbot, document, UsingModelScope("gpt-4o"))
    assert dialog.using_radio.isChecked()
    assert dialog.replace_radio.isChecked()
    assert dialog.replace_old.model_id() == "gpt-4o"
    type_model(qtbot, dialog.replace_new, "claude-sonnet-4")
    settle(qtbot, dialog)
    # gpt-4o's replacement is already listed: gpt-4o is dropped, and the row says so.
    assert table_rows(dialog.preview_model) == [
        (
            "Analyst (analyst)",
            "claude-sonnet-4, gpt-4o",
            "claude-sonnet-4",
            "claude-sonnet-4 was already listed: gpt-4o removed, no duplicate",
        ),
    ]


def test_set_list_with_the_list_editor_over_every_agent(qtbot: Any, document: Any, config_file: Path) -> None:
    before_memory, before_file = agent_models(document), saved_agent_models(config_file)
    dialog = open_dialog(qtbot, document, AllAgentsScope())
    qtbot.mouseClick(dialog.set_radio, Qt.MouseButton.LeftButton)
    settle(qtbot, dialog)
    assert dialog.list_editor.isVisible()
    pick_in_model_picker(qtbot, "gpt-4.1")
    qtbot.mouseClick(dialog.list_editor.add_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.list_editor.models() == ["gpt-4.1"])
    pick_in_model_picker(qtbot, "Claude Haiku 4")
    qtbot.mouseClick(dialog.list_editor.add_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.list_editor.models() == ["gpt-4.1", "claude-haiku-4"])

    settle(qtbot, dialog)
    rows = table_rows(dialog.preview_model)
    assert len(rows) == len(document.config.agents)
    assert all(row[2] == "gpt-4.1, claude-haiku-4" for row in rows)
    assert dialog.apply_button.text() == f"Apply to {len(rows)} agents"
    apply(qtbot, dialog)
    assert set(map(tuple, saved_agent_models(config_file).values())) == {("gpt-4.1", "claude-haiku-4")}

    document.undo_stack.undo()
    settle(qtbot, dialog)
    assert agent_models(document) == before_memory
    assert saved_agent_models(config_file) == before_file


def test_flags_models_that_cannot_be_used(qtbot: Any, document: Any) -> None:
    dialog = open_dialog(qtbot, document, SquadScope("support-desk"))
    qtbot.mouseClick(dialog.add_radio, Qt.MouseButton.LeftButton)
    settle(qtbot, dialog)
    type_model(qtbot, dialog.add_combo, "claude-3-haiku")
    settle(qtbot, dialog)
    assert dialog.problem_label.isVisible()
    assert "claude-3-haiku: model disabled" in dialog.problem_label.text()
    assert table_rows(dialog.preview_model)[0][3] == "claude-3-haiku: model disabled"
    # The disabled model is offered in the choices, flagged, never hidden.
    assert dialog.add_combo.findData("claude-3-haiku") >= 0
    assert "[model disabled]" in dialog.add_combo.itemText(dialog.add_combo.findData("claude-3-haiku"))
    type_model(qtbot, dialog.add_combo, "no-such-model")
    settle(qtbot, dialog)
    assert "no-such-model: unknown model" in dialog.problem_label.text()


def test_scope_and_change_switch_updates_preview_live(qtbot: Any, document: Any) -> None:
    dialog = open_dialog(qtbot, document, SquadScope("research-team"))
    qtbot.mouseClick(dialog.add_radio, Qt.MouseButton.LeftButton)
    settle(qtbot, dialog)
    type_model(qtbot, dialog.add_combo, "gpt-4.1")
    settle(qtbot, dialog)
    assert [row[0] for row in table_rows(dialog.preview_model)] == [
        "Analyst (analyst)",
        "Researcher (researcher)",
        "Fact checker (fact-checker)",
    ]
    dialog.squad_combo.setFocus()
    qtbot.keyClick(dialog.squad_combo, Qt.Key.Key_Down)
    settle(qtbot, dialog)
    assert dialog.squad_combo.currentData() == "support-desk"
    assert [row[0] for row in table_rows(dialog.preview_model)] == [
        "Ticket triage (triage)",
        "Responder (responder)",
        "Escalation (escalation)",
    ]
    assert dialog.summary_label.text() == "1 of 3 agents will change; dimmed rows stay as they are."


@pytest.mark.parametrize("how", ["cancel", "escape", "close"])
def test_cancel_escape_or_close_changes_nothing(qtbot: Any, document: Any, config_file: Path, how: str) -> None:
    before_memory, before_text = agent_models(document), config_file.read_text(encoding="utf-8")
    dialog = open_dialog(qtbot, document, SquadScope("support-desk"))
    qtbot.mouseClick(dialog.remove_radio, Qt.MouseButton.LeftButton)
    settle(qtbot, dialog)
    type_model(qtbot, dialog.remove_combo, "gpt-4o-mini")
    settle(qtbot, dialog)
    assert dialog.apply_button.isEnabled()
    with qtbot.waitSignal(dialog.finished, timeout=2000) as finished:
        if how == "cancel":
            qtbot.mouseClick(dialog.buttons.button(dialog.buttons.StandardButton.Cancel), Qt.MouseButton.LeftButton)
        elif how == "escape":
            qtbot.keyClick(dialog, Qt.Key.Key_Escape)
        else:
            dialog.close()
    assert finished.args == [QDialog.DialogCode.Rejected.value]
    assert agent_models(document) == before_memory
    wait_for_saves()  # saves run in a worker thread
    assert config_file.read_text(encoding="utf-8") == before_text
    assert document.undo_stack.count() == 0


def test_open_settings_hint(qtbot: Any, document: Any) -> None:
    dialog = open_dialog(qtbot, document, SquadScope("support-desk"))
    assert dialog.hint_label.isVisible()
    assert "Open settings" in dialog.hint_label.text()
    with qtbot.waitSignal(document.open_settings_requested) as requested:
        dialog.hint_label.linkActivated.emit("open-settings")
    assert requested.args == ["default_agent_model"]


def test_missing_input_and_errors_are_explained(qtbot: Any, document: Any) -> None:
    dialog = open_dialog(qtbot, document, SquadScope("support-desk"))
    qtbot.mouseClick(dialog.replace_radio, Qt.MouseButton.LeftButton)
    settle(qtbot, dialog)
    assert dialog.summary_label.text() == "Choose the model to replace and its replacement."
    type_model(qtbot, dialog.replace_old, "gpt-4o-mini")
    settle(qtbot, dialog)
    type_model(qtbot, dialog.replace_new, "gpt-4o-mini")
    settle(qtbot, dialog)
    assert dialog.summary_label.text() == "The replacement is the same model."
    assert not dialog.apply_button.isEnabled()
    # Nothing in scope changes: Apply stays off.
    type_model(qtbot, dialog.replace_old, "qwen2.5-7b")
    settle(qtbot, dialog)
    assert dialog.summary_label.text() == "0 of 3 agents will change; dimmed rows stay as they are."
    assert not dialog.apply_button.isEnabled()


def test_preview_follows_changes_made_while_open(qtbot: Any, document: Any) -> None:
    from modeldesk.core.edits import SetAgentModels

    dialog = open_dialog(qtbot, document, SquadScope("support-desk"))
    qtbot.mouseClick(dialog.remove_radio, Qt.MouseButton.LeftButton)
    settle(qtbot, dialog)
    type_model(qtbot, dialog.remove_combo, "gpt-4.1")
    settle(qtbot, dialog)
    assert dialog.summary_label.text() == "1 of 3 agents will change; dimmed rows stay as they are."
    # Another window (or the file watcher) changes an agent: the preview shows it.
    document.perform(SetAgentModels("responder", ("gpt-4.1", "gpt-4o")))
    settle(qtbot, dialog)
    assert table_rows(dialog.preview_model)[1] == ("Responder (responder)", "gpt-4.1, gpt-4o", "gpt-4o", "")
    assert dialog.summary_label.text() == "2 of 3 agents will change; dimmed rows stay as they are."
    dialog.reject()
    document.undo_stack.undo()  # a closed dialog no longer follows the document
    assert table_rows(dialog.preview_model)[1][1] == "gpt-4.1, gpt-4o"


def test_preview_skips_edits_of_agents_outside_the_scope(qtbot: Any, document: Any) -> None:
    from PySide6.QtTest import QSignalSpy

    from modeldesk.core.edits import SetAgentModels, UpdateItem

    dialog = open_dialog(qtbot, document, SquadScope("support-desk"))
    qtbot.mouseClick(dialog.remove_radio, Qt.MouseButton.LeftButton)
    type_model(qtbot, dialog.remove_combo, "gpt-4.1")
    settle(qtbot, dialog)
    resets = QSignalSpy(dialog.preview_model.modelReset)
    changes = QSignalSpy(dialog.preview_model.dataChanged)
    squads_listed = QSignalSpy(dialog.squad_combo.model().modelReset)
    # The analyst is in the other squad: nothing here changes, nothing is re-planned.
    document.perform(SetAgentModels("analyst", ("gpt-4.1",)))
    assert not dialog.preview_pending()
    settle(qtbot, dialog)
    assert (resets.count(), changes.count(), squads_listed.count()) == (0, 0, 0)
    # A member's edit is planned again, and a squad's rename relists the squads.
    document.perform(SetAgentModels("triage", ("gpt-4.1",)))
    assert dialog.preview_pending()
    settle(qtbot, dialog)
    assert table_rows(dialog.preview_model)[0][1:3] == ("gpt-4.1", "(inherits)")
    document.perform(UpdateItem("squads", "research-team", {"name": "Lab"}))
    assert dialog.squad_combo.findText("Lab (3)") >= 0


def test_apply_is_refused_while_a_target_model_is_unknown_or_disabled(
    qtbot: Any, document: Any, config_file: Path
) -> None:
    before = config_file.read_text(encoding="utf-8")
    dialog = open_dialog(qtbot, document, AllAgentsScope())
    qtbot.mouseClick(dialog.replace_radio, Qt.MouseButton.LeftButton)
    type_model(qtbot, dialog.replace_old, "gpt-4o")
    type_model(qtbot, dialog.replace_new, "gpt-4o-typo")
    settle(qtbot, dialog)
    # The reason sits beside the disabled button, where the user looks.
    assert not dialog.apply_button.isEnabled()
    assert dialog.blocker_label.isVisible()
    assert dialog.blocker_label.text().startswith("Cannot apply: gpt-4o-typo: unknown model.")
    assert dialog.apply_button.toolTip() == dialog.blocker_label.text()
    qtbot.keyClick(dialog, Qt.Key.Key_Return)
    assert dialog.isVisible()
    type_model(qtbot, dialog.replace_new, "gpt-4.1")
    settle(qtbot, dialog)
    assert dialog.apply_button.isEnabled() and not dialog.blocker_label.isVisible()
    # A click landing before the preview caught up with the typing is checked again.
    type_model(qtbot, dialog.replace_new, "claude-3-haiku")
    assert dialog.preview_pending() and dialog.apply_button.isEnabled()
    qtbot.mouseClick(dialog.apply_button, Qt.MouseButton.LeftButton)
    assert dialog.isVisible() and not dialog.apply_button.isEnabled()
    assert "claude-3-haiku: model disabled" in dialog.blocker_label.text()
    assert config_file.read_text(encoding="utf-8") == before
    assert document.undo_stack.count() == 0


def test_a_list_emptied_by_remove_says_what_the_agent_will_inherit(qtbot: Any, document: Any) -> None:
    dialog = open_dialog(qtbot, document, SquadScope("support-desk"))
    qtbot.mouseClick(dialog.remove_radio, Qt.MouseButton.LeftButton)
    type_model(qtbot, dialog.remove_combo, "gpt-4o-mini")
    settle(qtbot, dialog)
    triage = table_rows(dialog.preview_model)[0]
    assert triage[:3] == ("Ticket triage (triage)", "gpt-4o-mini", "(inherits)")
    assert triage[3].startswith("list emptied: will inherit ")
    assert "a note: read them before applying" in dialog.summary_label.text()


def test_the_inherited_choice_is_hidden_when_setting_the_whole_list(qtbot: Any, document: Any) -> None:
    dialog = open_dialog(qtbot, document, SquadScope("support-desk"))
    qtbot.mouseClick(dialog.add_radio, Qt.MouseButton.LeftButton)
    assert dialog.inherited_box.isVisible()
    qtbot.mouseClick(dialog.set_radio, Qt.MouseButton.LeftButton)
    assert not dialog.inherited_box.isVisible()


@pytest.mark.parametrize("selected", [["analyst"], ["helper"]])  # a list of its own; an inheriting agent
def test_the_preview_stays_in_place_whichever_change_is_chosen(qtbot: Any, document: Any, selected: list[str]) -> None:
    """Choosing another kind of change moved the preview up or down by up to 60 px (the
    forms differ in height, the "inherit" choice comes and goes): the table jumped under
    the pointer between clicks."""
    dialog = open_dialog(qtbot, document, AgentsScope(tuple(selected)))
    dialog.resize(1000, 700)
    radios = (dialog.set_radio, dialog.replace_radio, dialog.add_radio, dialog.remove_radio, dialog.set_radio)
    tops = []
    for radio in radios:
        qtbot.mouseClick(radio, Qt.MouseButton.LeftButton)
        settle(qtbot, dialog)
        QApplication.processEvents()
        tops.append(dialog.preview_box.y())
    assert len(set(tops)) == 1, tops


def test_opened_on_an_inheriting_agent_the_list_starts_as_what_it_inherits(qtbot: Any, document: Any) -> None:
    """The dialog opened on an agent without a list of its own started "Set the list" with
    an empty list: widened to every agent, Apply would have cleared every list."""
    dialog = show_active(qtbot, BulkChangeDialog(document, AgentsScope(("researcher",))))
    assert dialog.set_radio.isChecked()
    assert dialog.list_editor.models() == ["claude-opus-4", "gpt-4.1"]
    assert dialog.summary_label.text() == (
        "The list starts as what Researcher inherits now (claude-opus-4, gpt-4.1 from project research); "
        "applying it makes it a list of their own. 1 of 1 agent will change; dimmed rows stay as they are."
    )
    assert dialog.apply_button.text() == "Apply to 1 agent"
    # Every agent, by its mnemonic: every list becomes that list, none is emptied.
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_E, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(dialog.all_radio.isChecked)  # a mnemonic clicks after a short delay
    settle(qtbot, dialog)
    rows = table_rows(dialog.preview_model)
    assert len(rows) == len(document.config.agents)
    assert {row[2] for row in rows} == {"claude-opus-4, gpt-4.1"}


def test_agents_that_all_inherit_different_models_start_on_replace(qtbot: Any, document: Any) -> None:
    # researcher inherits from project research, helper from Settings: no one list to show.
    dialog = open_dialog(qtbot, document, AgentsScope(("researcher", "helper")))
    assert dialog.replace_radio.isChecked()
    assert not dialog.apply_button.isEnabled()


def test_clearing_lists_says_so_and_enter_never_confirms_it(qtbot: Any, document: Any, config_file: Path) -> None:
    """Emptying the list over every agent names what happens on the button and in the
    summary, and asks first even for a handful of agents: Enter (on Apply, then in the
    question) keeps the lists; only the question's Clear button clears them."""
    from PySide6.QtWidgets import QMessageBox

    from tests.app.helpers import answer_modal

    before_memory, before_file = agent_models(document), saved_agent_models(config_file)
    own_lists = [agent.id for agent in document.config.agents if agent.model]
    dialog = show_active(qtbot, BulkChangeDialog(document, AgentsScope(("researcher",))))
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_E, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(dialog.all_radio.isChecked)
    # Empty the list with the keyboard: Delete on each entry.
    dialog.list_editor.view.setFocus()
    dialog.list_editor.select_row(0)
    for _entry in range(2):
        qtbot.keyClick(dialog.list_editor.view, Qt.Key.Key_Delete)
    assert dialog.list_editor.models() == []
    settle(qtbot, dialog)
    cleared = len(own_lists)
    assert dialog.apply_button.text() == f"Clear the lists of {cleared} agents…"
    assert dialog.summary_label.text().startswith(f"Clear the lists of {cleared} agents: they will inherit ")
    assert all(
        row[3].startswith("list emptied: will inherit")
        for row in table_rows(dialog.preview_model)
        if row[1] != "(inherits)"
    )

    seen: list[tuple[str, object]] = []

    def press_enter(box: QMessageBox) -> None:
        QTimer.singleShot(3000, box.reject)  # never hang the suite if Enter did nothing
        # The key goes where the user's would: the question's focused button.
        qtbot.waitUntil(lambda: box.isAncestorOf(QApplication.focusWidget()))
        focused = QApplication.focusWidget()
        seen.append((box.text(), focused.objectName() if focused else None))
        qtbot.keyClick(focused or box, Qt.Key.Key_Return)

    dialog.apply_button.setFocus()
    asked = answer_modal(QMessageBox, press_enter)
    qtbot.keyClick(dialog.apply_button, Qt.Key.Key_Return)
    assert seen == [(f"Clear the preferred-model lists of {cleared} agents?", "keep_button")]
    assert dialog.isVisible()
    assert agent_models(document) == before_memory
    assert document.undo_stack.count() == 0

    def press_clear(box: QMessageBox) -> None:
        qtbot.mouseClick(box.findChild(QPushButton, "clear_button"), Qt.MouseButton.LeftButton)

    asked = answer_modal(QMessageBox, press_clear)
    apply(qtbot, dialog)
    assert len(asked) == 1
    assert not any(saved_agent_models(config_file).get(agent_id) for agent_id in own_lists)
    assert document.undo_stack.count() == 1
    document.undo_stack.undo()
    assert agent_models(document) == before_memory
    wait_for_saves()
    assert saved_agent_models(config_file) == before_file
