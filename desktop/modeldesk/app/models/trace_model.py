"""A read-only table over a resolver trace: one row per layer the resolver considered.

Columns: layer (in the user's words), the value found there, used/skipped, and why.
The rows are the core's ``TraceStep`` values as they are; this model only presents them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont

from modeldesk.core.resolution_text import layer_label
from modeldesk.core.resolver import TraceStep

from .rows import RowsTableModel, dim_brush


def models_text(models: Sequence[str] | None, empty: str = "(not set)") -> str:
    """A model list as one line, primary first."""
    if models is None:
        return empty
    return ", ".join(models) if models else "(empty list)"


class TraceModel(RowsTableModel[TraceStep]):
    COLUMNS = ("Layer", "Value", "Outcome", "Why")
    LAYER, VALUE, OUTCOME, WHY = range(4)

    def cell(self, step: TraceStep, column: int, role: int) -> Any:
        used = step.outcome == "used"
        if role == Qt.ItemDataRole.DisplayRole:
            return (layer_label(step.layer), models_text(step.value), step.outcome, step.reason)[column]
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{step.layer}: {step.reason}"
        if role == Qt.ItemDataRole.FontRole and used:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.ForegroundRole and not used:
            # Skipped layers are context, the used one is the answer: dim the context.
            return dim_brush()
        return None
