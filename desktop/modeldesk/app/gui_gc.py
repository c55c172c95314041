"""Cyclic garbage is collected in the GUI thread only.

Python's collector runs in whichever thread happens to allocate past its threshold. The
app has Python threads of its own (the save worker, the runtime preloader, the run
recorder); a collection there that frees a widget left in a reference cycle destroys a Qt
object outside its thread, and Qt later fires that object's timers into freed memory (a
crash seen in practice, not a warning). So the automatic collector is switched off and a
GUI-thread timer does the same work: it checks the allocation counts the collector would
have checked and collects the same generation, so memory behaves as before.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

# Often enough that garbage never piles up between two checks, rare enough to cost nothing.
CHECK_INTERVAL_MS = 200


class GuiThreadCollector(QObject):
    """Keeps ``gc`` disabled and collects from a timer in the thread that created it."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thresholds = gc.get_threshold()
        # What stop() gives back: a collector started while another had switched Python's
        # off (a test's, inside the test session's) must leave it off when it stops, or
        # every thread collects again from then on.
        self.was_enabled = gc.isenabled()
        self._timer = QTimer(self)
        self._timer.setInterval(CHECK_INTERVAL_MS)
        self._timer.timeout.connect(self.check)
        gc.disable()
        self._timer.start()

    def check(self) -> None:
        counts = gc.get_count()
        # The oldest generation whose count passed its threshold, as the collector decides.
        for generation in (2, 1, 0):
            if counts[generation] > self._thresholds[generation]:
                gc.collect(generation)
                return

    def stop(self) -> None:
        """Give collection back to Python as it was before (the app is closing)."""
        self._timer.stop()
        if self.was_enabled:
            gc.enable()


def collect_in_gui_thread(parent: QObject) -> GuiThreadCollector:
    """Install the collector for the lifetime of ``parent`` (the application)."""
    collector = GuiThreadCollector(parent)
    if collector.was_enabled:
        parent.destroyed.connect(lambda *_: gc.enable())
    return collector
