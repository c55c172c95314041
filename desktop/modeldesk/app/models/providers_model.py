"""The providers table (Settings → Models): one row per provider, with the status of its
last check or model fetch."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from modeldesk.core.schema import Provider

from ..colours import ok_colour, problem_colour
from ..services.provider_probe import ProbeResult
from .rows import RowsTableModel

# A provider kind in a word or two (the config keeps the kind's own name).
KIND_NAMES = {"openai": "OpenAI-compatible", "anthropic": "Anthropic", "simulated": "Simulated"}


class ProvidersModel(RowsTableModel[Provider]):
    COLUMNS = ("Provider", "Kind", "Base URL", "API key", "Enabled", "Status")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.status: dict[str, ProbeResult | str] = {}

    def cell(self, row: Provider, column: int, role: int) -> Any:
        status = self.status.get(row.id)
        if role == Qt.ItemDataRole.DisplayRole:
            if column == 5:
                return status.text if isinstance(status, ProbeResult) else (status or "")
            values = (
                row.label or row.id,
                KIND_NAMES.get(row.kind, row.kind),
                row.base_url,
                key_text(row),
                "yes" if row.enabled else "no",
            )
            return values[column]
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == 0:
                return row.id
            if column == 5 and isinstance(status, ProbeResult):
                return status.text
        if role == Qt.ItemDataRole.ForegroundRole:
            if column == 5 and isinstance(status, ProbeResult):
                return ok_colour() if status.ok else problem_colour()
            if column == 4 and not row.enabled:
                return problem_colour()
        return None

    def set_status(self, provider_id: str, status: ProbeResult | str) -> None:
        self.status[provider_id] = status
        for index, provider in enumerate(self._rows):
            if provider.id == provider_id:
                self.dataChanged.emit(self.index(index, 5), self.index(index, 5))


def key_text(provider: Provider) -> str:
    """Where the provider's key is kept, in a few words."""
    ref = provider.api_key
    if ref is None:
        return "none"
    return f"env ${ref.env}" if ref.env else f"keyring “{ref.keyring}”"
