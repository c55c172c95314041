"""The config file's text kept as one piece per item, so that a save rewrites only the
items that changed.

A long-lived writer (the app's save thread) writes the same 10,000-agent file again and
again with one agent changed. Dumping every item and encoding the whole document each time
was ~4 ms of Python per save at that size, time the GUI thread waited for the interpreter.
:class:`ItemTexts` keeps each item's text, finds the items replaced since the last save by
comparing the lists by identity (a C-speed pass, no Python per item), dumps only those, and
joins the pieces as bytes. Edits replace items and never change one in place, which is what
makes identity enough (the same rule as ``ConfigStore.keep_written_config``).

The text is exactly :func:`modeldesk.core.store.config_text`'s (``json.dumps(indent=2,
ensure_ascii=False)`` as orjson writes it): each item's own indented text, shifted to its
depth in the file. Anything the pieces cannot say the same way (a number beyond 64 bits,
which orjson refuses and the whole file then takes the standard library's path) answers
``None`` and the caller writes the whole document as before.

A writer that also says what its edits replaced (the :class:`~.edits.Change` of each, for
the config object of its previous call) spares even the identity pass: a collection no
change names is taken as it was, joined text and all, and the items a change updated are
found by id. The save thread holds the interpreter for that whole call, time in which the
GUI thread cannot run a line of Python (~1 ms at 10,000 agents without it, ~0.1 ms with).
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import compress
from typing import TYPE_CHECKING, Any, cast

import orjson
from pydantic import BaseModel

from .schema import Config, dump_config

if TYPE_CHECKING:
    from .edits import Change

COLLECTIONS = ("providers", "models", "projects", "agents", "squads")

_ITEM_INDENT = b"\n    "  # an item of a top-level list: two levels deep
_VALUE_INDENT = b"\n  "  # the value of a top-level key: one level deep
_SEPARATOR = b",\n"
_PATCHED_AT_MOST = 8  # replaced items whose text is put into the joined text in place


class DuplicateId(ValueError):
    """Two items of a collection share an id (the caller says which, with its wording)."""


@dataclass
class _Collection:
    """One collection's items as last written (a copy of the list: the config's own list
    changes in place), where each id is, their texts and the texts' lengths, and the
    texts joined (None until asked for)."""

    items: list[Any]
    positions: dict[str, int]
    chunks: list[bytes]
    lengths: list[int]
    joined: bytes | None = None

    def join(self) -> bytes:
        if self.joined is None:
            self.joined = _SEPARATOR.join(self.chunks)
        return self.joined

    def replace(self, texts: dict[int, bytes]) -> None:
        """Put ``texts`` in place of the chunks at their indices, and in the joined text:
        for a few items, copying the joined text around them costs about a third of
        joining 10,000 pieces again."""
        joined: bytes | None = None  # joined again when asked for
        if self.joined is not None and len(texts) <= _PATCHED_AT_MOST:
            view, copied = memoryview(self.joined), 0
            pieces: list[bytes | memoryview] = []
            for index in sorted(texts):
                start = sum(self.lengths[:index]) + len(_SEPARATOR) * index
                pieces += (view[copied:start], texts[index])
                copied = start + self.lengths[index]
            pieces.append(view[copied:])
            joined = b"".join(pieces)
        for index, text in texts.items():
            self.chunks[index] = text
            self.lengths[index] = len(text)
        self.joined = joined


class ItemTexts:
    """Each item's text, for one writer. Not thread-safe: one writer uses it."""

    def __init__(self) -> None:
        self._collections: dict[str, _Collection] = {}
        # The config object of the last call that finished: the only one ``changes`` may
        # be about.
        self._config: Config | None = None

    def forget(self) -> None:
        self._collections.clear()
        self._config = None

    def text(self, config: Config, changes: Sequence[Change] | None = None) -> bytes | None:
        """The file's text for ``config``; ``None`` when it must be written the usual way.
        Raises :class:`DuplicateId` when a collection repeats an id.

        ``changes``: what every edit applied to ``config`` since the previous call told it
        changed, when ``config`` is that call's object (otherwise they are not used)."""
        same = config is self._config
        self._config = None  # until this call finishes: a failed one leaves texts half done
        try:
            text = self._text(config, _replaced(changes) if same and changes is not None else None)
        except orjson.JSONEncodeError:
            self.forget()
            return None
        self._config = config
        return text

    def _text(self, config: Config, replaced: dict[str, set[str] | None] | None) -> bytes:
        shell = dump_config(config.model_copy(update={key: [] for key in COLLECTIONS}))
        fields_set = config.model_fields_set
        # One flat list joined once: the 1.7 MB of a 10,000-agent file is copied twice
        # (the collection's join, then this one), not once per concatenation.
        parts: list[bytes] = [b"{\n"]
        for key, value in shell.items():
            if len(parts) > 1:
                parts.append(b",\n")
            if key not in COLLECTIONS:
                body = orjson.dumps(value, option=orjson.OPT_INDENT_2).replace(b"\n", _VALUE_INDENT)
                parts += (b'  "', key.encode(), b'": ', body)
                continue
            items: list[Any] = getattr(config, key)
            if not items:
                self._collections.pop(key, None)
                if key in fields_set:
                    parts += (b'  "', key.encode(), b'": []')
                elif parts[-1] == b",\n":
                    parts.pop()
                continue
            hint = None if replaced is None else replaced.get(key, set())
            parts += (b'  "', key.encode(), b'": [\n', self._update(key, items, hint), b"\n  ]")
        parts.append(b"\n}\n")
        return b"".join(parts)

    def _update(self, key: str, items: list[Any], replaced: set[str] | None) -> bytes:
        """The collection's items' texts, joined. ``replaced``: the ids (before the edits)
        of the only items that may have been replaced, or None when not known."""
        known = self._collections.get(key)
        if known is None or len(known.items) != len(items):
            # An item added or removed (or the first save): the texts of the items kept
            # are found by identity, the new ones dumped.
            positions = {item.id: index for index, item in enumerate(items)}
            if len(positions) != len(items):
                raise DuplicateId
            old = {} if known is None else {id(i): c for i, c in zip(known.items, known.chunks, strict=True)}
            chunks = [old.get(id(item)) or _item_text(item) for item in items]
            known = self._collections[key] = _Collection(list(items), positions, chunks, list(map(len, chunks)))
            return known.join()
        changed = _found(known.positions, replaced)
        if changed is None:
            changed = list(compress(range(len(items)), map(operator.is_not, items, known.items)))
        if not changed:
            return known.join()
        # The other items' ids are unique and unchanged: a replaced item's new id must not
        # be one of them, nor another replaced item's new id.
        old_ids = {known.items[index].id for index in changed}
        new_ids = [items[index].id for index in changed]
        if len(set(new_ids)) != len(new_ids) or any(i in known.positions and i not in old_ids for i in new_ids):
            raise DuplicateId
        texts = [_item_text(items[index]) for index in changed]  # first: it may raise
        for old_id in old_ids:
            del known.positions[old_id]
        for index in changed:
            known.items[index] = items[index]
            known.positions[items[index].id] = index
        known.replace(dict(zip(changed, texts, strict=True)))
        return known.join()


def _replaced(changes: Sequence[Change]) -> dict[str, set[str] | None] | None:
    """Per collection, the ids of the items the changes updated; None for a collection
    with an item added or removed (its length tells, and identity finds the rest), and
    None for all when a change is not itemised."""
    replaced: dict[str, set[str] | None] = {}
    for change in changes:
        if change.whole:
            return None
        for collection in (*change.inserted, *change.removed):
            replaced[collection] = None
        for collection, ids in change.updated.items():
            known = replaced.setdefault(collection, set())
            if known is not None:
                known.update(ids)
    return replaced


def _found(positions: dict[str, int], replaced: set[str] | None) -> list[int] | None:
    """Where the items of ``replaced`` were, in order; None when not known (or an id is
    not one of the items last written: a batch that renamed an item and then changed it)."""
    if replaced is None:
        return None
    found = [positions.get(item_id) for item_id in replaced]
    if None in found:
        return None
    return sorted(cast("list[int]", found))


def _item_text(item: BaseModel) -> bytes:
    return b"    " + orjson.dumps(dump_config(item), option=orjson.OPT_INDENT_2).replace(b"\n", _ITEM_INDENT)
