"""Settings → task models: rules "task T, chat model C (or any) → model(s)", one per row.

Each add, edit or removal replaces the settings' task map in one undoable step."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QDialog, QWidget

from modeldesk.core.edits import SetSetting
from modeldesk.core.schema import WILDCARD, TaskModelMap, as_model_value, model_list

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
        self._save(self._without(task, chat), f"Remove task model {task} ({chat})")

    def _edit_with_dialog(self, rule: TaskRule | None) -> None:
        task, chat, models = rule or ("", WILDCARD, ())
        dialog = TaskModelDialog(self._document, self, task=task, chat_model=chat, models=list(models))
        try:
            if dialog.exec() != QDialog.DialogCode.Accepted:
                return
            new_task, new_chat, new_models = dialog.task(), dialog.chat_model(), dialog.models()
        finally:
            dialog.deleteLater()
        task_models = self._without(task, chat) if rule else self._copy()
        previous = self._document.config.settings.task_models.get(new_task, {}).get(new_chat)
        task_models.setdefault(new_task, {})[new_chat] = as_model_value(new_models, like=previous)
        if self._save(task_models, f"{'Edit' if rule else 'Add'} task model {new_task} ({new_chat})"):
            self.select((new_task, new_chat))

    def _copy(self) -> dict[str, dict[str, Any]]:
        return {task: dict(by_chat) for task, by_chat in self._document.config.settings.task_models.items()}

    def _without(self, task: str, chat: str) -> dict[str, dict[str, Any]]:
        task_models = self._copy()
        task_models.get(task, {}).pop(chat, None)
        if task in task_models and not task_models[task]:
            del task_models[task]
        return task_models

    def _save(self, task_models: dict[str, dict[str, Any]], label: str) -> bool:
        return self.perform(SetSetting(("task_models",), task_models or None, label=label))
