"""The test-run panel against the scripted OpenAI-compatible server (real HTTP on
127.0.0.1): streaming, the fallback timeline, Cancel, cooldowns."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QResizeEvent, QTextCursor
from PySide6.QtWidgets import QTabWidget, QWidget

from modeldesk.app.models.timeline_model import TimelineModel
from modeldesk.app.views.test_run_panel import TestRunPanel, shared_cooldowns
from modeldesk.core.edits import PutItem, RemoveItem, UpdateItem
from modeldesk.core.schema import Agent, Config, FallbackOverride, Model, Provider
from modeldesk.core.store import ConfigStore
from modeldesk.runtime.cooldown import CooldownTracker
from modeldesk.runtime.events import (
    AllFailed,
    Answered,
    AttemptFailed,
    AttemptStarted,
    ErrorSummary,
    FallingBack,
    Retrying,
    Starting,
)
from tests.app.helpers import shown_in_tabs, spy_on
from tests.app.squads_support import table_rows
from tests.support.scripted_server import (
    ScriptedServer,
    hang,
    ok,
    slow,
    status,
)


def scripted_config(server: ScriptedServer) -> Config:
    return Config(
        providers=[Provider(id="scripted", kind="openai", base_url=server.openai_url)],
        models=[
            Model(id="primary", provider="scripted", name="gpt-a"),
            Model(id="backup", provider="scripted", name="gpt-b"),
        ],
        agents=[
            Agent(
                id="tester",
                name="Tester",
                model=["primary", "backup"],
                # Quick retries so the test sees the whole chain in well under a second.
                fallback=FallbackOverride(retries=1, backoff_base_s=0.05, backoff_max_s=0.05, jitter=0, cooldown_s=60),
            )
        ],
    )


@pytest.fixture
def run_document(qtbot: Any, tmp_path: Path, scripted_server: ScriptedServer) -> Iterator[Any]:
    from modeldesk.app.document import Document

    store = ConfigStore(tmp_path / "config.json")
    store.save(scripted_config(scripted_server))
    document = Document(store)
    yield document
    document.undo_stack.clear()
    document.deleteLater()


@pytest.fixture
def panel(qtbot: Any, run_document: Any, qasync_loop: Any) -> Iterator[TestRunPanel]:
    widget = TestRunPanel(run_document)
    qtbot.addWidget(widget)
    widget.resize(900, 640)
    widget.show()
    qtbot.waitExposed(widget)
    widget.set_agent("tester")
    yield widget
    widget.shutdown()


def start(qtbot: Any, panel: TestRunPanel, prompt: str) -> None:
    """Type ``prompt`` and press Run."""
    panel.prompt_edit.setFocus()
    qtbot.keyClicks(panel.prompt_edit, prompt)
    qtbot.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)


def run(qtbot: Any, panel: TestRunPanel, prompt: str = "Say hello") -> Any:
    """Run ``prompt`` to the end and return the RunResult."""
    with qtbot.waitSignal(panel.run_finished, timeout=10_000) as finished:
        start(qtbot, panel, prompt)
    return finished.args[0]


def test_timeline_model_passes_the_model_tester(qapp: Any, qtmodeltester: Any) -> None:
    model = TimelineModel()
    model.add_event(Starting(("a", "b")), 0.0)
    model.add_event(AttemptStarted("a", 1, 2), 0.01)
    model.add_event(AttemptFailed("a", ErrorSummary("server_error", 500, "boom", 0.1)), 0.11)
    model.add_event(Retrying("a", 0.4, 2, 2), 0.12)
    model.add_event(FallingBack("b"), 0.6)
    model.add_event(Answered("b", 1.2), 1.8)
    model.add_note("cancelled", "Cancelled by you", 2.0)
    qtmodeltester.check(model)
    assert table_rows(model)[:2] == [("+0.00 s", "Starting (models: a, b)"), ("+0.01 s", "Trying a (1/2)")]
    assert model.kinds() == [
        "starting",
        "attempt_started",
        "attempt_failed",
        "retrying",
        "falling_back",
        "answered",
        "cancelled",
    ]
    # Each kind has its own look.
    failed = model.index(2, TimelineModel.EVENT)
    answered = model.index(5, TimelineModel.EVENT)
    assert failed.data(Qt.ItemDataRole.ForegroundRole) != answered.data(Qt.ItemDataRole.ForegroundRole)
    assert failed.data(Qt.ItemDataRole.DecorationRole) is not None
    model.add_event(AllFailed("x", "Every model failed."), 3.0)
    assert model.texts()[-1] == "Every model failed."


def test_answer_streams_in_and_result_names_the_model(
    qtbot: Any,
    panel: TestRunPanel,
    scripted_server: ScriptedServer,
) -> None:
    scripted_server.script("gpt-a", ok("Hello there, friend!", chunks=4, delay=0.1))
    panel.prompt_edit.setFocus()
    qtbot.keyClicks(panel.prompt_edit, "Say hello")
    with qtbot.waitSignal(panel.run_finished, timeout=10_000) as finished:
        qtbot.keyClick(panel.prompt_edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
        assert panel.is_running() and not panel.run_button.isEnabled() and panel.cancel_button.isEnabled()
        # Part of the answer is shown while the rest is still on its way.
        qtbot.waitUntil(lambda: 0 < len(panel.answer_edit.toPlainText()) < len("Hello there, friend!"))
        assert panel.is_running()
    result = finished.args[0]
    assert result.model == "primary"
    assert panel.answer_edit.toPlainText() == "Hello there, friend!"
    assert panel.timeline_model.kinds() == ["starting", "attempt_started", "answered"]
    assert panel.timeline_model.texts()[0] == "Starting (models: primary, backup)"
    text = panel.result_label.text()
    assert text.startswith("Answered by primary in ") and text.endswith(" s · 8 tokens (3 in, 5 out)")
    assert not panel.is_running() and panel.run_button.isEnabled() and not panel.cancel_button.isEnabled()
    assert scripted_server.chat_requests()[0].body["messages"][-1]["content"] == "Say hello"


def test_primary_fails_then_fallback_answers(
    qtbot: Any,
    panel: TestRunPanel,
    scripted_server: ScriptedServer,
) -> None:
    scripted_server.script("gpt-a", status(500), status(500))
    scripted_server.script("gpt-b", ok("From the backup.", chunks=2))
    result = run(qtbot, panel)
    assert result.model == "backup"
    assert panel.timeline_model.kinds() == [
        "starting",
        "attempt_started",
        "attempt_failed",
        "retrying",
        "attempt_started",
        "attempt_failed",
        "falling_back",
        "attempt_started",
        "answered",
    ]
    texts = panel.timeline_model.texts()
    assert texts[2].startswith("primary failed: 500")
    assert texts[3].startswith("Retrying primary in 0.") and texts[3].endswith(" s (2/2)")
    assert texts[6] == "Falling back to backup"
    assert texts[8].startswith("backup answered (")
    # Time offsets only grow.
    offsets = [entry.offset_s for entry in panel.timeline_model.rows()]
    assert offsets == sorted(offsets)
    assert panel.answer_edit.toPlainText() == "From the backup."
    assert panel.result_label.text().startswith("Answered by backup in ")
    assert [r.model for r in scripted_server.chat_requests()] == ["gpt-a", "gpt-a", "gpt-b"]


def test_cancel_on_a_hanging_request_returns_to_idle_at_once(
    qtbot: Any,
    panel: TestRunPanel,
    scripted_server: ScriptedServer,
) -> None:
    scripted_server.script("gpt-a", hang())
    start(qtbot, panel, "Hello?")
    task = panel._task
    assert task is not None
    qtbot.waitUntil(lambda: len(scripted_server.chat_requests()) == 1)
    qtbot.mouseClick(panel.cancel_button, Qt.MouseButton.LeftButton)
    # Idle as soon as the click returns, while the request is still hanging on the server.
    assert not task.done()
    assert not panel.is_running()
    assert panel.run_button.isEnabled() and not panel.cancel_button.isEnabled()
    assert panel.result_label.text() == "Cancelled."
    assert panel.timeline_model.kinds()[-1] == "cancelled"
    qtbot.waitUntil(task.done, timeout=10_000)
    assert task.cancelled()
    # Nothing more was sent: no retry, no fallback.
    assert len(scripted_server.chat_requests()) == 1
    assert panel.timeline_model.kinds()[-1] == "cancelled"


def test_cancel_before_the_run_took_its_first_step(
    qtbot: Any,
    panel: TestRunPanel,
    scripted_server: ScriptedServer,
) -> None:
    # The run starts one turn of the loop after Run: a cancel in between ends it before
    # anything is sent, and leaves no half-started coroutine behind (warnings are errors).
    start(qtbot, panel, "Hello?")
    task = panel._task
    assert task is not None and not task.done()
    panel.cancel_run()
    assert not panel.is_running() and panel.timeline_model.kinds() == ["cancelled"]
    qtbot.waitUntil(task.done, timeout=10_000)
    assert task.cancelled()
    qtbot.wait(50)
    assert scripted_server.chat_requests() == []
    import gc

    gc.collect()  # a coroutine never awaited would warn now


def test_cancel_mid_stream_stops_the_answer(
    qtbot: Any,
    panel: TestRunPanel,
    scripted_server: ScriptedServer,
) -> None:
    scripted_server.script("gpt-a", slow("one two three four five six seven eight", chunks=8, delay=0.15))
    start(qtbot, panel, "Count")
    task = panel._task
    assert task is not None
    qtbot.waitUntil(lambda: panel.answer_edit.toPlainText() != "", timeout=10_000)
    qtbot.keyClick(panel.prompt_edit, Qt.Key.Key_Escape)
    assert not panel.is_running()
    shown = panel.answer_edit.toPlainText()
    # Once the task has unwound nothing can write any more; the rest never arrived.
    qtbot.waitUntil(task.done, timeout=10_000)
    assert task.cancelled()
    assert panel.answer_edit.toPlainText() == shown
    assert shown != "one two three four five six seven eight"
    assert len(scripted_server.chat_requests()) == 1


def test_cooldown_is_listed_and_cleared(
    qtbot: Any,
    panel: TestRunPanel,
    scripted_server: ScriptedServer,
) -> None:
    assert not panel.clear_all_button.isEnabled()
    scripted_server.script("gpt-a", status(429, "rate limited"))
    scripted_server.script("gpt-b", ok("Backup here."))
    result = run(qtbot, panel)
    assert result.model == "backup"
    assert "cooldown_started" in panel.timeline_model.kinds()
    assert panel.active_cooldown_agents() == ["tester"]
    item = panel.cooldown_list.item(0).text()
    assert item.startswith("Tester starts at backup for ") and item.endswith(" more")
    assert panel.clear_all_button.isEnabled()

    # The next run starts at the backup, as the cooldown says.
    scripted_server.script("gpt-b", ok("Still backup."))
    run(qtbot, panel, " again")
    assert panel.timeline_model.kinds()[:2] == ["starting", "cooldown_used"]
    assert [r.model for r in scripted_server.chat_requests()][-1] == "gpt-b"

    panel.cooldown_list.setCurrentRow(0)
    assert panel.clear_cooldown_button.isEnabled()
    qtbot.mouseClick(panel.clear_cooldown_button, Qt.MouseButton.LeftButton)
    assert panel.active_cooldown_agents() == []
    assert panel.cooldown_list.count() == 1
    assert panel.cooldown_list.item(0).text() == "None: every agent starts at its primary model."
    assert not panel.clear_all_button.isEnabled()


def test_clear_all_cooldowns(qtbot: Any, panel: TestRunPanel) -> None:
    panel.cooldowns.start("tester", "backup", time.time() + 30, primary="primary")
    panel.cooldowns.start("other", "x", time.time() + 60)
    panel.refresh_cooldowns()
    assert panel.cooldown_list.count() == 2
    qtbot.mouseClick(panel.clear_all_button, Qt.MouseButton.LeftButton)
    assert panel.cooldowns.active() == []


def test_stop_error_shows_no_answer(
    qtbot: Any,
    panel: TestRunPanel,
    scripted_server: ScriptedServer,
) -> None:
    scripted_server.script("gpt-a", status(400, "bad request"))
    result = run(qtbot, panel)
    assert result.error is not None
    assert panel.result_label.text().startswith("No answer: primary refused the request")
    assert panel.timeline_model.kinds()[-1] == "all_failed"
    assert len(scripted_server.chat_requests()) == 1


def test_empty_prompt_and_no_agent(qtbot: Any, panel: TestRunPanel) -> None:
    qtbot.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)
    assert not panel.is_running()
    assert panel.result_label.text() == "Type a prompt first."
    panel.set_agent(None)
    assert not panel.run_button.isEnabled()
    assert panel.agent_label.text() == "Choose an agent to test-run it."


def test_one_shared_tracker_per_config_file(run_document: Any) -> None:
    tracker = shared_cooldowns(run_document)
    assert isinstance(tracker, CooldownTracker)
    assert shared_cooldowns(run_document) is tracker
    # The one store in the state folder, its entries keyed by this config file.
    from modeldesk.runtime.cooldown import config_scope, default_cooldown_path

    assert tracker.path == default_cooldown_path()
    assert tracker.scope == config_scope(run_document.store.path)


def test_follows_a_rename_and_a_removal_of_the_agent(qtbot: Any, panel: TestRunPanel, run_document: Any) -> None:
    run_document.perform(UpdateItem("agents", "tester", {"name": "Renamed"}))
    assert panel.agent_label.text() == "Test-run Renamed (tester)"
    run_document.perform(RemoveItem("agents", "tester"))
    assert panel.agent_label.text() == "There is no agent 'tester' any more."
    assert not panel.run_button.isEnabled()
    run_document.undo_stack.undo()
    assert panel.run_button.isEnabled()


def test_a_run_stops_when_the_panel_is_deleted(
    qtbot: Any,
    run_document: Any,
    qasync_loop: Any,
    scripted_server: ScriptedServer,
) -> None:
    scripted_server.script("gpt-a", slow("one two three four five six", chunks=6, delay=0.15))
    widget = TestRunPanel(run_document)
    widget.set_agent("tester")
    widget.prompt_edit.setPlainText("Count")
    task = widget.start_run()
    assert task is not None
    qtbot.waitUntil(lambda: widget.answer_edit.toPlainText() != "", timeout=5000)
    from shiboken6 import delete

    delete(widget)
    qtbot.waitUntil(task.done, timeout=3000)
    assert task.cancelled()
    assert len(scripted_server.chat_requests()) == 1


def test_without_streaming_the_answer_arrives_whole(
    qtbot: Any,
    panel: TestRunPanel,
    scripted_server: ScriptedServer,
) -> None:
    scripted_server.script("gpt-a", ok("All at once.", chunks=3))
    qtbot.mouseClick(panel.stream_check, Qt.MouseButton.LeftButton)
    assert not panel.stream_check.isChecked()
    result = run(qtbot, panel)
    assert result.text == "All at once."
    assert panel.answer_edit.toPlainText() == "All at once."
    assert scripted_server.chat_requests()[0].stream is False


def test_run_on_another_model(qtbot: Any, panel: TestRunPanel, scripted_server: ScriptedServer) -> None:
    scripted_server.script("gpt-b", ok("Backup by choice."))
    panel.call_combo.set_model_id("backup")
    result = run(qtbot, panel)
    assert result.model == "backup"
    assert panel.timeline_model.texts()[0] == "Starting (models: backup)"
    assert [r.model for r in scripted_server.chat_requests()] == ["gpt-b"]


def test_streamed_tokens_are_drawn_in_chunks_not_one_by_one(
    qtbot: Any,
    panel: TestRunPanel,
    scripted_server: ScriptedServer,
) -> None:
    words = "".join(f"w{i} " for i in range(400))
    scripted_server.script("gpt-a", ok(words, chunks=400))
    draws: list[int] = []
    panel.answer_edit.textChanged.connect(lambda: draws.append(1))
    result = run(qtbot, panel)
    assert result.ok and panel.answer_edit.toPlainText() == words
    # Each draw appends everything that arrived since the last turn of the event loop.
    assert len(draws) < 400 / 2, len(draws)


def test_simulate_marks_a_model_as_failing_through_the_real_runner(
    qtbot: Any,
    panel: TestRunPanel,
    scripted_server: ScriptedServer,
) -> None:
    scripted_server.script("gpt-b", ok("Backup answers."))
    panel.simulate_edit.setFocus()
    qtbot.keyClicks(panel.simulate_edit, "primary=429")
    result = run(qtbot, panel)
    assert result.model == "backup"
    assert result.attempts[0].simulated == "429"
    assert "Simulated fault on primary: 429" in panel.timeline_model.texts()
    # Nothing reached the server for the primary: the fault was injected in front of it.
    assert [r.model for r in scripted_server.chat_requests()] == ["gpt-b"]
    assert panel.cooldown_list.item(0).text().startswith("Tester starts at backup for ")


def test_a_cooldown_with_no_replacement_is_listed_as_a_skip(qtbot: Any, panel: TestRunPanel) -> None:
    panel.cooldowns.cool("tester", ["primary"], 3600, reason="quota")
    panel.refresh_cooldowns()
    assert panel.cooldown_list.item(0).text().startswith("Tester skips primary (quota) for ")


def test_simulate_refuses_an_unknown_fault_before_running(
    qtbot: Any,
    panel: TestRunPanel,
    scripted_server: ScriptedServer,
) -> None:
    qtbot.keyClicks(panel.simulate_edit, "primary=teapot")
    start(qtbot, panel, "Hi")
    assert not panel.is_running()
    assert panel.result_label.text().startswith("Simulate: unknown fault 'teapot'")
    assert scripted_server.chat_requests() == []


def test_simulate_refuses_a_target_that_is_not_in_the_config(
    qtbot: Any, panel: TestRunPanel, scripted_server: ScriptedServer
) -> None:
    panel.simulate_edit.setFocus()
    qtbot.keyClicks(panel.simulate_edit, "primry=429")
    start(qtbot, panel, "Say hello")
    assert panel.result_label.text() == "Simulate: there is no model or provider 'primry'."
    assert not panel.is_running()
    assert scripted_server.chat_requests() == []


def test_times_left_read_as_people_say_them() -> None:
    from modeldesk.app.views.test_run_panel import duration_text

    assert [duration_text(s) for s in (0.2, 0.6, 45, 60, 200, 3600, 7500)] == [
        "under a second",
        "1 s",
        "45 s",
        "1 min",
        "3 min 20 s",
        "1 h",
        "2 h 5 min",
    ]


def test_answer_and_timeline_each_take_the_panels_width(qtbot: Any, panel: TestRunPanel) -> None:
    panel.resize(700, 640)
    qtbot.wait(10)
    # Stacked, not side by side: the timeline is as wide as the panel allows.
    assert panel.timeline.width() > panel.width() * 0.8


def test_a_selection_and_a_scrolled_up_view_stay_while_the_answer_streams(
    qtbot: Any,
    panel: TestRunPanel,
    scripted_server: ScriptedServer,
) -> None:
    # One line per chunk, long enough to scroll the answer box many times over.
    lines = [f"Line {i:03d}: a few words to read.\n" for i in range(240)]
    scripted_server.script("gpt-a", ok("".join(lines), chunks=len(lines), delay=0.015))
    answer = panel.answer_edit
    bar = answer.verticalScrollBar()
    with qtbot.waitSignal(panel.run_finished, timeout=20_000):
        start(qtbot, panel, "Write a lot")
        qtbot.waitUntil(lambda: "Line 040" in answer.toPlainText(), timeout=10_000)
        assert panel.is_running()
        # Until the user scrolls, the box follows the answer's end.
        assert 0 < bar.value() == bar.maximum()

        # The user scrolls back to the top and double-clicks a word of the first line.
        bar.triggerAction(bar.SliderAction.SliderToMinimum)
        probe = QTextCursor(answer.document())
        probe.setPosition(len("Line 000: a f"))
        qtbot.mouseDClick(answer.viewport(), Qt.MouseButton.LeftButton, pos=answer.cursorRect(probe).center())
        assert answer.textCursor().selectedText() == "few"
        selected = (answer.textCursor().anchor(), answer.textCursor().position())

        qtbot.waitUntil(lambda: "Line 100" in answer.toPlainText(), timeout=10_000)
        assert panel.is_running()
        assert answer.textCursor().selectedText() == "few"
        assert (answer.textCursor().anchor(), answer.textCursor().position()) == selected
        assert bar.value() == 0  # not pulled down to the new text

        # Back at the end, the box follows the answer again.
        bar.triggerAction(bar.SliderAction.SliderToMaximum)
        shown = bar.maximum()
        qtbot.waitUntil(lambda: bar.maximum() > shown, timeout=10_000)
        assert bar.value() == bar.maximum()
    assert answer.toPlainText() == "".join(lines)
    assert answer.textCursor().selectedText() == "few"
    assert bar.value() == bar.maximum()


def test_the_answer_keeps_its_width_when_it_outgrows_the_box(
    qtbot: Any,
    panel: TestRunPanel,
    scripted_server: ScriptedServer,
) -> None:
    # A scroll bar that appeared once the answer filled the box narrowed the text, and
    # the whole answer was laid out again in the middle of the stream.
    lines = "".join(f"Line {i:03d}: a few words to read.\n" for i in range(120))
    scripted_server.script("gpt-a", ok(lines, chunks=60))
    answer = panel.answer_edit
    widths: list[int] = []
    watcher = ResizeWatcher(widths)
    answer.viewport().installEventFilter(watcher)
    width = answer.viewport().width()
    result = run(qtbot, panel, "Write a lot")
    assert result.ok and answer.toPlainText() == lines
    assert answer.verticalScrollBar().maximum() > 0  # the answer did outgrow the box
    assert answer.viewport().width() == width
    assert widths == []


class ResizeWatcher(QObject):
    """Collects the new widths of the widgets it watches."""

    def __init__(self, widths: list[int]) -> None:
        super().__init__()
        self.widths = widths

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if isinstance(event, QResizeEvent):
            self.widths.append(event.size().width())
        return False


def test_the_timeline_follows_its_newest_row(
    qtbot: Any,
    panel: TestRunPanel,
    scripted_server: ScriptedServer,
) -> None:
    scripted_server.script("gpt-a", status(500), status(500))
    scripted_server.script("gpt-b", ok("From the backup.", chunks=2))
    panel.resize(900, 420)
    run(qtbot, panel)
    timeline, model = panel.timeline, panel.timeline_model
    bar = timeline.verticalScrollBar()
    assert bar.maximum() > 0, "the timeline must hold more rows than it shows"
    # Scrolled once per turn of the loop (see TestRunPanel._draw), after the rows came.
    last = model.index(model.rowCount() - 1, TimelineModel.EVENT)
    qtbot.waitUntil(lambda: bar.value() == bar.maximum())
    assert timeline.viewport().rect().contains(timeline.visualRect(last).center())


# --- following the document (widgets.when_shown) -----------------------------------------


def panel_in_tabs(qtbot: Any, document: Any) -> tuple[QTabWidget, TestRunPanel, QWidget]:
    """The panel in a tab beside another, shown on "tester", as on the Agents page."""
    panel = TestRunPanel(document)
    tabs, other = shown_in_tabs(qtbot, panel, (900, 640))
    panel.set_agent("tester")
    return tabs, panel, other


def test_an_edit_of_another_agent_leaves_the_panel_alone(
    qtbot: Any, run_document: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    refreshes = spy_on(monkeypatch, TestRunPanel, "_on_document_changed")
    _tabs, panel, _other = panel_in_tabs(qtbot, run_document)
    run_document.perform(PutItem("agents", Agent(id="helper", name="Helper")))
    run_document.perform(UpdateItem("agents", "helper", {"name": "Assistant"}))
    run_document.perform(RemoveItem("agents", "helper"))
    assert refreshes == []
    assert panel.agent_label.text() == "Test-run Tester (tester)"


def test_an_edit_of_the_agent_shown_refreshes_the_panel(
    qtbot: Any, run_document: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    refreshes = spy_on(monkeypatch, TestRunPanel, "_on_document_changed")
    _tabs, panel, _other = panel_in_tabs(qtbot, run_document)
    run_document.perform(UpdateItem("agents", "tester", {"name": "Renamed"}))
    assert len(refreshes) == 1
    assert panel.agent_label.text() == "Test-run Renamed (tester)"


def test_a_reload_refreshes_the_panel(qtbot: Any, run_document: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    refreshes = spy_on(monkeypatch, TestRunPanel, "_on_document_changed")
    _tabs, panel, _other = panel_in_tabs(qtbot, run_document)
    ConfigStore(run_document.store.path).apply(UpdateItem("agents", "tester", {"name": "Named elsewhere"}))
    run_document.reload()
    assert len(refreshes) == 1
    assert panel.agent_label.text() == "Test-run Named elsewhere (tester)"


def test_a_hidden_panel_catches_up_when_shown_and_its_run_goes_on(
    qtbot: Any, run_document: Any, qasync_loop: Any, scripted_server: ScriptedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    refreshes = spy_on(monkeypatch, TestRunPanel, "_on_document_changed")
    tabs, panel, other = panel_in_tabs(qtbot, run_document)
    scripted_server.script("gpt-a", slow("one two three four", chunks=4, delay=0.15))
    try:
        with qtbot.waitSignal(panel.run_finished, timeout=10_000) as finished:
            start(qtbot, panel, "Count")
            tabs.setCurrentWidget(other)
            run_document.perform(UpdateItem("agents", "tester", {"name": "Renamed"}))
            run_document.perform(RemoveItem("agents", "tester"))
            assert refreshes == []  # hidden: the edits wait
            tabs.setCurrentWidget(panel)
            assert len(refreshes) == 1  # once for both
            assert panel.agent_label.text() == "There is no agent 'tester' any more."
            assert panel.is_running()  # the run started before the edits goes on
    finally:
        panel.shutdown()  # a run left going by a failed check
    result = finished.args[0]
    assert result.ok and result.text == "one two three four"
    assert panel.answer_edit.toPlainText() == "one two three four"
    assert not panel.run_button.isEnabled()  # the agent is gone
    tabs.setCurrentWidget(other)
    tabs.setCurrentWidget(panel)
    assert len(refreshes) == 1  # nothing new to catch up


def test_the_timeline_has_room_in_a_1024_by_700_window(qtbot: Any, document: Any, qasync_loop: Any) -> None:
    """At the smallest window the timeline, which one watches during a run, showed about
    three lines (two events that wrap); the prompt and the cooldown list, which need
    less, now give it theirs."""
    from modeldesk.app.main_window import MainWindow
    from tests.app.helpers import show_active

    window = show_active(qtbot, MainWindow(document), (1024, 700))
    page = window.agents_page
    page.tabs.setCurrentWidget(page.test_run)
    panel = page.test_run
    line = panel.fontMetrics().lineSpacing()
    qtbot.waitUntil(lambda: panel.timeline.viewport().height() >= 6 * line)
    assert panel.prompt_edit.viewport().height() >= 3 * line  # still a few lines to type in
    assert panel.cooldown_list.viewport().height() >= 2 * line
    window.close()


class LayoutRequestCount(QObject):
    """Counts the LayoutRequest events that reach the widgets it watches."""

    def __init__(self, *watched: QWidget) -> None:
        super().__init__()
        self.counts = dict.fromkeys(watched, 0)
        for widget in watched:
            widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.LayoutRequest and watched in self.counts:
            self.counts[watched] += 1  # type: ignore[index]
        return False


def test_a_run_does_not_lay_out_the_pages_tabs_again(
    qtbot: Any, run_document: Any, qasync_loop: Any, scripted_server: ScriptedServer
) -> None:
    """Each LayoutRequest that reaches a tab widget repaints its whole page; "Running…"
    and the result used to send one to both tab widgets above the panel, mid-stream."""
    from modeldesk.app.main_window import MainWindow
    from tests.app.helpers import show_active

    window = show_active(qtbot, MainWindow(run_document), (1280, 800))
    page = window.agents_page
    page.select_agent("tester")
    page.tabs.setCurrentWidget(page.test_run)
    panel = page.test_run
    qtbot.wait(50)
    scripted_server.script("gpt-a", ok("tok " * 200, chunks=200, delay=0.002), ok("tok " * 200, chunks=200))
    requests = LayoutRequestCount(page.tabs, window.pages)
    for _ in range(2):
        assert run(qtbot, panel).ok
    qtbot.wait(50)
    assert panel.answer_edit.toPlainText() == "tok " * 200
    assert panel.result_label.text().startswith("Answered by primary")
    assert requests.counts == {page.tabs: 0, window.pages: 0}
    window.close()


def test_a_long_result_wraps_and_is_shown_whole(qtbot: Any, panel: TestRunPanel) -> None:
    label = panel.result_label
    panel._show_result("Short.", "")
    qtbot.wait(20)
    one_line = label.height()
    panel._show_result("The run stopped unexpectedly: " + "a provider's long error text " * 12, "problem")
    qtbot.waitUntil(lambda: label.height() > 2 * one_line)
    assert label.height() >= label.heightForWidth(label.width())
    panel.resize(500, 640)  # narrower: more lines, still all of them shown
    qtbot.waitUntil(lambda: label.width() < 500 and label.height() >= label.heightForWidth(label.width()))
    panel._show_result("Short again.", "")
    qtbot.waitUntil(lambda: label.height() == one_line)


def test_the_timeline_shows_its_newest_row_whole_in_a_short_window(
    qtbot: Any, panel: TestRunPanel, scripted_server: ScriptedServer
) -> None:
    # At 1024x700 the timeline is ~70 px tall: the run's last rows (a long failure that
    # wraps to three lines, then "no model answered") must show whole at the end of a run.
    panel.timeline.setFixedHeight(90)
    long_error = "the request did not fit: " + "this model's limits were exceeded by the prompt " * 5
    scripted_server.script("gpt-a", status(400, long_error))
    scripted_server.script("gpt-b", status(400, long_error))
    result = run(qtbot, panel)
    assert not result.ok
    model = panel.timeline_model
    viewport = panel.timeline.viewport()
    last = model.index(model.rowCount() - 1, TimelineModel.EVENT)

    def shown_whole() -> bool:
        return viewport.rect().contains(panel.timeline.visualRect(last))

    qtbot.waitUntil(shown_whole, timeout=2_000)
