"""The History page: the recorded runs (the app's Test runs, ``modeldesk run``, and the
gateway's requests with the client that sent them), which model answered each one, and
every attempt it took.

The runs are read from the user's run history database (``core/history.py``), newest
first, filtered by agent, by model (runs that tried it), failed runs only, or runs that
fell back. A run answered by another model than its primary says so in its row ("gpt-4o
instead of claude-sonnet-4", in the warning colour); a failed run is in the problem
colour. Selecting a row shows its attempts as a timeline in the test run's colours.

The app's test runs are written to the same database by ``services.history_records``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QItemSelectionModel, QSignalBlocker, QStringListModel, Qt
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from modeldesk.core.history import (
    MAX_KEEP_RUNS,
    MIN_KEEP_RUNS,
    AttemptRecord,
    HistoryError,
    HistorySettings,
    HistoryStore,
    RunRecord,
    Spend,
    money_text,
)
from modeldesk.core.ids import agent_choice, agent_named
from modeldesk.core.resolution_text import layer_label

from ..document import Document
from ..models.runs_model import REHEARSAL_NOTE, RunsModel, client_text, tokens_text, when_text
from ..models.spend_model import AgentSpendModel, ModelSpendModel
from ..models.timeline_model import TimelineEntry, TimelineModel
from ..services.history_records import READ_TIMEOUT_MS, HistoryRecorder, history_recorder, model_records
from ..text import latency_text
from ..widgets.elided import elide_combo
from ..widgets.search_combo import searchable
from ..widgets.style import set_text_colour
from ..widgets.tables import make_table
from ..widgets.when_shown import follow_when_shown

if TYPE_CHECKING:  # the runner (and httpx with it) loads with the first run
    pass

ANY_AGENT = "Any agent"
ANY_MODEL = "Any model"
# The page shows the newest runs; filters narrow the query rather than the rows shown.
PAGE_LIMIT = 1000


# --- recording the app's test runs -------------------------------------------------------


# --- how a run reads -------------------------------------------------------------------


def attempt_kind(attempt: AttemptRecord) -> str:
    """The timeline kind (and so the colour and icon) of one recorded attempt."""
    return {"answered": "answered", "failed": "attempt_failed", "skipped": "model_skipped"}.get(
        attempt.outcome, "cancelled" if attempt.outcome == "cancelled" else "info"
    )


def attempt_text(attempt: AttemptRecord) -> str:
    took = latency_text(attempt.elapsed_ms)
    if attempt.outcome == "answered":
        cost = f" · {money_text(attempt.cost_usd)}" if attempt.cost_usd is not None else ""
        return f"{attempt.model} answered in {took}{cost}"
    if attempt.outcome == "skipped":
        return f"{attempt.model} skipped: {attempt.error or 'not tried'}"
    if attempt.outcome == "cancelled":
        return f"{attempt.model} cancelled after {took}"
    status = f"{attempt.status} " if attempt.status is not None else ""
    why = attempt.error or attempt.error_class or "error"
    kind = f" ({attempt.error_class})" if attempt.error_class and attempt.error else ""
    return f"{attempt.model} failed after {took}: {status}{why}{kind}"


def timeline_entries(run: RunRecord) -> list[TimelineEntry]:
    """The run's attempts in the Test run timeline's shape. Offsets add up the attempts'
    own durations (waits between retries are not recorded), so they show the order and
    what each try cost rather than wall-clock times."""
    entries: list[TimelineEntry] = []
    offset_ms = 0
    for attempt in run.attempts:
        entries.append(TimelineEntry(offset_ms / 1000, attempt_kind(attempt), attempt_text(attempt)))
        offset_ms += attempt.elapsed_ms
    if run.answered_by is None:
        message = run.error_message or "No model answered."
        entries.append(TimelineEntry(run.latency_ms / 1000, "all_failed", message))
    return entries


def origin_summary(run: RunRecord) -> str:
    if run.origin == "serve":
        client = client_text(run, full=True)
        return f"gateway request from {client}" if client else "gateway request"
    return "app Test run" if run.origin == "app" else "CLI run"


def run_summary(run: RunRecord, agent_name: str | None = None) -> str:
    """The selected run in two plain lines above its timeline (``agent_name``: the
    agent's name now, when it still exists)."""
    where = f" from {layer_label(run.source)}" if run.source else ""
    task = f", task {run.task}" if run.task else ""
    agent = run.agent if not agent_name or agent_name == run.agent else f"{agent_name} ({run.agent})"
    first = f"{when_text(run.started_at)} · {agent}{task} · {origin_summary(run)}"
    listed = ", ".join(run.models) if run.models else "(no models)"
    if run.refused:
        outcome = f"Refused by the gateway before any agent ran ({run.error_code})"
    elif run.answered_by is None:
        outcome = f"No model answered ({run.error_code or 'failed'})"
    elif run.fell_back:
        outcome = f"Answered by {run.answered_by} instead of {run.primary}"
    else:
        outcome = f"Answered by {run.answered_by}"
    tokens = tokens_text(run)
    cost = f" · cost {money_text(run.cost_usd)}" if run.cost_usd is not None else ""
    second = f"{outcome} in {latency_text(run.latency_ms)}{f' · tokens {tokens}' if tokens else ''}{cost}"
    # The prompt is there only when the user turned prompt recording on.
    prompt = f"\nPrompt: {run.prompt}" if run.prompt else ""
    rehearsal = f"\n{REHEARSAL_NOTE}" if run.simulated else ""
    return f"{first}\nResolved{where}: {listed}\n{second}{rehearsal}{prompt}"


def _filter_combo(parent: QWidget, name: str, accessible: str) -> QComboBox:
    combo = searchable(elide_combo(QComboBox(parent)))  # filled in one call (see HistoryPage._fill)
    combo.setObjectName(name)
    combo.setAccessibleName(accessible)
    combo.setMinimumContentsLength(18)
    return combo


class HistoryPage(QWidget):
    def __init__(
        self, document: Document, parent: QWidget | None = None, *, recorder: HistoryRecorder | None = None
    ) -> None:
        super().__init__(parent)
        self.document = document
        self.store_path = HistoryStore().path
        self._stale = True

        self.agent_combo = _filter_combo(self, "history_agent_filter", "Only runs of agent")
        self.model_combo = _filter_combo(self, "history_model_filter", "Only runs that tried model")
        self.failed_check = QCheckBox("&Failed only", self)
        self.fell_back_check = QCheckBox("Fell &back only", self)
        self.fell_back_check.setToolTip("Runs answered by another model than their primary")
        self.refresh_button = QPushButton("R&efresh", self)
        self.count_label = QLabel(self)
        self.count_label.setObjectName("history_count")

        self.runs_model = RunsModel(self, agent_name=self._agent_name)
        # Up to a thousand rows: fixed heights, nothing measured per row, and widths set
        # once from sample texts (fitting them would read every cell on each refresh).
        self.runs_view = make_table(
            self.runs_model,
            "history_runs",
            "Recorded runs, newest first",
            self,
            stretch=(RunsModel.ANSWERED,),
            one_line=True,
            widths=(
                (RunsModel.WHEN, "2026-11-26 13:05:39"),
                (RunsModel.AGENT, "x" * 22),
                (RunsModel.ATTEMPTS, "Attempts"),
                (RunsModel.LATENCY, "Latency"),
                (RunsModel.TOKENS, "00000 → 00000"),
                (RunsModel.ORIGIN, "codex_exec/0.171.0 ·"),
            ),
        )

        self.detail_box = QGroupBox("Attempts", self)
        self.summary_label = QLabel(self)
        self.summary_label.setObjectName("history_summary")
        self.summary_label.setTextFormat(Qt.TextFormat.PlainText)  # agent and model names are data
        self.summary_label.setWordWrap(True)
        self.summary_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.timeline_model = TimelineModel(self)
        self.timeline = make_table(self.timeline_model, "history_timeline", "Attempts of the selected run", self)
        self.timeline.setShowGrid(False)
        self.timeline.setAlternatingRowColors(False)  # the colours are the kinds'
        detail = QVBoxLayout(self.detail_box)
        detail.addWidget(self.summary_label)
        detail.addWidget(self.timeline, 1)

        # What the runs cost: per agent and per model, with the answers given by a substitute.
        self.spend_box = QWidget(self)
        self.agent_spend_model = AgentSpendModel(self)
        self.model_spend_model = ModelSpendModel(self)
        self.agent_spend_view = make_table(
            self.agent_spend_model, "history_agent_spend", "Spend per agent", self.spend_box, stretch=(0,)
        )
        self.model_spend_view = make_table(
            self.model_spend_model, "history_model_spend", "Spend per model", self.spend_box, stretch=(0,)
        )
        spend_note = QLabel(
            "Spend is the tokens each provider reported times the model's price in the registry; "
            "'-' means not known (no price, or no token counts). A substitute answered in place of the primary.",
            self.spend_box,
        )
        spend_note.setWordWrap(True)
        spend_tables = QHBoxLayout()
        spend_tables.addWidget(self.agent_spend_view)
        spend_tables.addWidget(self.model_spend_view)
        spend_layout = QVBoxLayout(self.spend_box)
        spend_layout.addLayout(spend_tables, 1)
        spend_layout.addWidget(spend_note)
        self.details = QTabWidget(self)
        self.details.setObjectName("history_details")
        self.details.addTab(self.detail_box, "A&ttempts")
        self.details.addTab(self.spend_box, "Spe&nd")

        self.message_label = QLabel(self)
        self.message_label.setObjectName("history_message")
        self.message_label.setWordWrap(True)
        self.message_label.setTextFormat(Qt.TextFormat.PlainText)
        set_text_colour(self.message_label, "problem")
        self.message_label.setVisible(False)

        filters = QHBoxLayout()
        agent_label = QLabel("&Agent:", self)
        agent_label.setBuddy(self.agent_combo)
        model_label = QLabel("&Model:", self)
        model_label.setBuddy(self.model_combo)
        for widget in (agent_label, self.agent_combo, model_label, self.model_combo):
            filters.addWidget(widget)
        filters.addWidget(self.failed_check)
        filters.addWidget(self.fell_back_check)
        filters.addStretch(1)
        filters.addWidget(self.count_label)
        filters.addWidget(self.refresh_button)
        split = QSplitter(Qt.Orientation.Vertical, self)
        split.addWidget(self.runs_view)
        split.addWidget(self.details)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        split.setChildrenCollapsible(False)
        self._build_settings_row()
        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        layout.addWidget(self.message_label)
        layout.addWidget(split, 1)
        layout.addLayout(self.settings_row)

        self._filters_stale = True
        self.agent_combo.activated.connect(self.refresh)
        for combo in (self.agent_combo, self.model_combo):
            line = combo.lineEdit()
            assert line is not None  # editable
            line.editingFinished.connect(self.refresh)
        self.model_combo.activated.connect(self.refresh)
        self.failed_check.toggled.connect(self.refresh)
        self.fell_back_check.toggled.connect(self.refresh)
        self.refresh_button.clicked.connect(self.refresh)
        self.runs_view.selectionModel().currentRowChanged.connect(self._show_run)
        # The Agent and Model filters list the config's agents and models.
        follow_when_shown(self, document, ("agents", "models"), self._fill_filters)
        (recorder or history_recorder()).recorded.connect(self._on_recorded)
        self._show_run()

    # --- the history's own settings ---------------------------------------------------

    def _build_settings_row(self) -> None:
        """Where the history is kept, how many runs it keeps, whether prompts are kept,
        and Clear: settings of the database itself, shared with the CLI."""
        self.path_label = QLabel(f"Kept in {self.store_path}", self)
        self.path_label.setObjectName("history_path")
        self.path_label.setTextFormat(Qt.TextFormat.PlainText)
        self.path_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        set_text_colour(self.path_label, "secondary")  # context, greyed
        self.keep_spin = QSpinBox(self)
        self.keep_spin.setObjectName("history_keep")
        self.keep_spin.setRange(MIN_KEEP_RUNS, min(MAX_KEEP_RUNS, 2**31 - 1))
        self.keep_spin.setGroupSeparatorShown(True)
        self.keep_spin.setAccessibleName("Runs to keep")
        self.keep_spin.setToolTip("Older runs are removed as new ones are recorded.")
        keep_label = QLabel("&Keep the newest", self)
        keep_label.setBuddy(self.keep_spin)
        self.prompts_check = QCheckBox("Record &prompts", self)
        self.prompts_check.setToolTip("Keep each run's prompt in the history (off: prompts are never stored).")
        self.clear_button = QPushButton("&Clear history…", self)
        row = QHBoxLayout()
        row.addWidget(self.path_label, 1)
        row.addWidget(keep_label)
        row.addWidget(self.keep_spin)
        row.addWidget(QLabel("runs", self))
        row.addWidget(self.prompts_check)
        row.addWidget(self.clear_button)
        self.settings_row = row
        self.keep_spin.editingFinished.connect(self._commit_keep)
        self.prompts_check.clicked.connect(self._commit_prompts)
        self.clear_button.clicked.connect(self.clear_history)

    def _current_settings(self) -> tuple[HistorySettings, int]:
        """The database's settings and run count; the defaults and 0 when there is no
        database yet (reading must not create it) or it cannot be read (named above)."""
        if not self.store_path.exists():
            return HistorySettings(), 0
        try:
            return self._store().settings(), self._store().count()
        except HistoryError:
            return HistorySettings(), 0

    def _show_settings(self) -> None:
        settings, _count = self._current_settings()
        with QSignalBlocker(self.keep_spin), QSignalBlocker(self.prompts_check):
            self.keep_spin.setValue(settings.keep_runs)
            self.prompts_check.setChecked(settings.record_prompts)

    def _store(self) -> HistoryStore:
        return HistoryStore(self.store_path, timeout_ms=READ_TIMEOUT_MS)

    def _change_settings(self, **changes: Any) -> bool:
        try:
            self._store().set_settings(**changes)
        except HistoryError as exc:
            self.message_label.setText(exc.message)
            self.message_label.setVisible(True)
            self._show_settings()
            return False
        return True

    def _commit_keep(self) -> None:
        keep = self.keep_spin.value()
        settings, count = self._current_settings()
        current = settings.keep_runs
        if keep == current:
            return
        if keep < count:
            answer = QMessageBox.question(
                self,
                "Keep fewer runs",
                f"The history holds {count:,} runs; keeping {keep:,} removes the {count - keep:,} oldest now. "
                "This cannot be undone.",
            )
            if answer != QMessageBox.StandardButton.Yes:
                self._show_settings()
                return
        if self._change_settings(keep_runs=keep):
            self.refresh()

    def _commit_prompts(self, checked: bool) -> None:
        self._change_settings(record_prompts=checked)

    def clear_history(self) -> None:
        """Delete every recorded run, after asking (it cannot be undone)."""
        count = self._store().count() if self.store_path.exists() else 0
        if count == 0:
            return
        answer = QMessageBox.question(
            self,
            "Clear history",
            f"Delete all {count:,} recorded runs (the app's and the CLI's)? This cannot be undone.",
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        try:
            self._store().clear()
        except HistoryError as exc:
            self.message_label.setText(exc.message)
            self.message_label.setVisible(True)
            return
        model_records().invalidate()
        self.refresh()

    # --- filters ----------------------------------------------------------------------

    def _agent_name(self, agent_id: str) -> str:
        agent = self.document.config.agent(agent_id)
        return agent.name if agent is not None else agent_id

    def _fill_filters(self) -> None:
        self._filters_stale = False
        config = self.document.config
        # Agents by name, with the id that tells two of one name apart.
        self._fill(self.agent_combo, ANY_AGENT, [agent_choice(a.name, a.id) for a in config.agents])
        self._fill(self.model_combo, ANY_MODEL, sorted(self.document.resolver.models))

    @staticmethod
    def _fill(combo: QComboBox, any_text: str, items: list[str]) -> None:
        typed = combo.currentText()
        combo.blockSignals(True)
        model = combo.model()
        if isinstance(model, QStringListModel):
            # One call for the whole list: adding 10,000 items one by one takes long.
            model.setStringList([any_text, *items])
        # An id typed or picked before stays, even if it is no longer in the config
        # (history keeps runs of agents and models that are gone).
        combo.setEditText(typed or any_text)
        combo.blockSignals(False)

    def _chosen_agent(self) -> str | None:
        """The agent id the Agent filter names: a listed "Name (id)", an id, or a name."""
        text = self._chosen(self.agent_combo, ANY_AGENT)
        if text is None:
            return None
        # Runs of an agent that is gone are kept under its id.
        return agent_named(self.document.config.agents, text) or text

    @staticmethod
    def _chosen(combo: QComboBox, any_text: str) -> str | None:
        text = combo.currentText().strip()
        return None if not text or text == any_text else text

    def set_filters(
        self, *, agent: str | None = None, model: str | None = None, failed: bool = False, fell_back: bool = False
    ) -> None:
        known = self.document.config.agent(agent) if agent else None
        shown_agent = agent_choice(known.name, known.id) if known is not None else agent
        for combo, value, any_text in (
            (self.agent_combo, shown_agent, ANY_AGENT),
            (self.model_combo, model, ANY_MODEL),
        ):
            combo.blockSignals(True)
            combo.setEditText(value or any_text)
            combo.blockSignals(False)
        for check, checked in ((self.failed_check, failed), (self.fell_back_check, fell_back)):
            check.blockSignals(True)
            check.setChecked(checked)
            check.blockSignals(False)
        self.refresh()

    # --- reading ----------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        # Runs recorded by the CLI since the page was last looked at.
        super().showEvent(event)
        if self._filters_stale:
            self._fill_filters()
        if self._stale:
            self.refresh()

    def _on_recorded(self, _run_id: int) -> None:
        if self.isVisible():
            self.refresh()
        else:
            self._stale = True

    def refresh(self, *_: object) -> None:
        """Query the history again with the filters, keeping the selected run."""
        self._stale = False
        selected = self.current_run()
        store = self._store()
        spend = Spend([], [])
        try:
            spend = store.spend(agent=self._chosen_agent())
            runs = store.query(
                agent=self._chosen_agent(),
                model=self._chosen(self.model_combo, ANY_MODEL),
                failed=self.failed_check.isChecked(),
                fell_back=self.fell_back_check.isChecked(),
                limit=PAGE_LIMIT,
            )
        except HistoryError as exc:
            runs = []
            self.message_label.setText(exc.message)
            self.message_label.setVisible(True)
        else:
            self.message_label.setVisible(False)
        self.runs_model.update_rows(runs)
        self.agent_spend_model.update_rows(spend.agents)
        self.model_spend_model.update_rows(spend.models)
        self._show_settings()
        self.clear_button.setEnabled(self.store_path.exists())
        shown = len(runs)
        more = " (the newest)" if shown == PAGE_LIMIT else ""
        self.count_label.setText(f"{shown} run{'s' if shown != 1 else ''}{more}")
        if not runs and not self.message_label.isVisible():
            self.summary_label.setText(
                "No runs recorded yet: runs from the agent's Test run, `modeldesk run` and the gateway appear here."
                if not self._any_filter()
                else "No recorded run matches these filters."
            )
        row = self.runs_model.row_of(selected.id) if selected is not None else -1
        self.select_row(row if row >= 0 else (0 if runs else -1))

    def _any_filter(self) -> bool:
        return bool(
            self._chosen_agent()
            or self._chosen(self.model_combo, ANY_MODEL)
            or self.failed_check.isChecked()
            or self.fell_back_check.isChecked()
        )

    def select_row(self, row: int) -> None:
        if row < 0:
            self.runs_view.selectionModel().clear()
            self._show_run()
            return
        index = self.runs_model.index(row, 0)
        self.runs_view.selectionModel().setCurrentIndex(
            index, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
        )
        self._show_run()

    def current_run(self) -> RunRecord | None:
        index = self.runs_view.currentIndex()
        if not index.isValid() or index.row() >= self.runs_model.rowCount():
            return None
        return self.runs_model.row_value(index.row())

    def _show_run(self, *_: object) -> None:
        run = self.current_run()
        if run is None:
            self.timeline_model.clear()
            self.detail_box.setTitle("Attempts")
            if self.runs_model.rowCount():
                self.summary_label.setText("Select a run to see its attempts.")
            return
        self.detail_box.setTitle(f"Attempts of run {run.id}")
        self.summary_label.setText(run_summary(run, self._agent_name(run.agent)))
        self.timeline_model.set_rows(timeline_entries(run))
