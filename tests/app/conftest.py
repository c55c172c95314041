"""Fixtures for the app tests: a sample workspace saved in a temp config file and a
Document over it. Each test gets its own file (the suite conftest isolates user dirs)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication

from modeldesk.app.gui_gc import collect_in_gui_thread
from modeldesk.core.samples import sample_config
from modeldesk.core.store import ConfigStore

# Fixtures defined with their helpers, offered to every app test from here (a test module that
# imported them itself would shadow the import with its parameter of the same name).
from tests.app.squads_support import qasync_loop  # noqa: F401
from tests.support.memory_keyring import memory_keyring  # noqa: F401
from tests.support.scripted_server import scripted_server  # noqa: F401


@pytest.fixture(scope="session", autouse=True)
def _gui_thread_collector(qapp: QApplication) -> Iterator[None]:
    """As in the app: the automatic collector is off and a GUI-thread timer collects, so no
    save or server thread ever frees a widget (see modeldesk.app.gui_gc)."""
    collector = collect_in_gui_thread(qapp)
    yield
    collector.stop()


@pytest.fixture(autouse=True)
def _collect_qt_garbage_in_the_gui_thread(qapp: object) -> Iterator[None]:
    """Collect cyclic garbage after each test, here in the GUI thread.

    Otherwise a widget left in a reference cycle may be collected later by whichever
    thread happens to trigger the collector — a server or resolver thread of the next
    test — and Qt warns that its timers cannot be stopped from another thread.
    """
    yield
    gc.collect()
    # Python's own collector stays off (see _gui_thread_collector): a test that switched it
    # back on would let any worker thread free widgets again, for every test after it.
    assert not gc.isenabled(), "this test switched Python's cyclic collector back on"


@pytest.fixture(autouse=True)
def _no_save_thread_outlives_its_test() -> Iterator[None]:
    """Stop the save thread of every document a test opened and left open.

    A document a test forgot keeps its save thread for the rest of the run; if that thread
    holds the last reference when the document goes, the document (a QObject) is freed
    outside the GUI thread."""
    yield
    from modeldesk.app.document import _open_documents

    for document in list(_open_documents):
        document.shutdown()


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "config.json"
    ConfigStore(path).save(sample_config())
    return path


@pytest.fixture
def store(config_file: Path) -> ConfigStore:
    return ConfigStore(config_file)


@pytest.fixture
def document(qtbot: object, store: ConfigStore) -> Iterator[object]:
    from modeldesk.app.document import Document

    doc = Document(store)
    yield doc
    doc.shutdown()  # saves run in a worker thread: let them land before the file goes
    doc.undo_stack.clear()
    doc.deleteLater()
