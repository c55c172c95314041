"""Resolution preview: which models the selected agent would run on, and why.

It asks the shared resolver (nothing is sent anywhere) and shows its answer: the model
list with the layer it came from, every layer considered as a table (used / skipped and
why), the warnings, and — when nothing usable is configured — the resolver's error in the
user's words with a link to Settings. Options let the user preview a delegated run (the
parent run's model, the request model), a run with its own call model, strict mode, and
a background task (which model would write the titles, say). It follows the edits that
concern the agent shown, while it can be seen (else once when shown again).
"""

from __future__ import annotations

from html import escape as _escape

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from modeldesk.core.errors import NoModelConfiguredError, ResolutionError
from modeldesk.core.resolution_text import layer_label
from modeldesk.core.resolver import Resolution, TraceStep
from modeldesk.core.schema import Config, Policy

from ..document import Document
from ..models.trace_model import TraceModel
from ..widgets.elided import elide_combo, short
from ..widgets.style import set_text_colour
from ..widgets.tables import make_table
from ..widgets.when_shown import concerning_agent, follow_when_shown
from .model_combo import ModelCombo


def escape(text: str) -> str:
    """Plain text for a rich-text label (quotes stay as typed)."""
    return _escape(text, quote=False)


NO_TASK = "(no task: chat model only)"
AGENTS_PROJECT = "(the agent's own project)"
# The trace columns that hold free text share the width; layer and outcome fit their words.
TEXT_COLUMNS = (TraceModel.VALUE, TraceModel.WHY)


def task_names(config: Config, policy: Policy | None) -> list[str]:
    """Every task name the config or policy mentions, sorted."""
    names: set[str] = set(config.settings.task_models)
    for project in config.projects:
        names.update(project.task_models)
    for agent in config.agents:
        names.update(agent.task_models)
    if policy is not None:
        names.update(policy.task_models)
    return sorted(names)


def split_models(text: str) -> list[str] | None:
    """A typed model or comma-separated list; ``None`` when blank."""
    models = [part.strip() for part in text.split(",") if part.strip()]
    return models or None


def resolution_text(resolution: Resolution) -> str:
    primary, *fallbacks = resolution.models
    text = f"Runs on <b>{escape(primary)}</b>"
    if fallbacks:
        text += f", then {escape(', '.join(fallbacks))}"
    return text + f" — from {escape(layer_label(resolution.source))}"


class ResolutionPreview(QWidget):
    def __init__(self, document: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.agent_id: str | None = None
        self.chat_resolution: Resolution | None = None
        self.task_resolution: Resolution | None = None
        self.error: ResolutionError | None = None

        self.title_label = QLabel(self)
        self.title_label.setObjectName("title_label")
        self.title_label.setWordWrap(True)

        self._build_options()

        self.result_label = QLabel(self)
        self.result_label.setObjectName("result_label")
        self.result_label.setWordWrap(True)
        self.result_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error_label = QLabel(self)
        self.error_label.setObjectName("error_label")
        self.error_label.setWordWrap(True)
        set_text_colour(self.error_label, "problem")
        self.error_label.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
            | Qt.TextInteractionFlag.LinksAccessibleByMouse
            | Qt.TextInteractionFlag.LinksAccessibleByKeyboard
        )
        self.error_label.linkActivated.connect(lambda _link: document.request_open_settings("default_agent_model"))
        self.warnings_label = QLabel(self)
        self.warnings_label.setObjectName("warnings_label")
        self.warnings_label.setWordWrap(True)
        set_text_colour(self.warnings_label, "warning")

        self.chat_trace_model = TraceModel(self)
        self.chat_trace = make_table(
            self.chat_trace_model, "chat_trace", "Chat model trace: every layer considered", self, stretch=TEXT_COLUMNS
        )

        self.task_box = QGroupBox(self)
        self.task_result_label = QLabel(self.task_box)
        self.task_result_label.setObjectName("task_result_label")
        self.task_result_label.setWordWrap(True)
        self.task_trace_model = TraceModel(self)
        self.task_trace = make_table(
            self.task_trace_model, "task_trace", "Task model trace", self.task_box, stretch=TEXT_COLUMNS
        )
        task_layout = QVBoxLayout(self.task_box)
        task_layout.addWidget(self.task_result_label)
        task_layout.addWidget(self.task_trace, 1)

        layout = QVBoxLayout(self)
        layout.addWidget(self.title_label)
        layout.addWidget(self.options_box)
        layout.addWidget(self.result_label)
        layout.addWidget(self.error_label)
        layout.addWidget(self.warnings_label)
        layout.addWidget(self.chat_trace, 1)
        layout.addWidget(self.task_box, 1)

        # Refreshed when an edit concerns the agent shown, and only while the tab can be seen
        # (otherwise once when it is shown again).
        follow_when_shown(self, document, concerning_agent(self), self._on_document_changed)
        self.refresh()

    # --- building -----------------------------------------------------------------------

    def _build_options(self) -> None:
        self.options_box = QGroupBox("Preview a run", self)
        self.top_radio = QRadioButton("T&op-level run", self)
        self.delegated_radio = QRadioButton("&Delegated (called by another agent)", self)
        self.run_kind = QButtonGroup(self)
        self.run_kind.addButton(self.top_radio)
        self.run_kind.addButton(self.delegated_radio)
        self.top_radio.setChecked(True)
        kinds = QHBoxLayout()
        kinds.addWidget(self.top_radio)
        kinds.addWidget(self.delegated_radio)
        kinds.addStretch(1)

        hint = "none; a comma-separated list is allowed"
        self.call_combo = ModelCombo(self.document, self, placeholder=hint)
        self.call_combo.setAccessibleName("Call model")
        self.parent_combo = ModelCombo(self.document, self, placeholder=hint)
        self.parent_combo.setAccessibleName("Parent run's model")
        self.request_combo = ModelCombo(self.document, self, placeholder=hint)
        self.request_combo.setAccessibleName("Request model")
        self.task_combo = QComboBox(self)
        self.task_combo.setEditable(True)
        self.task_combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.task_combo.setAccessibleName("Task")
        line = self.task_combo.lineEdit()
        assert line is not None  # an editable combo box has one
        line.setPlaceholderText(NO_TASK)
        line.setClearButtonEnabled(True)
        self._fill_tasks()
        self.project_combo = elide_combo(QComboBox(self))
        self.project_combo.setAccessibleName("Project")
        self._fill_projects()
        self.strict_check = QCheckBox("&Strict: an unusable model is an error, not skipped", self)

        self.options_form = QFormLayout(self.options_box)
        self.options_form.addRow("Run:", kinds)
        self.options_form.addRow("&Call model:", self.call_combo)
        self.options_form.addRow("&Parent run's model:", self.parent_combo)
        self.options_form.addRow("&Request model:", self.request_combo)
        self.options_form.addRow("Pro&ject:", self.project_combo)
        self.options_form.addRow("Tas&k:", self.task_combo)
        self.options_form.addRow("", self.strict_check)

        self.run_kind.buttonToggled.connect(self._on_run_kind)
        for combo in (self.call_combo, self.parent_combo, self.request_combo):
            combo.model_changed.connect(self.refresh)
        self.task_combo.editTextChanged.connect(self.refresh)
        self.project_combo.currentIndexChanged.connect(self.refresh)
        self.strict_check.toggled.connect(self.refresh)
        self._show_run_inputs()

    def _fill_tasks(self) -> None:
        current = self.task_combo.currentText()
        self.task_combo.blockSignals(True)
        self.task_combo.clear()
        self.task_combo.addItems(task_names(self.document.config, self.document.policy))
        self.task_combo.setCurrentIndex(-1)
        self.task_combo.setEditText(current)
        self.task_combo.blockSignals(False)

    def _fill_projects(self) -> None:
        chosen = self.project_combo.currentData()
        self.project_combo.blockSignals(True)
        self.project_combo.clear()
        self.project_combo.addItem(AGENTS_PROJECT, None)
        for project in self.document.config.projects:
            self.project_combo.addItem(f"{project.name} ({project.id})", project.id)
        self.project_combo.setCurrentIndex(max(0, self.project_combo.findData(chosen)))
        self.project_combo.blockSignals(False)

    # --- API ----------------------------------------------------------------------------

    def set_agent(self, agent_id: str | None) -> None:
        self.agent_id = agent_id
        self.refresh()

    def delegated(self) -> bool:
        return self.delegated_radio.isChecked()

    def task(self) -> str:
        return self.task_combo.currentText().strip()

    def chat_options(self) -> dict[str, object]:
        """The keywords passed to ``Resolver.chat`` for the options as set."""
        options: dict[str, object] = {
            "strict": self.strict_check.isChecked(),
            "project": self.project_combo.currentData(),
        }
        if self.delegated():
            options["delegated"] = True
            options["parent"] = split_models(self.parent_combo.model_id())
            options["request"] = split_models(self.request_combo.model_id())
        else:
            options["call"] = split_models(self.call_combo.model_id())
        return options

    # --- updating -----------------------------------------------------------------------

    def _on_run_kind(self, *_: object) -> None:
        self._show_run_inputs()
        self.refresh()

    def _show_run_inputs(self) -> None:
        delegated = self.delegated()
        # Only the inputs that take part in this kind of run are shown.
        self.options_form.setRowVisible(self.call_combo, not delegated)
        self.options_form.setRowVisible(self.parent_combo, delegated)
        self.options_form.setRowVisible(self.request_combo, delegated)

    def _on_document_changed(self) -> None:
        self._fill_tasks()
        self._fill_projects()
        self.refresh()

    def refresh(self, *_: object) -> None:
        self.chat_resolution = self.task_resolution = None
        self.error = None
        agent = self.document.config.agent(self.agent_id) if self.agent_id else None
        self.options_box.setEnabled(agent is not None)
        if agent is None:
            self.title_label.setText("Choose an agent to see which models it would run on.")
            self._show(None, [], [], None)
            return
        self.title_label.setText(f"<b>{escape(agent.name)}</b> ({escape(agent.id)})")
        resolver = self.document.resolver
        task = self.task()
        try:
            self.chat_resolution = resolver.chat(agent.id, **self.chat_options())  # type: ignore[arg-type]
            if task:
                self.task_resolution = resolver.task(
                    agent.id,
                    task,
                    chat=self.chat_resolution,
                    strict=self.strict_check.isChecked(),
                    project=self.project_combo.currentData(),
                )
        except ResolutionError as exc:
            self.error = exc
        if self.chat_resolution is not None:
            chat_trace = self.chat_resolution.trace
        else:
            chat_trace = list(self.error.trace) if self.error is not None else []
        warnings = list(self.chat_resolution.warnings if self.chat_resolution else [])
        if self.task_resolution is not None:
            warnings += [w for w in self.task_resolution.warnings if w not in warnings]
        elif self.error is not None:
            warnings += [w for w in self.error.warnings if w not in warnings]
        task_trace = self.task_resolution.trace if self.task_resolution else []
        if self.error is not None and self.chat_resolution is not None:
            # The chat resolved, the task did not (strict mode): its trace is the error's.
            task_trace = list(self.error.trace)
        self._show(self.chat_resolution, chat_trace, warnings, task or None, task_trace)

    def _show(
        self,
        chat: Resolution | None,
        chat_trace: list[TraceStep],
        warnings: list[str],
        task: str | None,
        task_trace: list[TraceStep] | None = None,
    ) -> None:
        self.chat_trace_model.set_rows(chat_trace)
        self.result_label.setText(resolution_text(chat) if chat else "")
        self.result_label.setVisible(chat is not None)

        error = self.error
        if error is not None:
            text = escape(error.message)
            if isinstance(error, NoModelConfiguredError):
                text += ' <a href="open-settings">Open settings</a>'
            self.error_label.setText(text)
        self.error_label.setVisible(error is not None)
        self.warnings_label.setText("\n".join(f"⚠ {w}" for w in warnings))
        self.warnings_label.setVisible(bool(warnings))

        self.task_box.setVisible(bool(task) and chat is not None)
        self.task_trace_model.set_rows(task_trace or [])
        if task and chat is not None:
            self.task_box.setTitle(f"Task “{short(task)}”")
            if self.task_resolution is not None:
                self.task_result_label.setText(resolution_text(self.task_resolution))
            else:
                self.task_result_label.setText("The task cannot be resolved (see the error above).")
