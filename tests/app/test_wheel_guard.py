"""Scrolling a form with the wheel never changes the spin box or combo box that passes
under the pointer; a focused one still takes the wheel.

Qt delivers synthetic wheel events only to the widget they are sent to (no propagation to
the scroll area), so these tests turn the real wheel of the X server's pointer with
xdotool, as test_drag_xcb does for drags.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QEvent, QObject, QPoint
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWidget

from modeldesk.app.document import Document
from modeldesk.app.views.agent_editor import AgentEditor
from modeldesk.app.views.settings.models_tab import ModelsTab
from tests.app.helpers import show_active


def _require_xcb() -> None:
    problem = None
    if QGuiApplication.platformName() != "xcb":
        problem = f"needs QT_QPA_PLATFORM=xcb on Xvfb, running on '{QGuiApplication.platformName()}'"
    elif shutil.which("xdotool") is None:
        problem = "needs xdotool to turn the X pointer's wheel"
    if problem:
        if os.environ.get("CI"):
            pytest.fail(problem)
        pytest.skip(problem)


class WheelCounter(QObject):
    """Counts the wheel events that reach a widget (before any other filter sees them)."""

    def __init__(self) -> None:
        super().__init__()
        self.seen = 0

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        self.seen += event.type() == QEvent.Type.Wheel
        return False


def wheel_over(qtbot: Any, widget: QWidget, notches: int) -> None:
    """Put the pointer on the middle of ``widget`` and turn the wheel (negative: down).
    Fails unless the wheel events reached the widget: a test of what the widget does with
    the wheel proves nothing if the pointer was elsewhere."""
    qtbot.wait(200)  # let the window system settle where the window is before aiming
    centre = widget.mapToGlobal(QPoint(widget.width() // 2, widget.height() // 2))
    button = "5" if notches < 0 else "4"
    script = ["mousemove", str(centre.x()), str(centre.y()), "sleep", "0.2"]
    for _ in range(abs(notches)):
        script += ["click", button, "sleep", "0.05"]
    counter = WheelCounter()
    widget.installEventFilter(counter)  # installed last: it sees each event first
    try:
        subprocess.run(["xdotool", *script], env=os.environ.copy(), check=True, timeout=20)
        qtbot.wait(300)
    finally:
        widget.removeEventFilter(counter)
    # At least the first: once the form scrolls, the widget may move from under the pointer.
    assert counter.seen >= 1, "no wheel event reached the widget (the pointer was not over it)"


pytestmark = [pytest.mark.xcb]


def test_wheel_over_a_fallback_spin_box_scrolls_the_settings_instead(
    qtbot: Any, document: Document, config_file: Path
) -> None:
    _require_xcb()
    tab = show_active(qtbot, ModelsTab(document), (900, 500))
    box = tab.fallback_form.boxes["cooldown_s"]
    tab.ensureWidgetVisible(box)
    before_file = config_file.read_text()
    tab.verticalScrollBar().setValue(tab.verticalScrollBar().value() - 40)
    tab.ensureWidgetVisible(box, 0, 0)
    scrolled = tab.verticalScrollBar().value()
    wheel_over(qtbot, box, notches=2)
    assert box.value() == 60
    assert config_file.read_text() == before_file
    # The wheel went to the form: it scrolled on.
    assert tab.verticalScrollBar().value() != scrolled

    # Once the user has clicked or tabbed into the box, the wheel is theirs.
    tab.ensureWidgetVisible(box)
    box.setFocus()
    qtbot.waitUntil(box.hasFocus)
    wheel_over(qtbot, box, notches=-2)
    assert float(box.value()) < 60


def test_wheel_over_the_agent_editor_project_combo_changes_nothing(qtbot: Any, document: Document) -> None:
    _require_xcb()
    editor = show_active(qtbot, AgentEditor(document), (700, 500))
    editor.set_agent("analyst")
    combo = editor.project_combo
    editor.scroll_area.ensureWidgetVisible(combo)
    qtbot.waitUntil(lambda: not combo.visibleRegion().isEmpty())
    chosen = combo.currentIndex()
    wheel_over(qtbot, combo, notches=-1)
    wheel_over(qtbot, combo, notches=2)
    assert combo.currentIndex() == chosen
    analyst = document.config.agent("analyst")
    assert analyst is not None and analyst.project == "research"


def test_clicking_a_settings_section_then_scrolling_changes_no_setting(
    qtbot: Any, document: Document, config_file: Path
) -> None:
    """Clicking "Fallback" in the sidebar scrolls there but gives no spin box the focus,
    so the next turn of the wheel over the form scrolls it instead of changing Retries."""
    from PySide6.QtCore import Qt

    from modeldesk.app.views.settings.settings_page import SECTIONS, SettingsPage

    _require_xcb()
    page = show_active(qtbot, SettingsPage(document), (1000, 500))
    sidebar = page.sidebar
    row = [key for _label, key in SECTIONS].index("fallback")
    rect = sidebar.visualItemRect(sidebar.item(row))
    qtbot.mouseClick(sidebar.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    retries = page.models_tab.fallback_form.boxes["retries"]
    qtbot.waitUntil(lambda: not retries.visibleRegion().isEmpty())
    assert not retries.hasFocus()
    before, before_file = retries.value(), config_file.read_text()
    wheel_over(qtbot, retries, notches=-1)
    assert retries.value() == before
    assert config_file.read_text() == before_file
