"""Small helpers shared by the form dialogs: labels from schema fields, readable errors."""

from __future__ import annotations

from pydantic import ValidationError
from pydantic.fields import FieldInfo
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QLayout, QVBoxLayout, QWidget


class FormDialog(QDialog):
    """A dialog with a form, an error line and OK/Cancel. Subclasses build their fields,
    call :meth:`finish_layout`, and check input in ``accept`` (calling
    :meth:`show_error` and returning to keep the dialog open)."""

    def __init__(self, parent: QWidget | None, title: str) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.error_label = QLabel(self)
        self.error_label.setObjectName("error_label")
        self.error_label.setWordWrap(True)
        self.error_label.setVisible(False)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

    def finish_layout(self, *parts: QLayout | QWidget, stretch: QWidget | None = None) -> QVBoxLayout:
        """Stack ``parts`` (``stretch`` takes the spare height), then the error line and
        the buttons."""
        layout = QVBoxLayout(self)
        for part in parts:
            if isinstance(part, QLayout):
                layout.addLayout(part)
            else:
                layout.addWidget(part, 1 if part is stretch else 0)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)
        return layout

    def show_error(self, text: str) -> None:
        self.error_label.setText(text)
        self.error_label.setVisible(True)


def field_label(info: FieldInfo, name: str) -> str:
    """The field's declared title, else its name in words."""
    return info.title or name.replace("_", " ").capitalize()


def first_error(exc: Exception) -> str:
    """One line a person can act on, from a pydantic error (or any other)."""
    if isinstance(exc, ValidationError):
        error = exc.errors()[0]
        where = ".".join(str(p) for p in error["loc"])
        message = str(error["msg"]).removeprefix("Value error, ")
        return f"{where}: {message}" if where else message
    return str(exc)
