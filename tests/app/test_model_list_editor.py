"""The preferred-model priority list: its item model, and the editor driven as a user
would (buttons, Ctrl+Up/Down, Delete, the picker, the hint link)."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import QModelIndex, Qt

from modeldesk.app.models.model_list_model import MIME_TYPE, ModelIdRole, ModelListModel, PositionRole, ProblemRole
from modeldesk.app.text import HINT_TEXT
from modeldesk.app.widgets.model_list_editor import ModelListEditor
from modeldesk.app.widgets.model_picker import ModelPickerDialog
from tests.app.helpers import answer_modal, show_active


def describe(model_id: str) -> tuple[str, str | None]:
    return model_id.upper(), ("unknown model" if model_id.startswith("x") else None)


def make_model(items: list[str]) -> ModelListModel:
    model = ModelListModel(describe)
    model.set_items(items)
    return model


def make_editor(qtbot: Any, document: Any, models: list[str], **kwargs: Any) -> ModelListEditor:
    editor = ModelListEditor(document, **kwargs)
    editor.set_models(models)
    return show_active(qtbot, editor)


# --- the item model -------------------------------------------------------------------


def test_list_model_passes_the_model_tester(qtmodeltester: Any) -> None:
    model = make_model(["a", "b", "x-gone", "c"])
    qtmodeltester.check(model, force_py=True)
    assert model.move(0, 1)
    assert model.removeRows(1, 1)
    model.append("d")
    qtmodeltester.check(model, force_py=True)


def test_rows_read_primary_then_fallbacks_and_flag_problems() -> None:
    model = make_model(["a", "x-gone", "c"])
    assert [model.index(r).data(PositionRole) for r in range(3)] == ["Primary", "Fallback 1", "Fallback 2"]
    assert model.index(0).data() == "A"
    assert model.index(1).data(ProblemRole) == "unknown model"
    assert "⚠ unknown model" in model.index(1).data()
    assert model.index(1).data(Qt.ItemDataRole.ForegroundRole) is not None
    assert model.index(0).data(Qt.ItemDataRole.ForegroundRole) is None


@pytest.mark.parametrize(
    ("source", "count", "destination", "expected"),
    [
        (0, 1, 3, ["b", "c", "a", "d"]),
        (2, 1, 0, ["c", "a", "b", "d"]),
        (1, 2, 4, ["a", "d", "b", "c"]),
        (3, 1, 1, ["a", "d", "b", "c"]),
    ],
)
def test_move_rows_moves_blocks_and_signals(
    qtbot: Any, source: int, count: int, destination: int, expected: list[str]
) -> None:
    model = make_model(["a", "b", "c", "d"])
    with qtbot.waitSignal(model.rowsMoved) as moved:
        assert model.moveRows(QModelIndex(), source, count, QModelIndex(), destination)
    assert model.items() == expected
    assert moved.args[1:3] == [source, source + count - 1]


@pytest.mark.parametrize(("source", "destination"), [(0, 0), (0, 1), (1, 5), (-1, 0), (3, 0)])
def test_move_rows_refuses_no_ops_and_out_of_range(source: int, destination: int) -> None:
    model = make_model(["a", "b", "c"])
    assert not model.moveRows(QModelIndex(), source, 1, QModelIndex(), destination)
    assert model.items() == ["a", "b", "c"]


def test_drag_and_drop_through_the_model() -> None:
    model = make_model(["a", "b", "c", "d"])
    data = model.mimeData([model.index(0)])
    assert data.hasFormat(MIME_TYPE)
    assert model.canDropMimeData(data, Qt.DropAction.MoveAction, 3, 0, QModelIndex())
    # False on purpose: True would make a view delete the "source" rows after the move.
    assert model.dropMimeData(data, Qt.DropAction.MoveAction, 3, 0, QModelIndex()) is False
    assert model.items() == ["b", "c", "a", "d"]
    # Two rows dropped at the top keep their order; dropping at the end (row -1) works too.
    data = model.mimeData([model.index(3), model.index(2)])
    model.dropMimeData(data, Qt.DropAction.MoveAction, 0, 0, QModelIndex())
    assert model.items() == ["a", "d", "b", "c"]
    model.dropMimeData(model.mimeData([model.index(0)]), Qt.DropAction.MoveAction, -1, 0, QModelIndex())
    assert model.items() == ["d", "b", "c", "a"]
    # Copying or dropping onto a row is refused.
    assert not model.dropMimeData(model.mimeData([model.index(0)]), Qt.DropAction.CopyAction, 1, 0, QModelIndex())
    assert not model.canDropMimeData(model.mimeData([model.index(0)]), Qt.DropAction.MoveAction, -1, 0, model.index(1))
    assert model.items() == ["d", "b", "c", "a"]


# --- the editor -----------------------------------------------------------------------


def test_move_buttons_and_shortcuts_reorder_and_emit(qtbot: Any, document: Any) -> None:
    editor = make_editor(qtbot, document, ["gpt-4o", "claude-sonnet-4", "o3-mini"])
    editor.select_row(2)
    with qtbot.waitSignal(editor.models_edited) as edited:
        qtbot.mouseClick(editor.up_button, Qt.MouseButton.LeftButton)
    assert edited.args == [["gpt-4o", "o3-mini", "claude-sonnet-4"]]
    editor.view.setFocus()
    qtbot.waitUntil(editor.view.hasFocus)
    with qtbot.waitSignal(editor.models_edited) as edited:
        qtbot.keyClick(editor.view, Qt.Key.Key_Up, Qt.KeyboardModifier.ControlModifier)
    assert edited.args == [["o3-mini", "gpt-4o", "claude-sonnet-4"]]
    assert editor.view.currentIndex().data(ModelIdRole) == "o3-mini"  # the moved row stays current
    assert not editor.up_button.isEnabled()
    qtbot.keyClick(editor.view, Qt.Key.Key_Down, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(editor.view, Qt.Key.Key_Down, Qt.KeyboardModifier.ControlModifier)
    assert editor.models() == ["gpt-4o", "claude-sonnet-4", "o3-mini"]
    assert not editor.down_button.isEnabled()
    qtbot.mouseClick(editor.up_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(editor.down_button, Qt.MouseButton.LeftButton)
    assert editor.models() == ["gpt-4o", "claude-sonnet-4", "o3-mini"]


def test_remove_by_button_and_delete_key(qtbot: Any, document: Any) -> None:
    editor = make_editor(qtbot, document, ["gpt-4o", "claude-sonnet-4", "o3-mini"])
    editor.select_row(0)
    with qtbot.waitSignal(editor.models_edited) as edited:
        qtbot.mouseClick(editor.remove_button, Qt.MouseButton.LeftButton)
    assert edited.args == [["claude-sonnet-4", "o3-mini"]]
    editor.view.setFocus()
    qtbot.keyClick(editor.view, Qt.Key.Key_Delete)
    assert editor.models() == ["o3-mini"]


def test_set_models_is_silent_and_keeps_selection(qtbot: Any, document: Any) -> None:
    editor = make_editor(qtbot, document, ["gpt-4o", "o3-mini"])
    editor.select_row(1)
    with qtbot.assertNotEmitted(editor.models_edited):
        editor.set_models(["claude-sonnet-4", "o3-mini"])
    assert editor.models() == ["claude-sonnet-4", "o3-mini"]
    assert editor.view.currentIndex().data(ModelIdRole) == "o3-mini"


def answer_picker(qtbot: Any, text: str, key: Qt.Key = Qt.Key.Key_Return) -> list[str]:
    """Answer the next modal model picker by typing ``text`` and pressing ``key``."""
    seen: list[str] = []

    def answer(picker: ModelPickerDialog) -> None:
        qtbot.keyClicks(picker.filter_edit, text)
        seen.append(str(picker.selected_model()))
        qtbot.keyClick(picker.filter_edit if key != Qt.Key.Key_Escape else picker, key)

    answer_modal(ModelPickerDialog, answer)
    return seen


def test_add_from_the_picker_and_refuse_duplicates(qtbot: Any, document: Any) -> None:
    editor = make_editor(qtbot, document, ["gpt-4o"])
    answer_picker(qtbot, "haiku 4")
    with qtbot.waitSignal(editor.models_edited) as edited:
        qtbot.mouseClick(editor.add_button, Qt.MouseButton.LeftButton)
    assert edited.args == [["gpt-4o", "claude-haiku-4"]]
    assert editor.model.index(1).data(PositionRole) == "Fallback 1"

    answer_picker(qtbot, "(gpt-4o)")
    with qtbot.assertNotEmitted(editor.models_edited):
        qtbot.mouseClick(editor.add_button, Qt.MouseButton.LeftButton)
    assert editor.models() == ["gpt-4o", "claude-haiku-4"]
    assert editor.message_label.isVisible()
    assert "already in the list" in editor.message_label.text()


def test_escape_in_the_picker_adds_nothing(qtbot: Any, document: Any) -> None:
    editor = make_editor(qtbot, document, ["gpt-4o"])
    answer_picker(qtbot, "sonnet", Qt.Key.Key_Escape)
    with qtbot.assertNotEmitted(editor.models_edited):
        qtbot.mouseClick(editor.add_button, Qt.MouseButton.LeftButton)
    assert editor.models() == ["gpt-4o"]


def test_unusable_models_stay_listed_and_flagged(qtbot: Any, document: Any) -> None:
    editor = make_editor(qtbot, document, ["claude-3-haiku", "deleted-model", "gpt-4o"])
    assert editor.models() == ["claude-3-haiku", "deleted-model", "gpt-4o"]
    problems = [editor.model.index(r).data(ProblemRole) for r in range(3)]
    assert problems == ["model disabled", "unknown model", None]
    assert "Not usable: model disabled" in editor.model.index(0).data(Qt.ItemDataRole.ToolTipRole)


def test_empty_list_shows_what_it_inherits(qtbot: Any, document: Any) -> None:
    editor = make_editor(qtbot, document, [])
    editor.set_inherited("Inherits gpt-4o from settings")
    assert editor.inherited_label.isVisible()
    assert editor.inherited_label.text() == "Inherits gpt-4o from settings"
    editor.set_models(["o3-mini"])
    assert not editor.inherited_label.isVisible()


def test_hint_link_asks_to_open_settings(qtbot: Any, document: Any) -> None:
    editor = make_editor(qtbot, document, [], hint_field="default_agent_model")
    assert editor.hint_label.isVisible()
    assert HINT_TEXT in editor.hint_label.text()
    with qtbot.waitSignal(document.open_settings_requested) as requested:
        editor.hint_label.linkActivated.emit("open-settings")
    assert requested.args == ["default_agent_model"]
    hidden = make_editor(qtbot, document, [], show_hint=False)
    assert not hidden.hint_label.isVisible()


def test_hint_link_works_from_the_keyboard(qtbot: Any, document: Any) -> None:
    editor = make_editor(qtbot, document, [])
    editor.hint_label.setFocus()
    qtbot.waitUntil(editor.hint_label.hasFocus)
    # Tab moves to the link inside the label; Enter activates it.
    with qtbot.waitSignal(document.open_settings_requested, timeout=2000):
        qtbot.keyClick(editor.hint_label, Qt.Key.Key_Tab)
        qtbot.keyClick(editor.hint_label, Qt.Key.Key_Return)
