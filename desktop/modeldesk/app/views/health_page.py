"""The Health page: the same checks as `modeldesk doctor`, shown as tables.

Opening the page checks keys and references (no network). **Check all** also asks every
enabled provider for its model list and shows the latency; with *Probe each model* it
sends a one-token request per model. The requests run on the qasync loop, so the GUI
thread never waits on the network; each provider's row fills in as its answer arrives.
"""

from __future__ import annotations

import asyncio
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from modeldesk.core.resolution_text import layer_label
from modeldesk.runtime.doctor import HealthReport, ProviderHealth, check_health
from modeldesk.runtime.keyring_errors import keyring_problem
from modeldesk.runtime.secrets import SecretSource

from ..colours import ok_colour, problem_colour
from ..document import Document
from ..text import counted
from ..widgets.when_shown import EVERY_COLLECTION, follow_when_shown


def key_text(item: ProviderHealth) -> str:
    if not item.key.needed:
        return "None needed"
    if item.key.error:
        return f"Cannot read {item.key.source}: {keyring_problem(item.key.error)[0]}"
    return f"{'Present' if item.key.present else 'Missing'} — {item.key.source}"


def reach_text(item: ProviderHealth) -> str:
    if not item.enabled:
        return "Disabled"
    if item.reachable is None:
        return "Not checked"
    if not item.reachable:
        # Short in the table (the tooltip and "What to fix" carry the whole error).
        if item.error and "DNS lookup failed" in item.error:
            return "Unreachable (DNS lookup failed)"
        if item.error and "timeout" in item.error.lower():
            return "Unreachable (no answer in time)"
        return "Unreachable"
    if item.status == 200:
        return "Reachable"
    return f"Answers with {item.status}"


class _Cell(QTableWidgetItem):
    """A cell whose colour says fine or a problem, picked when painted: a theme switch
    recolours it (a colour set once would stay the old theme's shade)."""

    def __init__(self, text: str, good: bool | None) -> None:
        super().__init__(text)
        self.good = good

    def data(self, role: int) -> Any:
        if role == Qt.ItemDataRole.ForegroundRole and self.good is not None:
            return QBrush(ok_colour() if self.good else problem_colour())
        return super().data(role)


def _cell(text: str, good: bool | None = None, tip: str | None = None) -> QTableWidgetItem:
    item = _Cell(text, good)  # plain text: provider errors are data, never markup
    item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
    item.setToolTip(tip or text)
    return item


class HealthPage(QWidget):
    check_finished = Signal(bool)  # whether everything is healthy

    PROVIDER_COLUMNS = ("Provider", "Kind", "Key", "Reachable", "Latency", "Models probed")
    AGENT_COLUMNS = ("Agent", "Resolves", "Runs on", "Source", "Issues")

    def __init__(self, document: Document, parent: QWidget | None = None, secrets: SecretSource | None = None) -> None:
        super().__init__(parent)
        self._document = document
        self._secrets = secrets
        self._task: asyncio.Task[Any] | None = None
        self._checked_once = False
        self.report: HealthReport | None = None

        self.check_button = QPushButton("&Check all", self)
        self.check_button.setToolTip("Ask every enabled provider for its model list and time the answer")
        self.probe_box = QCheckBox("&Probe each model (a one-token request)", self)
        self.busy = QProgressBar(self)
        self.busy.setRange(0, 0)  # busy indicator: no known end
        self.busy.setMaximumWidth(160)
        self.busy.setTextVisible(False)
        self.busy.hide()
        self.summary = QLabel("", self)
        self.summary.setTextFormat(Qt.TextFormat.PlainText)
        self.summary.setWordWrap(True)

        self.providers_table = self._table(self.PROVIDER_COLUMNS, "health_providers")
        self.agents_table = self._table(self.AGENT_COLUMNS, "health_agents")
        self.problems_list = QListWidget(self)
        self.problems_list.setObjectName("health_problems")
        self.problems_list.setWordWrap(True)

        bar = QHBoxLayout()
        bar.addWidget(self.check_button)
        bar.addWidget(self.probe_box)
        bar.addWidget(self.busy)
        bar.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.summary)
        layout.addWidget(QLabel("<b>Providers</b>", self))
        layout.addWidget(self.providers_table, 2)
        layout.addWidget(QLabel("<b>What to fix</b>", self))
        layout.addWidget(self.problems_list, 2)
        layout.addWidget(QLabel("<b>Agents needing attention</b>", self))
        layout.addWidget(self.agents_table, 2)

        self.check_button.clicked.connect(self.check_all)
        # Keys and references are re-checked after edits, once a burst of edits is over.
        self._recheck = QTimer(self)
        self._recheck.setSingleShot(True)
        self._recheck.setInterval(400)
        self._recheck.timeout.connect(self._config_changed)
        # Hidden, it rechecks once when shown again (else its report would be stale).
        follow_when_shown(self, document, EVERY_COLLECTION, self._recheck.start)

    def _table(self, columns: tuple[str, ...], name: str) -> QTableWidget:
        table = QTableWidget(0, len(columns), self)
        table.setObjectName(name)
        table.setHorizontalHeaderLabels(list(columns))
        table.verticalHeader().hide()
        table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        table.horizontalHeader().setStretchLastSection(True)
        return table

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._checked_once:
            self._checked_once = True
            # From the event loop, once it runs (the window may be shown before it starts).
            QTimer.singleShot(0, self.check_offline)

    def _config_changed(self) -> None:
        if self._checked_once and self._task is None and self.isVisible():
            self.check_offline()

    # --- checking ---------------------------------------------------------------------

    def check_offline(self) -> None:
        """Keys and references only: fast, no network."""
        self._start(network=False)

    def check_all(self) -> None:
        self._start(network=True)

    def _start(self, *, network: bool) -> None:
        if self._task is not None:
            return
        # The busy state shows at once, in the click; the work runs on the event loop.
        self.check_button.setEnabled(False)
        self.busy.setVisible(network)
        self.summary.setText("Checking providers…" if network else "Checking keys and references…")
        self._fill_providers([])
        self._task = asyncio.ensure_future(self._run(network=network))

    async def _run(self, *, network: bool) -> None:
        try:
            report = await check_health(
                self._document.config,
                self._document.policy,
                secrets=self._secrets,
                network=network,
                probe=network and self.probe_box.isChecked(),
                on_provider=self._provider_done,
            )
        except asyncio.CancelledError:
            return
        finally:
            self._task = None
            self.busy.hide()
            self.check_button.setEnabled(True)
        self.show_report(report, network=network)
        self.check_finished.emit(report.ok)

    def _provider_done(self, item: ProviderHealth) -> None:
        # Rows fill in as answers arrive, so a slow provider does not hide the quick ones.
        self._put_provider_row(self.providers_table.rowCount(), item)

    def shutdown(self) -> None:
        self._recheck.stop()
        if self._task is not None:
            self._task.cancel()

    # --- showing ----------------------------------------------------------------------

    def show_report(self, report: HealthReport, *, network: bool) -> None:
        self.report = report
        self._fill_providers(report.providers)
        attention = [a for a in report.agents if not a.resolves or a.issues]
        self.agents_table.setRowCount(len(attention))
        for row, agent in enumerate(attention):
            values = (
                _cell(f"{agent.name} ({agent.id})"),
                _cell("Yes" if agent.resolves else "No", agent.resolves),
                _cell(", ".join(agent.models) or "—"),
                _cell(layer_label(agent.source) if agent.source else "—"),
                _cell("; ".join(agent.issues) or (agent.error or ""), False),
            )
            for column, item in enumerate(values):
                self.agents_table.setItem(row, column, item)
        self.problems_list.clear()
        for problem in report.problems:
            self.problems_list.addItem(f"{problem.subject}: {problem.message}. To fix: {problem.fix}.")
        if not report.problems:
            self.problems_list.addItem("Nothing to fix.")
        fine = len(report.agents) - len(attention)
        scope = "" if network else " Press Check all to contact the providers."
        self.summary.setText(
            f"{counted(len(report.providers), 'provider')}, {counted(len(report.agents), 'agent')} ({fine} fine), "
            f"{counted(len(report.problems), 'problem')}.{scope}"
        )

    def _fill_providers(self, providers: list[ProviderHealth]) -> None:
        self.providers_table.setRowCount(0)
        for item in providers:
            self._put_provider_row(self.providers_table.rowCount(), item)

    def _put_provider_row(self, row: int, item: ProviderHealth) -> None:
        self.providers_table.setRowCount(max(self.providers_table.rowCount(), row + 1))
        probed = item.probes
        probe_text = f"{sum(p.ok for p in probed)}/{len(probed)} answered" if probed else "—"
        values = (
            _cell(item.id),
            _cell(item.kind),
            _cell(key_text(item), item.key.present if item.key.needed else None),
            _cell(reach_text(item), item.reachable if item.reachable is not None else None, item.error),
            _cell(f"{item.latency_ms} ms" if item.latency_ms is not None else "—"),
            _cell(probe_text, all(p.ok for p in probed) if probed else None),
        )
        for column, cell in enumerate(values):
            self.providers_table.setItem(row, column, cell)
