"""Undo/redo: one QUndoCommand per Edit.

The command holds an edit and its inverse. Both directions go through
``Document.execute``, which applies in memory at once (so undo is instant) and queues the
save, which is merged with other processes' changes exactly like the edit itself. Each
direction recomputes the opposite edit against the config it actually ran on, so
undo → redo → undo keeps restoring exactly. A step whose save failed is *withdrawn*:
obsolete, so Qt drops it from the history instead of replaying it.
"""

from __future__ import annotations

import weakref
from collections import Counter
from typing import TYPE_CHECKING, Any

from PySide6.QtGui import QUndoCommand

from modeldesk.core.edits import Change, Edit
from modeldesk.core.errors import EditError
from modeldesk.core.schema import Config

if TYPE_CHECKING:
    from .document import Document


# The field naming the one item an edit is about, by the collection it lives in.
_TARGET_FIELDS = {"agent_id": "agents", "project_id": "projects", "provider_id": "providers", "squad_id": "squads"}


def _target(edit: Edit) -> tuple[str, str, str | None] | None:
    """(collection, id, name the edit gives it) of the item ``edit`` is about, if one."""
    collection = getattr(edit, "collection", None)
    item = getattr(edit, "item", None)
    if isinstance(collection, str) and item is not None and isinstance(getattr(item, "id", None), str):
        return collection, item.id, _name_of(item, collection)
    item_id = getattr(edit, "item_id", None)
    if isinstance(collection, str) and isinstance(item_id, str):
        return collection, item_id, None
    for field, collection in _TARGET_FIELDS.items():
        item_id = getattr(edit, field, None)
        if isinstance(item_id, str):
            return collection, item_id, None
    return None


def _name_of(item: object, collection: str) -> str | None:
    # A model's ``name`` is what its provider calls it; the user's name for it is its label.
    for field in ("label",) if collection == "models" else ("name", "label"):
        value = getattr(item, field, None)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def command_text(config: Config, edit: Edit) -> str:
    """The undo menu's words for ``edit``: its label, with the item's id replaced by the
    name the user knows it by ("Remove agent Writer", not "Remove agent writer-2"); an
    item whose name another item of its kind shares keeps its id beside it."""
    label = edit.label
    target = _target(edit)
    if target is None:
        return label
    collection, item_id, name = target
    items = getattr(config, collection, [])
    if collection in _ITEM_COLLECTIONS:  # by the config's id index, not a scan
        found = config.find(collection, item_id)
        current = found[1] if found is not None else None
    else:
        current = next((i for i in items if i.id == item_id), None)
    name = _name_of(current, collection) if current is not None else name
    if not name or name == item_id:
        return label
    others = _name_counts.of(config, collection, items)[name] - (1 if current is not None else 0)
    if others > 0:
        name = f"{name} ({item_id})"
    # The id as a whole word: the first one after the verb.
    at = label.find(" " + item_id)
    while at >= 0:
        end = at + 1 + len(item_id)
        if end == len(label) or label[end] in " :,":
            return label[: at + 1] + name + label[end:]
        at = label.find(" " + item_id, at + 1)
    return label


class _NameCounts:
    """How many items of one collection go by each name (as ``_name_of`` reads it), kept
    from one edit to the next. The document tells what each edit replaced (:func:`note_change`),
    so an edit at 10,000 agents reads a few names instead of calling ``_name_of`` 10,000
    times on the GUI thread; anything it was not told of is found by comparing the lists at
    C speed, halving the range where they differ. Edits replace items and never change one
    in place."""

    def __init__(self, items: list[Any], collection: str) -> None:
        self.collection = collection
        self.items = list(items)
        self.names = [_name_of(item, collection) for item in items]
        self.counts = Counter(self.names)

    def follow(self, items: list[Any]) -> None:
        if len(items) != len(self.items):
            self.__init__(items, self.collection)  # type: ignore[misc]
            return
        for index in _replaced(items, self.items):
            self._take(index, items[index])

    def note_updated(self, config: Config, ids: list[str]) -> None:
        if len(getattr(config, self.collection)) != len(self.items):
            return  # an item added or removed as well: follow() starts over
        for item_id in ids:
            found = config.find(self.collection, item_id)
            if found is not None and found[1] is not self.items[found[0]]:
                self._take(*found)
            # Not found: the edit gave the item another id; follow() finds where.

    def _take(self, index: int, item: Any) -> None:
        name = _name_of(item, self.collection)
        self.counts[self.names[index]] -= 1
        self.counts[name] += 1
        self.names[index] = name
        self.items[index] = item


def _replaced(new: list[Any], old: list[Any]) -> list[int]:
    """Positions where ``new`` holds another item than ``old`` (same lengths). A list
    comparison skips identical items at C speed; an equal item in another object may be
    left out (its name is the same)."""
    found: list[int] = []
    ranges = [(0, len(new))] if new != old else []
    while ranges:
        low, high = ranges.pop()
        if high - low <= 32:
            found += (index for index in range(low, high) if new[index] is not old[index])
            continue
        middle = (low + high) // 2
        ranges += [(low, middle)] if new[low:middle] != old[low:middle] else []
        ranges += [(middle, high)] if new[middle:high] != old[middle:high] else []
    return found


class _CountsOfOneConfig:
    """The counts for one config at a time (the document's), dropped with it."""

    def __init__(self) -> None:
        self.config: weakref.ref[Config] | None = None
        self.collections: dict[str, _NameCounts] = {}

    def of(self, config: Config, collection: str, items: list[Any]) -> Counter[str | None]:
        if self.config is None or self.config() is not config:
            self.config = weakref.ref(config, self._forget)
            self.collections = {}
        kept = self.collections.get(collection)
        if kept is None:
            kept = self.collections[collection] = _NameCounts(items, collection)
        else:
            kept.follow(items)
        return kept.counts

    def note(self, config: Config, change: Change) -> None:
        if self.config is None or self.config() is not config or change.whole:
            return
        for collection, ids in change.updated.items():
            kept = self.collections.get(collection)
            if kept is None or collection not in _ITEM_COLLECTIONS:
                continue
            if len(ids) > _NOTED_AT_MOST:
                # A bulk change: counting every name again when next needed (~2 ms at
                # 10,000 agents) is cheaper than following each id (~3 µs each) now.
                del self.collections[collection]
            else:
                kept.note_updated(config, ids)

    def _forget(self, _: object) -> None:
        self.config = None
        self.collections = {}


_name_counts = _CountsOfOneConfig()


def note_change(config: Config, change: Change) -> None:
    """Tell the undo steps' name counts what an edit just applied to ``config`` replaced."""
    _name_counts.note(config, change)


# Beyond this many items replaced by one edit, their names are counted again instead.
_NOTED_AT_MOST = 256
# The collections Config.find indexes by id.
_ITEM_COLLECTIONS = frozenset({"agents", "squads", "projects", "providers", "models"})


class EditCommand(QUndoCommand):
    def __init__(self, document: Document, edit: Edit, inverse: Edit | None = None) -> None:
        super().__init__(command_text(document.config, edit))
        self._document = document
        self.edit = edit
        # Set by Document.perform once the edit is applied (before the command is pushed).
        self.inverse: Edit | None = inverse
        self.withdrawn = False
        # Document.perform applied the edit before pushing; QUndoStack.push calls redo().
        self._already_applied = True

    def redo(self) -> None:
        if self._already_applied:
            self._already_applied = False
            return
        inverse = self._run(self.edit, "redo")
        if inverse is not None:
            self.inverse = inverse

    def undo(self) -> None:
        if self.inverse is None:
            return
        edit = self._run(self.inverse, "undo")
        if edit is not None:
            self.edit = edit

    def _run(self, edit: Edit, verb: str) -> Edit | None:
        if self.withdrawn:
            return None
        try:
            return self._document.execute(edit, self)
        except EditError as exc:
            # The config changed underneath (e.g. another process removed the agent):
            # this step can no longer be replayed. Qt drops obsolete commands.
            self._document.set_save_state(f"Cannot {verb}: {exc.message}")
            self.setObsolete(True)
            return None
