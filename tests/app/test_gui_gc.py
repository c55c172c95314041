"""Cyclic garbage holding Qt objects is freed in the GUI thread, never in a worker's."""

from __future__ import annotations

import gc
import threading
import weakref
from typing import Any, ClassVar

from PySide6.QtCore import QObject, QThread

from modeldesk.app.gui_gc import GuiThreadCollector


class _Cyclic(QObject):
    freed_in: ClassVar[list[QThread]] = []

    def __init__(self) -> None:
        super().__init__()
        self.me = self  # a reference cycle: only the cyclic collector frees it

    def __del__(self) -> None:
        _Cyclic.freed_in.append(QThread.currentThread())


def test_a_worker_that_allocates_never_frees_a_qt_object(qtbot: Any, qapp: Any) -> None:
    collector = GuiThreadCollector()
    try:
        assert not gc.isenabled()
        _Cyclic.freed_in.clear()
        ref = weakref.ref(_Cyclic())
        assert ref() is not None

        kept: list[list[int]] = []

        def allocate() -> None:  # live containers far past the youngest generation's threshold
            kept.extend([] for _ in range(20_000))

        worker = threading.Thread(target=allocate)
        worker.start()
        worker.join()
        assert ref() is not None, "a worker thread ran the collector"
        qtbot.waitUntil(lambda: ref() is None, timeout=10_000)
        assert _Cyclic.freed_in == [qapp.thread()]
    finally:
        collector.stop()
        collector.deleteLater()


def test_a_collector_stopped_inside_another_leaves_python_s_collector_off(qtbot: Any) -> None:
    # The test session runs one collector, as the app does; a second one that stops (this
    # test's) must not switch Python's collector back on for everything after it: a
    # collection in the save thread then freed widgets there, and the next test died in
    # Qt's event processing (the rare teardown segfault of the app tests).
    assert not gc.isenabled()
    inner = GuiThreadCollector()
    inner.stop()
    inner.deleteLater()
    assert not gc.isenabled()


def test_the_only_collector_gives_python_s_collector_back_when_it_stops(qtbot: Any) -> None:
    gc.enable()  # as before the app's collector starts
    try:
        collector = GuiThreadCollector()
        assert not gc.isenabled()
        collector.stop()
        collector.deleteLater()
        assert gc.isenabled()
    finally:
        gc.disable()  # the test session's collector goes on
