"""An agent's own task models in its editor: the folding table of rules (task -> models),
the dialog that adds or changes one, and what the task would run on without the rule."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QLabel,
    QWidget,
)

from modeldesk.core.edits import Batch, Edit, SetTaskModel
from modeldesk.core.errors import ModelDeskError
from modeldesk.core.resolution_text import layer_label
from modeldesk.core.resolver import Resolver
from modeldesk.core.schema import Agent, model_list

from ..document import Document
from ..models.agent_task_models_model import AgentTaskModelsModel, AgentTaskRow
from ..widgets.actions import widget_action
from ..widgets.style import set_text_colour
from ..widgets.table_section import TableSection, perform_or_show
from .dialogs.task_model_dialog import TaskModelDialog


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

    follows = ("agents", "models", "providers")

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
