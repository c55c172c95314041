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
"""

from __future__ import annotations

import operator
from dataclasses import dataclass
from itertools import compress
from typing import Any

import orjson
from pydantic import BaseModel

from .schema import Config, dump_config

COLLECTIONS = ("providers", "models", "projects", "agents", "squads")

_ITEM_INDENT = b"\n    "  # an item of a top-level list: two levels deep
_VALUE_INDENT = b"\n  "  # the value of a top-level key: one level deep


class DuplicateId(ValueError):
    """Two items of a collection share an id (the caller says which, with its wording)."""


@dataclass
class _Collection:
    """One collection's items as last written (a copy of the list: the config's own list
    changes in place), their ids and their texts."""

    items: list[Any]
    ids: set[str]
    chunks: list[bytes]


class ItemTexts:
    """Each item's text, for one writer. Not thread-safe: one writer uses it."""

    def __init__(self) -> None:
        self._collections: dict[str, _Collection] = {}

    def forget(self) -> None:
        self._collections.clear()

    def text(self, config: Config) -> bytes | None:
        """The file's text for ``config``; ``None`` when it must be written the usual way.
        Raises :class:`DuplicateId` when a collection repeats an id."""
        try:
            return self._text(config)
        except orjson.JSONEncodeError:
            self.forget()
            return None

    def _text(self, config: Config) -> bytes:
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
            parts += (b'  "', key.encode(), b'": [\n', b",\n".join(self._update(key, items)), b"\n  ]")
        parts.append(b"\n}\n")
        return b"".join(parts)

    def _update(self, key: str, items: list[Any]) -> list[bytes]:
        known = self._collections.get(key)
        if known is None or len(known.items) != len(items):
            # An item added or removed (or the first save): the texts of the items kept
            # are found by identity, the new ones dumped.
            ids = {item.id for item in items}
            if len(ids) != len(items):
                raise DuplicateId
            old = {} if known is None else {id(i): c for i, c in zip(known.items, known.chunks, strict=True)}
            chunks = [old.get(id(item)) or _item_text(item) for item in items]
            self._collections[key] = _Collection(list(items), ids, chunks)
            return chunks
        changed = list(compress(range(len(items)), map(operator.is_not, items, known.items)))
        if not changed:
            return known.chunks
        # The other items' ids are unique and unchanged: a replaced item's new id must not
        # be one of them, nor another replaced item's new id.
        old_ids = {known.items[index].id for index in changed}
        new_ids = [items[index].id for index in changed]
        if len(set(new_ids)) != len(new_ids) or any(i in known.ids and i not in old_ids for i in new_ids):
            raise DuplicateId
        texts = [_item_text(items[index]) for index in changed]  # first: it may raise
        for index, text in zip(changed, texts, strict=True):
            known.items[index] = items[index]
            known.chunks[index] = text
        known.ids -= old_ids
        known.ids.update(new_ids)
        return known.chunks


def _item_text(item: BaseModel) -> bytes:
    return b"    " + orjson.dumps(dump_config(item), option=orjson.OPT_INDENT_2).replace(b"\n", _ITEM_INDENT)
