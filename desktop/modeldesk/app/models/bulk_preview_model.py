"""The bulk dialog's preview: every agent in scope with its model list before and after.

Rows are the core's ``PlannedChange`` values from ``plan_bulk_change``, so the preview shows
exactly what Apply will do. Unchanged rows stay listed (the user asked about them) but are
dimmed; the planner's note says why a row differs from what the change's name suggests.
Models that cannot be used are flagged in the note too.

Built for thousands of rows: a new plan over the same agents updates the cells in place
(no reset, so the view keeps its scroll position), and each cell's text is computed only
when the view asks for it (visible rows only, given uniform row heights).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QObject, Qt

from modeldesk.core.bulk import PlannedChange

from .rows import RowsTableModel, dim_brush

INHERIT_TEXT = "(inherits)"


def list_text(models: Sequence[str]) -> str:
    """An agent's preferred list as one line; empty means it inherits."""
    return ", ".join(models) or INHERIT_TEXT


class BulkPreviewModel(RowsTableModel[PlannedChange]):
    COLUMNS = ("Agent", "Before", "After", "Note")
    AGENT, BEFORE, AFTER, NOTE = range(4)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._names: dict[str, str] = {}
        self._problem: Callable[[str], str | None] = lambda _model_id: None

    def set_plan(
        self,
        plan: Sequence[PlannedChange],
        names: dict[str, str] | None = None,
        model_problem: Callable[[str], str | None] | None = None,
    ) -> None:
        """Show ``plan``; ``names`` maps agent ids to display names, ``model_problem``
        says why a model cannot be used (``None`` when it can)."""
        self._names = dict(names or {})
        if model_problem is not None:
            self._problem = model_problem
        self.update_rows(plan)

    def row_key(self, row: PlannedChange) -> object:
        return row.agent_id

    def changed_count(self) -> int:
        return sum(1 for change in self._rows if change.changed)

    def agent_text(self, agent_id: str) -> str:
        name = self._names.get(agent_id, agent_id)
        return agent_id if name == agent_id else f"{name} ({agent_id})"

    def note_text(self, change: PlannedChange) -> str:
        parts = [change.note] if change.note else []
        # Only models this change brings in are flagged: the user is choosing those now.
        added = [m for m in change.after if m not in change.before]
        for model_id in added:
            problem = self._problem(model_id)
            if problem:
                parts.append(f"{model_id}: {problem}")
        return "; ".join(parts)

    def cell(self, change: PlannedChange, column: int, role: int) -> Any:
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            if column == self.AGENT:
                return self.agent_text(change.agent_id)
            if column == self.BEFORE:
                return list_text(change.before)
            if column == self.AFTER:
                return list_text(change.after)
            return self.note_text(change)
        if role == Qt.ItemDataRole.ForegroundRole and not change.changed:
            return dim_brush()
        return None
