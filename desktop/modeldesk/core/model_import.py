"""Turning a provider's model list into registry entries (Fetch models, `providers detect
--add`): which are new, and under which id."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Protocol

from .model_facts import fill, lookup
from .schema import Config, Model

_ID_OK = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/@+-]*$")


class Listed(Protocol):
    """A model as a provider lists it (the runtime's RemoteModel fits)."""

    @property
    def id(self) -> str: ...
    @property
    def label(self) -> str | None: ...
    @property
    def context_window(self) -> int | None: ...


def models_to_import(config: Config, provider_id: str, remote: Iterable[Listed]) -> tuple[list[Model], int]:
    """Registry entries for the provider's models that are not registered yet, and how
    many were skipped because their id cannot be used.

    Each new model gets its facts from the catalog (:mod:`.model_facts`).
    A model already registered for this provider (same name at provider) is left alone;
    when the plain id is taken by another provider's model, ``provider/id`` is used.
    """
    provider = config.provider(provider_id)
    have = {(m.provider, m.name) for m in config.models}
    taken = {m.id for m in config.models}
    new: list[Model] = []
    skipped = 0
    for item in remote:
        if (provider_id, item.id) in have:
            continue
        model_id = item.id if item.id not in taken else f"{provider_id}/{item.id}"
        if not _ID_OK.match(model_id) or model_id in taken or len(model_id) > 200:
            skipped += 1
            continue
        taken.add(model_id)
        have.add((provider_id, item.id))
        model = Model(
            id=model_id,
            provider=provider_id,
            name=item.id,
            label=item.label or None,
            context_window=item.context_window or None,
        )
        # The catalog fills what the server did not say (capabilities, prices; the
        # context window when the server did not report one).
        facts = lookup(item.id, provider)
        new.append(fill(model, facts) if facts is not None else model)
    return new, skipped
