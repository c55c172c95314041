"""Refresh a view when it can be seen, not on every change while it is hidden.

A page in a tab the user is not looking at need not follow each edit: at 10,000 agents
rebuilding Squads, Projects, History and Settings after every edit cost seconds. While
the view's window is open but the view itself is hidden (another tab is shown), a change
only marks it stale, and it refreshes once when it is shown again. Otherwise (shown, or
its window not open yet, as in tests that build a widget alone) it refreshes at once.

:func:`follow_when_shown` is the one way a view follows the document: it names what it
shows, either the collections (``"agents"``, ``"squads"``, ``"settings"``, …) or a test of
a change record (:func:`concerning_agent`: a view of one agent skips edits of the other
9,999); an edit it does not concern leaves the view alone, and a whole reload always
refreshes it. :func:`follow_changes_when_shown` also hands the view the edit's change
record, so its tables update just the rows it names. :func:`follow_changes` and
:func:`follow_edits` call at once even while hidden (a dialog previewing some agents, a
form holding text being typed, a combo refilled when it opens). :func:`when_shown` is the
bare slot, for a signal that is not the document's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Protocol

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QWidget

from modeldesk.core.edits import Change

from ..document import Document

# For a view that shows what any part of the config can change (resolved models).
EVERY_COLLECTION = ("providers", "models", "projects", "agents", "squads", "settings")

# What a view follows: the collections it shows, or a test of a change record.
Concerns = Iterable[str] | Callable[[Change], bool]


class ShowsAgent(Protocol):
    """A view of one agent: the id of the agent it shows, if any."""

    agent_id: str | None


class _ShowWatcher(QObject):
    """Calls ``refresh`` with what changed: the edit's :class:`Change`, or ``None`` (a
    reload, or edits made while hidden that cannot be told as one record)."""

    def __init__(self, widget: QWidget, refresh: Callable[[Change | None], object]) -> None:
        super().__init__(widget)
        self._widget = widget
        self._refresh = refresh
        self.stale = False
        self._pending: Change | None = None  # what changed while hidden
        widget.installEventFilter(self)

    def changed(self, change: object = None) -> None:
        widget = getattr(self, "_widget", None)
        if widget is None:
            return
        record = change if isinstance(change, Change) else None
        if widget.window().isVisible() and not widget.isVisible():
            self._pending = record if not self.stale else merged(self._pending, record)
            self.stale = True
            return
        self.stale = False
        self._pending = None
        self._refresh(record)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # Qt can still deliver events while Python's garbage collector tears this object
        # down (its attributes already cleared); an exception here would abort the app.
        if (
            getattr(self, "stale", False)
            and watched is getattr(self, "_widget", None)
            and event.type() == QEvent.Type.Show
        ):
            self.stale = False
            pending, self._pending = self._pending, None
            self._refresh(pending)
        return False


def merged(first: Change | None, then: Change | None) -> Change | None:
    """One record of two edits made one after the other (``None`` if either is not
    itemised): an item added by the first and removed by the second is neither."""
    if first is None or then is None or first.whole or then.whole:
        return None
    both = Change()
    for change in (first, then):
        for kind in ("removed", "inserted", "updated"):
            for collection, ids in getattr(change, kind).items():
                both.note_all(collection, ids, kind)
        for path in change.settings:
            both.note_setting(path)
    return both


class _EditFilter(QObject):
    """Passes on the document's edits that ``concerns`` accepts, and every reload (to a
    ``slot`` that takes the change, or ``None`` for a reload, when ``with_change``). Owned
    by the follower, so both connections end with it."""

    def __init__(
        self, owner: QObject, concerns: Callable[[Change], bool], slot: Callable[..., object], with_change: bool
    ) -> None:
        super().__init__(owner)
        self._concerns = concerns
        self._slot = slot
        self._with_change = with_change

    def edited(self, change: object) -> None:
        concerns = getattr(self, "_concerns", None)
        if concerns is None:  # being torn down (see _ShowWatcher.eventFilter)
            return
        record = change if isinstance(change, Change) else None
        if record is None or record.whole or concerns(record):
            self._call(record)

    def reloaded(self) -> None:
        if getattr(self, "_concerns", None) is not None:
            self._call(None)

    def _call(self, change: Change | None) -> None:
        if self._with_change:
            self._slot(change)
        else:
            self._slot()


def touching(collections: Iterable[str]) -> Callable[[Change], bool]:
    """The test for an edit that touches one of ``collections``."""
    names = tuple(collections)
    return lambda change: any(change.touches(name) for name in names)


def concerning_agent(view: ShowsAgent) -> Callable[[Change], bool]:
    """The test for an edit that may change what ``view`` shows of its agent (the one it
    shows when the edit is made): that agent itself, or what it inherits from or names."""
    return lambda change: change.concerns_agent(view.agent_id)


def concerning(concerns: Concerns) -> Callable[[Change], bool]:
    """``concerns`` as a test of a change record (collections: :func:`touching`)."""
    return concerns if callable(concerns) else touching(concerns)


def when_shown(widget: QWidget, refresh: Callable[[], object]) -> Callable[..., None]:
    """A slot that calls ``refresh`` now if ``widget`` can be seen, else when it is next
    shown (see the module docstring)."""
    return _ShowWatcher(widget, lambda _change: refresh()).changed


def follow_when_shown(widget: QWidget, document: Document, concerns: Concerns, refresh: Callable[[], object]) -> None:
    """Call ``refresh`` after each edit ``concerns`` names (collections it touches, or a
    test it passes) and after each reload, now if ``widget`` can be seen, else once when
    it is next shown."""
    follow_changes(widget, document, concerning(concerns), when_shown(widget, refresh))


def follow_changes_when_shown(
    widget: QWidget, document: Document, concerns: Concerns, refresh: Callable[[Change | None], object]
) -> None:
    """As :func:`follow_when_shown`, handing ``refresh`` what changed, for views that
    update just the rows an edit concerns: the edit's :class:`Change`, the edits made
    while hidden as one record, or ``None`` after a reload (read everything again)."""
    watcher = _ShowWatcher(widget, refresh)
    _follow(widget, document, concerning(concerns), watcher.changed, with_change=True)


def follow_edits(owner: QWidget, document: Document, collections: Iterable[str], slot: Callable[[], None]) -> None:
    """Call ``slot`` after each edit touching ``collections`` and after each reload (for
    a view that catches up its own way, such as a combo refilled when it opens)."""
    follow_changes(owner, document, touching(collections), slot)


def follow_changes(
    owner: QObject, document: Document, concerns: Callable[[Change], bool], slot: Callable[[], object]
) -> None:
    """Call ``slot`` after each edit whose :class:`Change` ``concerns`` accepts (an edit
    that does not say what it changed always counts) and after each reload. For a view
    that can tell from the ids whether an edit matters to it, such as a dialog previewing
    a plan over some of the agents. The connections end with ``owner``."""
    _follow(owner, document, concerns, slot, with_change=False)


def _follow(
    owner: QObject,
    document: Document,
    concerns: Callable[[Change], bool],
    slot: Callable[..., object],
    *,
    with_change: bool,
) -> None:
    watcher = _EditFilter(owner, concerns, slot, with_change)
    document.reloaded.connect(watcher.reloaded)
    document.edited.connect(watcher.edited)
