"""Settings → providers: add, edit, remove, **Check** (list models, latency shown) and
**Fetch models** (import the provider's list into the registry). Network calls run as
qasync tasks; results come back to the GUI thread through the awaiting slot."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QDialog, QMessageBox, QWidget
from qasync import asyncSlot

from modeldesk.core.edits import AddItem, Batch, Edit, RemoveItem, form_edit
from modeldesk.core.schema import Model, Provider

from ...document import Document
from ...models.providers_model import ProvidersModel
from ...services.provider_probe import ProbeResult, plan_import, probe
from ...text import counted
from ...widgets.table_section import TableSection
from ..dialogs.provider_dialog import ProviderDialog


class ProvidersSection(TableSection):
    follows = ("providers",)
    check_finished = Signal(str, bool)  # provider id, reachable
    fetch_finished = Signal(str, int)  # provider id, models imported
    error_title = "Cannot change providers"

    def __init__(self, document: Document, parent: QWidget | None = None) -> None:
        self.providers_model = ProvidersModel()  # self.model, with its provider-specific methods
        super().__init__(
            document,
            self.providers_model,
            parent,
            name="providers_table",
            min_rows=3,
            extra_buttons=(("check", "Check"), ("fetch", "Fetch models"), ("detect", "Detect local…")),
        )
        self.model.setParent(self)
        self.check_button = self.extra_buttons["check"]
        self.check_button.setToolTip("Ask the provider for its model list and show how long it took")
        self.fetch_button = self.extra_buttons["fetch"]
        self.fetch_button.setToolTip("Add the provider's models that are not in the registry yet")
        self.check_button.clicked.connect(self.check_provider)
        self.fetch_button.clicked.connect(self.fetch_models)
        self.detect_button = self.extra_buttons["detect"]
        self.detect_button.setToolTip("Look for Ollama, LM Studio, llama.cpp, vLLM, Jan and KoboldCpp on this machine")
        self.detect_button.clicked.connect(self.detect_servers)
        self._busy: set[str] = set()
        # The probes under way, so closing the window can stop them (see shutdown).
        self._tasks: set[asyncio.Task[Any]] = set()
        self.refresh()

    def rows(self) -> list[Provider]:
        return list(self._document.config.providers)

    def update_buttons(self, *_: object) -> None:
        super().update_buttons()
        provider = self.current()
        idle = provider is not None and provider.id not in self._busy
        self.check_button.setEnabled(idle)
        self.fetch_button.setEnabled(idle)

    # --- editing ----------------------------------------------------------------------

    def add_item(self) -> None:
        taken = {p.id for p in self._document.config.providers}
        self._run_dialog(ProviderDialog(self, taken_ids=taken), lambda p: AddItem("providers", p))

    def edit_item(self) -> None:
        provider = self.current()
        if provider is not None:
            # Only the fields the dialog changed: one another program changed meanwhile stays.
            self._run_dialog(
                ProviderDialog(self, provider=provider),
                lambda p: form_edit("providers", provider, p, label=f"Edit provider {p.id}"),
            )

    def _run_dialog(self, dialog: ProviderDialog, make_edit: Callable[[Provider], Edit | None]) -> None:
        provider = dialog.ask()
        if provider is None:
            return
        edit = make_edit(provider)
        if edit is None or self.perform(edit):  # None: nothing was changed
            self.select(provider.id)

    def remove_item(self) -> None:
        provider = self.current()
        if provider is None:
            return
        used = [m.id for m in self._document.config.models if m.provider == provider.id]
        detail = (
            f" Its {counted(len(used), 'model')} stay in the registry, flagged as unusable, until you remove them."
            if used
            else ""
        )
        answer = QMessageBox.question(self, "Remove provider", f"Remove the provider “{provider.id}”?{detail}")
        if answer == QMessageBox.StandardButton.Yes:
            self.perform(RemoveItem("providers", provider.id))

    def detect_servers(self) -> None:
        from ..dialogs.detect_dialog import DetectDialog  # with the HTTP stack: on first use

        dialog = DetectDialog(self._document, self)
        try:
            dialog.exec()
        finally:
            dialog.deleteLater()

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
            document = self._document
            reserved = {m.id for m in document.policy.models} if document.policy is not None else set()
            plan = plan_import(document.config, provider.id, result.models, reserved=reserved)
            new = plan.models
            if new:
                new = self._choose_models(provider.id, new)
            if new:
                label = f"Import {counted(len(new), 'model')} from {provider.id}"
                if self.perform(Batch(tuple(AddItem("models", m) for m in new), label=label)):
                    imported = len(new)
            text = f"Imported {counted(imported, 'new model')}"
            if plan.skipped:
                text += f", skipped {len(plan.skipped)} ({plan.skipped[0].name}: {plan.skipped[0].reason})"
            self.providers_model.set_status(provider.id, ProbeResult(True, f"{result.text} · {text}"))
        self.fetch_finished.emit(provider.id, imported)

    def _choose_models(self, provider_id: str, new: list[Model]) -> list[Model]:
        """The new models the user ticks in the import dialog (none on Cancel)."""
        from ..dialogs.fetch_models_dialog import FetchModelsDialog  # with the HTTP stack: on first use

        dialog = FetchModelsDialog(provider_id, new, self)
        try:
            return dialog.selected() if dialog.exec() == QDialog.DialogCode.Accepted else []
        finally:
            dialog.deleteLater()

    def shutdown(self) -> None:
        """Cancel the Check/Fetch requests still under way (the window is closing): none
        may finish later and write into a section that is gone."""
        for task in list(self._tasks):
            task.cancel()

    async def _probe(self, provider: Provider, busy_text: str) -> ProbeResult:
        self._busy.add(provider.id)
        self.providers_model.set_status(provider.id, busy_text)
        self.update_buttons()
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        try:
            result = await probe(provider)
        finally:
            self._busy.discard(provider.id)
            self._tasks.discard(task)
        self.providers_model.set_status(provider.id, result)
        self.update_buttons()
        return result
