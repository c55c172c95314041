"""Colours the app uses to flag problems, readable on light and dark palettes."""

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


def text_style(colour: QColor) -> str:
    """A style sheet (or inline ``style=``) that colours text."""
    return f"color: {colour.name()};"
