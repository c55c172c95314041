"""Shared helpers for the app tests: show a widget as the active window, answer the next
modal dialog of a given type, and count a view's refreshes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QTabWidget, QWidget

W = TypeVar("W", bound=QWidget)


def show_active(qtbot: Any, widget: W, size: tuple[int, int] | None = None) -> W:
    """Show ``widget`` as the active window (keyboard focus works only there)."""
    qtbot.addWidget(widget)
    if size:
        widget.resize(*size)
    widget.show()
    qtbot.waitExposed(widget)
    widget.activateWindow()
    qtbot.waitUntil(widget.isActiveWindow)
    return widget


def shown_in_tabs(qtbot: Any, view: QWidget, size: tuple[int, int]) -> tuple[QTabWidget, QWidget]:
    """``view`` in a tab beside another, shown as the active window with ``view`` current
    (as the Agents page's side panels are); returns the tabs and the other tab's page."""
    tabs = QTabWidget()
    tabs.addTab(view, "View")
    other = QWidget()
    tabs.addTab(other, "Other")
    show_active(qtbot, tabs, size)
    return tabs, other


def answer_modal(kind: type, answer: Callable[[Any], None]) -> list[Any]:
    """When a modal ``kind`` dialog opens (from a click made next), call ``answer(dialog)``.
    Returns the list the dialog is put in, to check it opened."""
    seen: list[Any] = []

    def check() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, kind):
            QTimer.singleShot(10, check)
            return
        seen.append(dialog)
        answer(dialog)

    QTimer.singleShot(0, check)
    return seen


def spy_on(monkeypatch: pytest.MonkeyPatch, cls: type, name: str) -> list[None]:
    """Count calls of ``cls.name``: patched before the view is built, so the slots it
    connects are counted too."""
    calls: list[None] = []
    original = getattr(cls, name)

    def counted(self: Any, *args: Any) -> Any:
        calls.append(None)
        return original(self, *args)

    monkeypatch.setattr(cls, name, counted)
    return calls
