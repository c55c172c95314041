"""Spin boxes for the fallback options, built from the setting's declaration (its type,
bounds, title and help; see core/setting_fields.py). Shared by Settings → Fallback defaults
and the agent editor's fallback overrides."""

from __future__ import annotations

from PySide6.QtWidgets import QAbstractSpinBox, QDoubleSpinBox, QSpinBox, QWidget

from modeldesk.core.schema import FallbackSettings
from modeldesk.core.setting_fields import NumberField, number_fields

from .wheel_guard import wheel_only_when_focused

# Every fallback option, as declared in FallbackSettings (the per-agent overrides are built
# from the same declarations).
FALLBACK_FIELDS = number_fields(FallbackSettings)

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


def field_tooltip(field: NumberField) -> str:
    """The field's description (if any), its allowed range and its default, for a tooltip."""
    lines = [field.help] if field.help else []
    lines.append(f"Allowed: {field.range_text()}. Default: {field.default:g}")
    return "\n".join(lines)
