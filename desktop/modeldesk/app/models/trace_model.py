"""A read-only table over a resolver trace: one row per layer the resolver considered.

Columns: layer (in the user's words), the value found there, used/skipped, and why.
The rows are the core's ``TraceStep`` values as they are; this model only presents them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont

from modeldesk.core.resolver import TraceStep

from .rows import RowsTableModel, dim_brush

# Layer names as the user knows the places where a model is set (SPEC §3).
LAYER_LABELS: dict[str, str] = {
    "call": "Call model",
    "agent": "Agent's preferred models",
    "parent": "Parent run's model",
    "request": "Request model",
    "project": "Project default",
    "settings": "Settings default",
    "organization": "Organization policy",
    "agent-task": "Agent's task model",
    "project-task": "Project task model",
    "settings-task": "Settings task model",
    "organization-task": "Organization task model",
    "chat-model": "Chat models",
}


def layer_label(layer: str) -> str:
    """A resolver layer (or source) name in the user's words; unknown names pass through."""
    return LAYER_LABELS.get(layer, layer)


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
