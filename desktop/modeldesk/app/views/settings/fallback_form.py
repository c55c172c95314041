"""Fallback defaults, built from ``FallbackSettings.model_fields``: each field's title is
the label, its default is shown, its description is the tooltip. A value is saved when
the spin box loses focus or Enter is pressed; "Reset" returns it to the default."""

from __future__ import annotations

from PySide6.QtCore import QSignalBlocker
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QWidget,
)

from modeldesk.core.edits import SetSetting

from ...document import Document
from ...widgets.fallback_fields import (
    FALLBACK_FIELDS,
    OptionEditor,
    default_value,
    editor_for,
    field_tooltip,
    value_text,
)
from ...widgets.style import set_text_colour
from ...widgets.table_section import perform_or_show
from ...widgets.when_shown import follow_when_shown


class FallbackForm(QWidget):
    def __init__(self, document: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._document = document
        self.boxes: dict[str, OptionEditor] = {}
        self.reset_buttons: dict[str, QPushButton] = {}
        self.error_label = QLabel(self)
        self.error_label.setWordWrap(True)
        self.error_label.setVisible(False)
        form = QFormLayout(self)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.FieldsStayAtSizeHint)
        # Every "default …" note as wide as the widest, so the Reset buttons line up.
        notes = {name: f"default {value_text(default_value(field))}" for name, field in FALLBACK_FIELDS.items()}
        note_width = max(self.fontMetrics().horizontalAdvance(note) for note in notes.values()) + 6
        for name, field in FALLBACK_FIELDS.items():
            box = editor_for(field, self)
            box.setObjectName(f"fallback_{name}")
            box.setMinimumWidth(110)
            default = value_text(default_value(field))
            tip = field_tooltip(field)
            box.setToolTip(tip)
            reset = QPushButton("Reset to default", self)
            reset.setToolTip(f"Use the default, {default}")
            default_label = QLabel(notes[name], self)
            set_text_colour(default_label, "secondary")
            default_label.setMinimumWidth(note_width)
            row = QHBoxLayout()
            row.addWidget(box)
            row.addWidget(default_label)
            row.addWidget(reset)
            row.addStretch(1)
            label = QLabel(f"{field.title}:", self)
            label.setToolTip(tip)
            label.setBuddy(box)
            form.addRow(label, row)
            box.editingFinished.connect(lambda name=name: self._commit(name))
            reset.clicked.connect(lambda _checked=False, name=name: self._set(name, None))
            self.boxes[name] = box
            self.reset_buttons[name] = reset
        form.addRow(self.error_label)
        follow_when_shown(self, document, ("settings",), self._refresh)
        self._refresh()

    def _refresh(self) -> None:
        fallback = self._document.config.settings.fallback
        for name, box in self.boxes.items():
            with QSignalBlocker(box):
                box.setValue(getattr(fallback, name))
            # Reset only matters for a value written in the file.
            self.reset_buttons[name].setEnabled(name in fallback.model_fields_set)

    def _commit(self, name: str) -> None:
        box = self.boxes[name]
        value = box.value()
        current = getattr(self._document.config.settings.fallback, name)
        if value == current:
            return
        self._set(name, value)

    def _set(self, name: str, value: float | str | None) -> None:
        title = FALLBACK_FIELDS[name].title
        action = "Reset" if value is None else "Change"
        edit = SetSetting(("fallback", name), value, label=f"{action} {title.lower()}")
        if not perform_or_show(self._document, edit, self.error_label):
            self._refresh()
