"""Start-up of the desktop app: the QApplication, one qasync event loop, the config
file check (first run, broken or too-new file), then the main window.

Decisions (see the report / docs):

* **First start** (no file): a dialog offers the sample workspace or an empty config,
  and names the file it will create. Nothing is written until the user picks; "Quit"
  leaves no file behind.
* **Broken or too-new file**: a message names the file and the problem and the app
  quits. The file is never overwritten (the store also keeps a copy of a broken file).
  A read-only view is not offered: a file that does not parse has nothing to show.
* **Broken organization policy**: a warning, and the app runs without the policy.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import sys
import threading
from importlib import import_module
from types import TracebackType
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox, QWidget

from modeldesk.core.errors import ModelDeskError
from modeldesk.core.paths import config_path as resolve_config_path
from modeldesk.core.redaction import redact
from modeldesk.core.schema import Config
from modeldesk.core.store import ConfigStore
from modeldesk.logs import log_path, setup_logging
from modeldesk.resource_files import icon_paths

from .document import Document
from .event_loop import AppEventLoop, install_asyncgen_hooks
from .gui_gc import collect_in_gui_thread
from .views.app_menus import apply_theme, saved_theme
from .views.dialogs.first_run_dialog import FirstRunDialog, StartChoice

if TYPE_CHECKING:
    from .main_window import MainWindow

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
    """Load the runner and the HTTP stack on a background thread. The window opens
    without them; loaded here, once the window is up, the first test run does not stall
    the GUI thread on imports and the CA bundle (~0.3 s). An import the GUI thread needs
    meanwhile waits for that module, as Python's import lock makes it."""

    def load() -> None:
        import_module("modeldesk.runtime.runner")
        import_module("modeldesk.runtime.history_record")
        from modeldesk.runtime.providers import new_client

        new_client(1.0)  # builds the shared TLS context (the CA bundle) and loads the transport
        # What the HTTP stack imports on its first request (its async backend, the HTTP/1.1
        # parser); names of its own, so a version without one is simply not preloaded.
        for name in ("anyio._backends._asyncio", "httpcore._async.http11", "h11"):
            with contextlib.suppress(ImportError):
                import_module(name)

    thread = threading.Thread(target=load, name="modeldesk-preload", daemon=True)
    thread.start()
    return thread


def open_config(
    store: ConfigStore, parent: QWidget | None = None, first_run: list[StartChoice] | None = None
) -> Config | None:
    """The config to open, after the first-run choice or the broken-file message;
    ``None`` means quit (nothing was written). The first-run choice, if one was made, is
    appended to ``first_run`` (the window follows it up: detect servers, add a provider)."""
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
        title = (
            "This config file was written by a newer ModelDesk"
            if exc.code == "config_too_new"
            else "ModelDesk cannot open its config file"
        )
        _show_problem(parent, title, str(store.path), exc.message)
        return None


def _show_problem(parent: QWidget | None, title: str, path: str, detail: str) -> None:
    box = QMessageBox(QMessageBox.Icon.Critical, APP_NAME, title, QMessageBox.StandardButton.Close, parent)
    box.setInformativeText(
        f"File: {path}\n\n{detail}\n\nModelDesk has not changed the file. Fix it (or move it away to start "
        "afresh), then start ModelDesk again."
    )
    box.exec()


def follow_first_run(window: MainWindow, choice: StartChoice) -> None:
    """After "Start empty", "Detect local servers" or "Add a provider" on the welcome
    dialog: open the providers section (with its empty state's buttons) and, for the last
    two, the matching dialog over the (empty) workspace."""
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
    the app keeps running (a failed slot must not take unsaved typing with it)."""
    log = logging.getLogger("modeldesk.app")
    showing = False

    def hook(kind: type[BaseException], error: BaseException, trace: TracebackType | None) -> None:
        nonlocal showing
        log.error("Unexpected error", exc_info=(kind, error, trace))
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
    setup_logging()
    app = make_application()
    install_exception_hook()
    # The chosen theme from the first window on (the welcome dialog comes before the main one).
    apply_theme(saved_theme())
    store = ConfigStore(resolve_config_path(config_path))
    first_run: list[StartChoice] = []
    config = open_config(store, first_run=first_run)
    if config is None:
        return 1 if store.exists() else 0
    document = Document(store, config=config)
    if document.policy_error:
        QMessageBox.warning(
            None,
            APP_NAME,
            "The organization policy cannot be used; ModelDesk runs without it.\n\n" + document.policy_error,
        )

    from .main_window import MainWindow, restore_geometry

    window = MainWindow(document)
    restore_geometry(window)
    window.show()
    settle_heap()
    QTimer.singleShot(PRELOAD_AFTER_MS, preload_runtime)
    if first_run:
        QTimer.singleShot(0, lambda: follow_first_run(window, first_run[0]))

    loop = AppEventLoop(app)
    asyncio.set_event_loop(loop)
    install_asyncgen_hooks(loop)
    closed = asyncio.Event()
    app.aboutToQuit.connect(closed.set)
    with loop:
        loop.run_until_complete(closed.wait())
    return 0
