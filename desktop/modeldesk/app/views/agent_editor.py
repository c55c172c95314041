"""The agent editor: name, project, instruction, the preferred-model priority list, and
two folding sections for the agent's own task models (``agent_task_models.py``) and
fallback-option overrides (``agent_fallback_form.py``).

Each change is one undoable Edit through ``Document.perform``; the form re-reads the
agent after each edit that concerns it (undo and redo too) and after a reload from disk.
"""

from __future__ import annotations

from itertools import pairwise

from PySide6.QtCore import QEvent, QObject, QSignalBlocker, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QScrollArea,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from modeldesk.core.edits import Edit, SetAgentModels, UpdateItem
from modeldesk.core.errors import ResolutionError
from modeldesk.core.resolution_text import inherits_text
from modeldesk.core.schema import Agent, model_list

from ..document import Document
from ..widgets.collapsible import CollapsibleSection
from ..widgets.elided import ElidedLabel, elide_combo
from ..widgets.model_list_editor import ModelListEditor
from ..widgets.style import set_heading_font
from ..widgets.table_section import perform_or_show
from ..widgets.wheel_guard import wheel_only_when_focused
from ..widgets.when_shown import concerning_agent, follow_changes
from .agent_fallback_form import AgentFallbackForm
from .agent_task_models import AgentTaskModels

NO_PROJECT = "(none)"


def inherited_text(document: Document, agent_id: str) -> str:
    """What an agent with an empty list falls back to, for the list's empty state."""
    try:
        result = document.resolver.chat(agent_id)
    except ResolutionError:
        return "Inherits nothing: no project default and no Default agent model are set, so runs fail."
    if result.source == "agent":
        return ""
    return inherits_text(result.models, result.source)


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
        # Only edits that concern the agent shown refresh it (at 10,000 agents most do not);
        # at once even while hidden behind another tab, as it holds what is being typed.
        follow_changes(self, document, concerning_agent(self), self._refresh)
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
