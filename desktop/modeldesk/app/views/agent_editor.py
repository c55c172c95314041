"""The agent editor: name, project, instruction and the preferred-model priority list.

Each change is one undoable Edit through ``Document.perform``; the form re-reads the
agent whenever the document changes (undo, redo, a reload from disk).
"""

from __future__ import annotations

from html import escape

from PySide6.QtCore import QEvent, QObject, QSignalBlocker
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from modeldesk.core.edits import SetAgentModels, UpdateItem
from modeldesk.core.errors import ResolutionError
from modeldesk.core.schema import Agent, model_list

from ..document import Document
from ..widgets.model_list_editor import ModelListEditor
from ..widgets.table_section import perform_or_show

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


class AgentEditor(QWidget):
    def __init__(self, document: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._document = document
        self.agent_id: str | None = None

        self.title = QLabel(self)
        self.title.setObjectName("agent_title")
        self.title.setStyleSheet("font-size: 14pt; font-weight: 600;")
        self.name_edit = QLineEdit(self)
        self.project_combo = QComboBox(self)
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
        self.empty_label = QLabel("Select an agent to edit it.", self)

        form = QFormLayout()
        form.addRow("&Name:", self.name_edit)
        form.addRow("&Project:", self.project_combo)
        form.addRow("&Instruction:", self.instruction_edit)
        models_caption = QLabel("Preferred &models (primary first, then fallbacks):", self)
        models_caption.setBuddy(self.models_editor.view)

        self.form_widget = QWidget(self)
        inner = QVBoxLayout(self.form_widget)
        inner.setContentsMargins(0, 0, 0, 0)
        inner.addWidget(self.title)
        inner.addLayout(form)
        inner.addWidget(models_caption)
        inner.addWidget(self.models_editor)
        inner.addWidget(self.error_label)
        inner.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.empty_label)
        layout.addWidget(self.form_widget, 1)

        self.name_edit.editingFinished.connect(self._commit_name)
        self.project_combo.activated.connect(self._commit_project)
        self.instruction_edit.installEventFilter(self)
        self.models_editor.models_edited.connect(self._commit_models)
        document.changed.connect(self._refresh)
        self._refresh()

    # --- API --------------------------------------------------------------------------

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
        self.form_widget.setVisible(agent is not None)
        self.empty_label.setVisible(agent is None)
        if self.agent_id is not None and agent is None:
            self.empty_label.setText(f"The agent '{self.agent_id}' no longer exists.")
        else:
            self.empty_label.setText("Select an agent to edit it.")
        if agent is None:
            return
        # Rich text: the name is escaped, so "<b>" in a name shows as typed.
        self.title.setText(
            f"{escape(agent.name)}  <span style='color: gray; font-weight: normal'>({escape(agent.id)})</span>"
        )
        # Leave a name the user is still typing alone (isModified is cleared on commit).
        if not self.name_edit.isModified():
            self.name_edit.setText(agent.name)
        with QSignalBlocker(self.project_combo):
            self.project_combo.clear()
            self.project_combo.addItem(NO_PROJECT, None)
            for project in self._document.config.projects:
                self.project_combo.addItem(f"{project.name} ({project.id})", project.id)
            if agent.project and self._document.config.project(agent.project) is None:
                self.project_combo.addItem(f"⚠ {agent.project} (missing)", agent.project)
            self.project_combo.setCurrentIndex(max(0, self.project_combo.findData(agent.project)))
        if self.instruction_edit.toPlainText() != agent.instruction and not self.instruction_edit.hasFocus():
            self.instruction_edit.setPlainText(agent.instruction)
        self.models_editor.set_models(model_list(agent.model))
        self.models_editor.set_inherited(inherited_text(self._document, agent.id))

    # --- commits ----------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.instruction_edit and event.type() == QEvent.Type.FocusOut:
            self._commit_instruction()
        return super().eventFilter(watched, event)

    def _perform(self, edit: UpdateItem | SetAgentModels) -> None:
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
