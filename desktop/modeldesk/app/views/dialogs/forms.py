"""Small helpers shared by the form dialogs: labels from schema fields, readable errors."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QLayout, QVBoxLayout, QWidget

from modeldesk.core.validation_text import first_problem


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
        # Errors quote other programs (the OS keyring, a server): data, not markup.
        self.error_label.setTextFormat(Qt.TextFormat.PlainText)
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
        self._make_room()

    def _make_room(self) -> None:
        """Grow the dialog to fit a (wrapped, possibly long) error line. Qt sizes a window
        by its layout's minimum, which ignores how tall wrapped text gets at the window's
        width, so without this the form's rows are squashed to make room for it."""
        layout = self.layout()
        if layout is None:
            return
        layout.activate()
        needed = layout.totalHeightForWidth(self.width()) if layout.hasHeightForWidth() else -1
        needed = max(needed, layout.totalSizeHint().height())
        if self.height() < needed:
            self.resize(self.width(), needed)


Item = TypeVar("Item", bound=BaseModel)


class ItemDialog(FormDialog, Generic[Item]):
    """A form that adds or edits one item of the config (a model, a provider): the item it
    started from (``None``: a new one), the ids the other items have, and the item the
    form made once accepted."""

    def __init__(
        self, parent: QWidget | None, noun: str, original: Item | None, taken_ids: Collection[str], width: int
    ) -> None:
        super().__init__(parent, f"Edit {noun}" if original is not None else f"Add {noun}")
        self.setMinimumWidth(width)
        self._noun = noun
        self._original = original
        self._taken = set(taken_ids)
        self._result: Item | None = None

    def id_taken(self, item_id: str) -> str:
        """Why a new item cannot have ``item_id`` (``""`` when it can)."""
        if self._original is None and item_id in self._taken:
            return f"There is already a {self._noun} '{item_id}'."
        return ""

    def finish(self, item: Item) -> None:
        """Close the dialog as accepted, with ``item`` as what it made."""
        self._result = item
        super().accept()

    def ask(self) -> Item | None:
        """Run the dialog modally, then let it go: the item it made, or ``None`` when the
        user cancelled."""
        try:
            accepted = self.exec() == QDialog.DialogCode.Accepted
            return self._result if accepted else None
        finally:
            self.deleteLater()


def add_field_rows(form: QFormLayout, fields: Mapping[str, FieldInfo], rows: Iterable[tuple[str, QWidget]]) -> None:
    """Rows of ``form`` for schema fields: each labelled with its field's title, its
    description as the widget's tooltip."""
    for name, widget in rows:
        form.addRow(field_label(fields[name], name) + ":", widget)
        widget.setToolTip(fields[name].description or "")


def field_label(info: FieldInfo, name: str) -> str:
    """The field's declared title, else its name in words."""
    return info.title or name.replace("_", " ").capitalize()


def first_error(exc: Exception, data: Any = None) -> str:
    """One line a person can act on, from a pydantic error (worded as the CLI and
    `config validate` word it; ``data`` is what was validated) or any other."""
    if isinstance(exc, ValidationError):
        return first_problem(exc, data)
    return str(exc)
