"""The "Run on" cell of a task-model table (Settings → Task models, the agent editor's
task models): the models in order, unusable ones marked ⚠ and red with the reason."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt

from ..colours import problem_colour
from ..document import Document


def run_on_cell(document: Document, models: tuple[str, ...], role: int) -> Any:
    """What the "Run on" column shows for ``models`` in ``role``."""
    resolver = document.resolver
    problems = {m: p for m in models if (p := resolver.model_problem(m))}
    if role == Qt.ItemDataRole.DisplayRole:
        return ", ".join(f"⚠ {m}" if m in problems else m for m in models)
    if role == Qt.ItemDataRole.ToolTipRole and problems:
        return "Not usable:\n" + "\n".join(f"{m}: {p}" for m, p in problems.items())
    if role == Qt.ItemDataRole.ForegroundRole and problems:
        return problem_colour()
    return None
