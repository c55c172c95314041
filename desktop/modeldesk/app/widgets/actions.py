"""Keyboard shortcuts that belong to one widget (a list, a table)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QWidget


def widget_action(widget: QWidget, text: str, shortcut: QKeySequence, slot: Callable[[], object]) -> QAction:
    """An action on ``widget`` whose shortcut works only while it has focus (so Ctrl+Up
    or Delete elsewhere keep their usual meaning); it also shows in a context menu."""
    action = QAction(text, widget)
    action.setShortcut(shortcut)
    action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
    action.triggered.connect(slot)
    widget.addAction(action)
    return action
