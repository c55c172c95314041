"""Starting, stopping and watching the gateway of one config file, off the GUI thread.

A start waits for the gateway to be ready (seconds, at worst), a stop for it to end, and
reading its status and the recent requests touches the disk and the history database:
all of it runs on one worker thread, in order, and the results come back by signal.

There is one controller per config file for the life of the app (:func:`serve_controller`),
so a worker finishing after the page is gone still has a live object to report to.
"""

from __future__ import annotations

import functools
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from modeldesk.core.history import HistoryError, HistoryStore
from modeldesk.runtime.serve_control import ServeControlError, ServeOptions, current_status, start_gateway, stop_gateway

# The newest gateway requests shown on the Serve page.
RECENT_REQUESTS = 50
# Reading runs: never wait long for a writer (the gateway itself writes).
READ_TIMEOUT_MS = 1000


class ServeController(QObject):
    # The gateway's status after a start, a stop or a look (a ServeStatus, or None: stopped).
    status_read = Signal(object)
    # The newest gateway requests (RunRecords, newest first), and why they could not be read.
    requests_read = Signal(list)
    requests_failed = Signal(str)
    # A start or stop under way (True) or over (False).
    busy_changed = Signal(bool)
    # Why a start or a stop failed, in the user's words.
    failed = Signal(str)

    def __init__(self, config_path: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.config_path = config_path
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="serve")
        self._polling = threading.Event()  # a look already queued: do not pile them up

    def start(self, options: ServeOptions) -> None:
        self.busy_changed.emit(True)
        self._pool.submit(self._run, lambda: start_gateway(self.config_path, options))

    def stop(self) -> None:
        self.busy_changed.emit(True)
        self._pool.submit(self._run, lambda: stop_gateway(self.config_path))

    def poll(self) -> None:
        """Read the status and the recent requests again (skipped while a look is queued)."""
        if self._polling.is_set():
            return
        self._polling.set()
        self._pool.submit(self._look)

    def wait(self) -> None:
        """Block until everything queued is done (tests)."""
        self._pool.submit(lambda: None).result()

    # --- on the worker ------------------------------------------------------------------

    def _run(self, action: object) -> None:
        try:
            assert callable(action)
            action()
        except ServeControlError as exc:
            self.failed.emit(exc.message)
        except Exception as exc:  # noqa: BLE001 - a start or stop must never take the app down
            self.failed.emit(f"The gateway could not be controlled: {exc}")
        finally:
            self.busy_changed.emit(False)
            self._polling.set()
            self._look()

    def _look(self) -> None:
        try:
            self.status_read.emit(current_status(self.config_path))
            try:
                runs = HistoryStore(timeout_ms=READ_TIMEOUT_MS).query(origin="serve", limit=RECENT_REQUESTS)
            except HistoryError as exc:
                self.requests_failed.emit(exc.message)
            else:
                self.requests_read.emit(runs)
        finally:
            self._polling.clear()


@functools.cache
def serve_controller(config_path: Path) -> ServeController:
    """The app's one controller for ``config_path`` (created in the GUI thread)."""
    return ServeController(config_path)
