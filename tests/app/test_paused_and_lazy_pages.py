"""The main window while the config file on disk is broken (editing pauses visibly, and
resumes after Reload), and pages built on first show that refresh only when seen."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt

from modeldesk.app.document import PAUSED, Document, wait_for_saves
from modeldesk.app.main_window import MainWindow
from modeldesk.core.edits import SetAgentModels, UpdateItem
from modeldesk.core.samples import sample_config
from modeldesk.core.store import config_text
from tests.app.helpers import show_active


def make_window(qtbot: Any, document: Document) -> MainWindow:
    return show_active(qtbot, MainWindow(document))


def test_a_file_broken_while_the_app_runs_pauses_editing_with_a_banner(
    qtbot: Any, document: Document, config_file: Path
) -> None:
    window = make_window(qtbot, document)
    document.perform(SetAgentModels("helper", ("o3-mini",)))
    wait_for_saves()
    assert not window.banner.isVisible()
    config_file.write_text('{"schema_version": 1,\n "agents": [}')
    assert window.check_external_change()
    # The banner stays: what is wrong and where, with the two ways on.
    assert window.banner.isVisible()
    assert "config.json cannot be read" in window.banner.title.text()
    assert "line 2, column" in window.banner.message.text()
    assert str(config_file) in window.banner.message.text()
    assert "broken-" in window.banner.message.text()  # where the copy was kept
    assert window.banner.message.textFormat() == Qt.TextFormat.PlainText
    assert window.banner.reload_button.isVisible() and window.banner.folder_button.isVisible()
    assert list(config_file.parent.glob("config.json.broken-*"))
    # The editors are read-only (the list stays browsable); undo would be an edit too.
    page = window.agents_page
    assert page.table.isEnabled() and page.filter_edit.isEnabled()
    assert not page.editor.name_edit.isEnabled()
    assert not page.add_button.isEnabled() and not page.remove_button.isEnabled()
    page.select_agent("analyst")
    assert page.editor.name_edit.text() == "Analyst" and not page.editor.name_edit.isEnabled()
    assert not page.remove_button.isEnabled()
    assert not window.undo_action.isEnabled()
    assert window.save_label.text() == PAUSED
    window.pages.setCurrentWidget(window.squads_page)  # a page built while paused
    assert not window.squads_page.isEnabled()
    assert window.agents_page.editor.name_edit.text()  # still readable
    # Reload while it is still broken: still paused.
    qtbot.mouseClick(window.banner.reload_button, Qt.MouseButton.LeftButton)
    assert window.banner.isVisible()
    # Fixed by hand, then Reload: editing resumes, the undo history is still there.
    config_file.write_text(config_text(sample_config()))
    qtbot.mouseClick(window.banner.reload_button, Qt.MouseButton.LeftButton)
    assert not window.banner.isVisible()
    assert page.editor.name_edit.isEnabled() and page.add_button.isEnabled() and window.squads_page.isEnabled()
    assert window.undo_action.isEnabled()
    assert window.save_label.text() == "Reloaded changes made outside ModelDesk"


def test_an_edit_that_meets_a_broken_file_is_withdrawn_before_the_users_eyes(
    qtbot: Any, document: Document, config_file: Path
) -> None:
    window = make_window(qtbot, document)
    name = document.config.agent("helper").name
    config_file.write_text("{ broken")  # not noticed yet: the watcher has not run
    document.perform(UpdateItem("agents", "helper", {"name": "Never saved"}))
    assert window.agents_page.model.index(window.agents_page.model.row_of("helper"), 0).data() == "Never saved"
    # The file watcher may notice the broken file before the save does (it then pauses
    # editing first); either way the save's own outcome is what the label ends on.
    qtbot.waitUntil(lambda: window.banner.isVisible() and not document.saving, timeout=10_000)
    assert window.save_label.text().startswith("Save failed") and "withdrawn" in window.save_label.text()
    # What is shown is the last good state again, and the step left the history.
    assert document.config.agent("helper").name == name
    assert window.agents_page.model.index(window.agents_page.model.row_of("helper"), 0).data() == name
    assert not document.undo_stack.canUndo()
    assert config_file.read_text() == "{ broken"


def test_pages_are_built_on_first_show(qtbot: Any, document: Document) -> None:
    window = make_window(qtbot, document)
    assert window.is_built("agents")
    assert not any(window.is_built(key) for key in ("squads", "projects", "history", "settings", "health", "serve"))
    window.pages.setCurrentIndex(1)
    assert window.is_built("squads") and window.pages.currentWidget() is window.squads_page
    assert window.squads_page.isVisible()
    assert not window.is_built("settings")
    window.open_settings()  # asking for a page builds it too
    assert window.pages.currentWidget() is window.settings_page


def test_a_hidden_page_refreshes_when_shown_again(qtbot: Any, document: Document) -> None:
    window = make_window(qtbot, document)
    window.pages.setCurrentWidget(window.squads_page)
    squads = window.squads_page
    window.pages.setCurrentWidget(window.agents_page)
    rows_before = squads.squads_model.rowCount()
    for n in range(5):
        document.perform(UpdateItem("squads", "research-team", {"name": f"Research {n}"}))
    names = [squads.squads_model.row_value(r).name for r in range(rows_before)]
    assert "Research 4" not in names  # hidden: not rebuilt after each edit
    window.pages.setCurrentWidget(squads)
    names = [squads.squads_model.row_value(r).name for r in range(squads.squads_model.rowCount())]
    assert "Research 4" in names
