"""The import preview: one row per item in the file, and what importing it would do."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt

from modeldesk.core.transfer import ImportItem

from ..colours import ok_colour, warning_colour
from .rows import RowsTableModel, dim_brush

ACTION_WORDS = {"add": "Add", "replace": "Change", "keep": "Keep ours", "same": "Unchanged"}


class ImportPreviewModel(RowsTableModel[ImportItem]):
    COLUMNS = ("Action", "Kind", "Id", "Details")
    ACTION, KIND, ID, DETAILS = range(4)

    def cell(self, item: ImportItem, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            if column == self.ACTION:
                return ACTION_WORDS[item.action]
            if column == self.KIND:
                return item.kind
            if column == self.ID:
                return item.id
            return difference_text(item)
        if role == Qt.ItemDataRole.ToolTipRole and column == self.DETAILS:
            return difference_text(item)
        if role == Qt.ItemDataRole.ForegroundRole:
            if item.action == "add":
                return ok_colour()
            if item.action == "replace":
                return warning_colour()
            return dim_brush()
        return None


def difference_text(item: ImportItem) -> str:
    """What differs between ours and the file's, field by field, for a conflict (a
    provider always shows its base_url: where its key and prompts would go)."""
    if not item.conflict:
        return value_text(item.after)
    before, after = item.before, item.after
    if not isinstance(before, dict) or not isinstance(after, dict):
        return f"{value_text(before)} → {value_text(after)}"
    fields = [k for k in dict.fromkeys([*before, *after]) if before.get(k) != after.get(k)]
    text = "; ".join(f"{k}: {value_text(before.get(k))} → {value_text(after.get(k))}" for k in fields)
    if item.kind == "provider" and "base_url" not in fields:
        text = f"base_url: {value_text(after.get('base_url'))}; {text}"
    return text


def value_text(value: Any) -> str:
    """An item's data as one compact line (ids and names only — data, shown as text)."""
    if value is None:
        return "—"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {value_text(v)}" for k, v in value.items() if k != "id" and v not in (None, {}, []))
    return str(value)
