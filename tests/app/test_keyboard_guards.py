"""Keyboard users are never trapped or dropped: Tab leaves the agents table instead of
walking its cells (and loading agent after agent), and a Move button that disables itself
at the end of the list hands the focus back to the list, where Ctrl+Up/Down go on working.
All driven by real key events to the widget that has the focus."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from modeldesk.app.document import Document
from modeldesk.app.views.agents_page import AgentsPage
from modeldesk.app.widgets.model_list_editor import ModelListEditor
from tests.app.helpers import show_active


def press(qtbot: Any, key: Qt.Key, modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
    """A key press delivered where the keyboard focus is, as a user's would be."""
    focused = QApplication.focusWidget()
    assert focused is not None
    qtbot.keyClick(focused, key, modifier)


def test_tab_leaves_the_agents_table_without_loading_other_agents(qtbot: Any, document: Document) -> None:
    page = show_active(qtbot, AgentsPage(document), (1200, 700))
    page.select_agent("analyst")
    page.table.setFocus()
    qtbot.waitUntil(page.table.hasFocus)
    loaded = page.editor.agent_id
    assert loaded == "analyst"
    press(qtbot, Qt.Key.Key_Tab)
    assert not page.table.hasFocus()
    # However often Tab is pressed from here, the selected agent stays the one loaded.
    for _ in range(page.proxy.columnCount() + 1):
        press(qtbot, Qt.Key.Key_Tab)
    assert page.editor.agent_id == "analyst"
    assert page.selected_ids() == ["analyst"]
    # Shift+Tab comes back into the table from the widget after it, and arrows move inside.
    page.table.setFocus()
    qtbot.waitUntil(page.table.hasFocus)
    press(qtbot, Qt.Key.Key_Backtab)
    assert not page.table.hasFocus()
    assert page.editor.agent_id == "analyst"


def test_move_button_disabled_at_the_end_keeps_the_focus_on_the_list(qtbot: Any, document: Document) -> None:
    editor = ModelListEditor(document)
    editor.set_models(["gpt-4o", "claude-sonnet-4", "o3-mini"])
    show_active(qtbot, editor)
    editor.select_row(1)
    editor.up_button.setFocus()
    qtbot.waitUntil(editor.up_button.hasFocus)
    press(qtbot, Qt.Key.Key_Space)  # "Move up": the row reaches the top, the button disables
    assert editor.models() == ["claude-sonnet-4", "gpt-4o", "o3-mini"]
    assert not editor.up_button.isEnabled()
    assert editor.view.hasFocus()
    # The shortcuts keep working from where the focus is.
    press(qtbot, Qt.Key.Key_Down, Qt.KeyboardModifier.ControlModifier)
    press(qtbot, Qt.Key.Key_Down, Qt.KeyboardModifier.ControlModifier)
    assert editor.models() == ["gpt-4o", "o3-mini", "claude-sonnet-4"]

    # Same at the other end with Move down.
    editor.select_row(1)
    editor.down_button.setFocus()
    qtbot.waitUntil(editor.down_button.hasFocus)
    press(qtbot, Qt.Key.Key_Space)
    assert editor.models() == ["gpt-4o", "claude-sonnet-4", "o3-mini"]
    assert editor.view.hasFocus()
    press(qtbot, Qt.Key.Key_Up, Qt.KeyboardModifier.ControlModifier)
    assert editor.models() == ["gpt-4o", "o3-mini", "claude-sonnet-4"]
