"""Talking to a provider from the Settings tab: check it (list its models, time it) and
turn its model list into registry entries. Qt-free and async: the section awaits these
from qasync slots, so the GUI thread never waits on the network."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING

from modeldesk.core.model_import import plan_import
from modeldesk.core.schema import Provider

if TYPE_CHECKING:  # the HTTP stack loads with the first probe, not with the Settings page
    from modeldesk.runtime import SecretSource
    from modeldesk.runtime.providers import RemoteModel

__all__ = ["ProbeResult", "plan_import", "probe"]


@dataclass(frozen=True)
class ProbeResult:
    ok: bool
    text: str  # for the status column: "OK · 12 models · 85 ms" or the error
    models: tuple[RemoteModel, ...] = ()


async def probe(provider: Provider, secrets: SecretSource | None = None) -> ProbeResult:
    """Ask for the provider's model list (the runtime's provider probe); report how many
    and how long it took. Never raises for provider failures."""
    from modeldesk.runtime import ProviderError
    from modeldesk.runtime.provider_probe import list_models

    loop = asyncio.get_running_loop()
    started = loop.time()
    try:
        models = await list_models(provider, secrets=secrets)
    except ProviderError as exc:
        return ProbeResult(False, f"Failed: {exc.message}")
    elapsed_ms = (loop.time() - started) * 1000
    return ProbeResult(True, f"OK · {len(models)} models · {elapsed_ms:.0f} ms", tuple(models))
