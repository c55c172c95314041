"""Save PNG screenshots of each page and dialog with the sample workspace.

    python scripts/screenshots.py [--out docs/screenshots] [--offscreen]

Runs on the current DISPLAY (e.g. under ``xvfb-run -a -s "-screen 0 1400x900x24"``) or,
with ``--offscreen`` or no DISPLAY, on Qt's offscreen platform. The config lives in a
temporary folder; nothing of the user's is read or written.

The dialogs and panels are filled the way a user fills them (radio buttons, combos,
typing, the Run button), so each picture shows its feature at work:

* ``bulk-change``: squad "Research team", replace the retired ``claude-3-haiku`` with
  ``claude-haiku-4``; the preview lists each member before -> after (unchanged ones dimmed).
* ``history``: runs seeded by :func:`seed_history` into a temporary run history (the
  user's own history is never read or written), the selected one having fallen back.
* ``agents-test-run``: a real run of the Analyst against the scripted OpenAI/Anthropic
  server of ``tests/support/scripted_server.py`` on 127.0.0.1: its primary answers 503
  until its retries are spent, the run falls back and the fallback streams the answer.
  That run uses a copy of the sample workspace whose providers all point at the scripted
  server, so nothing ever leaves 127.0.0.1; the other pictures show the sample as it is.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "desktop"))
sys.path.insert(0, str(ROOT))  # tests.support.scripted_server, for the test-run picture

LOCAL_PREFIX = "http://127.0.0.1:"
TEST_RUN_AGENT = "analyst"  # claude-sonnet-4 first, gpt-4o as its fallback
TEST_RUN_PROMPT = "Summarise last quarter's churn figures in one sentence."
TEST_RUN_ANSWER = "Churn fell from 4.1% to 3.2% last quarter, driven mostly by fewer cancellations among annual plans."


def wait_until(app: Any, done: Callable[[], bool], timeout_s: float) -> bool:
    """Process Qt events (and with them the qasync loop's callbacks and sockets) until
    ``done()`` or the timeout; returns ``done()``."""
    from PySide6.QtCore import QEventLoop

    deadline = time.monotonic() + timeout_s
    while not done() and time.monotonic() < deadline:
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
        time.sleep(0.005)
    return done()


def test_run_config(server: Any) -> Any:
    """The sample workspace with every provider pointed at the scripted server (no keys:
    it checks none), and quick fallback settings for the agent the picture runs."""
    from modeldesk.core.samples import sample_config
    from modeldesk.core.schema import FallbackOverride

    config = sample_config()
    for provider in config.providers:
        provider.base_url = server.anthropic_url if provider.kind == "anthropic" else server.openai_url
        provider.api_key = None
    agent = config.agent(TEST_RUN_AGENT)
    assert agent is not None
    agent.fallback = FallbackOverride(retries=1, backoff_base_s=0.3, backoff_max_s=0.3, jitter=0, cooldown_s=0)
    return config


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--offscreen", action="store_true", help="use Qt's offscreen platform")
    args = parser.parse_args(argv)
    if args.offscreen or not os.environ.get("DISPLAY"):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    workdir = Path(tempfile.mkdtemp(prefix="modeldesk-shots-"))
    # Keep the user's policy and keyring out of the pictures.
    os.environ["MODELDESK_POLICY"] = str(workdir / "no-policy.json")
    os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.null.Keyring"
    # The theme choice (QSettings) and the log file stay in the temporary folder too.
    os.environ["XDG_CONFIG_HOME"] = str(workdir / "xdg-config")
    os.environ["MODELDESK_LOG_DIR"] = str(workdir / "log")
    # The pictures' runs go to a history of their own, never the user's.
    os.environ["MODELDESK_HISTORY"] = str(workdir / "history.sqlite3")
    seed_history()

    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication, QDialog, QWidget

    from modeldesk.app.application import make_application
    from modeldesk.app.document import Document
    from modeldesk.app.main_window import MainWindow
    from modeldesk.app.widgets.model_picker import ModelPickerDialog
    from modeldesk.core.samples import sample_config
    from modeldesk.core.store import ConfigStore

    app = make_application([sys.argv[0]])
    store = ConfigStore(workdir / "config.json")
    store.save(sample_config())
    document = Document(store)
    window = MainWindow(document)
    window.resize(1360, 860)
    window.show()
    args.out.mkdir(parents=True, exist_ok=True)

    def settle() -> None:
        for _ in range(5):
            app.processEvents()

    def shoot(name: str, widget: QWidget) -> None:
        settle()
        path = args.out / f"{name}.png"
        widget.grab().save(str(path))
        print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)

    def dialog_shot(name: str, make: Callable[[], QDialog], prepare: Callable[[QDialog], None] | None = None) -> None:
        dialog = make()
        dialog.show()
        if prepare:
            prepare(dialog)
        shoot(name, dialog)
        dialog.reject()
        dialog.deleteLater()

    page = window.agents_page
    page.select_agent("fact-checker")
    page.tabs.setCurrentWidget(page.editor)
    shoot("agents-editor", window)
    page.select_agent("researcher")
    shoot("agents-editor-inherits", window)
    page.select_agent("analyst")
    page.tabs.setCurrentWidget(page.resolution)
    shoot("agents-resolution", window)
    page.tabs.setCurrentWidget(page.editor)

    window.pages.setCurrentWidget(window.squads_page)
    shoot("squads", window)

    window.pages.setCurrentWidget(window.projects_page)
    window.projects_page.select_project("research")
    window.projects_page.models_editor.select_row(0)
    shoot("projects", window)

    window.pages.setCurrentWidget(window.history_page)
    window.history_page.select_row(1)
    shoot("history", window)

    try:
        from modeldesk.app.views.dialogs.bulk_change_dialog import BulkChangeDialog
        from modeldesk.core.bulk import SquadScope

        def fill_bulk_change(dialog: QDialog) -> None:
            # As a user would: squad "Research team", "Replace a model", then the retired
            # claude-3-haiku (a member still lists it) and its successor typed into the combos.
            # No model is listed by several members in the sample, so one of three changes.
            assert isinstance(dialog, BulkChangeDialog)
            dialog.squad_combo.setCurrentIndex(dialog.squad_combo.findData("research-team"))
            QTest.mouseClick(dialog.squad_radio, Qt.MouseButton.LeftButton)
            QTest.mouseClick(dialog.replace_radio, Qt.MouseButton.LeftButton)
            for combo, model_id in ((dialog.replace_old, "claude-3-haiku"), (dialog.replace_new, "claude-haiku-4")):
                assert combo.findData(model_id) >= 0, f"{model_id} is not offered"
                combo.lineEdit().setFocus()
                QTest.keyClicks(combo.lineEdit(), model_id)
                combo.completer().popup().hide()  # the typed id is complete; close the suggestions
            settle()
            dialog.update_preview()  # the preview waits for typing to pause: plan it now
            rows = [(c.agent_id, c.changed) for c in dialog.plan()]
            assert any(changed for _, changed in rows) and not all(changed for _, changed in rows), rows
            assert dialog.apply_button.isEnabled(), dialog.summary_label.text()

        dialog_shot(
            "bulk-change", lambda: BulkChangeDialog(document, SquadScope("research-team"), window), fill_bulk_change
        )
    except ImportError:
        print("bulk change dialog not available; skipped")

    window.open_settings("default_agent_model")
    shoot("settings-models", window)
    window.settings_page.models_tab.focus_field("providers")
    shoot("settings-models-providers", window)

    def type_filter(dialog: QDialog) -> None:
        assert isinstance(dialog, ModelPickerDialog)
        dialog.filter_edit.setText("claude")

    dialog_shot("model-picker", lambda: ModelPickerDialog(document, window, listed=["gpt-4o"]))
    dialog_shot("model-picker-filtered", lambda: ModelPickerDialog(document, window, listed=["gpt-4o"]), type_filter)

    from modeldesk.app.views.dialogs.first_run_dialog import FirstRunDialog
    from modeldesk.app.views.dialogs.provider_dialog import ProviderDialog

    dialog_shot("first-run", lambda: FirstRunDialog(Path.home() / ".config/modeldesk/config.json", window))
    dialog_shot("provider-dialog", lambda: ProviderDialog(window, provider=document.config.provider("anthropic")))
    window.close()
    QApplication.processEvents()

    shoot_test_run(app, workdir, shoot)
    shoot_first_hour(app, workdir, shoot)
    shoot_serve(app, workdir, shoot)
    return 0


# Seeded runs that came through the gateway, by position, with the client that sent them.
GATEWAY_CLIENTS = {3: "claude-cli/2.1.332 (external, cli)", 5: "codex_exec/0.171.0 (Debian 12.0.0; x86_64)"}


def seed_history() -> None:
    """A few runs of the sample agents in the (temporary) run history, for history.png and
    the registry's success column: some answered by their primary, some that fell back, one
    that failed; two came through the gateway from Claude Code and Codex. Times are an hour ago, five minutes apart."""
    import time

    from modeldesk.core.history import AttemptRecord, HistoryStore, RunRecord

    store = HistoryStore()
    start = time.time() - 3600
    runs = [
        ("analyst", ["claude-sonnet-4", "gpt-4o"], [("claude-sonnet-4", "answered", None, None, None, 910)], "agent"),
        (
            "researcher",
            ["claude-opus-4", "gpt-4.1"],
            [
                ("claude-opus-4", "failed", 529, "overloaded", "Overloaded", 1200),
                ("claude-opus-4", "failed", 529, "overloaded", "Overloaded", 1100),
                ("gpt-4.1", "answered", None, None, None, 1500),
            ],
            "project",
        ),
        ("triage", ["gpt-4o-mini"], [("gpt-4o-mini", "answered", None, None, None, 420)], "agent"),
        ("analyst", ["claude-sonnet-4", "gpt-4o"], [("claude-sonnet-4", "answered", None, None, None, 1040)], "agent"),
        (
            "note-taker",
            ["qwen2.5-7b", "llama-3.2-3b"],
            [
                ("qwen2.5-7b", "failed", None, "connect", "Connection refused (is the local server running?)", 15),
                ("llama-3.2-3b", "failed", None, "connect", "Connection refused (is the local server running?)", 12),
            ],
            "agent",
        ),
        (
            "escalation",
            ["claude-opus-4", "gpt-4.1"],
            [
                ("claude-opus-4", "failed", 503, "server_error", "Service unavailable", 640),
                ("gpt-4.1", "answered", None, None, None, 1320),
            ],
            "agent",
        ),
        (
            "analyst",
            ["claude-sonnet-4", "gpt-4o"],
            [
                ("claude-sonnet-4", "failed", 429, "rate_limited", "Rate limit reached", 210),
                ("gpt-4o", "answered", None, None, None, 980),
            ],
            "agent",
        ),
        ("helper", ["claude-sonnet-4", "gpt-4o"], [("claude-sonnet-4", "answered", None, None, None, 760)], "settings"),
    ]
    for number, (agent, models, attempts, source) in enumerate(runs):
        origin = "serve" if number in GATEWAY_CLIENTS else ("cli" if number % 3 == 1 else "app")
        tries = [AttemptRecord(*attempt) for attempt in attempts]
        answered = next((a.model for a in tries if a.outcome == "answered"), None)
        store.record(
            RunRecord(
                agent=agent,
                models=models,
                attempts=tries,
                answered_by=answered,
                source=source,
                error_code=None if answered else "all_models_failed",
                error_message=None if answered else "Every model failed; the last error was: Connection refused.",
                input_tokens=40 if answered else None,
                output_tokens=120 if answered else None,
                latency_ms=sum(a.elapsed_ms for a in tries) + 20 * len(tries),
                origin=origin,
                client=GATEWAY_CLIENTS.get(number),
                started_at=start + 300 * number,
            )
        )


def shoot_test_run(app: Any, workdir: Path, shoot: Callable[[str, Any], None]) -> None:
    """agents-test-run.png: a finished run that fell back, against the scripted server."""
    import qasync
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QSplitter

    from modeldesk.app.document import Document
    from modeldesk.app.event_loop import install_asyncgen_hooks
    from modeldesk.app.main_window import MainWindow
    from modeldesk.core.store import ConfigStore
    from tests.support.scripted_server import ScriptedServer, ok, status

    with ScriptedServer() as server:
        config = test_run_config(server)
        # Nothing in this run may leave the machine.
        outside = [p.id for p in config.providers if not p.base_url.startswith(LOCAL_PREFIX)]
        assert not outside, f"providers not on 127.0.0.1: {outside}"
        agent = config.agent(TEST_RUN_AGENT)
        assert agent is not None and isinstance(agent.model, list) and len(agent.model) >= 2
        primary, backup = (config.model(m) for m in agent.model[:2])
        assert primary is not None and backup is not None
        # The primary is unavailable for every attempt (1 + retries); the fallback streams.
        server.script(primary.name, *[status(503, "Service temporarily unavailable")] * 2)
        server.script(backup.name, ok(TEST_RUN_ANSWER, chunks=6, delay=0.05, usage=(21, 24)))
        server.default = status(500, "not scripted for the screenshots")

        store = ConfigStore(workdir / "test-run" / "config.json")
        store.path.parent.mkdir(parents=True, exist_ok=True)
        store.save(config)
        document = Document(store)
        window = MainWindow(document)
        window.resize(1360, 860)
        window.show()

        # The app's qasync loop, marked running as app.exec() under run_forever would be
        # (run_forever itself is not used: its stop() would quit the application).
        loop = qasync.QEventLoop(app)
        asyncio.set_event_loop(loop)
        asyncio._set_running_loop(loop)
        install_asyncgen_hooks(loop)
        try:
            page = window.agents_page
            page.select_agent(TEST_RUN_AGENT)
            page.tabs.setCurrentWidget(page.test_run)
            panel = page.test_run
            finished: list[Any] = []
            panel.run_finished.connect(finished.append)
            wait_until(app, lambda: False, 0.2)
            panel.prompt_edit.setFocus()
            QTest.keyClicks(panel.prompt_edit, TEST_RUN_PROMPT)
            QTest.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)
            if not wait_until(app, lambda: bool(finished), 20):
                raise SystemExit("the test run did not finish")
            result = finished[0]
            assert result.ok and result.model == backup.id, result
            kinds = panel.timeline_model.kinds()
            for kind in ("attempt_failed", "retrying", "falling_back", "answered"):
                assert kind in kinds, kinds
            assert all(r.model in (primary.name, backup.name) for r in server.requests), server.requests
            # A short answer needs little room: give the timeline more, as a user drags the
            # splitter (which also fits the timeline's Time column to the rows it now has).
            inner = panel.findChild(QSplitter)
            if inner is not None:
                inner.setSizes([220, 360])
            panel.run_button.setFocus()
            shoot("agents-test-run", window)
        finally:
            window.close()
            pending = [task for task in asyncio.all_tasks(loop) if not task.done()]
            for task in pending:
                task.cancel()
            wait_until(app, lambda: all(task.done() for task in pending), 3)
            closing = loop.create_task(loop.shutdown_asyncgens())
            wait_until(app, closing.done, 3)
            asyncio._set_running_loop(None)
            asyncio.set_event_loop(None)
            loop.close()
            document.deleteLater()
            app.processEvents()


def shoot_first_hour(app: Any, workdir: Path, shoot: Callable[[str, Any], None]) -> None:
    """health, settings-empty, detect-local-servers, fetch-models, provider-presets, about,
    dark-theme: a new
    user's screens, against the scripted server posing as an Ollama on 127.0.0.1."""
    import qasync
    from PySide6.QtCore import Qt

    from modeldesk.app.document import Document
    from modeldesk.app.event_loop import install_asyncgen_hooks
    from modeldesk.app.main_window import MainWindow
    from modeldesk.app.views.app_menus import choose_theme
    from modeldesk.app.views.dialogs.detect_dialog import DetectDialog
    from modeldesk.app.views.dialogs.fetch_models_dialog import FetchModelsDialog
    from modeldesk.app.views.dialogs.provider_dialog import ProviderDialog
    from modeldesk.app.views.help_dialogs import AboutDialog
    from modeldesk.core.model_import import models_to_import
    from modeldesk.core.presets import preset
    from modeldesk.core.samples import sample_config
    from modeldesk.core.schema import Config
    from modeldesk.core.store import ConfigStore
    from tests.support.scripted_server import ScriptedServer

    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    asyncio._set_running_loop(loop)
    install_asyncgen_hooks(loop)
    windows: list[Any] = []

    def open_window(name: str, config: Config) -> Any:
        store = ConfigStore(workdir / name / "config.json")
        store.path.parent.mkdir(parents=True, exist_ok=True)
        store.save(config)
        window = MainWindow(Document(store))
        window.resize(1360, 860)
        window.show()
        windows.append(window)
        wait_until(app, lambda: False, 0.3)
        return window

    try:
        with ScriptedServer() as server:
            server.model_names = ["llama3.2:3b", "qwen2.5:7b-instruct", "gpt-4o-mini", "phi4"]
            os.environ["MODELDESK_DETECT_PORTS"] = f"ollama={server.port}"
            # The sample with its local server answering; the cloud ones stay without keys.
            sample = sample_config()
            for provider in sample.providers:
                if provider.base_url.startswith(LOCAL_PREFIX):
                    provider.base_url = server.openai_url
            window = open_window("health", sample)
            window.pages.setCurrentWidget(window.health_page)
            wait_until(app, lambda: window.health_page.report is not None, 10)
            shoot("health", window)

            window = open_window("empty", Config())
            window.open_settings("providers")
            shoot("settings-empty", window)
            detect = DetectDialog(window.document, window)
            detect.show()
            wait_until(app, lambda: bool(detect.found), 10)
            shoot("detect-local-servers", detect)
            detect.reject()

            openai = preset("openai")
            assert openai is not None
            names = ["gpt-4o", "gpt-4o-mini", "gpt-4.1", "gpt-4.1-mini", "o3-mini", "o4-mini", "text-embedding-3-small"]
            remote = [type("Listed", (), {"id": n, "label": None, "context_window": None})() for n in names]
            config = Config(providers=[openai.provider()])
            new, _ = models_to_import(config, "openai", remote)
            fetch = FetchModelsDialog("openai", new, window)
            fetch.show()
            fetch.filter_edit.setText("gpt-4")
            fetch.select_none_button.click()
            fetch.list.item(0).setCheckState(Qt.CheckState.Checked)
            shoot("fetch-models", fetch)
            fetch.reject()

            presets = ProviderDialog(window, taken_ids=set())
            presets.show()
            presets.apply_preset("openrouter")
            shoot("provider-presets", presets)
            presets.reject()

            about = AboutDialog(Path.home() / ".config/modeldesk/config.json", window)
            about.show()
            shoot("about", about)
            about.reject()
            choose_theme("Dark")
            window = open_window("dark", sample_config())
            window.open_settings("models")
            shoot("dark-theme", window)
            choose_theme("System")
    finally:
        for window in windows:
            window.close()
        pending = [task for task in asyncio.all_tasks(loop) if not task.done()]
        for task in pending:
            task.cancel()
        wait_until(app, lambda: all(task.done() for task in pending), 3)
        asyncio._set_running_loop(None)
        asyncio.set_event_loop(None)
        loop.close()
        app.processEvents()


# Requests the serve picture sends through the gateway: (User-Agent, API, agent, answer).
SERVE_REQUESTS = (
    ("claude-cli/2.1.332 (external, cli)", "messages", "analyst", "The churn fell to 3.2%."),
    ("codex_exec/0.171.0 (Debian 12.0.0; x86_64)", "responses", "researcher", "Three sources agree."),
    ("OpenAI/Python 1.99.9", "chat", "triage", "Priority: high."),
    ("aider/0.86.1", "chat", "helper", "Done."),
)


def shoot_serve(app: Any, workdir: Path, shoot: Callable[[str, Any], None]) -> None:
    """serve.png: a gateway started from the Serve page (a real `modeldesk serve` process on
    127.0.0.1, any free port) that answered requests from four clients, each through the
    scripted server."""
    import httpx
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    from modeldesk.app.document import Document
    from modeldesk.app.main_window import MainWindow
    from modeldesk.core.resolver import Resolver
    from modeldesk.core.store import ConfigStore
    from modeldesk.runtime.serve_control import stop_gateway
    from tests.support.scripted_server import ScriptedServer, ok, status

    with ScriptedServer() as server:
        config = test_run_config(server)
        outside = [p.id for p in config.providers if not p.base_url.startswith(LOCAL_PREFIX)]
        assert not outside, f"providers not on 127.0.0.1: {outside}"
        server.default = status(500, "not scripted for the screenshots")
        store = ConfigStore(workdir / "serve" / "config.json")
        store.path.parent.mkdir(parents=True, exist_ok=True)
        store.save(config)
        window = MainWindow(Document(store))
        window.resize(1360, 860)
        window.show()
        try:
            window.pages.setCurrentWidget(window.serve_page)
            page = window.serve_page
            page.port_spin.setValue(0)
            QTest.mouseClick(page.start_button, Qt.MouseButton.LeftButton)
            if not wait_until(app, lambda: page.status is not None, 30):
                raise SystemExit(f"the gateway did not start: {page.message_label.text()}")
            assert page.status is not None
            url = page.status.url
            # As a user would: Claude Code's background names answered by the quick triage agent.
            page.aliases_box.pattern_edit.setText("claude-*haiku*")
            page.aliases_box.agent_combo.setEditText("triage")
            QTest.mouseClick(page.aliases_box.add_button, Qt.MouseButton.LeftButton)
            assert dict(page.document.config.settings.serve.aliases) == {"claude-*haiku*": "triage"}
            for user_agent, api, agent_id, answer in SERVE_REQUESTS:
                first = config.model(Resolver(config).chat(agent_id).models[0])
                assert first is not None
                server.script(first.name, ok(answer))
                headers = {"User-Agent": user_agent}
                if api == "messages":
                    path = "/v1/messages"
                    body: dict[str, Any] = {"model": agent_id, "max_tokens": 200}
                    body["messages"] = [{"role": "user", "content": "Summarise the churn figures."}]
                    headers["anthropic-version"] = "2023-06-01"
                elif api == "responses":
                    path, body = "/v1/responses", {"model": agent_id, "input": "Check the sources."}
                else:
                    path = "/v1/chat/completions"
                    body = {"model": agent_id, "messages": [{"role": "user", "content": "Triage this ticket."}]}
                reply = httpx.post(url + path, json=body, headers=headers, timeout=30)
                assert reply.status_code == 200, reply.text
                wait_until(app, lambda: False, 0.3)  # a second apart in the list

            def listed() -> bool:
                # Newest first: this picture's requests above the seeded ones.
                page.controller.poll()
                clients = [run.client for run in page.requests_model.rows()[: len(SERVE_REQUESTS)]]
                return clients == [user_agent for user_agent, *_ in reversed(SERVE_REQUESTS)]

            if not wait_until(app, listed, 10):
                raise SystemExit("the gateway's requests did not reach the history")
            page.tool_combo.setCurrentIndex(page.tool_combo.findData("claude-code"))
            page.set_agent("analyst")
            page.requests_view.selectRow(0)
            shoot("serve", window)
        finally:
            window.close()
            stop_gateway(store.path)
            app.processEvents()


if __name__ == "__main__":
    sys.exit(main())
