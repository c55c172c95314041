"""Talking to a provider from the Settings tab: check it (list its models, time it) and
turn its model list into registry entries. Qt-free and async: the section awaits these
from qasync slots, so the GUI thread never waits on the network."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass

from modeldesk.core.schema import Config, Model, Provider
from modeldesk.runtime import ProviderError, SecretSource
from modeldesk.runtime.catalog import list_models
from modeldesk.runtime.providers import RemoteModel

_ID_OK = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/@+-]*$")


@dataclass(frozen=True)
class ProbeResult:
    ok: bool
    text: str  # for the status column: "OK · 12 models · 85 ms" or the error
    models: tuple[RemoteModel, ...] = ()


async def probe(provider: Provider, secrets: SecretSource | None = None) -> ProbeResult:
    """Ask for the provider's model list (the runtime's catalog call); report how many
    and how long it took. Never raises for provider failures."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    try:
        models = await list_models(provider, secrets=secrets)
    except ProviderError as exc:
        return ProbeResult(False, f"Failed: {exc.message}")
    elapsed_ms = (loop.time() - started) * 1000
    return ProbeResult(True, f"OK · {len(models)} models · {elapsed_ms:.0f} ms", tuple(models))


def models_to_import(config: Config, provider_id: str, remote: tuple[RemoteModel, ...]) -> tuple[list[Model], int]:
    """Registry entries for the provider's models that are not registered yet, and how
    many were skipped because their id cannot be used.

    A model already registered for this provider (same name at provider) is left alone;
    when the plain id is taken by another provider's model, ``provider/id`` is used.
    """
    have = {(m.provider, m.name) for m in config.models}
    taken = {m.id for m in config.models}
    new: list[Model] = []
    skipped = 0
    for item in remote:
        if (provider_id, item.id) in have:
            continue
        model_id = item.id if item.id not in taken else f"{provider_id}/{item.id}"
        if not _ID_OK.match(model_id) or model_id in taken:
            skipped += 1
            continue
        taken.add(model_id)
        new.append(
            Model(
                id=model_id,
                provider=provider_id,
                name=item.id,
                label=item.label or None,
                context_window=item.context_window or None,
            )
        )
    return new, skipped
