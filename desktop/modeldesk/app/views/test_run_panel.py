"""Test run: send a prompt to the selected agent and watch the fallback chain work.

The run is the runtime's ``run_agent`` on the app's qasync loop: httpx's async I/O runs on
the GUI thread's event loop, so events arrive on the GUI thread and update the widgets
directly, and the window never waits on the network. The answer streams into the answer
box; every runtime event goes to the timeline with its time since Run was pressed.

Cancel cancels the asyncio task: the runtime closes the connection and sends nothing
more, and the panel is idle again at once — it does not wait for the task to unwind, and
anything the old run still reports is ignored.

Cooldowns: the app keeps ONE :class:`CooldownTracker` per config file, backed by the
runtime's cooldown store (the state folder, or Redis; see :func:`shared_cooldowns`), so the
app's runs, the CLI's runs and this panel's list all see the same state.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QCompleter,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from modeldesk.runtime.cooldown import CooldownTracker, config_scope
from modeldesk.runtime.events import CooldownStarted, OutputWithdrawn, RunEvent, TextDelta
from modeldesk.runtime.faults import FAULTS, Simulation, parse_simulations, unknown_targets

from ..document import Document
from ..event_loop import install_asyncgen_hooks
from ..models.timeline_model import TimelineModel
from ..services.history_records import app_run_record, history_recorder
from ..widgets.elided import ElidedLabel
from ..widgets.steady_height import SteadyHeightBox
from ..widgets.streamed_text import StreamedTextView
from ..widgets.style import set_text_colour
from ..widgets.tables import make_table
from ..widgets.when_shown import concerning_agent, follow_when_shown
from .model_combo import ModelCombo
from .resolution_view import split_models

if TYPE_CHECKING:  # the runner (and httpx with it) is imported when the first run starts
    from modeldesk.runtime.runner import RunResult

_trackers: dict[tuple[Path, str | None, str | None], CooldownTracker] = {}


def shared_cooldowns(document: Document) -> CooldownTracker:
    """The app's one cooldown tracker for the document's config file (and its shared-state
    setting: naming another Redis gives another tracker)."""
    path = Path(config_scope(document.store.path))
    state = document.config.settings.fallback.state
    key = (path, state.redis if state else None, state.scope if state else None)
    if key not in _trackers:
        _trackers[key] = CooldownTracker.for_config(path, state)
    return _trackers[key]


def duration_text(seconds: float) -> str:
    """A time left, as people say it: "under a second", "45 s", "3 min 20 s", "2 h 5 min"."""
    whole = int(seconds + 0.5)
    if whole < 1:
        return "under a second"
    if whole < 60:
        return f"{whole} s"
    minutes, secs = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes} min {secs} s" if secs else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


def usage_text(usage: dict[str, int] | None) -> str:
    if not usage:
        return "tokens not reported"
    prompt, completion = usage.get("prompt_tokens"), usage.get("completion_tokens")
    total = usage.get("total_tokens", (prompt or 0) + (completion or 0))
    if prompt is None or completion is None:
        return f"{total} tokens"
    return f"{total} tokens ({prompt} in, {completion} out)"


def result_text(result: RunResult) -> str:
    if result.error is not None:
        return f"No answer: {result.error.get('message', result.error.get('code', 'the run failed'))}"
    return f"Answered by {result.model} in {result.elapsed_s:.2f} s · {usage_text(result.usage)}"


async def _after_a_turn(start: Callable[[], Awaitable[RunResult]]) -> RunResult:
    """The run ``start()`` begins, one turn of the event loop later. The click clears the
    panel and Qt repaints it next; the run's first step (resolve, open a client, connect)
    used to follow in the same stretch, and the window could not answer for ~3 ms. The
    coroutine is made only then, so a Cancel in between leaves none unawaited."""
    await asyncio.sleep(0)
    return await start()


class TestRunPanel(QWidget):
    __test__ = False  # not a pytest test class, despite the name

    # Emitted when a run ends by itself, with its RunResult (not when cancelled).
    run_finished = Signal(object)
    # Emitted with True when a run starts and False when the panel is idle again.
    running_changed = Signal(bool)
    # Emitted with {agent id: what its cooldown does} whenever the cooldown list is re-read.
    cooldowns_changed = Signal(object)

    def __init__(
        self, document: Document, parent: QWidget | None = None, *, cooldowns: CooldownTracker | None = None
    ) -> None:
        super().__init__(parent)
        self.document = document
        self.agent_id: str | None = None
        self.cooldowns = cooldowns if cooldowns is not None else shared_cooldowns(document)
        self.result: RunResult | None = None
        self._task: asyncio.Task[RunResult] | None = None
        self._run_id = 0
        self._streamed: list[str] = []  # text deltas not drawn yet
        self._scroll_timeline = False  # rows added since the timeline last followed the end
        self._draw_scheduled = False
        self._started = 0.0
        self._history_input: tuple[str, list[str] | None, str] = ("", None, "")

        self.agent_label = ElidedLabel("", self)
        self.agent_label.setObjectName("agent_label")
        self.prompt_edit = QPlainTextEdit(self)
        self.prompt_edit.setObjectName("prompt_edit")
        self.prompt_edit.setPlaceholderText("Ask the agent something… (Ctrl+Enter runs)")
        self.prompt_edit.setAccessibleName("Prompt")
        self.prompt_edit.setTabChangesFocus(True)
        # Four lines at most, three at least (it scrolls): in a 700 px window the rest goes
        # to the timeline, which one watches during a run.
        self.prompt_edit.setMaximumHeight(4 * self.fontMetrics().lineSpacing() + 12)
        self.prompt_edit.setMinimumHeight(3 * self.fontMetrics().lineSpacing() + 10)
        self.call_combo = ModelCombo(document, self, placeholder="the agent's own models")
        self.call_combo.setAccessibleName("Run on model")
        # A popup of matches would open over the Run button below on every key typed:
        # complete in the field instead (the arrow, or Alt+Down, still lists every model).
        call_completer = self.call_combo.completer()
        if call_completer is not None:
            call_completer.setCompletionMode(QCompleter.CompletionMode.InlineCompletion)
            call_completer.setFilterMode(Qt.MatchFlag.MatchStartsWith)
        self.stream_check = QCheckBox("Stream the answer", self)
        self.stream_check.setChecked(True)
        # Rehearse an outage: faults injected in front of the real transport (runtime.simulate).
        self.simulate_edit = QLineEdit(self)
        self.simulate_edit.setObjectName("simulate_edit")
        self.simulate_edit.setAccessibleName("Simulate failures")
        self.simulate_edit.setPlaceholderText("none — e.g. gpt-4o=429, anthropic=timeout")
        self.simulate_edit.setToolTip(
            "Mark models or providers as failing for this test run, as MODEL=FAULT or PROVIDER=FAULT, "
            "separated by commas. The run goes through the real fallback policy.\nFaults:\n"
            + "\n".join(f"  {name}: {meaning}" for name, meaning in FAULTS.items())
        )
        self.run_button = QPushButton("&Run", self)
        self.run_button.setObjectName("run_button")
        self.cancel_button = QPushButton("&Cancel", self)
        self.cancel_button.setObjectName("cancel_button")
        self.cancel_button.setEnabled(False)

        self.answer_edit = StreamedTextView(self)
        self.answer_edit.setObjectName("answer_edit")
        self.answer_edit.setPlaceholderText("The answer appears here as it streams in.")
        self.answer_edit.setAccessibleName("Answer")
        # The scroll bar from the start: appearing once the answer filled the box, it
        # narrowed the text and the whole answer was laid out again mid-stream (2.5-4 ms).
        self.answer_edit.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)
        self.timeline_model = TimelineModel(self)
        self.timeline = make_table(self.timeline_model, "timeline", "Timeline of attempts and fallbacks", self)
        self.timeline.setShowGrid(False)
        self.timeline.setAlternatingRowColors(False)  # the colours are the kinds'
        # Offsets are short and bounded: fit the widest up front, so rows arriving during a
        # live run never show a clipped "+0… s" before the table is laid out again.
        time_width = self.timeline.fontMetrics().horizontalAdvance("+0000.00 s") + 12
        time_header = self.timeline.horizontalHeader()
        time_header.setSectionResizeMode(TimelineModel.TIME, QHeaderView.ResizeMode.Fixed)
        time_header.resizeSection(TimelineModel.TIME, time_width)

        self.result_label = QLabel(self)
        self.result_label.setObjectName("result_label")
        self.result_label.setWordWrap(True)
        # The result quotes the provider's error text: data, never markup to render.
        self.result_label.setTextFormat(Qt.TextFormat.PlainText)
        self.result_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        # "Running…" and the result each asked the tabs above for a new layout, and each tab
        # widget repainted the whole page while the answer streamed: keep those to the box.
        self.result_box = SteadyHeightBox(self.result_label, self)

        self.cooldown_box = QGroupBox("Active cooldowns", self)
        self.cooldown_list = QListWidget(self)
        self.cooldown_list.setObjectName("cooldown_list")
        self.cooldown_list.setAccessibleName("Active cooldowns")
        self.cooldown_list.setMaximumHeight(3 * self.fontMetrics().lineSpacing() + 8)  # three lines
        # A long sentence wraps rather than hide behind a scroll bar in so short a list.
        self.cooldown_list.setWordWrap(True)
        self.cooldown_list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.clear_cooldown_button = QPushButton("Clear &selected", self)
        self.clear_all_button = QPushButton("Clear a&ll", self)
        self.clear_all_button.setObjectName("clear_all_button")
        self.clear_cooldown_button.setToolTip("Start the selected agent's runs at its primary again")
        self.clear_all_button.setToolTip("Start every agent's runs at its primary again")
        self.cooldown_timer = QTimer(self)
        self.cooldown_timer.setInterval(1000)

        self._lay_out()
        self.run_button.clicked.connect(self.start_run)
        self.cancel_button.clicked.connect(self.cancel_run)
        # Ctrl+Enter in the prompt runs; Escape anywhere in this panel (and only here) cancels.
        self.prompt_edit.installEventFilter(self)
        QShortcut(QKeySequence("Escape"), self, self.cancel_run, context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.clear_cooldown_button.clicked.connect(self.clear_selected_cooldown)
        self.clear_all_button.clicked.connect(self.clear_cooldowns)
        self.cooldown_list.currentRowChanged.connect(self._update_buttons)
        self.cooldown_timer.timeout.connect(self.refresh_cooldowns)
        # A rename or removal of the agent shows when the panel is next seen: nothing
        # reads the label while it is hidden (Run checks the agent itself), and the
        # refresh keeps the agent, so a run in progress goes on.
        follow_when_shown(self, document, concerning_agent(self), self._on_document_changed)
        self.set_agent(None)
        self.refresh_cooldowns()

    def _lay_out(self) -> None:
        options = QFormLayout()
        options.addRow("Run on:", self.call_combo)
        options.addRow("Simulate:", self.simulate_edit)
        buttons = QHBoxLayout()
        buttons.addWidget(self.stream_check)
        buttons.addStretch(1)
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.cancel_button)

        answer_box = QGroupBox("Answer", self)
        QVBoxLayout(answer_box).addWidget(self.answer_edit)
        timeline_box = QGroupBox("Timeline", self)
        QVBoxLayout(timeline_box).addWidget(self.timeline)
        # One above the other, both the panel's full width: side by side the timeline was
        # too narrow for a fallback's sentence, which wrapped to five lines.
        split = QSplitter(Qt.Orientation.Vertical, self)
        split.addWidget(answer_box)
        split.addWidget(timeline_box)
        split.setStretchFactor(0, 2)
        split.setStretchFactor(1, 3)
        split.setChildrenCollapsible(False)

        cooldown_buttons = QVBoxLayout()
        cooldown_buttons.addWidget(self.clear_cooldown_button)
        cooldown_buttons.addWidget(self.clear_all_button)
        cooldown_buttons.addStretch(1)
        cooldown_row = QHBoxLayout(self.cooldown_box)
        cooldown_row.addWidget(self.cooldown_list, 1)
        cooldown_row.addLayout(cooldown_buttons)

        layout = QVBoxLayout(self)
        layout.addWidget(self.agent_label)
        layout.addWidget(self.prompt_edit)
        layout.addLayout(options)
        layout.addLayout(buttons)
        layout.addWidget(split, 1)
        layout.addWidget(self.result_box)
        layout.addWidget(self.cooldown_box)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # The text box takes Ctrl+Enter and Escape for itself; give them to the panel.
        if watched is self.prompt_edit and isinstance(event, QKeyEvent) and event.type() == QEvent.Type.KeyPress:
            ctrl = bool(event.modifiers() & Qt.KeyboardModifier.ControlModifier)
            if ctrl and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self.start_run()
                return True
            if event.key() == Qt.Key.Key_Escape and self.is_running():
                self.cancel_run()
                return True
        return super().eventFilter(watched, event)

    # --- API ----------------------------------------------------------------------------

    def set_agent(self, agent_id: str | None) -> None:
        """Show the panel for ``agent_id``. A run still going for another agent is
        cancelled: the panel only ever shows the selected agent's run."""
        if agent_id != self.agent_id and self.is_running():
            self.cancel_run()
        self.agent_id = agent_id
        agent = self.document.config.agent(agent_id) if agent_id else None
        if agent is not None:
            self.agent_label.setText(f"Test-run {agent.name} ({agent.id})")
        elif agent_id:
            self.agent_label.setText(f"There is no agent '{agent_id}' any more.")
        else:
            self.agent_label.setText("Choose an agent to test-run it.")
        self._update_buttons()

    def _on_document_changed(self) -> None:
        self.set_agent(self.agent_id)

    def is_running(self) -> bool:
        return self._task is not None

    def start_run(self) -> asyncio.Task[RunResult] | None:
        """Start a run of the selected agent with the prompt; returns its task."""
        if self.is_running() or self.agent_id is None or self.document.config.agent(self.agent_id) is None:
            return None
        prompt = self.prompt_edit.toPlainText().strip()
        if not prompt:
            self._show_result("Type a prompt first.", "problem")
            self.prompt_edit.setFocus()
            return None
        try:
            simulation = self.simulation()
        except ValueError as exc:
            self._show_result(f"Simulate: {exc}", "problem")
            self.simulate_edit.setFocus()
            return None
        unknown = self._unknown_targets(simulation)
        if unknown:
            # A typo would rehearse nothing and look like a healthy run.
            self._show_result(
                f"Simulate: there is no model or provider {', '.join(repr(t) for t in unknown)}.", "problem"
            )
            self.simulate_edit.setFocus()
            return None
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            # The app always runs on qasync; this only guards a misconfigured embedding.
            self._show_result("Cannot run: the app's async event loop is not running.", "problem")
            return None
        install_asyncgen_hooks(loop)
        self._run_id += 1
        run_id = self._run_id
        self._started = time.monotonic()
        self.result = None
        self.timeline_model.clear()
        self._streamed.clear()
        self.answer_edit.clear()
        self._show_result("Running…", "")
        # A snapshot: edits made while the run goes on do not change it half-way.
        config = self.document.snapshot()
        call = split_models(self.call_combo.model_id())
        self._history_input = (self.agent_id, call, prompt)
        from modeldesk.runtime.runner import run_agent

        # What the run is started with is read now, at the click.
        agent_id, stream, policy = self.agent_id, self.stream_check.isChecked(), self.document.policy

        def start() -> Awaitable[RunResult]:
            return run_agent(
                config,
                agent_id,
                prompt,
                call=call,
                stream=stream,
                on_event=lambda event: self._on_event(run_id, event),
                cooldowns=self.cooldowns,
                policy=policy,
                simulate=simulation,
            )

        self._task = loop.create_task(_after_a_turn(start))
        self._task.add_done_callback(lambda task: self._on_done(run_id, task))
        self._set_running(True)
        return self._task

    def _unknown_targets(self, simulation: Simulation | None) -> list[str]:
        if simulation is None:
            return []
        # The same check as `run --simulate` (the organization policy's models count too).
        resolver = self.document.resolver
        return unknown_targets(simulation, resolver.models, resolver.providers)

    def simulation(self) -> Simulation | None:
        """The faults typed in the Simulate field (None when empty); ValueError says what is wrong."""
        specs = [part.strip() for part in self.simulate_edit.text().split(",") if part.strip()]
        return parse_simulations(specs) if specs else None

    def cancel_run(self) -> None:
        """Stop the run now; the panel is idle when this returns."""
        task, self._task = self._task, None
        if task is None:
            return
        self._run_id += 1  # anything the old run still reports is ignored
        task.cancel()
        self.timeline_model.add_note("cancelled", "Cancelled by you; nothing more is sent", self._offset())
        self._show_result("Cancelled.", "")
        self._set_running(False)

    def shutdown(self) -> None:
        """Cancel any run and stop the timers (the window is closing)."""
        self.cancel_run()
        self.cooldown_timer.stop()

    # --- cooldowns ----------------------------------------------------------------------

    def refresh_cooldowns(self) -> None:
        active = self.cooldowns.active()
        current = self.cooldown_list.currentItem()
        selected = current.data(Qt.ItemDataRole.UserRole) if current else None
        self.cooldown_list.clear()
        for cooldown in active:
            agent, left = self._agent_name(cooldown.agent_id), duration_text(cooldown.seconds_left)
            if cooldown.cooling and cooldown.model_id == cooldown.cooling:
                # No fallback answered (a quota, say): the model is skipped, nothing replaces it.
                why = cooldown.reason.replace("_", " ")
                text = f"{agent} skips {self._model_name(cooldown.cooling)} ({why}) for {left} more"
            else:
                text = f"{agent} starts at {self._model_name(cooldown.model_id)} for {left} more"
            item = QListWidgetItem(text)
            item.setToolTip(f"Agent {cooldown.agent_id}, model {cooldown.model_id}")
            item.setData(Qt.ItemDataRole.UserRole, cooldown.agent_id)
            self.cooldown_list.addItem(item)
            if cooldown.agent_id == selected:
                self.cooldown_list.setCurrentItem(item)
        self.cooldowns_changed.emit(
            {
                self.cooldown_list.item(row).data(Qt.ItemDataRole.UserRole): self.cooldown_list.item(row).text()
                for row in range(self.cooldown_list.count())
            }
        )
        if not active:
            placeholder = QListWidgetItem("None: every agent starts at its primary model.")
            placeholder.setFlags(Qt.ItemFlag.NoItemFlags)
            self.cooldown_list.addItem(placeholder)
        # Count down while something is cooling; stay quiet otherwise.
        if active and not self.cooldown_timer.isActive():
            self.cooldown_timer.start()
        elif not active:
            self.cooldown_timer.stop()
        self._update_buttons()

    def _agent_name(self, agent_id: str) -> str:
        agent = self.document.config.agent(agent_id)
        return agent.name if agent is not None else agent_id

    def _model_name(self, model_id: str) -> str:
        model = self.document.resolver.models.get(model_id)
        return model.display_name if model is not None else model_id

    def active_cooldown_agents(self) -> list[str]:
        return [c.agent_id for c in self.cooldowns.active()]

    def clear_selected_cooldown(self) -> None:
        item = self.cooldown_list.currentItem()
        agent_id = item.data(Qt.ItemDataRole.UserRole) if item else None
        if agent_id:
            self.cooldowns.clear(agent_id)
        self.refresh_cooldowns()

    def clear_cooldowns(self) -> None:
        self.cooldowns.clear()
        self.refresh_cooldowns()

    # --- the run ------------------------------------------------------------------------

    def _offset(self) -> float:
        return time.monotonic() - self._started

    def _on_event(self, run_id: int, event: RunEvent) -> None:
        if not isValid(self):
            # The window went away mid-run: stop the run instead of drawing into nothing.
            if self._task is not None:
                self._task.cancel()
            return
        if run_id != self._run_id:
            return
        if isinstance(event, TextDelta):
            # Tokens arrive faster than they can be drawn one by one: collect them and
            # append what came in once per turn of the event loop.
            self._streamed.append(event.text)
            self._schedule_draw()
            return
        self._flush_streamed()
        if isinstance(event, OutputWithdrawn):
            # The failed attempt's words are not part of the answer; the next starts clean.
            self.answer_edit.clear()
        self.timeline_model.add_event(event, self._offset())
        # Following the end lays the timeline's rows out (each row's height from its
        # wrapped text, ~0.5 ms): once per turn of the loop, not once per event inside the
        # run's step (its first step reports two).
        self._scroll_timeline = True
        self._schedule_draw()
        if isinstance(event, CooldownStarted):
            self.refresh_cooldowns()

    def _schedule_draw(self) -> None:
        if not self._draw_scheduled:
            self._draw_scheduled = True
            QTimer.singleShot(0, self._draw)

    def _draw(self) -> None:
        self._draw_scheduled = False
        if not isValid(self):
            return
        self._flush_streamed()
        if self._scroll_timeline:
            self._scroll_timeline = False
            self.timeline.scrollToBottom()

    def _flush_streamed(self) -> None:
        if not self._streamed or not isValid(self):
            self._streamed.clear()
            return
        text = "".join(self._streamed)
        self._streamed.clear()
        self.answer_edit.append_text(text)

    def _on_done(self, run_id: int, task: asyncio.Task[RunResult]) -> None:
        error = None if task.cancelled() else task.exception()  # always retrieved
        if run_id != self._run_id or not isValid(self):
            return  # cancelled by the user: the panel went idle already
        self._flush_streamed()
        self._task = None
        if task.cancelled():
            self._show_result("Cancelled.", "")
        elif error is not None:
            self._show_result(f"The run stopped unexpectedly: {error}", "problem")
        else:
            self.result = task.result()
            if self.result.ok:
                # A non-streamed answer arrives whole, at the end.
                if self.answer_edit.toPlainText() != self.result.text:
                    self.answer_edit.setPlainText(self.result.text)
                self._show_result(result_text(self.result), "ok")
            else:
                self._show_result(result_text(self.result), "problem")
        self._set_running(False)
        self.refresh_cooldowns()
        if self.result is not None:
            # The record (the chain resolved again, the texts redacted: ~0.5 ms) is made on
            # the next turn of the loop, once the result is on screen, and not tied to the
            # panel (a window closed meanwhile still has its run recorded). It is written on
            # the recorder's thread: a locked or damaged database never touches the run.
            document, result, (agent_id, call, prompt) = self.document, self.result, self._history_input
            QTimer.singleShot(
                0, lambda: history_recorder().record(app_run_record(document, agent_id, call, prompt, result))
            )
            self.run_finished.emit(self.result)

    def _show_result(self, text: str, meaning: str) -> None:
        """``meaning``: "problem", "ok", or "" for plain text."""
        self.result_label.setText(text)
        set_text_colour(self.result_label, meaning or None)

    def _set_running(self, running: bool) -> None:
        self._update_buttons()
        self.running_changed.emit(running)

    def _update_buttons(self, *_: object) -> None:
        running = self.is_running()
        has_agent = self.agent_id is not None and self.document.config.agent(self.agent_id) is not None
        self.run_button.setEnabled(not running and has_agent)
        self.cancel_button.setEnabled(running)
        self.prompt_edit.setReadOnly(running)
        item = self.cooldown_list.currentItem()
        self.clear_cooldown_button.setEnabled(bool(item and item.data(Qt.ItemDataRole.UserRole)))
        self.clear_all_button.setEnabled(bool(self.cooldowns.active()))
