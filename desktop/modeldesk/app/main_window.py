"""The main window: the Agents, Squads, Projects, History, Settings, Health and Serve
pages, Edit → Undo/Redo, a status bar with the config path and save state, and a watcher
that picks up changes other programs make to the file.

When the file on disk becomes unreadable (broken by hand, or written by a newer
ModelDesk), editing pauses: a banner above the pages says what is wrong and where, the
pages turn read-only, and Reload / Open folder let the user fix it and carry on."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from PySide6.QtCore import QByteArray, QFileSystemWatcher, QSettings, QSignalBlocker, Qt, QTimer, QUrl
from PySide6.QtGui import QAction, QCloseEvent, QColor, QDesktopServices, QKeySequence
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid as shiboken_is_valid

from .document import Document
from .services.history_records import history_recorder
from .views.agents_page import AgentsPage
from .views.app_menus import add_app_menus
from .views.dialogs.import_dialog import open_export, open_import
from .views.history_page import HistoryPage

if TYPE_CHECKING:  # each page's module loads when the page is first shown (the window comes up sooner)
    from .views.health_page import HealthPage
    from .views.projects_page import ProjectsPage
    from .views.serve_page import ServePage
    from .views.settings.settings_page import SettingsPage
    from .views.squads_page import SquadsPage

# The pages, in tab order: (key, tab label).
PAGES = (
    ("agents", "&Agents"),
    ("squads", "S&quads"),
    ("projects", "&Projects"),
    ("history", "Histor&y"),
    ("settings", "Se&ttings"),
    ("health", "&Health"),
    ("serve", "Se&rve"),
)
# Pages that edit the config: read-only while editing is paused.
EDITING_PAGES = ("agents", "squads", "projects", "settings")

# Editors often write a file in several steps; wait for the burst to end.
WATCH_DEBOUNCE_MS = 150
# A safety net for file systems where change notifications are unreliable (network mounts).
POLL_INTERVAL_MS = 3000


class MainWindow(QMainWindow):
    def __init__(self, document: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        # The file being edited, then the app: two windows on two files are told apart.
        self.setWindowTitle(f"{document.store.path.name} — ModelDesk")
        self.setWindowFilePath(str(document.store.path))
        self.resize(1280, 820)  # the app then restores the size it had last time

        self.pages = QTabWidget(self)
        self.pages.setDocumentMode(True)
        # The Agents page is what the window opens on; the others are built the first
        # time they are shown (or asked for), which keeps start-up and every edit at
        # 10,000 agents free of pages nobody has looked at yet.
        self.agents_page = AgentsPage(document, self)
        self._built: dict[str, QWidget] = {}
        self._placeholders: dict[str, QWidget] = {}
        for key, label in PAGES:
            if key == "agents":
                self._built[key] = self.agents_page
                self.pages.addTab(self.agents_page, label)
            else:
                placeholder = QWidget(self)
                placeholder.setObjectName(f"{key}_placeholder")
                self._placeholders[key] = placeholder
                self.pages.addTab(placeholder, label)
        self.pages.currentChanged.connect(self._build_shown_page)
        self.banner = PausedBanner(self)
        self.banner.reload_button.clicked.connect(self.document.reload)
        self.banner.folder_button.clicked.connect(self.open_config_folder)
        central = QWidget(self)
        central_layout = QVBoxLayout(central)
        central_layout.setContentsMargins(0, 0, 0, 0)
        central_layout.setSpacing(0)
        central_layout.addWidget(self.banner)
        central_layout.addWidget(self.pages, 1)
        self.setCentralWidget(central)

        self._build_menus()
        self.app_menus = add_app_menus(self, document.store.path)  # View (theme) and Help
        self.path_label = QLabel(str(document.store.path), self)
        self.path_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.path_label.setToolTip("The config file this window edits")
        self.save_label = QLabel(document.save_state, self)
        self.save_label.setObjectName("save_state")
        self.statusBar().addWidget(self.path_label, 1)
        self.statusBar().addPermanentWidget(self.save_label)

        document.save_state_changed.connect(self.save_label.setText)
        document.open_settings_requested.connect(self.open_settings)
        document.notice.connect(lambda text: self.statusBar().showMessage(text, 15000))
        document.paused_changed.connect(self._show_paused)
        self.agents_page.editor.open_project_requested.connect(self.open_project)
        history_recorder().failed.connect(self.show_history_problem)
        self._watch_file()
        self._show_paused(document.paused)
        # The keyboard starts in the agents list (given the focus when the window shows).
        self.agents_page.table.setFocus()

    # --- pages, built on first show --------------------------------------------------

    @property
    def squads_page(self) -> SquadsPage:
        return cast("SquadsPage", self.page("squads"))

    @property
    def projects_page(self) -> ProjectsPage:
        return cast("ProjectsPage", self.page("projects"))

    @property
    def history_page(self) -> HistoryPage:
        return cast(HistoryPage, self.page("history"))

    @property
    def settings_page(self) -> SettingsPage:
        return cast("SettingsPage", self.page("settings"))

    @property
    def health_page(self) -> HealthPage:
        return cast("HealthPage", self.page("health"))

    @property
    def serve_page(self) -> ServePage:
        return cast("ServePage", self.page("serve"))

    def is_built(self, key: str) -> bool:
        return key in self._built

    def page(self, key: str) -> QWidget:
        """The page named ``key`` (see PAGES), built now if it has not been shown yet."""
        built = self._built.get(key)
        if built is not None:
            return built
        placeholder = self._placeholders.pop(key)
        page = self._make_page(key)
        self._built[key] = page
        index = self.pages.indexOf(placeholder)
        current = self.pages.currentIndex()
        # Swap the placeholder for the page in the same tab, quietly: the tab shown does
        # not change.
        with QSignalBlocker(self.pages):
            self.pages.removeTab(index)
            self.pages.insertTab(index, page, dict(PAGES)[key])
            self.pages.setCurrentIndex(current)
        placeholder.deleteLater()
        if key in EDITING_PAGES:
            page.setEnabled(not self.document.paused)  # agents is built first, never here
        return page

    def _make_page(self, key: str) -> QWidget:
        if key == "squads":
            from .views.squads_page import SquadsPage

            return SquadsPage(self.document, self)
        if key == "projects":
            from .views.projects_page import ProjectsPage

            projects = ProjectsPage(self.document, self)
            projects.open_agent_requested.connect(self.open_agent)
            return projects
        if key == "history":
            return HistoryPage(self.document, self)
        if key == "settings":
            from .views.settings.settings_page import SettingsPage

            return SettingsPage(self.document, self)
        if key == "health":
            from .views.health_page import HealthPage

            return HealthPage(self.document, self)
        if key == "serve":
            from .views.serve_page import ServePage

            return ServePage(self.document, self)
        raise KeyError(key)

    def _build_shown_page(self, index: int) -> None:
        shown = self.pages.widget(index)
        for key, placeholder in list(self._placeholders.items()):
            if placeholder is shown:
                self.page(key)
                # Show the page itself, not the placeholder that stood in its tab.
                self.pages.setCurrentIndex(index)
                return

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
        # Own actions rather than the stack's createUndoAction: those re-enable themselves
        # whenever the stack changes, and undo must stay off while editing is paused.
        self.undo_action = QAction("&Undo", self)
        self.undo_action.setShortcut(QKeySequence(QKeySequence.StandardKey.Undo))
        self.undo_action.triggered.connect(stack.undo)
        self.redo_action = QAction("&Redo", self)
        self.redo_action.setShortcut(QKeySequence(QKeySequence.StandardKey.Redo))
        self.redo_action.triggered.connect(stack.redo)
        for signal in (stack.canUndoChanged, stack.canRedoChanged, stack.undoTextChanged, stack.redoTextChanged):
            signal.connect(self._update_undo_actions)
        self._update_undo_actions()
        edit_menu.addAction(self.undo_action)
        edit_menu.addAction(self.redo_action)
        edit_menu.addSeparator()
        self.new_agent_action = QAction("&New agent…", self)
        self.new_agent_action.setShortcut(QKeySequence(QKeySequence.StandardKey.New))
        self.new_agent_action.triggered.connect(self.new_agent)
        self.find_action = QAction("&Find agents", self)
        self.find_action.setShortcut(QKeySequence(QKeySequence.StandardKey.Find))
        self.find_action.triggered.connect(self.find_agents)
        edit_menu.addAction(self.new_agent_action)
        edit_menu.addAction(self.find_action)

        go_menu = self.menuBar().addMenu("&Go")
        # One entry per page, in tab order: Ctrl+1 is the first page, Ctrl+2 the second...
        for index in range(self.pages.count()):
            action = QAction(self.pages.tabText(index).replace("&", ""), self)
            action.setShortcut(QKeySequence(f"Ctrl+{index + 1}"))
            action.triggered.connect(lambda _checked=False, i=index: self.pages.setCurrentIndex(i))
            go_menu.addAction(action)

    # --- a broken file pauses editing --------------------------------------------------

    def _show_paused(self, problem: str) -> None:
        paused = bool(problem)
        self.banner.show_problem(problem, self.document.store.path.name)
        # The pages stay readable (and the tabs switchable) but take no edits; undo and
        # redo would be edits too.
        self.agents_page.set_paused(paused)
        for key in EDITING_PAGES:
            if key in self._built and key != "agents":
                self._built[key].setEnabled(not paused)
        self.import_action.setEnabled(not paused)  # an import is an edit too
        self.new_agent_action.setEnabled(not paused)
        self._update_undo_actions()

    def _update_undo_actions(self, *_: object) -> None:
        stack = self.document.undo_stack
        if not shiboken_is_valid(stack):
            return  # the document is being torn down
        paused = bool(self.document.paused)
        self.undo_action.setEnabled(stack.canUndo() and not paused)
        self.redo_action.setEnabled(stack.canRedo() and not paused)
        self.undo_action.setText(f"&Undo {stack.undoText()}".rstrip())
        self.redo_action.setText(f"&Redo {stack.redoText()}".rstrip())

    def open_config_folder(self) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.document.store.path.parent)))

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

    def new_agent(self) -> None:
        self.pages.setCurrentWidget(self.agents_page)
        self.agents_page.add_agent()

    def find_agents(self) -> None:
        self.pages.setCurrentWidget(self.agents_page)
        self.agents_page.focus_filter()

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
        # Saves run in the background: let the queued ones land before the app ends.
        self.document.wait_saved()
        QSettings().setValue(GEOMETRY_KEY, self.saveGeometry())
        # Network work still under way (a test run, a provider check) must not outlive
        # the window that shows it.
        self.agents_page.test_run.shutdown()
        if self.is_built("settings"):
            self.settings_page.models_tab.providers.shutdown()
        if self.is_built("health"):
            self.health_page.shutdown()
        if self.is_built("serve"):
            self.serve_page.shutdown()  # the gateway itself goes on serving
        super().closeEvent(event)


GEOMETRY_KEY = "window/geometry"


def restore_geometry(window: QMainWindow) -> None:
    """The size and place the window had when last closed (saved on close), else
    1280 by 820 or what the screen has room for. Called by the app before showing."""
    saved = QSettings().value(GEOMETRY_KEY)
    if isinstance(saved, QByteArray) and window.restoreGeometry(saved):
        return
    screen = window.screen().availableGeometry()
    window.resize(min(1280, screen.width()), min(820, screen.height()))


class PausedBanner(QFrame):
    """A strip above the pages while the config file on disk cannot be read: what is
    wrong and where (the store's message, as plain text), and the two ways on."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("paused_banner")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAutoFillBackground(True)
        self.title = QLabel(self)
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        font = self.title.font()
        font.setBold(True)
        self.title.setFont(font)
        self.message = QLabel(self)
        # The message quotes the file: it is data, never markup.
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.reload_button = QPushButton("&Reload", self)
        self.reload_button.setToolTip("Read the file again (after fixing it)")
        self.folder_button = QPushButton("Open &folder", self)
        self.folder_button.setToolTip("Show the folder holding the config file and the kept broken copy")
        text = QVBoxLayout()
        text.addWidget(self.title)
        text.addWidget(self.message)
        buttons = QVBoxLayout()
        buttons.addWidget(self.reload_button)
        buttons.addWidget(self.folder_button)
        buttons.addStretch(1)
        layout = QHBoxLayout(self)
        layout.addLayout(text, 1)
        layout.addLayout(buttons)
        palette = self.palette()
        palette.setColor(self.backgroundRole(), QColor(255, 236, 179))
        # Dark text on the pale strip in light and dark themes alike.
        palette.setColor(self.foregroundRole(), QColor(33, 33, 33))
        self.setPalette(palette)
        self.hide()

    def show_problem(self, problem: str, file_name: str) -> None:
        if not problem:
            self.hide()
            return
        self.title.setText(f"Editing is paused: {file_name} cannot be read. Fix it, then Reload.")
        self.message.setText(problem)
        self.show()
