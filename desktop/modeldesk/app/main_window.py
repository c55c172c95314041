"""The main window: Agents, Squads and Settings pages, Edit → Undo/Redo, a status bar
with the config path and save state, and a watcher that picks up changes other
programs make to the file."""

from __future__ import annotations

from PySide6.QtCore import QFileSystemWatcher, Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import QLabel, QMainWindow, QTabWidget, QWidget

from .document import Document
from .views.agents_page import AgentsPage
from .views.app_menus import add_app_menus
from .views.dialogs.import_dialog import open_export, open_import
from .views.health_page import HealthPage
from .views.history_page import HistoryPage, history_recorder
from .views.projects_page import ProjectsPage
from .views.settings.settings_page import SettingsPage
from .views.squads_page import SquadsPage

# Editors often write a file in several steps; wait for the burst to end.
WATCH_DEBOUNCE_MS = 150
# A safety net for file systems where change notifications are unreliable (network mounts).
POLL_INTERVAL_MS = 3000


class MainWindow(QMainWindow):
    def __init__(self, document: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.setWindowTitle("ModelDesk")
        self.resize(1280, 820)

        self.pages = QTabWidget(self)
        self.pages.setDocumentMode(True)
        self.agents_page = AgentsPage(document, self)
        self.squads_page = SquadsPage(document, self)
        self.projects_page = ProjectsPage(document, self)
        self.settings_page = SettingsPage(document, self)
        self.pages.addTab(self.agents_page, "&Agents")
        self.pages.addTab(self.squads_page, "S&quads")
        self.pages.addTab(self.projects_page, "&Projects")
        self.history_page = HistoryPage(document, self)
        self.pages.addTab(self.history_page, "Histor&y")
        self.pages.addTab(self.settings_page, "Se&ttings")
        self.health_page = HealthPage(document, self)
        self.pages.addTab(self.health_page, "&Health")
        self.setCentralWidget(self.pages)

        self._build_menus()
        add_app_menus(self, document.store.path)  # View (theme) and Help
        self.path_label = QLabel(str(document.store.path), self)
        self.path_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.path_label.setToolTip("The config file this window edits")
        self.save_label = QLabel(document.save_state, self)
        self.save_label.setObjectName("save_state")
        self.statusBar().addWidget(self.path_label, 1)
        self.statusBar().addPermanentWidget(self.save_label)

        document.save_state_changed.connect(self.save_label.setText)
        document.open_settings_requested.connect(self.open_settings)
        self.agents_page.editor.open_project_requested.connect(self.open_project)
        self.projects_page.open_agent_requested.connect(self.open_agent)
        history_recorder().failed.connect(self.show_history_problem)
        self._watch_file()

    # --- menus ------------------------------------------------------------------------

    def _build_menus(self) -> None:
        stack = self.document.undo_stack
        file_menu = self.menuBar().addMenu("&File")
        self.reload_action = QAction("&Reload from disk", self)
        self.reload_action.setShortcut(QKeySequence(QKeySequence.StandardKey.Refresh))
        self.reload_action.triggered.connect(self.document.reload)
        file_menu.addAction(self.reload_action)
        file_menu.addSeparator()
        self.import_action = QAction("&Import…", self)
        self.import_action.triggered.connect(lambda: open_import(self, self.document))
        self.export_action = QAction("&Export…", self)
        self.export_action.triggered.connect(self.export_config)
        file_menu.addAction(self.import_action)
        file_menu.addAction(self.export_action)
        file_menu.addSeparator()
        quit_action = QAction("&Quit", self)
        quit_action.setShortcut(QKeySequence(QKeySequence.StandardKey.Quit))
        quit_action.setMenuRole(QAction.MenuRole.QuitRole)
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)

        edit_menu = self.menuBar().addMenu("&Edit")
        self.undo_action = stack.createUndoAction(self, "&Undo")
        self.undo_action.setShortcut(QKeySequence(QKeySequence.StandardKey.Undo))
        self.redo_action = stack.createRedoAction(self, "&Redo")
        self.redo_action.setShortcut(QKeySequence(QKeySequence.StandardKey.Redo))
        edit_menu.addAction(self.undo_action)
        edit_menu.addAction(self.redo_action)

        go_menu = self.menuBar().addMenu("&Go")
        # One entry per page, in tab order: Ctrl+1 is the first page, Ctrl+2 the second...
        for index in range(self.pages.count()):
            action = QAction(self.pages.tabText(index).replace("&", ""), self)
            action.setShortcut(QKeySequence(f"Ctrl+{index + 1}"))
            action.triggered.connect(lambda _checked=False, i=index: self.pages.setCurrentIndex(i))
            go_menu.addAction(action)

    # --- Settings links ---------------------------------------------------------------

    def open_settings(self, field: str = "default_agent_model") -> None:
        """Switch to Settings → Models and focus ``field`` (the "Open settings" links)."""
        self.pages.setCurrentWidget(self.settings_page)
        self.settings_page.show_models_field(field)

    def open_project(self, project_id: str) -> None:
        """Show ``project_id`` on the Projects page (the agent editor's project link)."""
        self.pages.setCurrentWidget(self.projects_page)
        self.projects_page.show_project(project_id)

    def export_config(self) -> None:
        dialog = open_export(self, self.document)
        dialog.accepted.connect(lambda: self.statusBar().showMessage(dialog.done_message(), 15000))

    def show_history_problem(self, text: str) -> None:
        """A run could not be recorded in the history (the run itself was fine)."""
        self.statusBar().showMessage(text, 15000)

    def open_agent(self, agent_id: str) -> None:
        """Show ``agent_id`` in the agent editor (from the Projects page)."""
        self.pages.setCurrentWidget(self.agents_page)
        self.agents_page.select_agent(agent_id)
        self.agents_page.tabs.setCurrentWidget(self.agents_page.editor)

    # --- watching the file ------------------------------------------------------------

    def _watch_file(self) -> None:
        path = self.document.store.path
        self.watcher = QFileSystemWatcher(self)
        # The folder too: an atomic save replaces the file (a new inode), which ends a
        # watch on the file itself; the folder's change notice catches that.
        if path.parent.is_dir():
            self.watcher.addPath(str(path.parent))
        self._rewatch()
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(WATCH_DEBOUNCE_MS)
        self._debounce.timeout.connect(self.check_external_change)
        self.watcher.fileChanged.connect(self._debounce.start)
        self.watcher.directoryChanged.connect(self._debounce.start)
        self._poll = QTimer(self)
        self._poll.setInterval(POLL_INTERVAL_MS)
        self._poll.timeout.connect(self.check_external_change)
        self._poll.start()

    def _rewatch(self) -> None:
        path = str(self.document.store.path)
        if self.document.store.path.exists() and path not in self.watcher.files():
            self.watcher.addPath(path)

    def check_external_change(self) -> bool:
        """Adopt the file if another program changed it (the store fingerprint tells).
        Local edits are already saved, so nothing of ours is pending and both sides'
        changes are kept."""
        self._rewatch()
        return self.document.reload_if_changed()

    def closeEvent(self, event: QCloseEvent) -> None:
        # Edits are saved as they are made; only text still being typed needs a commit,
        # which focus leaving the field does.
        focused = self.focusWidget()
        if focused is not None:
            focused.clearFocus()
        self._poll.stop()
        self._debounce.stop()
        # Network work still under way (a test run, a provider check) must not outlive
        # the window that shows it.
        self.agents_page.test_run.shutdown()
        self.settings_page.models_tab.providers.shutdown()
        self.health_page.shutdown()
        super().closeEvent(event)
