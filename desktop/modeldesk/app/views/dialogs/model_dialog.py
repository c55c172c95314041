"""Add or edit a model in the registry. Labels and help come from ``Model.model_fields``."""

from __future__ import annotations

from collections.abc import Set as AbstractSet

from pydantic import ValidationError
from PySide6.QtCore import Qt
from PySide6.QtGui import QDoubleValidator
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from modeldesk.core.schema import Capabilities, Model, Price, Provider

from .forms import ItemDialog, add_field_rows, field_label, first_error


class ModelDialog(ItemDialog[Model]):
    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        providers: list[Provider],
        model: Model | None = None,
        taken_ids: AbstractSet[str] = frozenset(),
    ) -> None:
        super().__init__(parent, "model", model, taken_ids, 460)
        fields = Model.model_fields

        self.id_edit = QLineEdit(model.id if model else "", self)
        self.id_edit.setEnabled(model is None)  # agents' lists refer to the id
        self.provider_combo = QComboBox(self)
        for provider in providers:
            self.provider_combo.addItem(provider.label or provider.id, provider.id)
        if model is not None and self.provider_combo.findData(model.provider) < 0:
            self.provider_combo.addItem(f"⚠ {model.provider} (missing)", model.provider)
        if model is not None:
            self.provider_combo.setCurrentIndex(self.provider_combo.findData(model.provider))
        self.name_edit = QLineEdit(model.name if model else "", self)
        self.label_edit = QLineEdit((model.label or "") if model else "", self)
        self.context_spin = QSpinBox(self)
        self.context_spin.setRange(0, 100_000_000)
        self.context_spin.setSingleStep(1000)
        self.context_spin.setSpecialValueText("unknown")
        self.context_spin.setSuffix(" tokens")
        self.context_spin.setValue(model.context_window or 0 if model else 0)
        caps = model.capabilities if model else Capabilities()
        self.capability_boxes: dict[str, QCheckBox] = {}
        for name, info in Capabilities.model_fields.items():
            box = QCheckBox(field_label(info, name), self)
            # Unknown (None) is shown as partially checked: never a reason to skip.
            box.setTristate(True)
            value = getattr(caps, name)
            box.setCheckState(_state(value))
            box.setToolTip("Checked: supported · empty: not supported · partial: unknown")
            self.capability_boxes[name] = box
        self.enabled_box = QCheckBox(field_label(fields["enabled"], "enabled"), self)
        self.enabled_box.setChecked(model.enabled if model else True)
        price = model.price if model else Price()
        self.price_edits: dict[str, QLineEdit] = {}
        for name in ("input", "output"):
            edit = QLineEdit("" if getattr(price, name) is None else f"{getattr(price, name):g}", self)
            edit.setPlaceholderText("unknown")
            edit.setValidator(QDoubleValidator(0.0, 1e6, 6, edit))
            edit.setToolTip(f"US dollars per million {name} tokens; empty: unknown")
            self.price_edits[name] = edit

        form = QFormLayout()
        add_field_rows(
            form,
            fields,
            (
                ("id", self.id_edit),
                ("provider", self.provider_combo),
                ("name", self.name_edit),
                ("label", self.label_edit),
                ("context_window", self.context_spin),
            ),
        )
        price_row = QHBoxLayout()
        for name, edit in self.price_edits.items():
            price_row.addWidget(QLabel(f"{name.title()}:", self))
            price_row.addWidget(edit)
        price_row.addWidget(QLabel("$ per million tokens", self))
        form.addRow(field_label(fields["price"], "price") + ":", price_row)
        caps_row = QVBoxLayout()
        for box in self.capability_boxes.values():
            caps_row.addWidget(box)
        form.addRow(field_label(fields["capabilities"], "capabilities") + ":", caps_row)
        form.addRow("", self.enabled_box)
        self.finish_layout(form)
        self.id_edit.textChanged.connect(self._suggest_name)

    def model(self) -> Model | None:
        return self._result

    def _suggest_name(self, text: str) -> None:
        self.name_edit.setPlaceholderText(text.strip() or "")

    def accept(self) -> None:
        capabilities = {name: _value(box) for name, box in self.capability_boxes.items()}
        data = {
            "id": self.id_edit.text().strip(),
            "provider": self.provider_combo.currentData() or "",
            "name": self.name_edit.text().strip() or self.id_edit.text().strip(),
            "label": self.label_edit.text().strip() or None,
            "context_window": self.context_spin.value() or None,
            "capabilities": {k: v for k, v in capabilities.items() if v is not None},
            "price": {k: float(e.text().replace(",", ".")) for k, e in self.price_edits.items() if e.text().strip()},
            "enabled": self.enabled_box.isChecked(),
        }
        given = {k: v for k, v in data.items() if v is not None}
        try:
            model = Model.model_validate(given)
        except ValidationError as exc:
            self.show_error(first_error(exc, given))
            return
        if taken := self.id_taken(model.id):
            self.show_error(taken)
            return
        if not model.provider:
            self.show_error("Add a provider first: every model is served by one.")
            return
        self.finish(model)


def _state(value: bool | None) -> Qt.CheckState:
    if value is None:
        return Qt.CheckState.PartiallyChecked
    return Qt.CheckState.Checked if value else Qt.CheckState.Unchecked


def _value(box: QCheckBox) -> bool | None:
    state = box.checkState()
    if state == Qt.CheckState.PartiallyChecked:
        return None
    return state == Qt.CheckState.Checked
