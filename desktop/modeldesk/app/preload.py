"""Modules loaded ahead of need on a background thread, once the window is up.

The pages' modules, the runner and the HTTP stack are not needed for the first window,
but loading them on the GUI thread when first needed (a page's first open, the first test
run) stalls it. A preload thread loads them while the user looks at the window: first the
pages' modules (quick), then the rest. Before importing a page's module itself, the GUI
thread calls :func:`finish_preloading_pages`: two threads importing modules that import
each other can deadlock on Python's module locks, and the page is nearly loaded by then.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

_pages_loaded: list[threading.Event] = []


def start_preloading(pages: Callable[[], None], rest: Callable[[], None]) -> threading.Thread:
    """Run ``pages`` then ``rest`` (imports, no Qt objects) on a daemon thread."""
    loaded = threading.Event()

    def run() -> None:
        try:
            pages()
        finally:
            loaded.set()
        rest()

    _pages_loaded.append(loaded)
    thread = threading.Thread(target=run, name="modeldesk-preload", daemon=True)
    thread.start()
    return thread


def finish_preloading_pages() -> None:
    """Wait until a preload under way has loaded the pages' modules."""
    for loaded in list(_pages_loaded):
        loaded.wait()
        _pages_loaded.remove(loaded)
