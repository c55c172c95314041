"""The model picker: grouped by provider with badges, filter as you type, keyboard only."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox

from modeldesk.app.document import Document
from modeldesk.app.widgets.model_picker import ModelIdRole, ModelPickerDialog
from tests.app.helpers import show_active


def open_picker(qtbot: Any, document: Document, listed: tuple[str, ...] = ()) -> ModelPickerDialog:
    return show_active(qtbot, ModelPickerDialog(document, listed=listed))


def leaves(picker: ModelPickerDialog) -> dict[str, list[str]]:
    proxy = picker.proxy
    out: dict[str, list[str]] = {}
    for group_row in range(proxy.rowCount()):
        group = proxy.index(group_row, 0)
        out[group.data()] = [proxy.index(r, 0, group).data(ModelIdRole) for r in range(proxy.rowCount(group))]
    return out


def row_texts(picker: ModelPickerDialog, model_id: str) -> list[str]:
    proxy = picker.proxy
    for group_row in range(proxy.rowCount()):
        group = proxy.index(group_row, 0)
        for row in range(proxy.rowCount(group)):
            if proxy.index(row, 0, group).data(ModelIdRole) == model_id:
                return [proxy.index(row, c, group).data() for c in range(proxy.columnCount(group))]
    return []


def test_models_are_grouped_by_provider_with_badges(qtbot: Any, document: Document) -> None:
    picker = open_picker(qtbot, document, listed=("gpt-4o",))
    groups = leaves(picker)
    assert list(groups) == ["Anthropic", "Simulated (offline)", "Local (llama.cpp)", "OpenAI"]
    assert groups["OpenAI"] == ["gpt-4.1", "gpt-4o", "gpt-4o-mini", "o3-mini"]
    assert row_texts(picker, "gpt-4o") == [
        "GPT-4o (gpt-4o)",
        "tools · vision · unpriced",
        "128k tokens",
        "already in the list",
        "",  # no runs recorded yet
    ]
    assert row_texts(picker, "claude-3-haiku")[3] == "model disabled"
    assert row_texts(picker, "gpt-4.1")[2] == "1M tokens"
    assert row_texts(picker, "llama-3.2-3b")[1:3] == ["local · free", "8k tokens"]


def test_filter_as_you_type_and_no_match(qtbot: Any, document: Document) -> None:
    picker = open_picker(qtbot, document)
    qtbot.keyClicks(picker.filter_edit, "claude")
    assert leaves(picker) == {"Anthropic": ["claude-3-haiku", "claude-haiku-4", "claude-opus-4", "claude-sonnet-4"]}
    # The first *usable* match is preselected, not the retired model.
    assert picker.selected_model() == "claude-haiku-4"
    picker.filter_edit.clear()
    qtbot.keyClicks(picker.filter_edit, "vision")  # capabilities are searchable too
    assert not any("llama-3.2-3b" in group for group in leaves(picker).values())
    picker.filter_edit.clear()
    qtbot.keyClicks(picker.filter_edit, "zzz")
    assert leaves(picker) == {}
    assert picker.empty_label.isVisible()
    assert not picker.buttons.button(QDialogButtonBox.StandardButton.Ok).isEnabled()
    qtbot.keyClick(picker.filter_edit, Qt.Key.Key_Return)  # nothing to pick: stays open
    assert picker.isVisible()


def test_keyboard_only_pick(qtbot: Any, document: Document) -> None:
    picker = open_picker(qtbot, document)
    qtbot.keyClicks(picker.filter_edit, "gpt")
    assert picker.selected_model() == "gpt-4.1"
    qtbot.keyClick(picker.filter_edit, Qt.Key.Key_Down)  # into the list, first match kept
    qtbot.waitUntil(picker.tree.hasFocus)
    assert picker.selected_model() == "gpt-4.1"
    qtbot.keyClick(picker.tree, Qt.Key.Key_Down)
    assert picker.selected_model() == "gpt-4o"
    with qtbot.waitSignal(picker.finished) as finished:
        qtbot.keyClick(picker.tree, Qt.Key.Key_Return)
    assert finished.args == [QDialog.DialogCode.Accepted.value]
    assert picker.selected_model() == "gpt-4o"


def test_escape_cancels(qtbot: Any, document: Document) -> None:
    picker = open_picker(qtbot, document)
    with qtbot.waitSignal(picker.finished) as finished:
        qtbot.keyClick(picker.filter_edit, Qt.Key.Key_Escape)
    assert finished.args == [QDialog.DialogCode.Rejected.value]


def test_provider_rows_cannot_be_picked(qtbot: Any, document: Document) -> None:
    picker = open_picker(qtbot, document)
    group = picker.proxy.index(0, 0)
    assert not (picker.proxy.flags(group) & Qt.ItemFlag.ItemIsSelectable)
    # Even when the keyboard is on a provider row, there is nothing to add.
    picker.tree.setFocus()
    qtbot.waitUntil(picker.tree.hasFocus)
    picker.tree.setCurrentIndex(group)
    assert picker.selected_model() is None
    assert not picker.buttons.button(QDialogButtonBox.StandardButton.Ok).isEnabled()
    qtbot.keyClick(picker.tree, Qt.Key.Key_Return)
    picker.tree.doubleClicked.emit(group)
    assert picker.isVisible() and picker.result() != QDialog.DialogCode.Accepted


def test_picker_links_to_settings_and_closes(qtbot: Any, document: Document) -> None:
    picker = open_picker(qtbot, document)
    assert picker.hint_label.isVisible()
    with qtbot.waitSignal(document.open_settings_requested) as requested:
        picker.hint_label.linkActivated.emit("open-settings")
    assert requested.args == ["default_agent_model"]
    assert picker.result() == QDialog.DialogCode.Rejected
    assert not picker.isVisible()
    hidden = show_active(qtbot, ModelPickerDialog(document, hint_field=None))
    assert not hidden.hint_label.isVisible()


@pytest.mark.parametrize("theme", ["Light", "Dark"])
def test_rows_that_cannot_be_picked_still_read_at_4_5_to_1(qtbot: Any, document: Document, theme: str) -> None:
    """An already-listed or disabled model is dimmed, not hidden: its name and the note
    saying why must stay readable (the disabled-text grey used was about 1.8:1 on white)."""
    from PySide6.QtGui import QPalette

    from modeldesk.app.colours import contrast
    from modeldesk.app.views.app_menus import apply_theme

    apply_theme(theme)
    try:
        picker = open_picker(qtbot, document, listed=("gpt-4o",))
        palette = picker.tree.palette()
        grounds = [palette.color(QPalette.ColorRole.Base), palette.color(QPalette.ColorRole.AlternateBase)]
        proxy = picker.proxy
        dimmed = []
        for group_row in range(proxy.rowCount()):
            group = proxy.index(group_row, 0)
            for row in range(proxy.rowCount(group)):
                if proxy.index(row, 0, group).data(ModelIdRole) in ("gpt-4o", "claude-3-haiku"):
                    dimmed += [proxy.index(row, c, group) for c in range(proxy.columnCount(group))]
        assert len(dimmed) == 10
        for index in dimmed:
            colour = index.data(Qt.ItemDataRole.ForegroundRole).color()
            assert min(contrast(colour, ground) for ground in grounds) >= 4.5, (theme, colour.name())
    finally:
        apply_theme("System")
