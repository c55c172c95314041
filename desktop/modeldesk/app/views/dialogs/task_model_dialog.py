"""Add or edit one task-model rule: for task T, when the chat model is C (or any, '*'),
run the task on these models."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QWidget,
)

from modeldesk.core.schema import WILDCARD

from ...document import Document
from ...widgets.model_list_editor import ModelListEditor
from .forms import FormDialog

ANY_CHAT_MODEL = "Any chat model (*)"


class TaskModelDialog(FormDialog):
    def __init__(
        self,
        document: Document,
        parent: QWidget | None = None,
        *,
        task: str = "",
        chat_model: str = WILDCARD,
        models: list[str] | None = None,
    ) -> None:
        super().__init__(parent, "Edit task model" if task else "Add task model")
        self.resize(520, 420)
        self.task_edit = QLineEdit(task, self)
        self.task_edit.setPlaceholderText("e.g. title, summary")
        self.chat_combo = QComboBox(self)
        self.chat_combo.setEditable(True)
        self.chat_combo.addItem(ANY_CHAT_MODEL, WILDCARD)
        for model_id in sorted(document.resolver.models):
            self.chat_combo.addItem(model_id, model_id)
        found = self.chat_combo.findData(chat_model)
        if found >= 0:
            self.chat_combo.setCurrentIndex(found)
        else:
            self.chat_combo.setEditText(chat_model)
        self.models_editor = ModelListEditor(document, self, show_hint=False)
        self.models_editor.set_models(list(models or []))

        form = QFormLayout()
        form.addRow("&Task:", self.task_edit)
        form.addRow("When the &chat model is:", self.chat_combo)
        caption = QLabel("Run the task on (first usable wins):", self)
        self.finish_layout(form, caption, self.models_editor, stretch=self.models_editor)

    def task(self) -> str:
        return self.task_edit.text().strip()

    def chat_model(self) -> str:
        index = self.chat_combo.findText(self.chat_combo.currentText())
        if index >= 0:
            return str(self.chat_combo.itemData(index))
        return self.chat_combo.currentText().strip() or WILDCARD

    def models(self) -> list[str]:
        return self.models_editor.models()

    def accept(self) -> None:
        problem = None
        if not self.task():
            problem = "Name the task (for example “title”)."
        elif not self.models():
            problem = "Add at least one model to run the task on."
        if problem:
            self.show_error(problem)
            return
        super().accept()
