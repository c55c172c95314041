"""Undo/redo: one QUndoCommand per Edit.

The command holds an edit and its inverse. Both directions go through
``Document.execute``, which applies in memory at once (so undo is instant) and queues the
save, which is merged with other processes' changes exactly like the edit itself. Each
direction recomputes the opposite edit against the config it actually ran on, so
undo → redo → undo keeps restoring exactly. A step whose save failed is *withdrawn*:
obsolete, so Qt drops it from the history instead of replaying it.
"""

from __future__ import annotations

from operator import attrgetter
from typing import TYPE_CHECKING

from PySide6.QtGui import QUndoCommand

from modeldesk.core.edits import Edit
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
    if collection in _TEXT_FIELDS:  # by the config's id index, not a scan
        found = config.find(collection, item_id)
        current = found[1] if found is not None else None
    else:
        current = next((i for i in items if i.id == item_id), None)
    name = _name_of(current, collection) if current is not None else name
    if not name or name == item_id:
        return label
    if _may_share_name(items, collection, name, alone=current is not None) and any(
        i.id != item_id and _name_of(i, collection) == name for i in items
    ):
        name = f"{name} ({item_id})"
    # The id as a whole word: the first one after the verb.
    at = label.find(" " + item_id)
    while at >= 0:
        end = at + 1 + len(item_id)
        if end == len(label) or label[end] in " :,":
            return label[: at + 1] + name + label[end:]
        at = label.find(" " + item_id, at + 1)
    return label


# The fields a name is read from (see _name_of), by collection.
_TEXT_FIELDS = {
    "agents": ("name",),
    "squads": ("name",),
    "projects": ("name",),
    "providers": ("label",),
    "models": ("label",),
}


def _may_share_name(items: list[object], collection: str, name: str, *, alone: bool) -> bool:
    """False when no item but the one named can be called ``name``: told from the names
    joined into one text and searched at C speed (a scan calling ``_name_of`` on 10,000
    agents was most of an edit's time on the GUI thread). True sends the caller to the
    exact scan. ``alone``: the item named is among ``items``, so one match is its own."""
    fields = _TEXT_FIELDS.get(collection)
    if fields is None or "\x00" in name:
        return True
    matches = 0
    for field in fields:
        # Each item's text between two NULs; a name matches where only whitespace stands
        # between it and the NULs around it (as _name_of strips it).
        text = "\x00" + "\x00".join(filter(None, map(attrgetter(field), items))) + "\x00"
        at = text.find(name)
        while at >= 0:
            start = text.rfind("\x00", 0, at) + 1
            end = text.find("\x00", at + len(name))
            if not text[start:at].strip() and not text[at + len(name) : end].strip():
                matches += 1
                if matches > (1 if alone else 0):
                    return True
            at = text.find(name, at + 1)
    return False


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
