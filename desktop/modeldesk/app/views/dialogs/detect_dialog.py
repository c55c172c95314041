"""Detect local servers: probe the usual ports on 127.0.0.1 (as `modeldesk providers
detect` does), list what answered with its models, and add the ticked servers as
providers with their models in one undo step.

The probing runs on the qasync loop; a busy bar shows meanwhile and the dialog stays
responsive (Cancel works at once)."""

from __future__ import annotations

import asyncio
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from modeldesk.core.errors import EditError
from modeldesk.runtime.local_servers import Found, add_edit, detect, plan_add, port_table

from ...document import Document
from ...text import counted


class DetectDialog(QDialog):
    detect_finished = Signal(int)  # servers found

    def __init__(self, document: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Detect local servers")
        self.setMinimumSize(560, 360)
        self._document = document
        self._task: asyncio.Task[Any] | None = None
        self.found: list[Found] = []
        self.added = 0
        self._started = False

        servers = port_table()
        tried = ", ".join(f"{s.label} ({s.port})" for s in servers)
        intro = QLabel(f"Looks for model servers on this machine (127.0.0.1): {tried}.", self)
        intro.setWordWrap(True)
        self.status = QLabel("Looking…", self)
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.status.setWordWrap(True)
        self.busy = QProgressBar(self)
        self.busy.setRange(0, 0)
        self.busy.setTextVisible(False)
        self.list = QListWidget(self)
        self.list.setObjectName("detected_servers")
        self.again_button = QPushButton("Look &again", self)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.add_button = self.buttons.addButton("&Add selected", QDialogButtonBox.ButtonRole.AcceptRole)
        self.add_button.setEnabled(False)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.busy)
        layout.addWidget(self.status)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.again_button, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.buttons)

        self.again_button.clicked.connect(self.start)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.list.itemChanged.connect(self._update_add_button)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._started:
            self._started = True
            self.start()

    def start(self) -> None:
        """Probe the ports (on the event loop); the busy bar shows until it is done."""
        if self._task is not None:
            return
        self.list.clear()
        self.busy.show()
        self.again_button.setEnabled(False)
        self.add_button.setEnabled(False)
        self.status.setText("Looking…")
        self._task = asyncio.ensure_future(self._detect())

    async def _detect(self) -> None:
        try:
            found = await detect()
        except asyncio.CancelledError:
            return
        except ValueError as exc:  # a bad MODELDESK_DETECT_PORTS
            found = []
            self.status.setText(str(exc))
        finally:
            self._task = None
            self.busy.hide()
            self.again_button.setEnabled(True)
        self.show_found(found)
        self.detect_finished.emit(len(found))

    def show_found(self, found: list[Found]) -> None:
        self.found = found
        self.list.clear()
        configured = {p.base_url.rstrip("/"): p.id for p in self._document.config.providers}
        for item in found:
            names = ", ".join(m.id for m in item.models) or "no models loaded"
            already = configured.get(item.base_url)
            suffix = f" — already the provider “{already}”" if already else ""
            row = QListWidgetItem(f"{item.server.label} at {item.base_url} ({item.latency_ms} ms){suffix}\n    {names}")
            row.setFlags(row.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            row.setCheckState(Qt.CheckState.Checked)
            self.list.addItem(row)
        if found:
            self.status.setText(f"Found {counted(len(found), 'server')}. Tick the ones to add with their models.")
        elif self.status.text() == "Looking…":
            self.status.setText(
                "No local model server answered. Start one (for example Ollama or LM Studio) and look again, "
                "or add a provider by hand."
            )
        self._update_add_button()

    def selected(self) -> list[Found]:
        return [f for i, f in enumerate(self.found) if self.list.item(i).checkState() == Qt.CheckState.Checked]

    def _update_add_button(self, *_: object) -> None:
        self.add_button.setEnabled(bool(self.selected()))

    def accept(self) -> None:
        plan = plan_add(self._document.config, self.selected())
        edit = add_edit(plan)
        if edit is not None:
            try:
                self._document.perform(edit)
            except EditError as exc:
                self.status.setText(exc.message)
                return
        self.added = len(plan.providers)
        super().accept()

    def done(self, result: int) -> None:
        if self._task is not None:
            self._task.cancel()
        super().done(result)
