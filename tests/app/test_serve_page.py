"""The Serve page against real gateway processes: started and stopped from the page (on a
worker, the window stays responsive), found when started from the command line, still
serving after the window closed; its recent requests and the History page show the
client that sent each request; its setup lines name the running gateway's URL."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication

from modeldesk.app.document import Document
from modeldesk.app.main_window import MainWindow
from modeldesk.app.models.runs_model import ServeRequestsModel
from modeldesk.app.views.history_page import HistoryPage
from modeldesk.app.views.serve_controller import ServeController
from modeldesk.app.views.serve_page import ServePage
from modeldesk.core.store import ConfigStore, config_text
from modeldesk.runtime.serve_control import stop_gateway
from modeldesk.runtime.serve_status import pid_alive, read_status, status_path
from tests.app.helpers import show_active
from tests.app.test_test_run_panel import scripted_config
from tests.serve.gateway_process import GatewayProcess
from tests.support.scripted_server import ScriptedServer, ok

# A gateway starts in about a second here; the bound is for a broken one.
START_WAIT_MS = 30_000
LEFT = Qt.MouseButton.LeftButton


@pytest.fixture
def serve_document(qtbot: Any, tmp_path: Path, scripted_server: ScriptedServer) -> Iterator[Document]:
    store = ConfigStore(tmp_path / "config.json")
    store.save(scripted_config(scripted_server))
    document = Document(store)
    yield document
    # Whatever a test left running is stopped here, never left behind.
    stop_gateway(store.path)
    document.shutdown()
    document.undo_stack.clear()
    document.deleteLater()


@pytest.fixture
def page(qtbot: Any, serve_document: Document) -> ServePage:
    # A controller of its own per test (the app shares one per config file).
    controller = ServeController(serve_document.store.path)
    widget = show_active(qtbot, ServePage(serve_document, controller=controller), (1200, 760))
    widget.port_spin.setValue(0)  # any free port
    return widget


def wait_running(qtbot: Any, page: ServePage) -> None:
    qtbot.waitUntil(lambda: page.status is not None and page.start_button.isEnabled() is False, timeout=START_WAIT_MS)


def wait_stopped(qtbot: Any, page: ServePage) -> None:
    qtbot.waitUntil(lambda: page.status is None and page.start_button.isEnabled(), timeout=START_WAIT_MS)


def test_start_use_and_stop_the_gateway_from_the_page(
    qtbot: Any, page: ServePage, serve_document: Document, scripted_server: ScriptedServer
) -> None:
    assert page.state_label.text() in ("Stopped", "Starting…") or page.status is None
    assert not page.stop_button.isEnabled()
    qtbot.mouseClick(page.start_button, LEFT)
    # The click returns at once: the start runs on the worker.
    assert page.state_label.text() == "Starting…"
    wait_running(qtbot, page)
    status = page.status
    assert status is not None and pid_alive(status.pid)
    assert page.state_label.text() == f"Running at {status.url}"
    assert status.url.startswith("http://127.0.0.1:") and status.port > 0
    assert page.stop_button.isEnabled() and not page.port_spin.isEnabled()

    # A real request from a client that names itself.
    scripted_server.script("gpt-a", ok("Served through the gateway."))
    reply = httpx.post(
        f"{status.url}/v1/chat/completions",
        json={"model": "tester", "messages": [{"role": "user", "content": "Hi"}]},
        headers={"User-Agent": "probe-client/1.0 (tests)"},
        timeout=30,
    )
    assert reply.status_code == 200, reply.text
    assert reply.json()["choices"][0]["message"]["content"] == "Served through the gateway."

    def request_shown() -> bool:
        page.controller.poll()
        return page.requests_model.rowCount() == 1

    qtbot.waitUntil(request_shown, timeout=10_000)
    model = page.requests_model
    assert model.index(0, ServeRequestsModel.CLIENT).data() == "probe-client/1.0"
    assert model.index(0, ServeRequestsModel.AGENT).data() == "tester"
    assert model.index(0, ServeRequestsModel.ANSWERED).data() == "primary"
    assert model.index(0, ServeRequestsModel.CLIENT).data(Qt.ItemDataRole.ToolTipRole) == "probe-client/1.0 (tests)"

    # The History page shows it too, with its client.
    history = HistoryPage(serve_document)
    qtbot.addWidget(history)
    history.refresh()
    assert history.runs_model.index(0, history.runs_model.ORIGIN).data() == "probe-client/1.0"
    assert "gateway request from probe-client/1.0 (tests)" in history.summary_label.text()

    # Setup lines name the running gateway and the chosen agent; Copy copies them.
    page.tool_combo.setCurrentIndex(page.tool_combo.findData("claude-code"))
    page.set_agent("tester")
    text = page.setup_edit.toPlainText()
    assert f"export ANTHROPIC_BASE_URL={status.url}" in text and "claude --model tester" in text
    qtbot.mouseClick(page.copy_setup_button, LEFT)
    assert QGuiApplication.clipboard().text() == text
    qtbot.mouseClick(page.copy_url_button, LEFT)
    assert QGuiApplication.clipboard().text() == status.url

    qtbot.mouseClick(page.stop_button, LEFT)
    assert page.state_label.text() == "Stopping…"
    wait_stopped(qtbot, page)
    assert page.state_label.text() == "Stopped"
    assert not pid_alive(status.pid)
    assert not status_path(serve_document.store.path).exists()


def test_a_gateway_started_from_the_command_line_shows_and_stops(
    qtbot: Any, page: ServePage, serve_document: Document
) -> None:
    gateway = GatewayProcess(serve_document.store.path).start()
    try:
        page.controller.poll()
        wait_running(qtbot, page)
        assert gateway.process is not None
        assert page.status is not None and page.status.url == gateway.url
        assert page.status.pid == gateway.process.pid
        qtbot.mouseClick(page.stop_button, LEFT)
        wait_stopped(qtbot, page)
        assert gateway.process.wait(timeout=30) == 0  # a clean exit
    finally:
        gateway.stop()


def test_the_gateway_outlives_the_window(qtbot: Any, serve_document: Document) -> None:
    window = show_active(qtbot, MainWindow(serve_document))
    window.pages.setCurrentWidget(window.serve_page)
    serve = window.serve_page
    serve.port_spin.setValue(0)
    qtbot.mouseClick(serve.start_button, LEFT)
    wait_running(qtbot, serve)
    status = serve.status
    assert status is not None
    # Its own session: a signal to the app's process group (Ctrl+C in the terminal that
    # started the app) does not reach it.
    assert os.getsid(status.pid) != os.getsid(0)
    window.close()
    assert pid_alive(status.pid)
    running = read_status(serve_document.store.path)
    assert running is not None and running.pid == status.pid
    httpx.get(f"{status.url}/v1/models", timeout=10).raise_for_status()
    stopped = stop_gateway(serve_document.store.path)
    assert stopped is not None and stopped.pid == status.pid and not pid_alive(status.pid)


def test_a_start_that_fails_says_why(qtbot: Any, page: ServePage, serve_document: Document) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        page.port_spin.setValue(port)
        qtbot.mouseClick(page.start_button, LEFT)
        qtbot.waitUntil(page.message_label.isVisible, timeout=START_WAIT_MS)
    message = page.message_label.text()
    assert message.startswith("The gateway did not start")
    assert str(port) in message or "in use" in message.lower(), message
    wait_stopped(qtbot, page)
    assert page.state_label.text() == "Stopped"
    assert read_status(serve_document.store.path) is None


def test_setup_lines_follow_the_agent_typed_and_the_token_file(qtbot: Any, page: ServePage, tmp_path: Path) -> None:
    # No gateway runs: the lines name the URL the options would give.
    page.tool_combo.setCurrentIndex(page.tool_combo.findData("aider"))
    line_edit = page.agent_combo.lineEdit()
    assert line_edit is not None
    line_edit.clear()
    assert "Pick or type an agent" in page.setup_edit.toPlainText()
    assert not page.copy_setup_button.isEnabled()
    qtbot.keyClicks(line_edit, "tester")
    text = page.setup_edit.toPlainText()
    assert text.splitlines()[-1] == "aider --model openai/tester"
    assert "export OPENAI_API_BASE=http://127.0.0.1:PORT/v1" in text  # any free port: known once running
    page.port_spin.setValue(9123)
    page.host_edit.setText("::1")
    assert "export OPENAI_API_BASE='http://[::1]:9123/v1'" in page.setup_edit.toPlainText()
    token = tmp_path / "token"
    token.write_text("never-shown-token")
    page.token_edit.setText(str(token))
    page.token_edit.editingFinished.emit()
    text = page.setup_edit.toPlainText()
    assert f'export MODELDESK_TOKEN="$(cat {token})"' in text and "never-shown" not in text


def test_an_alias_added_on_the_page_answers_the_next_request(
    qtbot: Any, page: ServePage, serve_document: Document, scripted_server: ScriptedServer
) -> None:
    aliases = page.aliases_box
    qtbot.mouseClick(page.start_button, LEFT)
    wait_running(qtbot, page)
    assert page.status is not None
    url = page.status.url
    haiku = {"model": "claude-haiku-4-5-20251001", "max_tokens": 50, "messages": [{"role": "user", "content": "Hi"}]}
    headers = {"anthropic-version": "2023-06-01"}
    assert httpx.post(f"{url}/v1/messages", json=haiku, headers=headers, timeout=30).status_code == 404

    qtbot.keyClicks(aliases.pattern_edit, "claude-*haiku*")
    aliases.agent_combo.setEditText("tester")
    qtbot.mouseClick(aliases.add_button, LEFT)
    assert serve_document.config.settings.serve.aliases == {"claude-*haiku*": "tester"}
    assert aliases.model.rowCount() == 1 and aliases.pattern_edit.text() == ""
    serve_document.wait_saved()
    on_disk = ConfigStore(serve_document.store.path).load()
    assert on_disk.settings.serve.aliases == {"claude-*haiku*": "tester"}

    # The running gateway reads the edit for its next request: no restart.
    scripted_server.script("gpt-a", ok("A haiku, from the tester's model."))
    reply = httpx.post(f"{url}/v1/messages", json=haiku, headers=headers, timeout=30)
    assert reply.status_code == 200, reply.text
    assert reply.headers["x-modeldesk-agent"] == "tester"
    assert reply.json()["content"][0]["text"] == "A haiku, from the tester's model."

    # An alias to an agent that does not exist is kept, in red; Delete removes the
    # selected alias; Undo brings it back.
    qtbot.keyClicks(aliases.pattern_edit, "gpt-*")
    aliases.agent_combo.setEditText("nobody")
    qtbot.keyClick(aliases.pattern_edit, Qt.Key.Key_Return)
    assert list(serve_document.config.settings.serve.aliases.items()) == [
        ("claude-*haiku*", "tester"),
        ("gpt-*", "nobody"),
    ]
    unknown = aliases.model.index(1, aliases.model.AGENT)
    assert unknown.data(Qt.ItemDataRole.ForegroundRole) is not None
    assert "no agent 'nobody'" in unknown.data(Qt.ItemDataRole.ToolTipRole)
    aliases.table.setFocus()
    aliases.table.selectRow(1)
    qtbot.keyClick(aliases.table, Qt.Key.Key_Delete)
    assert serve_document.config.settings.serve.aliases == {"claude-*haiku*": "tester"}
    serve_document.undo_stack.undo()
    assert "gpt-*" in serve_document.config.settings.serve.aliases
    qtbot.waitUntil(lambda: aliases.model.rowCount() == 2)


def test_aliases_take_no_edit_while_the_file_is_broken(
    qtbot: Any, serve_document: Document, scripted_server: ScriptedServer
) -> None:
    window = show_active(qtbot, MainWindow(serve_document))
    window.pages.setCurrentWidget(window.serve_page)
    aliases = window.serve_page.aliases_box
    assert aliases.add_button.isEnabled()
    serve_document.store.path.write_text('{"schema_version": 1,\n "agents": [}')
    assert window.check_external_change()
    # Start and Stop stay (they edit nothing); the aliases are part of the file, so they wait.
    assert window.serve_page.isEnabled() and window.serve_page.start_button.isEnabled()
    assert not aliases.add_button.isEnabled() and not aliases.pattern_edit.isEnabled()
    serve_document.store.path.write_text(config_text(scripted_config(scripted_server)))  # fixed by hand
    qtbot.mouseClick(window.banner.reload_button, LEFT)
    assert aliases.add_button.isEnabled()


def test_agent_list_follows_agent_edits_not_settings_edits(page: ServePage, serve_document: Document) -> None:
    from PySide6.QtTest import QSignalSpy

    from modeldesk.core.edits import SetSetting, UpdateItem

    refills = QSignalSpy(page.agent_combo.model().modelReset)
    serve_document.perform(SetSetting(("fallback", "retries"), 4))
    assert refills.count() == 0
    agent = serve_document.config.agents[0]
    serve_document.perform(UpdateItem("agents", agent.id, {"name": "Renamed agent"}))
    assert refills.count() == 1


def test_the_gateway_form_keeps_its_height_in_a_1024_by_700_window(qtbot: Any, serve_document: Document) -> None:
    """The splitter gave the form's rows less than they need: the port box showed its
    number cut in half and the token field was squashed."""
    window = show_active(qtbot, MainWindow(serve_document), (1024, 700))
    window.pages.setCurrentWidget(window.serve_page)
    serve = window.serve_page
    fields = (serve.host_edit, serve.port_spin, serve.token_edit, serve.start_button)

    def short() -> list[str]:
        return [f.objectName() or type(f).__name__ for f in fields if f.height() < f.sizeHint().height()]

    # Once laid out (a wrapped label's height settles a turn after it is first shown).
    qtbot.waitUntil(lambda: serve.port_spin.isVisible() and not short(), timeout=2000)
    # The recent requests below still show a few rows.
    assert serve.requests_view.height() >= 100
    window.close()


def test_problem_lines_take_the_new_theme_colour(qtbot: Any, serve_document: Document) -> None:
    """The page's problem lines were coloured once, when built: after Dark then Light they
    kept the dark theme's pale red on a white window."""
    from modeldesk.app.colours import problem_colour
    from modeldesk.app.views.app_menus import apply_theme

    apply_theme("Dark")
    try:
        controller = ServeController(serve_document.store.path)
        page = show_active(qtbot, ServePage(serve_document, controller=controller), (1200, 760))
        lines = (page.message_label, page.aliases_box.error_label)
        assert all(problem_colour().name() in line.styleSheet() for line in lines)
        apply_theme("Light")
        assert all(problem_colour().name() in line.styleSheet() for line in lines)
    finally:
        apply_theme("System")
