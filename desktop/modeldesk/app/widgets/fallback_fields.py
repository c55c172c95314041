"""Editors for the fallback options, built from the setting's declaration (see
core/setting_fields.py): a spin box with the type and bounds of a number, a drop-down with
the words of a switch. Shared by Settings → Fallback defaults and the agent editor's
fallback overrides."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QAbstractSpinBox, QCheckBox, QComboBox, QDoubleSpinBox, QSpinBox, QWidget

from modeldesk.core.schema import FallbackSettings
from modeldesk.core.setting_fields import NumberField, SwitchField, setting_fields

from .wheel_guard import wheel_only_when_focused

# Every fallback option that is a number or a switch, as declared in FallbackSettings (the
# per-agent overrides are built from the same declarations).
FALLBACK_FIELDS = setting_fields(FallbackSettings)

# Spin boxes have no open bounds; the smallest step above an excluded bound stands in for it.
_STEP_ABOVE_OPEN_BOUND = 0.01
# Spin boxes need some maximum; a setting declared without one gets this.
_NO_MAXIMUM = 1e9


def spin_box_for(field: NumberField, parent: QWidget) -> QSpinBox | QDoubleSpinBox:
    """A spin box with the field's type and bounds."""
    low = field.low if field.low is not None else 0.0
    if field.low_open:
        low += 1 if field.integer else _STEP_ABOVE_OPEN_BOUND
    high = field.high if field.high is not None else _NO_MAXIMUM
    box: QSpinBox | QDoubleSpinBox
    if field.integer:
        box = QSpinBox(parent)
        box.setRange(int(low), int(high))
    else:
        box = QDoubleSpinBox(parent)
        box.setDecimals(2)
        box.setRange(low, high)
        box.setSingleStep(0.1 if high <= 60 else 1.0)
    box.setKeyboardTracking(False)
    box.setCorrectionMode(QAbstractSpinBox.CorrectionMode.CorrectToNearestValue)
    # These boxes live in scrolling forms: scrolling past one must not change it.
    wheel_only_when_focused(box)
    return box


class SwitchBox(QComboBox):
    """A switch's words in a drop-down, with the spin boxes' ``value``/``setValue`` and
    ``editingFinished`` so a form treats both kinds alike."""

    editingFinished = Signal()

    def __init__(self, field: SwitchField, parent: QWidget) -> None:
        super().__init__(parent)
        self._boolean = field.boolean
        self.addItems(list(field.choices))
        self.activated.connect(self.editingFinished)
        wheel_only_when_focused(self)

    def value(self) -> bool | str:
        text = self.currentText()
        return text == "true" if self._boolean else text

    def setValue(self, value: object) -> None:  # the spin boxes' name, so forms treat both alike
        self.setCurrentText(value_text(value))


class OnOffBox(QCheckBox):
    """A yes/no option as a check box ("On"), with the spin boxes' ``value``/``setValue``
    and ``editingFinished`` (emitted when the user ticks or unticks it)."""

    editingFinished = Signal()

    def __init__(self, parent: QWidget) -> None:
        super().__init__("On", parent)
        self.clicked.connect(self.editingFinished)

    def value(self) -> bool:
        return self.isChecked()

    def setValue(self, value: object) -> None:  # the spin boxes' name, so forms treat all alike
        self.setChecked(bool(value))


OptionEditor = QSpinBox | QDoubleSpinBox | SwitchBox | OnOffBox


def editor_for(field: NumberField | SwitchField, parent: QWidget) -> OptionEditor:
    """The editor for one option: a spin box for a number, a check box for yes or no, a
    drop-down for a choice of words."""
    if isinstance(field, NumberField):
        return spin_box_for(field, parent)
    return OnOffBox(parent) if field.boolean else SwitchBox(field, parent)


def default_value(field: NumberField | SwitchField) -> object:
    """The field's default as a value (a yes/no switch keeps its default as a word)."""
    if isinstance(field, SwitchField) and field.boolean:
        return field.default == "true"
    return field.default


def value_text(value: object) -> str:
    """A setting's value as shown: numbers without trailing zeros, yes/no as on/off,
    other switches as their word."""
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, (int, float)):
        return f"{value:g}"
    return str(value)


def field_tooltip(field: NumberField | SwitchField) -> str:
    """The field's description (if any), its allowed values and its default, for a tooltip."""
    lines = [field.help] if field.help else []
    if isinstance(field, NumberField):
        lines.append(f"Allowed: {field.range_text()}. Default: {field.default:g}")
    else:
        default = value_text(default_value(field))
        choices = "on or off" if field.boolean else ", ".join(field.choices)
        lines.append(f"One of: {choices}. Default: {default}")
    return "\n".join(lines)
