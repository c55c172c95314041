"""Spin boxes for the fallback options, built from a pydantic field's type and bounds.
Shared by Settings → Fallback defaults and the agent editor's fallback overrides."""

from __future__ import annotations

from annotated_types import Ge, Gt, Le
from pydantic.fields import FieldInfo
from PySide6.QtWidgets import QAbstractSpinBox, QDoubleSpinBox, QSpinBox, QWidget


def _bounds(info: FieldInfo) -> tuple[float, float]:
    low, high = 0.0, 1e9
    for rule in info.metadata:
        if isinstance(rule, Ge):
            low = float(rule.ge)  # type: ignore[arg-type]
        elif isinstance(rule, Gt):
            # Spin boxes have no open bounds; the smallest step above the bound stands in.
            low = float(rule.gt) + 0.01  # type: ignore[operator]
        elif isinstance(rule, Le):
            high = float(rule.le)  # type: ignore[arg-type]
    return low, high


def spin_box_for(info: FieldInfo, parent: QWidget) -> QSpinBox | QDoubleSpinBox:
    """A spin box with the field's type and bounds."""
    low, high = _bounds(info)
    box: QSpinBox | QDoubleSpinBox
    if info.annotation is int:
        box = QSpinBox(parent)
        box.setRange(int(low), int(high))
    else:
        box = QDoubleSpinBox(parent)
        box.setDecimals(2)
        box.setRange(low, high)
        box.setSingleStep(0.1 if high <= 60 else 1.0)
    box.setKeyboardTracking(False)
    box.setCorrectionMode(QAbstractSpinBox.CorrectionMode.CorrectToNearestValue)
    return box


def field_tooltip(info: FieldInfo) -> str:
    """The field's description (if any) and its default, for a tooltip."""
    default = info.get_default(call_default_factory=True)
    return (info.description + "\n" if info.description else "") + f"Default: {default:g}"
