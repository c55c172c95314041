"""Turning a provider's model list into registry entries: the one import path of Fetch
models (app), `providers models ID --import` and `providers detect --add`.

A served model becomes a registry entry with facts from the catalog (context window,
capabilities, price; :mod:`.model_facts`). Its id is the served name when that is a usable
id and free; a name that is a model file's path (llama.cpp and llama-cpp-python list the
file they loaded, ``/models/Llama-3.2-3B-Q4_K_M.gguf``) or that holds characters an id
cannot have gets an id made from it, while ``name`` keeps exactly what the server said.
Every served model that is not added is reported with the reason.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import Protocol

from .ids import ID_MAX_LENGTH
from .model_facts import fill, lookup
from .schema import IDENTIFIER_PATTERN, PLACEHOLDER, Config, Model

_ID_OK = re.compile(IDENTIFIER_PATTERN)
_ID_MAX = ID_MAX_LENGTH
_NOT_ID = re.compile(r"[^A-Za-z0-9._:@+-]+")  # "/" too: a derived id names the file, not its folder
# Files model servers load; a served name ending so is a path, named by its file.
_MODEL_FILE_SUFFIXES = (".gguf", ".ggml", ".bin", ".safetensors")


class Listed(Protocol):
    """A model as a provider lists it (the runtime's RemoteModel fits)."""

    @property
    def id(self) -> str: ...
    @property
    def label(self) -> str | None: ...
    @property
    def context_window(self) -> int | None: ...


@dataclass(frozen=True)
class Skipped:
    """A served model that was not added, and why (in words)."""

    name: str
    reason: str


@dataclass
class ImportPlan:
    """What importing a provider's list adds: the new registry entries (facts filled),
    the served models that cannot be added, and those already registered."""

    models: list[Model] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    already: list[str] = field(default_factory=list)  # served names registered for this provider

    def summary(self) -> str:
        """One line: how many were added and, when some were not, why not."""
        text = f"{len(self.models)} new model{'' if len(self.models) == 1 else 's'}"
        if self.already:
            text += f", {len(self.already)} already in the config"
        if self.skipped:
            reasons = "; ".join(f"{s.name}: {s.reason}" for s in self.skipped[:3])
            more = f" (and {len(self.skipped) - 3} more)" if len(self.skipped) > 3 else ""
            text += f", {len(self.skipped)} not added ({reasons}{more})"
        return text


def is_model_file(name: str) -> bool:
    """Whether a served name is the path of a model file rather than a model's name."""
    text = name.strip()
    return text.lower().endswith(_MODEL_FILE_SUFFIXES) or text.startswith(("/", "./", "../", "~")) or "\\" in text


def id_for_served_name(name: str) -> str:
    """The registry id a served name is imported under (before any clash with ids already
    taken): the name itself when it is a usable id, else one made from it: a file path by
    its file name without the extension, other characters an id cannot hold as ``-``."""
    text = name.strip()
    if _ID_OK.match(text) and not is_model_file(text) and len(text) <= _ID_MAX:
        return text
    if is_model_file(text):
        text = re.split(r"[/\\]", text.rstrip("/\\"))[-1]
        for suffix in _MODEL_FILE_SUFFIXES:
            if text.lower().endswith(suffix):
                text = text[: -len(suffix)]
                break
    derived = _NOT_ID.sub("-", text).strip("-._:@+")
    return derived[:_ID_MAX].rstrip("-._:@+")


def plan_import(
    config: Config, provider_id: str, remote: Iterable[Listed], *, reserved: Collection[str] = ()
) -> ImportPlan:
    """Registry entries for the provider's served models that are not registered yet.

    A model already registered for this provider (same name at the provider) is left
    alone. When its id is taken by another model, ``provider/id`` is used; ``reserved``
    holds more ids that must not be reused (the organization policy's models).
    """
    provider = config.provider(provider_id)
    have = {m.name for m in config.models if m.provider == provider_id}
    taken = {m.id for m in config.models} | set(reserved)
    plan = ImportPlan()
    for item in remote:
        name = item.id
        if name in have:
            if name not in plan.already:
                plan.already.append(name)
            continue
        reason = _unusable(name)
        model_id = "" if reason else id_for_served_name(name)
        if not reason and not model_id:
            reason = "no id can be made from this name; add it with `models add ID --name NAME`"
        if not reason and model_id.casefold() == PLACEHOLDER:
            model_id = f"{provider_id}/{model_id}"  # 'default' is the placeholder in lists
        if not reason and model_id in taken:
            model_id = f"{provider_id}/{model_id}"
            if model_id in taken or len(model_id) > _ID_MAX:
                reason = f"the ids '{model_id.split('/', 1)[1]}' and '{model_id}' are both taken"
        if reason:
            plan.skipped.append(Skipped(name, reason))
            continue
        taken.add(model_id)
        have.add(name)
        model = Model(
            id=model_id,
            provider=provider_id,
            name=name,
            label=item.label or None,
            context_window=item.context_window or None,
        )
        # The catalog fills what the server did not say (capabilities, prices; the
        # context window when the server did not report one).
        facts = lookup(name, provider)
        plan.models.append(fill(model, facts) if facts is not None else model)
    return plan


def _unusable(name: str) -> str | None:
    """Why a served name cannot be sent back to the server as written, if it cannot."""
    if not name.strip():
        return "the server listed a model with an empty name"
    if not name.isprintable():
        return "the name holds control characters"
    if len(name) > 1000:
        return "the name is longer than 1,000 characters"
    return None
