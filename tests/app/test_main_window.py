"""The main window: pages, Edit → Undo/Redo with the standard shortcuts, the status bar,
"Open settings" links, and changes made to the file by another process."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence

from modeldesk.app.document import Document, wait_for_saves
from modeldesk.app.main_window import MainWindow
from modeldesk.core.edits import PutItem, SetAgentModels, UpdateItem
from modeldesk.core.schema import Provider
from tests.app.helpers import show_active
from tests.support.scripted_server import ScriptedServer, hang


@pytest.fixture
def window(qtbot: Any, document: Document) -> MainWindow:
    return show_active(qtbot, MainWindow(document))


def test_pages_and_status_bar(window: MainWindow, config_file: Path) -> None:
    assert [window.pages.tabText(i).replace("&", "") for i in range(window.pages.count())] == [
        "Agents",
        "Squads",
        "Projects",
        "History",
        "Settings",
        "Health",
        "Serve",
    ]
    assert window.path_label.text() == str(config_file)
    assert window.save_label.text() == "Saved"
    assert window.settings_page.tabs.tabText(0) == "Models"


def test_undo_redo_actions_and_shortcuts(qtbot: Any, window: MainWindow, document: Document) -> None:
    assert window.undo_action.shortcut() == QKeySequence(QKeySequence.StandardKey.Undo)
    assert not window.undo_action.isEnabled()
    document.perform(SetAgentModels("helper", ("o3-mini",)))
    assert window.undo_action.isEnabled()
    assert window.undo_action.text() == "&Undo Set models of General helper"
    window.agents_page.table.setFocus()
    qtbot.keyClick(window.agents_page.table, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert document.config.agent("helper").model is None
    qtbot.keyClick(
        window.agents_page.table, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    )
    assert document.config.agent("helper").model == "o3-mini"
    window.undo_action.trigger()
    assert document.config.agent("helper").model is None


def test_open_settings_link_switches_to_models_and_focuses_the_field(qtbot: Any, window: MainWindow) -> None:
    page = window.agents_page
    page.select_agent("researcher")
    hint = page.editor.models_editor.hint_label
    assert hint.isVisible()
    hint.linkActivated.emit("open-settings")
    assert window.pages.currentWidget() is window.settings_page
    tab = window.settings_page.models_tab
    assert window.settings_page.tabs.currentWidget() is tab
    qtbot.waitUntil(tab.default_editor.view.hasFocus)


def test_save_state_follows_the_document(qtbot: Any, window: MainWindow, document: Document, config_file: Path) -> None:
    config_file.write_text("{ broken")
    states: list[str] = []
    document.save_state_changed.connect(states.append)
    document.perform(SetAgentModels("helper", ("o3-mini",)))
    assert window.save_label.text() == "Saving…"
    # The file watcher may pause editing just after the failure is shown, so the label's
    # history is what is checked, not its last text.
    qtbot.waitUntil(lambda: any(state.startswith("Save failed") for state in states), timeout=10_000)
    wait_for_saves()  # saves run in a worker thread
    assert config_file.read_text() == "{ broken"


def test_the_save_state_shows_a_files_text_as_text(qtbot: Any, window: MainWindow, document: Document) -> None:
    """A save failure quotes the file's error; markup in it is shown, never rendered."""
    document.save_state_changed.emit("Save failed: <b>bold</b> <a href='x'>link</a>")
    label = window.save_label
    assert label.textFormat() == Qt.TextFormat.PlainText
    assert label.text() == "Save failed: <b>bold</b> <a href='x'>link</a>"


def _fully_shown(label: Any) -> bool:
    return (
        label.isVisible() and label.width() >= label.sizeHint().width() and label.height() >= label.sizeHint().height()
    )


@pytest.mark.parametrize("theme", ["Light", "Dark"])
def test_the_save_state_changes_without_laying_out_the_status_bar_and_fits(
    qtbot: Any, window: MainWindow, document: Document, theme: str
) -> None:
    """Each edit shows "Saving…" then "Saved": a label free to change size asked the status
    bar (and the window) to lay out again both times, inside the GUI thread's block per edit."""
    from PySide6.QtCore import QEvent, QObject

    from modeldesk.app.views.app_menus import apply_theme

    class LayoutRequests(QObject):
        count = 0

        def eventFilter(self, watched: QObject, event: QEvent) -> bool:
            if event.type() == QEvent.Type.LayoutRequest:
                self.count += 1
            return False

    apply_theme(theme)
    try:
        label = window.save_label
        qtbot.waitUntil(lambda: label.text() == "Saved")
        requests = LayoutRequests()
        window.statusBar().installEventFilter(requests)
        window.installEventFilter(requests)
        qtbot.wait(50)  # layout requests of the theme change are done
        requests.count = 0
        for _ in range(3):
            document.perform(SetAgentModels("helper", ("o3-mini",)))
            assert label.text() == "Saving…" and _fully_shown(label)
            qtbot.waitUntil(lambda: label.text() == "Saved")
            assert _fully_shown(label)
            document.undo_stack.undo()
            qtbot.waitUntil(lambda: label.text() == "Saved")
        qtbot.wait(50)  # a posted LayoutRequest would arrive by now
        assert requests.count == 0
        # A text longer than the usual ones widens the label rather than being clipped.
        label.setText("Saved (with changes made outside ModelDesk)")
        qtbot.waitUntil(lambda: _fully_shown(label))
        window.statusBar().removeEventFilter(requests)
        window.removeEventFilter(requests)
    finally:
        apply_theme("System")
    qtbot.waitUntil(lambda: _fully_shown(window.save_label))


def test_the_save_state_label_fits_its_texts_after_a_font_change(qtbot: Any, window: MainWindow) -> None:
    from PySide6.QtGui import QFont

    label = window.save_label
    qtbot.waitUntil(lambda: label.text() == "Saved")
    font = QFont(label.font())
    font.setPointSizeF(font.pointSizeF() * 2)
    label.setFont(font)
    for text in ("Saving…", "Saved"):
        label.setText(text)
        qtbot.waitUntil(lambda: _fully_shown(label))


def test_external_cli_edit_is_picked_up_and_both_sides_kept(
    qtbot: Any, window: MainWindow, document: Document, config_file: Path
) -> None:
    # The app's edit is saved at once; then the CLI edits the file in another process.
    document.perform(SetAgentModels("helper", ("o3-mini",)))
    subprocess.run(
        [
            sys.executable,
            "-m",
            "modeldesk",
            "--config",
            str(config_file),
            "agents",
            "add",
            "scout",
            "--name",
            "Scout",
            "--model",
            "gpt-4o",
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    # The file watcher (or the poll) notices and the window adopts the file.
    qtbot.waitUntil(lambda: document.config.agent("scout") is not None, timeout=8000)
    assert window.save_label.text() == "Reloaded changes made outside ModelDesk"
    assert document.config.agent("helper").model == "o3-mini"
    assert window.agents_page.model.row_of("scout") >= 0
    # The app edits on: both sides' changes stay in the file.
    document.perform(UpdateItem("agents", "scout", {"name": "Scout 2"}))
    wait_for_saves()  # saves run in a worker thread
    agents = {a["id"]: a for a in json.loads(config_file.read_text())["agents"]}
    assert agents["scout"]["name"] == "Scout 2"
    assert agents["helper"]["model"] == "o3-mini"
    # The app's earlier step can still be undone without touching the CLI's agent.
    document.undo_stack.undo()
    document.undo_stack.undo()
    wait_for_saves()  # saves run in a worker thread
    agents = {a["id"]: a for a in json.loads(config_file.read_text())["agents"]}
    assert "model" not in agents["helper"]
    assert agents["scout"]["name"] == "Scout"


def test_reload_action_adopts_a_hand_edit(
    qtbot: Any, window: MainWindow, document: Document, config_file: Path
) -> None:
    data = json.loads(config_file.read_text())
    data["agents"][0]["name"] = "Edited by hand"
    config_file.write_text(json.dumps(data, indent=2))
    window.reload_action.trigger()
    assert document.config.agents[0].name == "Edited by hand"
    assert window.agents_page.editor.name_edit.text() == "Edited by hand"  # the first agent is selected


def test_text_being_typed_survives_an_external_change(
    qtbot: Any, window: MainWindow, document: Document, config_file: Path
) -> None:
    """Unsaved typing (an instruction not yet committed) is kept when the file is reloaded,
    then saved on top of the other program's change."""
    page = window.agents_page
    page.select_agent("helper")
    box = page.editor.instruction_edit
    box.setFocus()
    qtbot.waitUntil(box.hasFocus)
    box.selectAll()
    qtbot.keyClicks(box, "Typed while the CLI works.")
    subprocess.run(
        [sys.executable, "-m", "modeldesk", "--config", str(config_file), "agents", "add", "scout", "--name", "Scout"],
        check=True,
        capture_output=True,
        timeout=60,
    )
    assert window.check_external_change()
    assert document.config.agent("scout") is not None
    assert box.toPlainText() == "Typed while the CLI works."  # not replaced by the reload
    page.editor.name_edit.setFocus()  # focus leaves: the instruction is committed
    qtbot.waitUntil(lambda: document.config.agent("helper").instruction == "Typed while the CLI works.")
    wait_for_saves()  # saves run in a worker thread
    agents = {a["id"]: a for a in json.loads(config_file.read_text())["agents"]}
    assert agents["helper"]["instruction"] == "Typed while the CLI works."
    assert "scout" in agents


def test_closing_the_window_cancels_a_provider_check_still_waiting(
    qtbot: Any,
    window: MainWindow,
    document: Document,
    scripted_server: ScriptedServer,
    qasync_loop: Any,
) -> None:
    scripted_server.script_models(hang())
    document.perform(PutItem("providers", Provider(id="lab", kind="openai", base_url=scripted_server.openai_url)))
    providers = window.settings_page.models_tab.providers
    providers.select("lab")
    qtbot.mouseClick(providers.check_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(scripted_server.requests) == 1, timeout=10_000)
    [task] = providers._tasks
    finished: list[object] = []
    providers.check_finished.connect(lambda *args: finished.append(args))

    window.close()

    qtbot.waitUntil(task.done, timeout=10_000)
    assert task.cancelled()
    assert finished == []  # it never reported, nor touched the table, after the close
    assert providers.model.status["lab"] == "Checking…"


def test_the_first_frame_has_no_document_and_editing_waits_for_it(qtbot: Any, store: Any, config_file: Path) -> None:
    """``MainWindow(path=...)`` is the window before its config is read: menus, tabs and a
    status line saying which file is being opened, with nothing that edits enabled; a tab
    chosen meanwhile is built once ``set_document`` gives it the document."""
    window = show_active(qtbot, MainWindow(path=config_file))
    assert not window.is_loaded
    assert window.windowTitle() == "config.json — ModelDesk"
    assert window.save_label.text() == "Opening config.json…"
    assert [window.pages.tabText(i).replace("&", "") for i in range(window.pages.count())][:2] == ["Agents", "Squads"]
    menus = [action.text().replace("&", "") for action in window.menuBar().actions()]
    assert menus == ["File", "Edit", "Go", "View", "Help"]
    for action in (window.reload_action, window.import_action, window.export_action, window.undo_action):
        assert not action.isEnabled()
    assert not window.new_agent_action.isEnabled() and not window.find_action.isEnabled()
    window.pages.setCurrentIndex(4)  # Settings, before the document is there: not built yet
    assert not window.is_built("settings")
    with pytest.raises(RuntimeError):
        window.page("settings")

    document = Document(store)
    loaded: list[bool] = []
    window.loaded.connect(lambda: loaded.append(True))
    window.set_document(document)
    assert loaded == [True] and window.is_loaded
    assert window.save_label.text() == "Saved"
    assert window.agents_page.proxy.rowCount() == len(document.config.agents)
    assert window.pages.currentWidget() is window.settings_page  # the tab chosen meanwhile
    assert window.new_agent_action.isEnabled() and window.import_action.isEnabled()
    window.pages.setCurrentWidget(window.agents_page)
    document.perform(SetAgentModels("helper", ("o3-mini",)))
    assert window.undo_action.isEnabled()
    window.undo_action.trigger()
    assert document.config.agent("helper").model is None
    window.close()
    document.shutdown()
