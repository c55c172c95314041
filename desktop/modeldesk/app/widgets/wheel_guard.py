"""Scrolling a form must not change its values.

A spin box or combo box under the mouse takes the wheel by default, so scrolling a long
form (Settings → Models, the agent editor) quietly changes whatever value passes under the
pointer, and the app saves it. Guarded widgets take the wheel only when they have the
keyboard focus; otherwise the wheel scrolls the form around them. They also no longer take
the focus from the wheel (click or Tab into them first).
"""

from __future__ import annotations

from functools import cache

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QAbstractSpinBox, QComboBox, QWidget


class _WheelGuard(QObject):
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Wheel and isinstance(watched, QWidget) and not watched.hasFocus():
            # Ignored and filtered: Qt then offers the wheel to the parents, so the
            # scroll area scrolls instead of the value changing.
            event.ignore()
            return True
        return False


@cache
def _guard() -> _WheelGuard:
    # One filter object serves every guarded widget (it keeps no state).
    return _WheelGuard()


def wheel_only_when_focused(*widgets: QWidget) -> None:
    """Let each widget take the wheel only while it has the keyboard focus."""
    for widget in widgets:
        widget.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        widget.installEventFilter(_guard())


def guard_form(root: QWidget) -> None:
    """Guard every spin box and combo box inside ``root`` (a scrolling form's contents)."""
    wheel_only_when_focused(*root.findChildren(QAbstractSpinBox), *root.findChildren(QComboBox))
