"""Settings → task models: rules "task T, chat model C (or any) → model(s)", one per row.

Each add, edit or removal is one undoable step: the core's SetTaskModel for the rule it
touches (a renamed rule: clear the old one, set the new one), worked out on the map as it is
when saved, so a rule another program set meanwhile is kept."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QWidget

from modeldesk.core.edits import Batch, Edit, SetTaskModel
from modeldesk.core.schema import WILDCARD, TaskModelMap, model_list

from ...document import Document
from ...models.task_rules_model import TaskModelsModel, TaskRule
from ...widgets.table_section import TableSection
from ..dialogs.task_model_dialog import TaskModelDialog


def rules_of(task_models: dict[str, TaskModelMap]) -> list[TaskRule]:
    return [
        (task, chat, tuple(model_list(value)))
        for task, by_chat in task_models.items()
        for chat, value in by_chat.items()
    ]


class TaskModelsEditor(TableSection):
    follows = ("settings", "models", "providers")
    error_title = "Cannot change task models"

    def __init__(self, document: Document, parent: QWidget | None = None) -> None:
        super().__init__(document, TaskModelsModel(document), parent, name="task_models_table")
        self.model.setParent(self)
        self.refresh()

    def rows(self) -> list[TaskRule]:
        return rules_of(self._document.config.settings.task_models)

    def key(self, row: TaskRule) -> tuple[str, str]:
        return row[0], row[1]

    # --- actions ----------------------------------------------------------------------

    def add_item(self) -> None:
        self._edit_with_dialog(None)

    def edit_item(self) -> None:
        rule = self.current()
        if rule is not None:
            self._edit_with_dialog(rule)

    def remove_item(self) -> None:
        rule = self.current()
        if rule is None:
            return
        task, chat, _models = rule
        label = f"Remove task model {task} ({chat})"
        self._save(self.task_edit(task, chat, (), label), label)

    def _edit_with_dialog(self, rule: TaskRule | None) -> None:
        task, chat, models = rule or ("", WILDCARD, ())
        dialog = TaskModelDialog(self._document, self, task=task, chat_model=chat, models=list(models))
        try:
            if dialog.exec() != QDialog.DialogCode.Accepted:
                return
            new_task, new_chat, new_models = dialog.task(), dialog.chat_model(), dialog.models()
        finally:
            dialog.deleteLater()
        label = f"{'Edit' if rule else 'Add'} task model {new_task} ({new_chat})"
        edit = self.task_edit(new_task, new_chat, tuple(new_models), label)
        if rule and (task, chat) != (new_task, new_chat):
            edit = Batch((self.task_edit(task, chat, (), label), edit), label=label)
        if self._save(edit, label):
            self.select((new_task, new_chat))

    def task_edit(self, task: str, chat: str, models: tuple[str, ...], label: str) -> Edit:
        """Set (or, with no models, clear) one rule of the settings' task map."""
        return SetTaskModel("settings", task, models, chat=chat, label=label)

    def _save(self, edit: Edit, label: str) -> bool:
        return self.perform(edit)
