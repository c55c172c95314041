"""The test-run panel treats a provider's text as data (an HTML error body is shown as
written, never rendered), and its "Run on" field completes without a popup that would
cover the Run button and reopen on every key."""

# ruff: noqa: F811  (the imported fixtures are test parameters)

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from modeldesk.app.views.test_run_panel import TestRunPanel

# The panel's fixtures are shared with its main test file; pytest passes them in by name.
from tests.app.test_test_run_panel import panel, run, run_document  # noqa: F401
from tests.support.scripted_server import ScriptedServer, status

HOSTILE = '<b>bold</b> <img src="http://127.0.0.1:9/pixel.png"> <a href="http://127.0.0.1:9/">click here</a>'


def test_html_in_a_provider_error_is_shown_as_plain_text(
    qtbot: Any, panel: TestRunPanel, scripted_server: ScriptedServer
) -> None:
    scripted_server.script("gpt-a", status(400, HOSTILE))
    result = run(qtbot, panel)
    assert result.error is not None
    shown = panel.result_label.text()
    assert "<b>bold</b>" in shown and "<img " in shown and "<a href=" in shown
    # Shown as the characters the server sent: no bold, no image, no link.
    assert panel.result_label.textFormat() == Qt.TextFormat.PlainText
    assert not panel.result_label.openExternalLinks()


def test_run_on_completes_in_the_field_without_covering_the_run_button(qtbot: Any, panel: TestRunPanel) -> None:
    panel.activateWindow()
    qtbot.waitUntil(panel.isActiveWindow)
    line = panel.call_combo.lineEdit()
    assert line is not None
    line.setFocus()
    qtbot.waitUntil(line.hasFocus)
    for key in "pri":
        qtbot.keyClicks(line, key)
        # No popup over the panel after any key.
        assert QApplication.activePopupWidget() is None
        completer = panel.call_combo.completer()
        popup = completer.popup() if completer is not None else None
        assert popup is None or not popup.isVisible()
    # The rest of the id is completed in place (selected, so typing on replaces it).
    assert line.text() == "primary" and line.selectedText() == "mary"
    qtbot.keyClick(line, Qt.Key.Key_End)
    assert panel.call_combo.model_id() == "primary"
    assert panel.run_button.isVisible() and panel.run_button.isEnabled()
