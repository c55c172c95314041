"""How an id is made from a name a person typed (a new agent, squad or project).

Ids are what the file, the CLI and lists use; names are for people. The app asks for a
name and makes the id with :func:`readable_id`, so every kind of item gets the same
kind of id ("Research team" -> ``research-team``). Served model names keep their own
case and are turned into registry ids by ``model_import.id_for_served_name``."""

from __future__ import annotations

import re
from collections.abc import Collection

# The longest id the config accepts (schema.Identifier).
ID_MAX_LENGTH = 200

_NOT_READABLE = re.compile(r"[^a-z0-9._-]+")
# Room kept for the "-N" that makes a taken id unique.
_SUFFIX_ROOM = 8


def readable_id(name: str, taken: Collection[str], fallback: str) -> str:
    """A readable id from ``name`` that is not in ``taken``: lower case, each run of other
    characters one ``-`` ("QA / Review" -> ``qa-review``), ``fallback`` when nothing is
    left ("!!!"), then ``-2``, ``-3``, … while taken; never longer than an id may be."""
    base = _NOT_READABLE.sub("-", name.strip().casefold()).strip("-._")
    base = base[: ID_MAX_LENGTH - _SUFFIX_ROOM].rstrip("-._") or fallback
    candidate, number = base, 2
    while candidate in taken:
        candidate, number = f"{base}-{number}", number + 1
    return candidate
