"""Squads → Add member by keyboard: what the completer offers is what gets added, with
real key events going where Qt sends them (the completion popup while it is open)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from tests.app.test_squads_page import make_page


def press(qtbot: Any, key: Qt.Key) -> None:
    """A key press delivered as the user's would be: to an open popup, else to the focus."""
    target = QApplication.activePopupWidget() or QApplication.focusWidget()
    assert target is not None
    qtbot.keyClick(target, key)


def type_agent(qtbot: Any, page: Any, text: str) -> None:
    line = page.agent_combo.lineEdit()
    line.setFocus()
    qtbot.waitUntil(line.hasFocus)
    qtbot.keyClicks(line, text)


def members(document: Any) -> list[str]:
    return list(document.config.squad("support-desk").agents)


def test_typing_part_of_a_name_and_enter_adds_the_one_agent_offered(qtbot: Any, document: Any) -> None:
    page = make_page(qtbot, document)
    page.select_squad("support-desk")
    type_agent(qtbot, page, "note")
    completer = page.agent_combo.completer()
    popup = completer.popup() if completer is not None else None
    assert popup is not None and popup.isVisible()
    press(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "note-taker" in members(document))
    assert members(document) == ["triage", "responder", "escalation", "note-taker"]
    assert page.agent_combo.currentText() == ""


def test_arrow_then_enter_adds_the_highlighted_agent_and_leaves_the_field_empty(qtbot: Any, document: Any) -> None:
    page = make_page(qtbot, document)
    page.select_squad("support-desk")
    type_agent(qtbot, page, "er")  # researcher, fact-checker, helper, note-taker… several
    press(qtbot, Qt.Key.Key_Down)
    picked = page.agent_combo.currentText()
    assert picked.startswith("Researcher")
    press(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "researcher" in members(document))
    qtbot.wait(50)
    # Nothing left in the field for a second Enter to add.
    assert page.agent_combo.currentText() == ""
    assert members(document) == ["triage", "responder", "escalation", "researcher"]


def test_enter_on_text_matching_several_agents_asks_to_pick_one(qtbot: Any, document: Any) -> None:
    page = make_page(qtbot, document)
    page.select_squad("support-desk")
    type_agent(qtbot, page, "er")
    press(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: bool(page.message_label.text()))
    assert page.message_label.text().startswith("“er” matches ")
    assert members(document) == ["triage", "responder", "escalation"]
