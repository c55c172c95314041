"""Helpers shared by the squads, bulk-change, resolution and test-run tests.

The ``document`` and ``config_file`` fixtures come from ``tests/app/conftest.py`` (the
sample workspace of ``modeldesk.core.samples``); these helpers read tables and the saved
file the way a test needs them, and drive the model picker the way a user would.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from PySide6.QtCore import QAbstractItemModel, Qt, QTimer
from PySide6.QtWidgets import QApplication, QComboBox

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
