"""The colours that carry a meaning (a problem, a warning, a success, quieter context),
picked from the current palette so they read on light and dark themes alike. Used by item
models (their foreground role) and widgets."""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication


def problem_colour() -> QColor:
    base = QApplication.palette().color(QPalette.ColorRole.Base)
    return QColor("#ff8a80") if base.lightness() < 128 else QColor("#b3261e")


def ok_colour() -> QColor:
    base = QApplication.palette().color(QPalette.ColorRole.Base)
    return QColor("#81c995") if base.lightness() < 128 else QColor("#1e7b34")


def warning_colour() -> QColor:
    base = QApplication.palette().color(QPalette.ColorRole.Base)
    return QColor("#f6c26b") if base.lightness() < 128 else QColor("#8a5a00")


def secondary_colour() -> QColor:
    """Text that gives context (a note under a choice, a default): quieter than the main
    text but still easy to read (about 7:1 on the base colour, where a disabled label's
    grey is about 1.5:1)."""
    palette = QApplication.palette()
    text, base = palette.color(QPalette.ColorRole.WindowText), palette.color(QPalette.ColorRole.Window)
    share = 0.7
    return QColor(
        round(text.red() * share + base.red() * (1 - share)),
        round(text.green() * share + base.green() * (1 - share)),
        round(text.blue() * share + base.blue() * (1 - share)),
    )
