"""Names and ids: how an id is made from a name a person typed (a new agent, squad or
project), and which agent a name typed into a picker means.

Ids are what the file, the CLI and lists use; names are for people. The app asks for a
name and makes the id with :func:`readable_id`, so every kind of item gets the same
kind of id ("Research team" -> ``research-team``). Served model names keep their own
case and are turned into registry ids by ``model_import.id_for_served_name``."""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .schema import Agent

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


def agent_choice(name: str, agent_id: str) -> str:
    """How pickers list an agent: "Analyst (analyst)", or the id alone when it is the name."""
    return agent_id if name == agent_id else f"{name} ({agent_id})"


def agent_named(agents: Sequence[Agent], typed: str) -> str | None:
    """The id of the one agent ``typed`` names exactly: a listed "Name (id)", an id, or a
    name (any case)."""
    text = typed.strip()
    if text.endswith(")") and " (" in text:
        inner = text[text.rindex(" (") + 2 : -1]
        listed = next((a.id for a in agents if a.id == inner), None)
        if listed is not None:
            return listed
    needle = text.casefold()
    exact = [a for a in agents if a.id == text]
    exact = exact or [a for a in agents if needle in (a.id.casefold(), a.name.casefold())]
    return exact[0].id if exact else None


def agents_meant(agents: Sequence[Agent], typed: str) -> list[str]:
    """The agents ``typed`` may mean, as a picker's completion offers them: the one it names
    exactly (:func:`agent_named`), else every agent whose id or name contains the text."""
    if not typed.strip():
        return []
    named = agent_named(agents, typed)
    if named is not None:
        return [named]
    needle = typed.strip().casefold()
    return [a.id for a in agents if needle in a.id.casefold() or needle in a.name.casefold()]
