"""The Squads page driven by keyboard and mouse: squads, members, each member's preferred
models in the shared list editor, undo, and the bulk dialog for a squad."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from modeldesk.app.models.squads_model import MembersModel, SquadsModel
from modeldesk.app.views.dialogs.bulk_change_dialog import BulkChangeDialog
from modeldesk.app.views.squads_page import SquadsPage, squad_id_for
from modeldesk.core.bulk import SquadScope
from modeldesk.core.edits import UpdateItem
from tests.app.squads_support import pick_in_model_picker, saved_agent_models, table_rows

RESEARCH_MEMBERS = [
    ("Analyst (analyst)", "claude-sonnet-4, gpt-4o", "claude-sonnet-4, gpt-4o", "Agent's preferred models"),
    ("Researcher (researcher)", "(inherits)", "claude-opus-4, gpt-4.1", "Project default"),
    ("Fact checker (fact-checker)", "o3-mini, ⚠ claude-3-haiku", "o3-mini", "Agent's preferred models"),
]


def make_page(qtbot: Any, document: Any) -> SquadsPage:
    page = SquadsPage(document)
    qtbot.addWidget(page)
    page.resize(1100, 700)
    page.show()
    qtbot.waitExposed(page)
    # Keyboard focus (and so widget shortcuts) needs the active window.
    page.activateWindow()
    qtbot.waitUntil(page.isActiveWindow)
    return page


def squad_names(document: Any) -> list[str]:
    return [squad.name for squad in document.config.squads]


def test_item_models_pass_the_model_tester(qtmodeltester: Any, document: Any) -> None:
    squads = SquadsModel(document)
    qtmodeltester.check(squads)
    assert table_rows(squads) == [("Research team", "3"), ("Support desk", "3")]
    members = MembersModel(document)
    members.set_squad("research-team")
    qtmodeltester.check(members)
    assert table_rows(members) == RESEARCH_MEMBERS
    # A squad naming an agent that is gone keeps it listed, flagged.
    document.perform(UpdateItem("squads", "support-desk", {"agents": ["triage", "ghost"]}))
    members.set_squad("support-desk")
    qtmodeltester.check(members)
    assert table_rows(members)[1] == ("ghost", "(inherits)", "unknown agent", "—")


def test_shows_members_with_effective_models_and_the_hint(qtbot: Any, document: Any) -> None:
    page = make_page(qtbot, document)
    assert page.current_squad().id == "research-team"
    assert table_rows(page.members_model) == RESEARCH_MEMBERS
    assert page.current_member() == "analyst"
    assert page.models_editor.editor.models() == ["claude-sonnet-4", "gpt-4o"]
    assert page.models_editor.editor.hint_label.isVisible()
    assert "Open settings" in page.models_editor.editor.hint_label.text()
    page.select_member("researcher")
    assert page.models_editor.editor.models() == []
    assert page.models_editor.editor.inherited_label.isVisible()
    assert "claude-opus-4" in page.models_editor.editor.inherited_label.text()
    assert page.models_editor.effective_label.text() == (
        "Runs on <b>claude-opus-4</b>, then gpt-4.1 — from Project default"
    )


def test_add_squad_and_members_by_keyboard_then_undo(qtbot: Any, document: Any, config_file: Path) -> None:
    page = make_page(qtbot, document)
    steps = document.undo_stack.count()
    page.new_squad_edit.setFocus()
    qtbot.keyClicks(page.new_squad_edit, "Night shift")
    qtbot.keyClick(page.new_squad_edit, Qt.Key.Key_Return)
    assert squad_names(document) == ["Research team", "Support desk", "Night shift"]
    assert document.config.squad("night-shift") is not None
    assert page.current_squad().id == "night-shift"
    assert page.members_model.rowCount() == 0
    # Focus moved on to adding members.
    assert page.agent_combo.hasFocus() or page.agent_combo.lineEdit().hasFocus()

    for agent_id in ("helper", "note-taker"):
        qtbot.keyClicks(page.agent_combo.lineEdit(), agent_id)
        qtbot.keyClick(page.agent_combo.lineEdit(), Qt.Key.Key_Escape)  # close the completion popup
        qtbot.keyClick(page.agent_combo.lineEdit(), Qt.Key.Key_Return)
    assert document.config.squad("night-shift").agents == ["helper", "note-taker"]
    assert [row[0] for row in table_rows(page.members_model)] == [
        "General helper (helper)",
        "Note taker (note-taker)",
    ]
    assert page.current_member() == "note-taker"
    # Members already in the squad are no longer offered.
    offered = [page.agent_combo.itemData(i) for i in range(page.agent_combo.count())]
    assert "helper" not in offered and "analyst" in offered
    assert document.undo_stack.count() == steps + 3
    assert document.undo_stack.undoText() == "Add Note taker to squad Night shift"  # names, not ids

    document.undo_stack.undo()
    assert document.config.squad("night-shift").agents == ["helper"]
    assert page.current_squad().id == "night-shift"
    document.undo_stack.undo()
    document.undo_stack.undo()
    assert squad_names(document) == ["Research team", "Support desk"]
    assert page.current_squad() is not None


def test_unknown_agent_is_refused_with_a_message(qtbot: Any, document: Any) -> None:
    page = make_page(qtbot, document)
    steps = document.undo_stack.count()
    qtbot.keyClicks(page.agent_combo.lineEdit(), "nobody")
    qtbot.mouseClick(page.add_member_button, Qt.MouseButton.LeftButton)
    assert page.message_label.isVisible()
    assert page.message_label.text() == "There is no agent “nobody”."
    assert document.undo_stack.count() == steps


def test_edit_a_members_list_by_keyboard_and_undo(qtbot: Any, document: Any, config_file: Path) -> None:
    page = make_page(qtbot, document)
    before = saved_agent_models(config_file)
    # Down to the fact checker in the members table, Tab into its list.
    page.members_view.setFocus()
    qtbot.keyClick(page.members_view, Qt.Key.Key_Down)
    qtbot.keyClick(page.members_view, Qt.Key.Key_Down)
    assert page.current_member() == "fact-checker"
    editor = page.models_editor.editor
    assert editor.models() == ["o3-mini", "claude-3-haiku"]
    editor.view.setFocus()
    editor.select_row(0)
    # Ctrl+Down moves the primary down: one undoable edit, saved.
    qtbot.keyClick(editor.view, Qt.Key.Key_Down, Qt.KeyboardModifier.ControlModifier)
    assert document.config.agent("fact-checker").model == ["claude-3-haiku", "o3-mini"]
    assert saved_agent_models(config_file)["fact-checker"] == ["claude-3-haiku", "o3-mini"]
    assert document.undo_stack.undoText() == "Set models of Fact checker"
    # The table follows: the disabled primary is flagged and skipped.
    assert table_rows(page.members_model)[2] == (
        "Fact checker (fact-checker)",
        "⚠ claude-3-haiku, o3-mini",
        "o3-mini",
        "Agent's preferred models",
    )
    # Delete removes the selected model.
    editor.select_row(0)
    qtbot.keyClick(editor.view, Qt.Key.Key_Delete)
    assert document.config.agent("fact-checker").model == ["o3-mini"]
    # The selection stayed on the member through every refresh.
    assert page.current_member() == "fact-checker"

    document.undo_stack.undo()
    document.undo_stack.undo()
    assert saved_agent_models(config_file) == before
    assert editor.models() == ["o3-mini", "claude-3-haiku"]


def test_add_a_model_with_the_picker(qtbot: Any, document: Any) -> None:
    page = make_page(qtbot, document)
    page.select_member("researcher")
    editor = page.models_editor.editor
    pick_in_model_picker(qtbot, "gpt-4.1")
    editor.add_button.setFocus()
    qtbot.keyClick(editor.add_button, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: document.config.agent("researcher").model == "gpt-4.1")
    assert table_rows(page.members_model)[1] == (
        "Researcher (researcher)",
        "gpt-4.1",
        "gpt-4.1",
        "Agent's preferred models",
    )
    # Emptying the list makes it inherit again.
    editor.select_row(0)
    editor.view.setFocus()
    qtbot.keyClick(editor.view, Qt.Key.Key_Delete)
    assert document.config.agent("researcher").model is None
    assert table_rows(page.members_model)[1][3] == "Project default"


def test_rename_with_f2_and_remove_with_delete(qtbot: Any, document: Any) -> None:
    page = make_page(qtbot, document)
    page.squads_view.setFocus()
    page.select_squad("support-desk")
    qtbot.keyClick(page.squads_view, Qt.Key.Key_F2)
    editor = QApplication.focusWidget()
    editor.selectAll()
    qtbot.keyClicks(editor, "Help desk")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    # The view commits an edited cell on its next event-loop turn.
    qtbot.waitUntil(lambda: squad_names(document) == ["Research team", "Help desk"])
    assert document.config.squad("support-desk").name == "Help desk"  # the id stays
    assert document.undo_stack.undoText() == "Rename squad Support desk to Help desk"

    # Delete in the members table takes the member out of the squad (the agent stays).
    page.members_view.setFocus()
    page.select_member("responder")
    qtbot.keyClick(page.members_view, Qt.Key.Key_Delete)
    assert document.config.squad("support-desk").agents == ["triage", "escalation"]
    assert document.config.agent("responder") is not None
    assert page.current_member() == "escalation"

    # Delete in the squads table removes the squad; undo brings it back as it was.
    page.squads_view.setFocus()
    qtbot.keyClick(page.squads_view, Qt.Key.Key_Delete)
    assert squad_names(document) == ["Research team"]
    assert page.current_squad().id == "research-team"
    document.undo_stack.undo()
    assert squad_names(document) == ["Research team", "Help desk"]
    assert document.config.squad("support-desk").agents == ["triage", "escalation"]


def test_blank_rename_is_refused(qtbot: Any, document: Any) -> None:
    page = make_page(qtbot, document)
    index = page.squads_model.index(0, SquadsModel.NAME)
    assert not page.squads_model.setData(index, "   ")
    assert page.message_label.text() == "A squad needs a name."
    assert squad_names(document) == ["Research team", "Support desk"]


def test_bulk_button_opens_the_dialog_for_the_squad(qtbot: Any, document: Any) -> None:
    page = make_page(qtbot, document)
    page.select_squad("support-desk")
    qtbot.mouseClick(page.bulk_button, Qt.MouseButton.LeftButton)
    dialog = page.findChild(BulkChangeDialog)
    assert dialog is not None and dialog.isVisible()
    assert dialog.scope() == SquadScope("support-desk")
    qtbot.mouseClick(dialog.add_radio, Qt.MouseButton.LeftButton)
    dialog.add_combo.set_model_id("gpt-4.1")
    qtbot.waitUntil(dialog.apply_button.isEnabled)
    with qtbot.waitSignal(dialog.finished):
        qtbot.mouseClick(dialog.apply_button, Qt.MouseButton.LeftButton)
    # The page shows the result at once; the member that inherits was skipped (the
    # dialog's default), not given a list holding only the fallback.
    assert [row[1] for row in table_rows(page.members_model)] == [
        "gpt-4o-mini, gpt-4.1",
        "(inherits)",
        "claude-opus-4, gpt-4.1",
    ]


def test_squad_ids_from_names(document: Any) -> None:
    assert squad_id_for("Research team", document.config) == "research-team-2"
    assert squad_id_for("  QA / Review  ", document.config) == "qa-review"
    assert squad_id_for("!!!", document.config) == "squad"


def test_tab_order_follows_the_screen(qtbot: Any, document: Any) -> None:
    page = make_page(qtbot, document)
    page.members_view.setFocus()
    seen = []
    for _ in range(4):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        seen.append(QApplication.focusWidget())
    editor = page.models_editor.editor
    assert seen[0] in (page.agent_combo, page.agent_combo.lineEdit())
    assert seen[1:] == [page.add_member_button, page.remove_member_button, editor.view]


def test_the_first_squad_is_worked_out_once_when_the_page_opens(qtbot: Any, document: Any, monkeypatch: Any) -> None:
    # Each squad shown reads its members (resolved) and refills the 'Agent to add' list of
    # every other agent: at 10,000 agents doing it twice made the first open slow.
    shown: list[str | None] = []
    original = MembersModel.set_squad

    def counted(model: MembersModel, squad_id: str | None, *rest: Any) -> None:
        shown.append(squad_id)
        original(model, squad_id, *rest)

    monkeypatch.setattr(MembersModel, "set_squad", counted)
    page = make_page(qtbot, document)
    assert shown == ["research-team"]
    assert page.current_member() == "analyst"
    assert page.models_editor.agent_id == "analyst"
    # Choosing another squad by click shows it once too.
    shown.clear()
    page.squads_view.selectRow(page.squads_model.row_of("support-desk"))
    assert shown == ["support-desk"]
    assert page.models_editor.agent_id == "triage"


def test_a_message_does_not_move_the_page_under_the_pointer(qtbot: Any, document: Any) -> None:
    """The message "Choose an agent to add." appearing under the page used to shrink everything
    above it by a line: the buttons moved under the pointer and a just-added member scrolled
    half out of view."""
    page = make_page(qtbot, document)
    page.select_squad("research-team")
    before = (page.members_view.height(), page.add_member_button.mapTo(page, page.add_member_button.rect().topLeft()))
    qtbot.mouseClick(page.add_member_button, Qt.MouseButton.LeftButton)  # nothing typed
    assert page.message_label.text() == "Choose an agent to add."
    qtbot.waitUntil(page.message_label.isVisible)
    QApplication.processEvents()
    after = (page.members_view.height(), page.add_member_button.mapTo(page, page.add_member_button.rect().topLeft()))
    assert after == before


def test_the_unresolved_models_line_takes_the_new_theme_colour(qtbot: Any, document: Any) -> None:
    """The red line under a member whose models cannot be resolved was an inline span
    coloured when built: after Dark then Light it kept the dark theme's pale red on white."""
    from modeldesk.app.colours import problem_colour
    from modeldesk.app.views.app_menus import apply_theme
    from modeldesk.core.edits import Batch, SetAgentModels, SetSetting

    apply_theme("Dark")
    try:
        # Nothing usable anywhere: the agent's own model is unknown, nothing to inherit.
        document.perform(
            Batch(
                [
                    SetAgentModels("analyst", ("no-such-model",)),
                    SetSetting(("default_agent_model",), None),
                    UpdateItem("projects", "research", {"default_model": None}),
                ]
            )
        )
        page = make_page(qtbot, document)
        page.select_member("analyst")
        line = page.models_editor.effective_label
        dark = problem_colour().name()
        assert line.isVisible() and "No usable model" in line.text()
        assert dark in line.styleSheet() and dark not in line.text()
        apply_theme("Light")
        light = problem_colour().name()
        assert light != dark
        assert light in line.styleSheet() and dark not in line.text()
        # A member that resolves is shown in the palette's own text colour again.
        page.select_member("fact-checker")
        assert line.styleSheet() == "" and "o3-mini" in line.text()
    finally:
        apply_theme("System")
