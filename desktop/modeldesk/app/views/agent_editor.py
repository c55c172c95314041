"""The agent editor: name, project, instruction, the preferred-model priority list, and
two folding sections for the agent's own task models and fallback-option overrides.

Each change is one undoable Edit through ``Document.perform``; the form re-reads the
agent whenever the document changes (undo, redo, a reload from disk).
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import pairwise
from typing import Any

from PySide6.QtCore import QEvent, QObject, QSignalBlocker, Qt, Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QScrollArea,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from modeldesk.core.edits import Batch, Change, Edit, SetAgentFallback, SetAgentModels, SetTaskModel, UpdateItem
from modeldesk.core.errors import ModelDeskError, ResolutionError
from modeldesk.core.resolution_text import layer_label
from modeldesk.core.resolver import Resolver
from modeldesk.core.schema import Agent, FallbackOverride, model_list

from ..document import Document
from ..models.agent_task_models_model import AgentTaskModelsModel, AgentTaskRow
from ..widgets.actions import widget_action
from ..widgets.collapsible import CollapsibleSection
from ..widgets.elided import ElidedLabel, elide_combo
from ..widgets.fallback_fields import FALLBACK_FIELDS, OptionEditor, editor_for, field_tooltip, value_text
from ..widgets.model_list_editor import ModelListEditor
from ..widgets.style import set_heading_font, set_text_colour
from ..widgets.table_section import TableSection, perform_or_show
from ..widgets.wheel_guard import wheel_only_when_focused
from .dialogs.task_model_dialog import TaskModelDialog

NO_PROJECT = "(none)"

INHERIT_SOURCE = {
    "project": "the project's default model",
    "settings": "Settings → Default agent model",
    "organization": "the organization policy",
}


def inherited_text(document: Document, agent_id: str) -> str:
    """What an agent with an empty list falls back to, for the list's empty state."""
    try:
        result = document.resolver.chat(agent_id)
    except ResolutionError:
        return "Inherits nothing: no project default and no Default agent model are set, so runs fail."
    if result.source == "agent":
        return ""
    return f"Inherits {', '.join(result.models)} from {INHERIT_SOURCE.get(result.source, result.source)}."


# --- task models ------------------------------------------------------------------------


class AgentTaskModelDialog(TaskModelDialog):
    """The task-rule dialog without the chat-model row: an agent's entry is a direct
    choice, whatever the chat model."""

    def __init__(self, document: Document, parent: QWidget | None, agent_id: str, **kwargs: Any) -> None:
        super().__init__(document, parent, **kwargs)
        self.setWindowTitle(f"{'Edit' if kwargs.get('task') else 'Add'} task model of {agent_id}")
        form = self.findChild(QFormLayout)
        if form is not None:
            form.setRowVisible(self.chat_combo, False)


def otherwise_text(document: Document, agent_id: str, task: str) -> str:
    """What ``task`` would run on for this agent without the agent's own entry."""
    config = document.config
    agents = [
        a
        if a.id != agent_id
        else a.model_copy(update={"task_models": {t: v for t, v in a.task_models.items() if t != task}})
        for a in config.agents
    ]
    try:
        result = Resolver(config.model_copy(update={"agents": agents}), document.policy).task(agent_id, task)
    except ModelDeskError:
        return f"Without this entry, {task} would find no usable model."
    return f"Without this entry, {task} would run on {', '.join(result.models)} ({layer_label(result.source)})."


class AgentTaskModels(TableSection):
    """The agent's ``task_models``: task -> model(s). Each add, edit or removal replaces the
    map in one UpdateItem; an emptied map is unset (left out of the file)."""

    def __init__(
        self, document: Document, agent: Callable[[], Agent | None], error_label: QLabel, parent: QWidget | None = None
    ) -> None:
        super().__init__(document, AgentTaskModelsModel(document), parent, name="agent_task_models_table")
        self.model.setParent(self)
        self._agent = agent
        self._error_label = error_label
        self.table.setAccessibleName("Task models of this agent")
        self.add_button.setToolTip("Add a task this agent runs on its own models")
        self.remove_button.setToolTip("Remove the selected task model (Delete)")
        widget_action(self.table, "Edit…", QKeySequence(Qt.Key.Key_Return), self.edit_item)
        widget_action(self.table, "Remove", QKeySequence(QKeySequence.StandardKey.Delete), self.remove_item)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        # Laid out by the owner, under the table and its buttons.
        self.otherwise_label = QLabel(self)
        self.otherwise_label.setObjectName("otherwise_label")
        self.otherwise_label.setWordWrap(True)
        set_text_colour(self.otherwise_label, "secondary")
        self.table.selectionModel().selectionChanged.connect(self._show_otherwise)
        self.model.modelReset.connect(self._show_otherwise)
        self.refresh()

    def rows(self) -> list[AgentTaskRow]:
        agent = self._agent()
        if agent is None:
            return []
        return [(task, tuple(model_list(value))) for task, value in agent.task_models.items()]

    def key(self, row: AgentTaskRow) -> str:
        return row[0]

    def perform(self, edit: Edit) -> bool:
        if perform_or_show(self._document, edit, self._error_label):
            return True
        self.refresh()
        return False

    # --- actions ----------------------------------------------------------------------

    def add_item(self) -> None:
        self._edit_with_dialog(None)

    def edit_item(self) -> None:
        row = self.current()
        if row is not None:
            self._edit_with_dialog(row)

    def remove_item(self) -> None:
        row, agent = self.current(), self._agent()
        if row is None or agent is None:
            return
        label = f"Remove task model {row[0]} of {agent.id}"
        self.perform(SetTaskModel("agents", row[0], (), owner_id=agent.id, label=label))

    def _edit_with_dialog(self, row: AgentTaskRow | None) -> None:
        agent = self._agent()
        if agent is None:
            return
        task, models = row or ("", ())
        dialog = AgentTaskModelDialog(self._document, self, agent.id, task=task, models=list(models))
        try:
            if dialog.exec() != QDialog.DialogCode.Accepted:
                return
            new_task, new_models = dialog.task(), dialog.models()
        finally:
            dialog.deleteLater()
        agent = self._agent()  # the document may have changed while the dialog was open
        if agent is None:
            return
        if not new_models:  # the dialog accepts no empty list; nothing to save
            return
        label = f"{'Edit' if row else 'Add'} task model {new_task} of {agent.id}"
        # The rule's intent (a renamed task: clear the old, set the new), worked out on the
        # agent as it is when saved: a task model another program set meanwhile is kept.
        edit: Edit = SetTaskModel("agents", new_task, tuple(new_models), owner_id=agent.id, label=label)
        if row and task != new_task:
            edit = Batch((SetTaskModel("agents", task, (), owner_id=agent.id), edit), label=label)
        if self.perform(edit):
            self.select(new_task)

    def _show_otherwise(self, *_: object) -> None:
        row, agent = self.current(), self._agent()
        if row is None or agent is None:
            self.otherwise_label.setText("Select a task to see what it would run on without this entry.")
            return
        self.otherwise_label.setText(otherwise_text(self._document, agent.id, row[0]))


# --- fallback options -------------------------------------------------------------------


class AgentFallbackForm(QWidget):
    """One row per fallback option (built from ``FallbackSettings.model_fields``): a check
    box "override", a spin box with the field's range, and the Settings value. Unchecked,
    the spin box is disabled and shows the Settings value; checking writes the agent's own
    value, unchecking removes it, and when none is left ``fallback`` is unset."""

    def __init__(
        self, document: Document, agent: Callable[[], Agent | None], error_label: QLabel, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._document = document
        self._agent = agent
        self._error_label = error_label
        self.checks: dict[str, QCheckBox] = {}
        self.boxes: dict[str, OptionEditor] = {}
        self.notes: dict[str, QLabel] = {}
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setVerticalSpacing(2)
        # The options an agent may override: the settings' own, less the settings-only ones.
        fields = {name: field for name, field in FALLBACK_FIELDS.items() if name in FallbackOverride.model_fields}
        for row, (name, field) in enumerate(fields.items()):
            title = field.title
            tip = field_tooltip(field)
            check = QCheckBox(title, self)
            check.setObjectName(f"override_{name}")
            check.setToolTip(f"Override for this agent. {tip}")
            box = editor_for(field, self)
            box.setObjectName(f"agent_fallback_{name}")
            box.setAccessibleName(f"{title} for this agent")
            box.setToolTip(tip)
            box.setMinimumWidth(100)
            note = QLabel(self)
            set_text_colour(note, "secondary")  # quieter: context, not a value of this agent
            note.setWordWrap(True)  # the editor is narrow beside the agents list
            grid.addWidget(check, row, 0)
            grid.addWidget(box, row, 1)
            grid.addWidget(note, row, 2)
            check.clicked.connect(lambda checked, name=name: self._override(name, checked))
            box.editingFinished.connect(lambda name=name: self._commit(name))
            self.checks[name], self.boxes[name], self.notes[name] = check, box, note
        grid.setColumnStretch(2, 1)

    def overridden(self) -> list[str]:
        agent = self._agent()
        if agent is None or agent.fallback is None:
            return []
        return [name for name in self.checks if getattr(agent.fallback, name) is not None]

    def refresh(self) -> None:
        agent = self._agent()
        if agent is None:
            return
        settings = self._document.config.settings.fallback
        own = set(self.overridden())
        for name, check in self.checks.items():
            overridden = name in own
            box = self.boxes[name]
            value = getattr(agent.fallback, name) if overridden else getattr(settings, name)
            with QSignalBlocker(check), QSignalBlocker(box):
                check.setChecked(overridden)
                box.setValue(value)
            box.setEnabled(overridden)
            base = getattr(settings, name)
            shown = value_text(base)
            self.notes[name].setText(f"Settings: {shown}" if overridden else f"from Settings: {shown}")

    def _override(self, name: str, checked: bool) -> None:
        agent = self._agent()
        if agent is None:
            return
        title = FALLBACK_FIELDS[name].title.lower()
        if checked:
            # Start from the value the agent runs with now (the Settings value).
            value = getattr(self._document.config.settings.fallback, name)
            self._save(agent, name, value, f"Override {title} of {agent.id}")
        else:
            self._save(agent, name, None, f"Stop overriding {title} of {agent.id}")

    def _commit(self, name: str) -> None:
        agent = self._agent()
        if agent is None or not self.checks[name].isChecked():
            return
        value = self.boxes[name].value()
        if agent.fallback is not None and getattr(agent.fallback, name) == value:
            return
        title = FALLBACK_FIELDS[name].title.lower()
        self._save(agent, name, value, f"Change {title} of {agent.id}")

    def _save(self, agent: Agent, name: str, value: Any, label: str) -> None:
        # One option per edit, worked out against the file when saved, so another
        # program's change to this agent's other options is kept; removing the last
        # override unsets "fallback" altogether.
        edit = SetAgentFallback(agent.id, name, value, label=label)
        if not perform_or_show(self._document, edit, self._error_label):
            self.refresh()


class AgentEditor(QWidget):
    # A project id: the user followed the link beside the project combo.
    open_project_requested = Signal(str)

    def __init__(self, document: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._document = document
        self.agent_id: str | None = None

        self.title = ElidedLabel("", self)
        self.title.setObjectName("agent_title")
        set_heading_font(self.title)
        self.name_edit = QLineEdit(self)
        self.project_combo = elide_combo(QComboBox(self))
        # The editor scrolls: the wheel passing over the combo must not change the project.
        wheel_only_when_focused(self.project_combo)
        self.project_link = QToolButton(self)
        self.project_link.setObjectName("project_link")
        self.project_link.setText("Open project")
        self.project_link.setToolTip("Show this project on the Projects page")
        self.project_link.setAutoRaise(True)
        # Looks like the "Open settings" link beside the model lists: it goes somewhere.
        self.project_link.setCursor(Qt.CursorShape.PointingHandCursor)
        self.project_link.setStyleSheet("QToolButton:enabled { color: palette(link); text-decoration: underline; }")
        self.project_link.clicked.connect(self._open_project)
        self.instruction_edit = QPlainTextEdit(self)
        self.instruction_edit.setPlaceholderText("What this agent is for, in a sentence or two.")
        self.instruction_edit.setTabChangesFocus(True)
        self.instruction_edit.setFixedHeight(self.fontMetrics().lineSpacing() * 4 + 12)
        self.models_editor = ModelListEditor(document, self)
        self.models_editor.view.setMinimumHeight(200)
        self.error_label = QLabel(self)
        self.error_label.setObjectName("error_label")
        self.error_label.setWordWrap(True)
        self.error_label.setVisible(False)
        self.task_models = AgentTaskModels(document, self._agent, self.error_label, self)
        self.task_section = self._section(
            "Tas&k models",
            "task_models_section",
            "Background tasks (titles, summaries…) this agent runs on models of its own, whatever its chat model.",
            self.task_models,
            self.task_models.otherwise_label,
        )
        self.fallback_form = AgentFallbackForm(document, self._agent, self.error_label, self)
        self.fallback_section = self._section(
            "Fallback &options",
            "fallback_section",
            "Tick an option to give this agent its own value; the others follow Settings → Fallback defaults.",
            self.fallback_form,
        )
        self.empty_label = QLabel("Select an agent to edit it.", self)
        self.empty_label.setWordWrap(True)
        # Each section's header comes before its contents in the Tab order.
        chain: list[QWidget] = [
            self.models_editor.hint_label,
            self.task_section.toggle,
            self.task_models.table,
            self.task_models.add_button,
            self.task_models.edit_button,
            self.task_models.remove_button,
            self.fallback_section.toggle,
        ]
        for name, check in self.fallback_form.checks.items():
            chain += [check, self.fallback_form.boxes[name]]
        for first, second in pairwise(chain):
            QWidget.setTabOrder(first, second)

        form = QFormLayout()
        form.addRow("&Name:", self.name_edit)
        project_row = QHBoxLayout()
        project_row.addWidget(self.project_combo, 1)
        project_row.addWidget(self.project_link)
        project_label = QLabel("&Project:", self)
        project_label.setBuddy(self.project_combo)
        form.addRow(project_label, project_row)
        form.addRow("&Instruction:", self.instruction_edit)
        models_caption = QLabel("Preferred &models (primary first, then fallbacks):", self)
        models_caption.setBuddy(self.models_editor.view)

        self.form_widget = QWidget(self)
        inner = QVBoxLayout(self.form_widget)
        inner.setContentsMargins(0, 0, 0, 0)
        inner.addWidget(self.title)
        inner.addLayout(form)
        inner.addWidget(models_caption)
        inner.addWidget(self.models_editor, 1)
        inner.addWidget(self.task_section)
        inner.addWidget(self.fallback_section)
        inner.addWidget(self.error_label)
        # The form scrolls when the open sections make it taller than the tab.
        self.scroll_area = QScrollArea(self)
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setFrameShape(QScrollArea.Shape.NoFrame)
        self.scroll_area.setWidget(self.form_widget)
        layout = QVBoxLayout(self)
        layout.addWidget(self.empty_label)
        layout.addWidget(self.scroll_area, 1)

        self.name_edit.editingFinished.connect(self._commit_name)
        self.project_combo.activated.connect(self._commit_project)
        self.instruction_edit.installEventFilter(self)
        self.models_editor.models_edited.connect(self._commit_models)
        # Only edits that concern the agent shown refresh it (at 10,000 agents most do not).
        document.edited.connect(self._on_edited)
        document.reloaded.connect(self._refresh)
        self._refresh()

    # --- API --------------------------------------------------------------------------

    def _section(self, title: str, name: str, caption: str, *widgets: QWidget) -> CollapsibleSection:
        """A folding section: an indented, wrapped caption above ``widgets``."""
        body = QWidget(self)
        layout = QVBoxLayout(body)
        layout.setContentsMargins(16, 0, 0, 4)
        label = QLabel(caption, body)
        label.setWordWrap(True)
        layout.addWidget(label)
        for widget in widgets:
            layout.addWidget(widget)
        section = CollapsibleSection(title, body, self)
        section.setObjectName(name)
        return section

    def set_agent(self, agent_id: str | None) -> None:
        if agent_id == self.agent_id:
            return
        # Text being typed is saved when focus leaves; switching agents must not drop it.
        self._commit_name()
        self._commit_instruction()
        self.name_edit.setModified(False)
        self.agent_id = agent_id
        self._refresh()

    # --- refresh from the document ----------------------------------------------------

    def _on_edited(self, change: Change) -> None:
        if change.concerns_agent(self.agent_id):
            self._refresh()

    def _refresh(self) -> None:
        agent = self._agent()
        self.scroll_area.setVisible(agent is not None)
        self.form_widget.setVisible(agent is not None)
        self.empty_label.setVisible(agent is None)
        if self.agent_id is not None and agent is None:
            self.empty_label.setText(f"The agent '{self.agent_id}' no longer exists.")
        elif not self._document.config.agents:
            # An empty workspace: say what comes first, not "select" among nothing.
            self.empty_label.setText(
                "There are no agents yet. Add one with Add agent… (Ctrl+N).\n\n"
                + (
                    "Agents run on models from your providers: add a provider first in Settings → Models."
                    if not self._document.config.providers
                    else "Its models come from the model registry in Settings → Models."
                )
            )
        else:
            self.empty_label.setText("Select an agent to edit it.")
        if agent is None:
            return
        # Plain text, elided to the editor's width: a long name never widens the window.
        self.title.setText(f"{agent.name}  ({agent.id})")
        # Leave a name the user is still typing alone (isModified is cleared on commit).
        if not self.name_edit.isModified():
            self.name_edit.setText(agent.name)
            if not self.name_edit.hasFocus():
                self.name_edit.setCursorPosition(0)  # a long name shows its start
        with QSignalBlocker(self.project_combo):
            self.project_combo.clear()
            self.project_combo.addItem(NO_PROJECT, None)
            for project in self._document.config.projects:
                self.project_combo.addItem(f"{project.name} ({project.id})", project.id)
            if agent.project and self._document.config.project(agent.project) is None:
                self.project_combo.addItem(f"⚠ {agent.project} (missing)", agent.project)
            self.project_combo.setCurrentIndex(max(0, self.project_combo.findData(agent.project)))
        self.project_link.setEnabled(self._document.config.project(agent.project or "") is not None)
        if self.instruction_edit.toPlainText() != agent.instruction and not self.instruction_edit.hasFocus():
            self.instruction_edit.setPlainText(agent.instruction)
        self.models_editor.set_models(model_list(agent.model))
        self.models_editor.set_inherited(inherited_text(self._document, agent.id))
        self.task_models.refresh()
        count = len(agent.task_models)
        self.task_section.set_summary(f"{count} task{'s' if count != 1 else ''}" if count else "none")
        self.fallback_form.refresh()
        overridden = len(self.fallback_form.overridden())
        self.fallback_section.set_summary(f"{overridden} overridden" if overridden else "all from Settings")

    # --- commits ----------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.instruction_edit and event.type() == QEvent.Type.FocusOut:
            self._commit_instruction()
        return super().eventFilter(watched, event)

    def _perform(self, edit: Edit) -> None:
        if not perform_or_show(self._document, edit, self.error_label):
            self._refresh()

    def _agent(self) -> Agent | None:
        return self._document.config.agent(self.agent_id) if self.agent_id else None

    def _commit_name(self) -> None:
        agent = self._agent()
        name = self.name_edit.text().strip()
        self.name_edit.setModified(False)
        if agent is None or name == agent.name:
            return
        if not name:
            self.name_edit.setText(agent.name)
            self.error_label.setText("An agent needs a name.")
            self.error_label.setVisible(True)
            return
        self._perform(UpdateItem("agents", agent.id, {"name": name}, label=f"Rename {agent.id}"))

    def _commit_project(self, _index: int = 0) -> None:
        agent = self._agent()
        project = self.project_combo.currentData()
        if agent is None or project == agent.project:
            return
        self._perform(UpdateItem("agents", agent.id, {"project": project}, label=f"Change project of {agent.id}"))

    def _open_project(self) -> None:
        agent = self._agent()
        if agent is not None and agent.project and self._document.config.project(agent.project) is not None:
            self.open_project_requested.emit(agent.project)

    def _commit_instruction(self) -> None:
        agent = self._agent()
        text = self.instruction_edit.toPlainText()
        if agent is None or text == agent.instruction:
            return
        self._perform(UpdateItem("agents", agent.id, {"instruction": text}, label=f"Edit instruction of {agent.id}"))

    def _commit_models(self, models: list[str]) -> None:
        agent = self._agent()
        if agent is None or models == model_list(agent.model):
            return
        self._perform(SetAgentModels(agent.id, tuple(models)))
