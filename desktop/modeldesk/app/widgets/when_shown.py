"""Refresh a view when it can be seen, not on every change while it is hidden.

A page in a tab the user is not looking at need not follow each edit: at 10,000 agents
rebuilding Squads, Projects, History and Settings after every edit cost seconds. A view
connects ``document.changed`` through :func:`when_shown`: while its window is open but
the view itself is hidden (another tab is shown), changes only mark it stale, and it
refreshes once when it is shown again. Otherwise (shown, or its window not open yet, as
in tests that build a widget alone) it refreshes at once, as before.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QWidget


class _ShowWatcher(QObject):
    def __init__(self, widget: QWidget, refresh: Callable[[], object]) -> None:
        super().__init__(widget)
        self._widget = widget
        self._refresh = refresh
        self.stale = False
        widget.installEventFilter(self)

    def changed(self, *_: object) -> None:
        widget = getattr(self, "_widget", None)
        if widget is None:
            return
        if widget.window().isVisible() and not widget.isVisible():
            self.stale = True
            return
        self.stale = False
        self._refresh()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # Qt can still deliver events while Python's garbage collector tears this object
        # down (its attributes already cleared); an exception here would abort the app.
        if (
            getattr(self, "stale", False)
            and watched is getattr(self, "_widget", None)
            and event.type() == QEvent.Type.Show
        ):
            self.stale = False
            self._refresh()
        return False


def when_shown(widget: QWidget, refresh: Callable[[], object]) -> Callable[..., None]:
    """A slot that calls ``refresh`` now if ``widget`` can be seen, else when it is next
    shown (see the module docstring)."""
    return _ShowWatcher(widget, refresh).changed
