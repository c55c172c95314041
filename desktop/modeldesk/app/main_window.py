"""The main window: the Agents, Squads, Projects, History, Settings, Health and Serve
pages, Edit → Undo/Redo, a status bar with the config path and save state, and a watcher
that picks up changes other programs make to the file.

When the file on disk becomes unreadable (broken by hand, or written by a newer
ModelDesk), editing pauses: a banner above the pages says what is wrong and where, the
pages turn read-only, and Reload / Open folder let the user fix it and carry on.

The window can open before its config is read: ``MainWindow(path=...)`` is the window's
first frame (menus, tabs, a status line saying the file is being opened), which needs
neither pydantic nor the config; :meth:`MainWindow.set_document` then builds the pages
and enables editing. ``MainWindow(document)`` does both at once. So this module imports
only what that first frame shows; the rest loads with the document (see
:func:`import_document_modules`)."""

from __future__ import annotations

from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, cast

from PySide6.QtCore import QByteArray, QFileSystemWatcher, QSettings, QSignalBlocker, QTimer, QUrl, Signal
from PySide6.QtGui import QAction, QCloseEvent, QDesktopServices, QKeySequence
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QMainWindow, QTabWidget, QVBoxLayout, QWidget

from .preload import finish_preloading_pages
from .views.app_menus import add_app_menus, set_shortcut
from .widgets.steady_label import SteadyLabel

if TYPE_CHECKING:  # each page's module loads when the page is first shown (the window comes up sooner)
    from .document import Document
    from .views.agents_page import AgentsPage
    from .views.health_page import HealthPage
    from .views.history_page import HistoryPage
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
# The modules of the pages built when first shown (loaded ahead by the app's preload).
PAGE_MODULES = tuple(
    f"{__package__}.views.{name}"
    for name in ("squads_page", "projects_page", "history_page", "settings.settings_page", "health_page", "serve_page")
)
# Pages that edit the config: read-only while editing is paused.
EDITING_PAGES = ("agents", "squads", "projects", "settings")

# Editors often write a file in several steps; wait for the burst to end.
WATCH_DEBOUNCE_MS = 150
# A safety net for file systems where change notifications are unreliable (network mounts).
POLL_INTERVAL_MS = 3000

# What the window's first frame says until the config is read.
OPENING = "Opening {name}…"


def import_document_modules() -> None:
    """Load what :meth:`MainWindow.set_document` builds (the document, the Agents page
    with its editor, resolution preview and test run, the run history's recorder). Safe
    from any thread (imports only, no Qt object): the app does it beside reading the
    config, off the GUI thread, while the first frame is up."""
    for name in ("document", "views.agents_page", "services.history_records", "views.dialogs.import_dialog"):
        import_module(f"{__package__}.{name}")


class MainWindow(QMainWindow):
    # The document is in place and the Agents page filled (set_document has run).
    loaded = Signal()

    document: Document
    agents_page: AgentsPage

    def __init__(
        self, document: Document | None = None, parent: QWidget | None = None, *, path: Path | None = None
    ) -> None:
        """The window on ``document``; or, with ``path`` instead, the window's first frame
        for that file, editing off until :meth:`set_document` gives it the document."""
        super().__init__(parent)
        config_path = document.store.path if document is not None else path
        if config_path is None:
            raise ValueError("MainWindow needs a document or the path of the file it will open")
        self.config_path = config_path
        self._loaded = False
        # The file being edited, then the app: two windows on two files are told apart.
        self.setWindowTitle(f"{config_path.name} — ModelDesk")
        self.setWindowFilePath(str(config_path))
        self.resize(1280, 820)  # the app then restores the size it had last time

        self.pages = QTabWidget(self)
        self.pages.setDocumentMode(True)
        # Every page starts as a placeholder; the Agents page, which the window opens on,
        # is built with the document, and the others the first time they are shown (or
        # asked for), which keeps start-up and every edit at 10,000 agents free of pages
        # nobody has looked at yet.
        self._built: dict[str, QWidget] = {}
        self._placeholders: dict[str, QWidget] = {}
        for key, label in PAGES:
            placeholder = QWidget(self)
            placeholder.setObjectName(f"{key}_placeholder")
            self._placeholders[key] = placeholder
            self.pages.addTab(placeholder, label)
        self.opening_label = QLabel(OPENING.format(name=config_path.name), self._placeholders["agents"])
        # Centred by stretches: an alignment flag would build the Qt namespace's enums
        # (~40 ms of the first frame).
        centred = QHBoxLayout()
        centred.addStretch(1)
        centred.addWidget(self.opening_label)
        centred.addStretch(1)
        opening = QVBoxLayout(self._placeholders["agents"])
        opening.addStretch(1)
        opening.addLayout(centred)
        opening.addStretch(1)
        self.pages.currentChanged.connect(self._build_shown_page)
        central = QWidget(self)
        self._central_layout = QVBoxLayout(central)
        self._central_layout.setContentsMargins(0, 0, 0, 0)
        self._central_layout.setSpacing(0)
        self._central_layout.addWidget(self.pages, 1)
        self.setCentralWidget(central)

        self._build_menus()
        self.app_menus = add_app_menus(self, config_path)  # View (theme) and Help
        self.path_label = QLabel(str(config_path), self)
        self.path_label.setToolTip("The config file this window edits")
        opening_text = OPENING.format(name=config_path.name)
        self.save_label = SteadyLabel(opening_text, (opening_text,), self)
        self.save_label.setObjectName("save_state")
        self.statusBar().addWidget(self.path_label, 1)
        self.statusBar().addPermanentWidget(self.save_label)
        self._enable_editing(False)
        if document is not None:
            self.set_document(document)

    @property
    def is_loaded(self) -> bool:
        """Whether the window has its document (``set_document`` has run)."""
        return self._loaded

    def set_document(self, document: Document) -> None:
        """Build the pages on ``document`` and turn editing on (once per window)."""
        if self._loaded:
            raise RuntimeError("the window already has its document")
        from PySide6.QtCore import Qt

        from .document import SAVED, SAVING
        from .services.history_records import history_recorder
        from .views.agents_page import AgentsPage

        self.document = document
        self.agents_page = AgentsPage(document, self)
        self._swap_in("agents", self.agents_page)
        self._loaded = True
        self.path_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.banner = PausedBanner(self)
        self.banner.reload_button.clicked.connect(self.document.reload)
        self.banner.folder_button.clicked.connect(self.open_config_folder)
        self._central_layout.insertWidget(0, self.banner)
        self.reload_action.triggered.connect(self.document.reload)
        stack = document.undo_stack
        self.undo_action.triggered.connect(stack.undo)
        self.redo_action.triggered.connect(stack.redo)
        # Qt sends all four of canUndo/canRedo/undoText/redoTextChanged with every index
        # change (a push, an undo, a clear): one update per step, not four.
        stack.indexChanged.connect(self._update_undo_actions)
        # The save state can quote a file's error: data, never markup. Set here, not in the
        # first frame, where touching Qt's enums costs ~40 ms.
        from PySide6.QtCore import Qt

        self.save_label.setTextFormat(Qt.TextFormat.PlainText)
        # Sized for the states every edit shows, so they change without a relayout.
        self.save_label.set_usual_texts((SAVING, SAVED))
        self.save_label.setText(document.save_state)
        document.save_state_changed.connect(self.save_label.setText)
        document.open_settings_requested.connect(self.open_settings)
        document.notice.connect(lambda text: self.statusBar().showMessage(text, 15000))
        document.paused_changed.connect(self._show_paused)
        self.agents_page.editor.open_project_requested.connect(self.open_project)
        history_recorder().failed.connect(self.show_history_problem)
        self._watch_file()
        self._enable_editing(True)
        self._show_paused(document.paused)
        # A page the user went to while the file was being read is built now.
        self._build_shown_page(self.pages.currentIndex())
        # The keyboard starts in the agents list (given the focus when the window shows).
        if self.pages.currentWidget() is self.agents_page:
            self.agents_page.table.setFocus()
        self.loaded.emit()

    # --- pages, built on first show --------------------------------------------------

    @property
    def squads_page(self) -> SquadsPage:
        return cast("SquadsPage", self.page("squads"))

    @property
    def projects_page(self) -> ProjectsPage:
        return cast("ProjectsPage", self.page("projects"))

    @property
    def history_page(self) -> HistoryPage:
        return cast("HistoryPage", self.page("history"))

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
        if not self._loaded:
            raise RuntimeError(f"the {key} page is built once the window has its document")
        page = self._make_page(key)
        self._swap_in(key, page)
        if key in EDITING_PAGES:
            page.setEnabled(not self.document.paused)  # agents is built first, never here
        return page

    def _swap_in(self, key: str, page: QWidget) -> None:
        """Put ``page`` in its tab instead of the placeholder, quietly: the tab shown does
        not change."""
        placeholder = self._placeholders.pop(key)
        self._built[key] = page
        index = self.pages.indexOf(placeholder)
        current = self.pages.currentIndex()
        with QSignalBlocker(self.pages):
            self.pages.removeTab(index)
            self.pages.insertTab(index, page, dict(PAGES)[key])
            self.pages.setCurrentIndex(current)
        placeholder.deleteLater()

    def _make_page(self, key: str) -> QWidget:
        finish_preloading_pages()  # its module may be loading on the preload thread
        if key == "squads":
            from .views.squads_page import SquadsPage

            return SquadsPage(self.document, self)
        if key == "projects":
            from .views.projects_page import ProjectsPage

            projects = ProjectsPage(self.document, self)
            projects.open_agent_requested.connect(self.open_agent)
            return projects
        if key == "history":
            from .views.history_page import HistoryPage

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
        if not self._loaded:
            return  # set_document builds the page shown then
        shown = self.pages.widget(index)
        for key, placeholder in list(self._placeholders.items()):
            if placeholder is shown:
                self.page(key)
                # Show the page itself, not the placeholder that stood in its tab.
                self.pages.setCurrentIndex(index)
                return

    # --- menus ------------------------------------------------------------------------

    def _build_menus(self) -> None:
        # The actions that need the document are connected to it by set_document.
        file_menu = self.menuBar().addMenu("&File")
        self.reload_action = QAction("&Reload from disk", self)
        set_shortcut(self.reload_action, QKeySequence(QKeySequence.StandardKey.Refresh))
        file_menu.addAction(self.reload_action)
        file_menu.addSeparator()
        self.import_action = QAction("&Import…", self)
        self.import_action.triggered.connect(self.import_config)
        self.export_action = QAction("&Export…", self)
        self.export_action.triggered.connect(self.export_config)
        file_menu.addAction(self.import_action)
        file_menu.addAction(self.export_action)
        file_menu.addSeparator()
        quit_action = QAction("&Quit", self)
        set_shortcut(quit_action, QKeySequence(QKeySequence.StandardKey.Quit))
        quit_action.setMenuRole(QAction.MenuRole.QuitRole)
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)

        edit_menu = self.menuBar().addMenu("&Edit")
        # Own actions rather than the stack's createUndoAction: those re-enable themselves
        # whenever the stack changes, and undo must stay off while editing is paused.
        self.undo_action = QAction("&Undo", self)
        set_shortcut(self.undo_action, QKeySequence(QKeySequence.StandardKey.Undo))
        self.redo_action = QAction("&Redo", self)
        set_shortcut(self.redo_action, QKeySequence(QKeySequence.StandardKey.Redo))
        edit_menu.addAction(self.undo_action)
        edit_menu.addAction(self.redo_action)
        edit_menu.addSeparator()
        self.new_agent_action = QAction("&New agent…", self)
        set_shortcut(self.new_agent_action, QKeySequence(QKeySequence.StandardKey.New))
        self.new_agent_action.triggered.connect(self.new_agent)
        self.find_action = QAction("&Find agents", self)
        set_shortcut(self.find_action, QKeySequence(QKeySequence.StandardKey.Find))
        self.find_action.triggered.connect(self.find_agents)
        edit_menu.addAction(self.new_agent_action)
        edit_menu.addAction(self.find_action)

        go_menu = self.menuBar().addMenu("&Go")
        # One entry per page, in tab order: Ctrl+1 is the first page, Ctrl+2 the second...
        for index in range(self.pages.count()):
            action = QAction(self.pages.tabText(index).replace("&", ""), self)
            set_shortcut(action, QKeySequence(f"Ctrl+{index + 1}"))
            action.triggered.connect(lambda _checked=False, i=index: self.pages.setCurrentIndex(i))
            go_menu.addAction(action)

    def _enable_editing(self, enabled: bool) -> None:
        """Until the document is in place, only what needs none of it: Quit, the pages'
        tabs, View and Help."""
        for action in (self.reload_action, self.import_action, self.export_action, self.find_action):
            action.setEnabled(enabled)
        if not enabled:
            for action in (self.undo_action, self.redo_action, self.new_agent_action):
                action.setEnabled(False)

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
        from shiboken6 import isValid as shiboken_is_valid

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

    def import_config(self) -> None:
        from .views.dialogs.import_dialog import open_import

        open_import(self, self.document)

    def export_config(self) -> None:
        from .views.dialogs.import_dialog import open_export

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
        QSettings().setValue(GEOMETRY_KEY, self.saveGeometry())
        if not self._loaded:  # closed while the file was being read: nothing to save or stop
            super().closeEvent(event)
            return
        focused = self.focusWidget()
        if focused is not None:
            focused.clearFocus()
        self._poll.stop()
        self._debounce.stop()
        # Saves run in the background: let the queued ones land before the app ends.
        self.document.wait_saved()
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
    wrong and where (the store's message, as plain text), and the two ways on. Built with
    the document (its Qt names are not needed by the window's first frame)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        from PySide6.QtCore import Qt
        from PySide6.QtGui import QColor
        from PySide6.QtWidgets import QHBoxLayout, QPushButton

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
