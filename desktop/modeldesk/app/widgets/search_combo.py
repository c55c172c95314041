"""A combo box that is also a search field: the agent and model pickers of Squads, History
and the gateway page offer every item containing the typed text (any case)."""

from __future__ import annotations

from PySide6.QtCore import QAbstractItemModel, QStringListModel, Qt
from PySide6.QtWidgets import QComboBox, QCompleter

from .elided import uniform_rows


def searchable(combo: QComboBox, model: QAbstractItemModel | None = None) -> QComboBox:
    """Make ``combo`` editable without adding what is typed as an item, over ``model`` (by
    default a string list filled in one call: 10,000 agents added one by one would hold the
    window), its popup listing the items that contain the text, in rows of one height."""
    combo.setEditable(True)
    combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
    combo.setModel(model if model is not None else QStringListModel(combo))
    completer = combo.completer()
    assert completer is not None  # an editable combo has one
    completer.setFilterMode(Qt.MatchFlag.MatchContains)
    completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
    uniform_rows(completer.popup())
    return combo
