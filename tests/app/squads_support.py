"""Helpers shared by the squads, bulk-change, resolution and test-run tests.

The ``document`` and ``config_file`` fixtures come from ``tests/app/conftest.py`` (the
sample workspace of ``modeldesk.core.samples``); these helpers read tables and the saved
file the way a test needs them, and drive the model picker the way a user would.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QAbstractItemModel, Qt, QTimer
from PySide6.QtWidgets import QApplication, QComboBox

from modeldesk.app.document import wait_for_saves
from modeldesk.core.schema import ModelValue


def table_rows(model: QAbstractItemModel) -> list[tuple[str, ...]]:
    """Every row of a table model as the display texts of its cells."""
    return [
        tuple(str(model.index(row, column).data() or "") for column in range(model.columnCount()))
        for row in range(model.rowCount())
    ]


def agent_models(document: Any) -> dict[str, ModelValue | None]:
    """Each agent's ``model`` value as stored in memory (string or list kept apart)."""
    return {agent.id: agent.model for agent in document.config.agents}


def saved_agent_models(config_file: Path) -> dict[str, Any]:
    """Each agent's ``model`` exactly as written in the file (absent = None)."""
    wait_for_saves()  # saves run in a worker thread
    data = json.loads(config_file.read_text(encoding="utf-8"))
    return {agent["id"]: agent.get("model") for agent in data["agents"]}


def type_model(qtbot: Any, combo: QComboBox, text: str) -> None:
    """Replace a model combo's text by typing, as a user does."""
    combo.lineEdit().selectAll()
    qtbot.keyClick(combo.lineEdit(), Qt.Key.Key_Backspace)
    qtbot.keyClicks(combo.lineEdit(), text)


def pick_in_model_picker(qtbot: Any, filter_text: str) -> None:
    """Answer the next model picker: type ``filter_text`` and press Enter.

    Call it just before the click that opens the (modal) picker.
    """

    def answer() -> None:
        picker = QApplication.activeModalWidget()
        if picker is None or picker.objectName() != "model_picker":
            QTimer.singleShot(10, answer)
            return
        qtbot.keyClicks(picker.filter_edit, filter_text)
        qtbot.keyClick(picker.filter_edit, Qt.Key.Key_Return)

    QTimer.singleShot(0, answer)


@pytest.fixture
def qasync_loop(qapp: Any, qtbot: Any) -> Iterator[asyncio.AbstractEventLoop]:
    """A qasync loop as the running asyncio loop while the test drives Qt.

    In the app, ``QEventLoop.run_forever`` runs ``app.exec()`` and marks the loop as
    running. Here pytest-qt owns the Qt event loop (``qtbot.wait*`` spin it), so the loop
    is only marked as the running one; every ``qtbot.wait*`` then also runs asyncio's
    callbacks and socket notifiers, as ``app.exec()`` would. The loop is never started
    with ``run_forever``: its ``stop()`` would call ``QApplication.exit()``, which
    leaves Qt's "quit now" flag set and breaks every later ``qtbot.waitSignal``.
    """
    from modeldesk.app.event_loop import AppEventLoop

    loop = AppEventLoop(qapp)
    asyncio.set_event_loop(loop)
    asyncio._set_running_loop(loop)
    # As asyncio's run_forever does: async generators dropped by httpx are closed on the loop.
    old_hooks = sys.get_asyncgen_hooks()
    sys.set_asyncgen_hooks(firstiter=loop._asyncgen_firstiter_hook, finalizer=loop._asyncgen_finalizer_hook)
    try:
        yield loop
    finally:
        pending = [task for task in asyncio.all_tasks(loop) if not task.done()]
        for task in pending:
            task.cancel()
        # Let cancelled runs unwind (closing their streams) before the generators are shut.
        qtbot.waitUntil(lambda: all(task.done() for task in pending), timeout=3000)
        closing = loop.create_task(loop.shutdown_asyncgens())
        qtbot.waitUntil(closing.done, timeout=3000)
        sys.set_asyncgen_hooks(*old_hooks)
        asyncio._set_running_loop(None)
        asyncio.set_event_loop(None)
        loop.close()
