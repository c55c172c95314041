"""The Serve page: the local gateway (`modeldesk serve`) that lets any agent tool run on
an agent's models by naming the agent as its model.

- **Gateway**: whether a gateway serves this config file and at which URL — whoever
  started it, this page, `modeldesk serve` in a shell or the systemd service — with Start
  and Stop. A gateway started here is a process of its own and keeps serving after the
  window closes.
- **Model name aliases**: names a tool sends (``claude-*haiku*``) answered by an agent.
- **Set up a tool**: copyable lines for Claude Code, Codex, the OpenAI SDK, aider and
  OpenCode, for the agent picked, at the gateway's URL.
- **Recent requests**: the gateway's newest requests from the run history, with the client
  that sent each (its User-Agent), the agent, the model that answered and the outcome.

Starting, stopping and looking run on a worker (:mod:`.serve_controller`); the page only
shows what comes back. It looks again every few seconds while it is shown.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, QStringListModel, Qt, QTimer
from PySide6.QtGui import QFontDatabase, QGuiApplication, QHideEvent, QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from modeldesk.core.history import RunRecord
from modeldesk.runtime.serve_control import ServeOptions
from modeldesk.runtime.serve_setup import TOOLS, setup_text
from modeldesk.runtime.serve_status import DEFAULT_HOST, DEFAULT_PORT, ServeStatus

from ..document import Document
from ..models.runs_model import ServeRequestsModel, when_text
from ..widgets.search_combo import searchable
from ..widgets.style import note_label, set_text_colour
from ..widgets.tables import make_table
from ..widgets.when_shown import follow_when_shown
from .serve_aliases import AliasesBox
from .serve_controller import ServeController, serve_controller

# How often the shown page looks at the gateway's status and the history.
POLL_INTERVAL_MS = 2000
SETTINGS_GROUP = "serve"


def state_text(status: ServeStatus | None) -> tuple[str, str]:
    """The headline and the detail line for a status."""
    if status is None:
        return "Stopped", "No gateway serves this config file."
    since = when_text(status.started_at)
    return f"Running at {status.url}", f"Process {status.pid}, since {since}, serving {status.config}"


class ServePage(QWidget):
    def __init__(
        self, document: Document, parent: QWidget | None = None, *, controller: ServeController | None = None
    ) -> None:
        super().__init__(parent)
        self.document = document
        self.controller = controller or serve_controller(document.store.path)
        self.status: ServeStatus | None = None
        self._busy = False

        self._build_gateway_box()
        self._build_setup_box()
        self._build_requests_box()
        self.aliases_box = AliasesBox(document, self)
        left = QVBoxLayout()
        # The form never shrinks below its natural height (its wrapped note let the layout
        # squash the host, port and token rows in a 700 px window); the lists below give way.
        self.gateway_box.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        left.addWidget(self.gateway_box)
        left.addWidget(self.aliases_box, 1)
        upper = QHBoxLayout()
        upper.addLayout(left, 1)
        upper.addWidget(self.setup_box, 1)
        top = QWidget(self)
        top.setLayout(upper)
        upper.setContentsMargins(0, 0, 0, 0)
        split = QSplitter(Qt.Orientation.Vertical, self)
        split.addWidget(top)
        split.addWidget(self.requests_box)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 1)
        split.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.addWidget(split)

        self.timer = QTimer(self)
        self.timer.setInterval(POLL_INTERVAL_MS)
        self.timer.timeout.connect(self.controller.poll)
        self.controller.status_read.connect(self._show_status)
        self.controller.requests_read.connect(self._show_requests)
        self.controller.requests_failed.connect(self._show_requests_problem)
        self.controller.busy_changed.connect(self._set_busy)
        self.controller.failed.connect(self._show_failure)
        follow_when_shown(self, document, ("agents",), self._fill_agents)
        self._fill_agents()
        self._show_status(None)

    # --- building ---------------------------------------------------------------------

    def _build_gateway_box(self) -> None:
        self.gateway_box = QGroupBox("Gateway", self)
        self.state_label = QLabel(self)
        self.state_label.setObjectName("serve_state")
        self.state_label.setTextFormat(Qt.TextFormat.PlainText)
        font = self.state_label.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.15)
        self.state_label.setFont(font)
        self.state_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.detail_label = QLabel(self)
        self.detail_label.setObjectName("serve_detail")
        self.detail_label.setTextFormat(Qt.TextFormat.PlainText)  # paths are data
        self.detail_label.setWordWrap(True)
        self.detail_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message_label = QLabel(self)
        self.message_label.setObjectName("serve_message")
        self.message_label.setTextFormat(Qt.TextFormat.PlainText)  # the gateway's own words
        self.message_label.setWordWrap(True)
        self.message_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        set_text_colour(self.message_label, "problem")
        self.message_label.hide()

        saved = QSettings()
        self.host_edit = QLineEdit(str(saved.value(f"{SETTINGS_GROUP}/host", DEFAULT_HOST)), self)
        self.host_edit.setObjectName("serve_host")
        self.host_edit.setToolTip("127.0.0.1 serves this computer only; any other address needs a token file.")
        self.port_spin = QSpinBox(self)
        self.port_spin.setObjectName("serve_port")
        self.port_spin.setRange(0, 65535)
        self.port_spin.setSpecialValueText("any free port")
        self.port_spin.setValue(_int(saved.value(f"{SETTINGS_GROUP}/port", DEFAULT_PORT), DEFAULT_PORT))
        self.token_edit = QLineEdit(str(saved.value(f"{SETTINGS_GROUP}/token_file", "")), self)
        self.token_edit.setObjectName("serve_token_file")
        self.token_edit.setPlaceholderText("none (this computer only)")
        self.token_edit.setToolTip("A file holding the token every request must carry (Bearer or x-api-key).")
        self.token_button = QPushButton("&Browse…", self)
        token_row = QHBoxLayout()
        token_row.addWidget(self.token_edit, 1)
        token_row.addWidget(self.token_button)
        # Mnemonics here avoid the tabs' (A q P y t H r) and the menus' (F E G V H).
        form = QFormLayout()
        form.addRow("H&ost:", self.host_edit)
        form.addRow("Port nu&mber:", self.port_spin)
        token_label = QLabel("Token f&ile:", self)
        token_label.setBuddy(self.token_edit)  # a row of two widgets gets no buddy by itself
        form.addRow(token_label, token_row)

        self.start_button = QPushButton("&Start gateway", self)
        self.start_button.setObjectName("serve_start")
        self.stop_button = QPushButton("Stop gate&way", self)
        self.stop_button.setObjectName("serve_stop")
        self.copy_url_button = QPushButton("Copy &URL", self)
        buttons = QHBoxLayout()
        buttons.addWidget(self.start_button)
        buttons.addWidget(self.stop_button)
        buttons.addWidget(self.copy_url_button)
        buttons.addStretch(1)
        note = note_label(
            "A gateway started here keeps serving after ModelDesk closes. "
            "To start one at every login: modeldesk install-service.",
            self,
        )

        box = QVBoxLayout(self.gateway_box)
        box.addWidget(self.state_label)
        box.addWidget(self.detail_label)
        box.addLayout(form)
        box.addLayout(buttons)
        box.addWidget(self.message_label)
        box.addWidget(note)
        self.start_button.clicked.connect(self.start)
        self.stop_button.clicked.connect(self.stop)
        self.copy_url_button.clicked.connect(self.copy_url)
        self.token_button.clicked.connect(self._browse_token)
        self.token_edit.editingFinished.connect(self._show_setup)
        self.host_edit.textChanged.connect(self._show_setup)
        self.port_spin.valueChanged.connect(self._show_setup)

    def _build_setup_box(self) -> None:
        self.setup_box = QGroupBox("Set up a tool", self)
        self.tool_combo = QComboBox(self)
        self.tool_combo.setObjectName("serve_tool")
        for tool in TOOLS:
            self.tool_combo.addItem(tool.label, tool.key)
        # Agent ids, completed as typed: one call fills it (10,000 agents added one by one
        # would hold the window), and a name from settings.serve.aliases may be typed too.
        self.agent_combo = QComboBox(self)
        self.agent_combo.setObjectName("serve_agent")
        searchable(self.agent_combo)
        self.agent_combo.setToolTip("The agent the tool runs on: its id is the model name the tool sends.")
        self.agent_combo.setMinimumContentsLength(18)
        self.agent_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.where_label = QLabel(self)
        self.where_label.setEnabled(False)
        self.setup_edit = QPlainTextEdit(self)
        self.setup_edit.setObjectName("serve_setup")
        self.setup_edit.setAccessibleName("Setup lines for the chosen tool")
        self.setup_edit.setReadOnly(True)
        self.setup_edit.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.setup_edit.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.copy_setup_button = QPushButton("&Copy lines", self)
        self.copy_setup_button.setObjectName("serve_copy_setup")
        row = QHBoxLayout()
        tool_label = QLabel("Too&l:", self)
        tool_label.setBuddy(self.tool_combo)
        agent_label = QLabel("Age&nt:", self)
        agent_label.setBuddy(self.agent_combo)
        for widget in (tool_label, self.tool_combo, agent_label, self.agent_combo):
            row.addWidget(widget)
        row.addStretch(1)
        row.addWidget(self.copy_setup_button)
        box = QVBoxLayout(self.setup_box)
        box.addLayout(row)
        box.addWidget(self.where_label)
        box.addWidget(self.setup_edit, 1)
        self.tool_combo.currentIndexChanged.connect(self._show_setup)
        self.agent_combo.currentTextChanged.connect(self._show_setup)
        self.copy_setup_button.clicked.connect(self.copy_setup)

    def _build_requests_box(self) -> None:
        self.requests_box = QGroupBox("Recent requests", self)
        self.requests_model = ServeRequestsModel(self)
        self.requests_view = make_table(
            self.requests_model,
            "serve_requests",
            "The gateway's recent requests, newest first",
            self,
            stretch=(ServeRequestsModel.ANSWERED,),
            one_line=True,
        )
        self.requests_label = QLabel(self)
        self.requests_label.setObjectName("serve_requests_note")
        self.requests_label.setTextFormat(Qt.TextFormat.PlainText)
        self.requests_label.setWordWrap(True)
        box = QVBoxLayout(self.requests_box)
        box.addWidget(self.requests_label)
        box.addWidget(self.requests_view, 1)

    # --- the gateway ------------------------------------------------------------------

    def options(self) -> ServeOptions:
        token = self.token_edit.text().strip()
        return ServeOptions(
            host=self.host_edit.text().strip() or DEFAULT_HOST,
            port=self.port_spin.value(),
            token_file=Path(token).expanduser() if token else None,
        )

    def start(self) -> None:
        options = self.options()
        saved = QSettings()
        saved.setValue(f"{SETTINGS_GROUP}/host", options.host)
        saved.setValue(f"{SETTINGS_GROUP}/port", options.port)
        saved.setValue(f"{SETTINGS_GROUP}/token_file", self.token_edit.text().strip())
        self.message_label.hide()
        self.state_label.setText("Starting…")
        self.controller.start(options)

    def stop(self) -> None:
        self.message_label.hide()
        self.state_label.setText("Stopping…")
        self.controller.stop()

    def copy_url(self) -> None:
        if self.status is not None:
            QGuiApplication.clipboard().setText(self.status.url)

    def _browse_token(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(self, "Token file", self.token_edit.text())
        if path:
            self.token_edit.setText(path)
            self._show_setup()

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        self._update_buttons()

    def _update_buttons(self) -> None:
        running = self.status is not None
        self.start_button.setEnabled(not self._busy and not running)
        self.stop_button.setEnabled(not self._busy and running)
        self.copy_url_button.setEnabled(running)
        for widget in (self.host_edit, self.port_spin, self.token_edit, self.token_button):
            widget.setEnabled(not self._busy and not running)

    def _show_status(self, status: ServeStatus | None) -> None:
        self.status = status
        if self._busy:
            self._update_buttons()
            return
        headline, detail = state_text(status)
        self.state_label.setText(headline)
        set_text_colour(self.state_label, "ok" if status is not None else None)
        self.detail_label.setText(detail)
        self._update_buttons()
        self._show_setup()

    def _show_failure(self, message: str) -> None:
        self.message_label.setText(message)
        self.message_label.show()

    # --- setup lines ------------------------------------------------------------------

    def _fill_agents(self) -> None:
        typed = self.agent_combo.currentText()
        ids = [agent.id for agent in self.document.config.agents]
        model = self.agent_combo.model()
        self.agent_combo.blockSignals(True)
        if isinstance(model, QStringListModel):
            model.setStringList(ids)
        # What was picked or typed stays (an alias, or an agent being renamed elsewhere).
        self.agent_combo.setEditText(typed or (ids[0] if ids else ""))
        self.agent_combo.blockSignals(False)
        self._show_setup()

    def agent_id(self) -> str:
        return self.agent_combo.currentText().strip()

    def set_agent(self, agent_id: str) -> None:
        self.agent_combo.setEditText(agent_id)

    def base_url(self) -> str:
        """The running gateway's URL, else the one the options would give."""
        if self.status is not None:
            return self.status.url
        options = self.options()
        host = options.host or DEFAULT_HOST
        host = f"[{host}]" if ":" in host else host
        # "Any free port" is known once the gateway runs.
        return f"http://{host}:{options.port or 'PORT'}"

    def _show_setup(self) -> None:
        key = self.tool_combo.currentData()
        agent = self.agent_id()
        tool = next((t for t in TOOLS if t.key == key), TOOLS[0])
        self.where_label.setText(tool.where)
        if not agent:
            self.setup_edit.setPlainText("Pick or type an agent: its id is the model name the tool asks for.")
            self.copy_setup_button.setEnabled(False)
            return
        token = self.token_edit.text().strip()
        text = setup_text(tool.key, self.base_url(), str(agent), Path(token).expanduser() if token else None)
        if self.setup_edit.toPlainText() != text:
            self.setup_edit.setPlainText(text)
        self.copy_setup_button.setEnabled(True)

    def copy_setup(self) -> None:
        QGuiApplication.clipboard().setText(self.setup_edit.toPlainText())

    # --- recent requests ----------------------------------------------------------------

    def _show_requests(self, runs: list[RunRecord]) -> None:
        self.requests_model.update_rows(runs)
        if runs:
            self.requests_label.setText(f"The newest {len(runs)} requests to any gateway; History has them all.")
        else:
            self.requests_label.setText("No gateway requests recorded yet.")
        set_text_colour(self.requests_label, None)

    def _show_requests_problem(self, message: str) -> None:
        self.requests_label.setText(message)
        set_text_colour(self.requests_label, "problem")

    # --- looking while shown ------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.controller.poll()
        self.timer.start()

    def hideEvent(self, event: QHideEvent) -> None:
        self.timer.stop()
        super().hideEvent(event)

    def shutdown(self) -> None:
        """The window closes: stop looking (a gateway started here goes on serving)."""
        self.timer.stop()


def _int(value: object, default: int) -> int:
    try:
        return int(str(value))
    except ValueError:
        return default
