"""Start-up of the desktop app: the QApplication, the config file check (first run,
broken or too-new file), the main window, then one qasync event loop.

Decisions (see the report / docs):

* **An existing file**: the window comes first. Its first frame (menus, tabs, a status
  line saying which file is being opened) is shown and painted before anything the
  config needs is loaded (pydantic, the schema, the pages); then a thread of its own
  reads and validates the file while the window stays up, and the pages are built on the
  GUI thread when the config arrives. Editing is off until then.
* **First start** (no file): a dialog offers the sample workspace or an empty config,
  and names the file it will create. Nothing is written until the user picks; "Quit"
  leaves no file behind.
* **Broken or too-new file**: a message names the file and the problem and the app
  quits. The file is never overwritten (the store also keeps a copy of a broken file).
  A read-only view is not offered: a file that does not parse has nothing to show.
* **Broken organization policy**: a warning, and the app runs without the policy.

Only what the first frame needs is imported at the top of this module and of
:mod:`.main_window`; the rest loads beside the file (see :class:`ConfigReader`).
"""

from __future__ import annotations

import gc
import os
import sys
import threading
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QEventLoop, QObject, QTimer, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QWidget

from modeldesk.core.paths import config_path as resolve_config_path
from modeldesk.resource_files import icon_paths

from .gui_gc import collect_in_gui_thread
from .main_window import PAGE_MODULES, MainWindow, import_document_modules, restore_geometry
from .preload import start_preloading
from .views.app_menus import apply_saved_theme

if TYPE_CHECKING:
    from modeldesk.core.errors import ModelDeskError
    from modeldesk.core.schema import Config
    from modeldesk.core.store import ConfigStore

    from .document import Document
    from .views.dialogs.first_run_dialog import StartChoice

APP_NAME = "ModelDesk"
DESKTOP_FILE = "io.modeldesk.ModelDesk"


def app_icon() -> QIcon:
    """The window icon from the package's own resources (every PNG size, else the SVG)."""
    icon = QIcon()
    paths = icon_paths()
    for path in paths:
        if path.suffix == ".png":
            icon.addFile(str(path))
    if icon.isNull():
        for path in paths:
            icon.addFile(str(path))
    return icon


def make_application(argv: list[str] | None = None) -> QApplication:
    # Qt's raster engine hands every fill of 96 lines or more to a pool of threads and
    # waits for them: on a busy machine the GUI thread slept until they were scheduled
    # (3-4 ms gaps while an answer streamed in). Filled on the GUI thread, such a fill
    # costs less than that wait. Read once, when Qt first paints.
    os.environ.setdefault("QT_NO_GUI_THREADPOOL", "1")
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        app = QApplication(argv if argv is not None else sys.argv)
    # The GUI thread shares the interpreter with the save worker: handing it over every
    # millisecond (Python's default is 5 ms) keeps a save from holding the GUI for frames.
    sys.setswitchinterval(0.001)
    # Cycles holding Qt objects must be freed in this thread, never in a worker's.
    collect_in_gui_thread(app)
    app.setApplicationName(APP_NAME)
    app.setApplicationDisplayName(APP_NAME)
    app.setOrganizationName(APP_NAME)
    app.setDesktopFileName(DESKTOP_FILE)
    icon = app_icon()
    if not icon.isNull():
        app.setWindowIcon(icon)
    return app


def settle_heap() -> None:
    """Move everything loaded so far (10,000 agents are ~10^6 objects) out of the cyclic
    garbage collector's sight: its full passes otherwise scan them all, stalling the GUI
    for ~100 ms at random moments while an answer streams. Objects are still freed when
    no longer used; only cycles among them would be left for good, and the loaded config
    holds none. No collection first: a full pass here would delay the first window by
    ~0.1 s to free a little start-up garbage."""
    gc.freeze()


# How long after the window shows the runtime starts loading in the background.
PRELOAD_AFTER_MS = 300


def preload_runtime() -> threading.Thread:
    """Load the runner, the HTTP stack and the pages' modules on a background thread
    (see :mod:`.preload`). The window opens without them; loaded here, once the window is
    up, the first test run does not stall the GUI thread on imports and the CA bundle
    (~0.3 s), nor a page's first open on its modules."""

    def pages() -> None:
        for name in PAGE_MODULES:
            import_module(name)

    def runtime() -> None:
        import contextlib

        import_module("modeldesk.runtime.runner")
        import_module("modeldesk.runtime.history_record")
        from modeldesk.runtime.providers import new_client

        new_client(1.0)  # builds the shared TLS context (the CA bundle) and loads the transport
        # What the HTTP stack imports on its first request (its async backend, the HTTP/1.1
        # parser); names of its own, so a version without one is simply not preloaded.
        for name in ("anyio._backends._asyncio", "httpcore._async.http11", "h11"):
            with contextlib.suppress(ImportError):
                import_module(name)

    return start_preloading(pages, runtime)


def open_config(
    store: ConfigStore, parent: QWidget | None = None, first_run: list[StartChoice] | None = None
) -> Config | None:
    """The config to open, after the first-run choice or the broken-file message;
    ``None`` means quit (nothing was written). The first-run choice, if one was made, is
    appended to ``first_run`` (the window follows it up: detect servers, add a provider)."""
    from PySide6.QtWidgets import QDialog

    from modeldesk.core.errors import ModelDeskError
    from modeldesk.core.schema import Config

    from .views.dialogs.first_run_dialog import FirstRunDialog, StartChoice

    if not store.exists():
        dialog = FirstRunDialog(store.path, parent)
        if dialog.exec() != QDialog.DialogCode.Accepted or dialog.choice is None:
            return None
        if first_run is not None:
            first_run.append(dialog.choice)
        from modeldesk.core.samples import sample_config

        config = sample_config() if dialog.choice is StartChoice.SAMPLE else Config()
        try:
            store.path.parent.mkdir(parents=True, exist_ok=True)
            store.save(config)
        except (OSError, ModelDeskError) as exc:
            _show_problem(
                parent, "ModelDesk cannot create its config file", str(store.path), getattr(exc, "message", str(exc))
            )
            return None
    try:
        return store.load()
    except ModelDeskError as exc:
        show_load_problem(parent, store.path, exc)
        return None


def show_load_problem(parent: QWidget | None, path: Path, error: ModelDeskError) -> None:
    """The message for a file that cannot be opened (broken, or written by a newer version)."""
    title = (
        "This config file was written by a newer ModelDesk"
        if error.code == "config_too_new"
        else "ModelDesk cannot open its config file"
    )
    _show_problem(parent, title, str(path), error.message)


def _show_problem(parent: QWidget | None, title: str, path: str, detail: str) -> None:
    from PySide6.QtWidgets import QMessageBox

    box = QMessageBox(QMessageBox.Icon.Critical, APP_NAME, title, QMessageBox.StandardButton.Close, parent)
    box.setInformativeText(
        f"File: {path}\n\n{detail}\n\nModelDesk has not changed the file. Fix it (or move it away to start "
        "afresh), then start ModelDesk again."
    )
    box.exec()


# --- opening a file while the window is up ------------------------------------------------

# A window that is never exposed (started minimised, on another workspace) paints no first
# frame; the file is read anyway after this long.
FIRST_FRAME_WAIT_MS = 200


@dataclass
class ReadOutcome:
    """What the reader thread hands to the GUI thread: the store and its config, or the
    store's error (a broken or too-new file), or an unexpected exception to raise."""

    store: ConfigStore | None = None
    config: Config | None = None
    error: ModelDeskError | None = None
    unexpected: BaseException | None = None


class ConfigReader(QObject):
    """Reads and validates the config on a thread of its own while the window is up.

    The thread starts once the window has painted its first frame (so that frame does not
    share the interpreter with it), or after FIRST_FRAME_WAIT_MS. Beside the file it
    imports what the pages and the event loop need, so the GUI thread only builds them.
    It creates no Qt object: its outcome reaches the GUI thread through a queued signal.
    :meth:`wait` runs the GUI thread's event loop (the window answers: it repaints, moves,
    resizes, and can be closed) until the outcome arrives or the window is closed."""

    _read_done = Signal(object)  # ReadOutcome, emitted by the thread

    def __init__(self, window: QWidget, path: Path) -> None:
        super().__init__(window)
        self._window = window
        self.path = path
        self.outcome: ReadOutcome | None = None
        self._loop = QEventLoop(self)
        self._thread = threading.Thread(target=self._read, name="modeldesk-open", daemon=True)
        self._read_done.connect(self._arrived)
        window.installEventFilter(self)
        QTimer.singleShot(FIRST_FRAME_WAIT_MS, self._start)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind == QEvent.Type.Paint and not self._thread.is_alive():
            QTimer.singleShot(0, self._start)  # once the frame being painted is done
        elif kind == QEvent.Type.Close:
            self._loop.quit()
        return False

    def _start(self) -> None:
        if self._thread.ident is None:
            self._thread.start()

    def _read(self) -> None:
        outcome = ReadOutcome()
        try:
            from modeldesk.logs import setup_logging

            setup_logging()  # run attempts and errors go to the log file (see modeldesk.logs)
            from modeldesk.core.errors import ModelDeskError
            from modeldesk.core.store import ConfigStore

            outcome.store = ConfigStore(self.path)
            try:
                outcome.config = outcome.store.load()
            except ModelDeskError as exc:
                outcome.error = exc
            else:
                import_document_modules()
                for name in ("qasync", f"{__package__}.event_loop"):
                    import_module(name)
        except BaseException as exc:  # noqa: BLE001 - raised again on the GUI thread
            outcome.unexpected = exc
        self._read_done.emit(outcome)

    def _arrived(self, outcome: ReadOutcome) -> None:
        self.outcome = outcome
        self._loop.quit()

    def wait(self) -> ReadOutcome | None:
        """The outcome, or ``None`` when the window was closed before it arrived."""
        if self.outcome is None:
            self._loop.exec()
        self._window.removeEventFilter(self)
        return self.outcome


def open_window(path: Path) -> tuple[MainWindow, Document | None, int]:
    """Show the window on ``path`` at once, then read the file while it is up (see
    :class:`ConfigReader`) and give the window its document. Without a document, the
    app's exit code: 0 when the user closed the window first, 1 when the file cannot be
    opened (the message was shown)."""
    window = MainWindow(path=path)
    restore_geometry(window)
    window.show()
    outcome = ConfigReader(window, path).wait()
    if outcome is None:
        return window, None, 0
    if outcome.unexpected is not None:
        raise outcome.unexpected
    if outcome.store is None or outcome.config is None:
        if outcome.error is not None:
            show_load_problem(window, path, outcome.error)
        return window, None, 1
    from .document import Document

    document = Document(outcome.store, config=outcome.config)
    window.set_document(document)
    return window, document, 0


def follow_first_run(window: MainWindow, choice: StartChoice) -> None:
    """After "Start empty", "Detect local servers" or "Add a provider" on the welcome
    dialog: open the providers section (with its empty state's buttons) and, for the last
    two, the matching dialog over the (empty) workspace."""
    from .views.dialogs.first_run_dialog import StartChoice

    if choice not in (StartChoice.EMPTY, StartChoice.DETECT, StartChoice.ADD_PROVIDER):
        return
    # An empty workspace starts where its first step is: the providers.
    window.open_settings("providers")
    if choice is StartChoice.EMPTY:
        return
    providers = window.settings_page.models_tab.providers
    if choice is StartChoice.DETECT:
        providers.detect_servers()
    else:
        providers.add_item()


def install_exception_hook(parent: QWidget | None = None) -> None:
    """Unexpected errors are written to the log file and shown in a dialog that names it;
    the app keeps running (a failed slot must not take unsaved typing with it). What
    the hook shows loads with its first error (the window's first frame needs none of it)."""
    showing = False

    def hook(kind: type[BaseException], error: BaseException, trace: TracebackType | None) -> None:
        nonlocal showing
        import logging

        from PySide6.QtCore import Qt
        from PySide6.QtWidgets import QMessageBox

        from modeldesk.core.redaction import redact
        from modeldesk.logs import log_path

        logging.getLogger("modeldesk.app").error("Unexpected error", exc_info=(kind, error, trace))
        if issubclass(kind, KeyboardInterrupt) or showing or QApplication.instance() is None:
            sys.__excepthook__(kind, error, trace)
            return
        showing = True
        try:
            box = QMessageBox(
                QMessageBox.Icon.Critical, APP_NAME, "ModelDesk ran into an unexpected error.", parent=parent
            )
            box.setTextFormat(Qt.TextFormat.PlainText)
            box.setInformativeText(
                f"{kind.__name__}: {redact(str(error))}\n\nThe details are in the log file:\n{log_path()}\n\n"
                "Your config is saved after every edit; you can keep working or restart ModelDesk."
            )
            box.setStandardButtons(QMessageBox.StandardButton.Ok)
            box.exec()
        finally:
            showing = False

    sys.excepthook = hook


def run_app(config_path: str | None = None) -> int:
    app = make_application()
    install_exception_hook()
    # The chosen theme from the first window on (the welcome dialog comes before the main one).
    apply_saved_theme()
    path = resolve_config_path(config_path)
    first_run: list[StartChoice] = []
    if path.exists():
        window, opened, exit_code = open_window(path)
        if opened is None:
            return exit_code
        document = opened
    else:
        from modeldesk.core.store import ConfigStore
        from modeldesk.logs import setup_logging

        from .document import Document

        setup_logging()
        store = ConfigStore(path)
        config = open_config(store, first_run=first_run)
        if config is None:
            return 1 if store.exists() else 0
        document = Document(store, config=config)
        window = MainWindow(document)
        restore_geometry(window)
        window.show()
    if document.policy_error:
        from PySide6.QtWidgets import QMessageBox

        QMessageBox.warning(
            window,
            APP_NAME,
            "The organization policy cannot be used; ModelDesk runs without it.\n\n" + document.policy_error,
        )
    settle_heap()
    QTimer.singleShot(PRELOAD_AFTER_MS, preload_runtime)
    if first_run:
        QTimer.singleShot(0, lambda: follow_first_run(window, first_run[0]))

    import asyncio

    from .event_loop import AppEventLoop, install_asyncgen_hooks

    loop = AppEventLoop(app)
    asyncio.set_event_loop(loop)
    install_asyncgen_hooks(loop)
    closed = asyncio.Event()
    app.aboutToQuit.connect(closed.set)
    if window.isVisible():  # else closed while the policy warning was up
        with loop:
            loop.run_until_complete(closed.wait())
    # Before the interpreter's last collections: the undo history is deleted by its stack
    # (see Document.shutdown), never by the cyclic collector.
    document.shutdown()
    return 0
