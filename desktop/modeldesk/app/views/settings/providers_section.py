"""Settings → providers: add, edit, remove, **Check** (list models, latency shown) and
**Fetch models** (import the provider's list into the registry). Network calls run as
qasync tasks; results come back to the GUI thread through the awaiting slot."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QMessageBox,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from modeldesk.core.edits import AddItem, Batch, Edit, PutItem, RemoveItem
from modeldesk.core.errors import EditError
from modeldesk.core.schema import Provider

from ...document import Document
from ...models.rows import RowsTableModel
from ...widgets.style import ok_colour, problem_colour
from ...widgets.tables import setup_compact_table
from ..dialogs.provider_dialog import ProviderDialog
from .provider_probe import ProbeResult, models_to_import, probe


def key_text(provider: Provider) -> str:
    ref = provider.api_key
    if ref is None:
        return "none"
    return f"env ${ref.env}" if ref.env else f"keyring “{ref.keyring}”"


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
            values = (row.label or row.id, row.kind, row.base_url, key_text(row), "yes" if row.enabled else "no")
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


class ProvidersSection(QWidget):
    check_finished = Signal(str, bool)  # provider id, reachable
    fetch_finished = Signal(str, int)  # provider id, models imported

    def __init__(self, document: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._document = document
        self.model = ProvidersModel(self)
        self.table = QTableView(self)
        self.table.setObjectName("providers_table")
        self.table.setModel(self.model)
        setup_compact_table(self.table, min_rows=3)

        self.add_button = QPushButton("Add…", self)
        self.edit_button = QPushButton("Edit…", self)
        self.remove_button = QPushButton("Remove", self)
        self.check_button = QPushButton("Check", self)
        self.check_button.setToolTip("Ask the provider for its model list and show how long it took")
        self.fetch_button = QPushButton("Fetch models", self)
        self.fetch_button.setToolTip("Add the provider's models that are not in the registry yet")
        buttons = QVBoxLayout()
        for button in (self.add_button, self.edit_button, self.remove_button, self.check_button, self.fetch_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)

        self.add_button.clicked.connect(self.add_provider)
        self.edit_button.clicked.connect(self.edit_provider)
        self.remove_button.clicked.connect(self.remove_provider)
        self.check_button.clicked.connect(self.check_provider)
        self.fetch_button.clicked.connect(self.fetch_models)
        self.table.doubleClicked.connect(lambda _index: self.edit_provider())
        self.table.selectionModel().selectionChanged.connect(self._update_buttons)
        self.model.modelReset.connect(self._update_buttons)
        self._busy: set[str] = set()
        document.changed.connect(self._refresh)
        self._refresh()

    def _refresh(self) -> None:
        selected = self.current()
        self.model.set_rows(self._document.config.providers)
        if selected is not None:
            self.select(selected.id)

    def current(self) -> Provider | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.row_value(rows[0].row()) if rows else None

    def select(self, provider_id: str) -> None:
        for row, provider in enumerate(self.model.rows()):
            if provider.id == provider_id:
                self.table.selectRow(row)

    def _update_buttons(self, *_: object) -> None:
        provider = self.current()
        for button in (self.edit_button, self.remove_button):
            button.setEnabled(provider is not None)
        idle = provider is not None and provider.id not in self._busy
        self.check_button.setEnabled(idle)
        self.fetch_button.setEnabled(idle)

    # --- editing ----------------------------------------------------------------------

    def add_provider(self) -> None:
        taken = {p.id for p in self._document.config.providers}
        dialog = ProviderDialog(self, taken_ids=taken)
        self._run_dialog(dialog, lambda p: AddItem("providers", p))

    def edit_provider(self) -> None:
        provider = self.current()
        if provider is not None:
            self._run_dialog(ProviderDialog(self, provider=provider), lambda p: PutItem("providers", p))

    def _run_dialog(self, dialog: ProviderDialog, make_edit: Any) -> None:
        try:
            if dialog.exec() != QDialog.DialogCode.Accepted or dialog.provider() is None:
                return
            provider = dialog.provider()
        finally:
            dialog.deleteLater()
        assert provider is not None
        if self._perform(make_edit(provider)):
            self.select(provider.id)

    def remove_provider(self) -> None:
        provider = self.current()
        if provider is None:
            return
        used = [m.id for m in self._document.config.models if m.provider == provider.id]
        detail = (f" Its {len(used)} model(s) stay in the registry, flagged as unusable, until you remove them."
                  if used else "")
        answer = QMessageBox.question(self, "Remove provider", f"Remove the provider “{provider.id}”?{detail}")
        if answer == QMessageBox.StandardButton.Yes:
            self._perform(RemoveItem("providers", provider.id))

    def _perform(self, edit: Edit) -> bool:
        try:
            self._document.perform(edit)
        except EditError as exc:
            QMessageBox.warning(self, "Cannot change providers", exc.message)
            return False
        return True

    # --- network ----------------------------------------------------------------------

    @asyncSlot()
    async def check_provider(self) -> None:
        provider = self.current()
        if provider is None or provider.id in self._busy:
            return
        result = await self._probe(provider, "Checking…")
        self.check_finished.emit(provider.id, result.ok)

    @asyncSlot()
    async def fetch_models(self) -> None:
        provider = self.current()
        if provider is None or provider.id in self._busy:
            return
        result = await self._probe(provider, "Fetching models…")
        imported = 0
        if result.ok:
            # Plan against the config as it is now: it may have changed while we waited.
            new, skipped = models_to_import(self._document.config, provider.id, result.models)
            if new:
                label = f"Import {len(new)} model(s) from {provider.id}"
                if self._perform(Batch(tuple(AddItem("models", m) for m in new), label=label)):
                    imported = len(new)
            text = f"Imported {imported} new model(s)" + (f", skipped {skipped} with unusable ids" if skipped else "")
            self.model.set_status(provider.id, ProbeResult(True, f"{result.text} · {text}"))
        self.fetch_finished.emit(provider.id, imported)

    async def _probe(self, provider: Provider, busy_text: str) -> ProbeResult:
        self._busy.add(provider.id)
        self.model.set_status(provider.id, busy_text)
        self._update_buttons()
        try:
            result = await probe(provider)
        finally:
            self._busy.discard(provider.id)
        self.model.set_status(provider.id, result)
        self._update_buttons()
        return result
