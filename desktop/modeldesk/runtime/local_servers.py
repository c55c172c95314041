"""Finding model servers on this machine: `modeldesk providers detect` and the app's
"Detect local servers".

Each known local server (Ollama, LM Studio, llama.cpp, vLLM, Jan, KoboldCpp) is asked for
its OpenAI-compatible model list on 127.0.0.1 at its usual port, all at once and with a
short timeout, so a machine with nothing running answers in well under a second.

``MODELDESK_DETECT_PORTS`` replaces the port table (``name=port,name=port``; a bare port
is named ``port-N``): tests start a server on a free port and point detection at it, and
a user whose server listens elsewhere can do the same.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from modeldesk.core.edits import AddItem, Batch, Edit
from modeldesk.core.model_import import ImportPlan, plan_import
from modeldesk.core.presets import Preset, free_provider_id, local_servers, preset
from modeldesk.core.schema import Config, Provider

from .errors import ProviderError
from .providers import RemoteModel, make_provider, new_client

PORTS_ENV = "MODELDESK_DETECT_PORTS"
DEFAULT_TIMEOUT_S = 1.0


@dataclass(frozen=True)
class Found:
    """A server that answered on one of the ports."""

    server: Preset
    models: tuple[RemoteModel, ...]
    latency_ms: int

    @property
    def base_url(self) -> str:
        return self.server.base_url

    def to_json(self) -> dict[str, Any]:
        return {
            "server": self.server.label,
            "id": self.server.id,
            "port": self.server.port,
            "base_url": self.base_url,
            "latency_ms": self.latency_ms,
            "models": [{"name": m.id, "label": m.label, "context_window": m.context_window} for m in self.models],
        }


@dataclass
class AddPlan:
    """What `--add` does for the servers found: new providers and new models."""

    providers: list[Provider] = field(default_factory=list)
    models_added: dict[str, int] = field(default_factory=dict)  # provider id -> new models
    imports: dict[str, ImportPlan] = field(default_factory=dict)  # provider id -> its import, with reasons
    existing: dict[str, str] = field(default_factory=dict)  # base URL -> provider already there
    edits: list[Edit] = field(default_factory=list)


def port_table(environ: dict[str, str] | None = None) -> tuple[Preset, ...]:
    """The servers to probe: the usual ports, or the table ``MODELDESK_DETECT_PORTS`` gives."""
    raw = (environ if environ is not None else os.environ).get(PORTS_ENV, "").strip()
    if not raw:
        return local_servers()
    table: list[Preset] = []
    for part in raw.split(","):
        name, _, port_text = part.strip().rpartition("=")
        port_text = port_text.strip()
        if not (len(port_text) <= 5 and port_text.isascii() and port_text.isdigit() and 0 < int(port_text) < 65536):
            shown = part.strip()[:60]
            raise ValueError(
                f"{PORTS_ENV}: '{shown}' does not end in a port number from 1 to 65535 "
                "(expected name=port or port, separated by commas: ollama=11500,8081)"
            )
        port = int(port_text)
        name = name.strip()
        known = preset(name) if name else None
        label = known.label if known else (name or f"port-{port}")
        table.append(Preset(name or f"port-{port}", label, "openai", f"http://127.0.0.1:{port}/v1", None, port))
    return tuple(table)


async def probe_server(server: Preset, timeout_s: float = DEFAULT_TIMEOUT_S) -> Found | None:
    """The server's model list, or ``None`` when nothing (OpenAI-compatible) answers."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    async with new_client(timeout_s, timeout_s) as client:
        try:
            async with asyncio.timeout(timeout_s * 2):
                models = await make_provider(server.provider(), client, None).list_models()
        except (ProviderError, TimeoutError):
            return None
    return Found(server, tuple(models), round((loop.time() - started) * 1000))


async def detect(servers: tuple[Preset, ...] | None = None, timeout_s: float = DEFAULT_TIMEOUT_S) -> list[Found]:
    """Every server that answered, in the table's order."""
    table = servers if servers is not None else port_table()
    results = await asyncio.gather(*(probe_server(s, timeout_s) for s in table))
    return [r for r in results if r is not None]


def plan_add(config: Config, found: list[Found], *, reserved: Collection[str] = ()) -> AddPlan:
    """Providers for the servers not configured yet (same base URL = already there) and
    the models each one lists that the registry lacks (the one import path,
    :func:`~modeldesk.core.model_import.plan_import`; ``reserved``: model ids the policy
    holds), as edits for one undo step."""
    plan = AddPlan()
    taken = {p.id for p in config.providers}
    by_url = {p.base_url.rstrip("/"): p.id for p in config.providers}
    working = config.model_copy(deep=True)
    for item in found:
        provider_id = by_url.get(item.base_url.rstrip("/"))
        if provider_id is not None:
            plan.existing[item.base_url] = provider_id
        else:
            provider_id = free_provider_id(item.server.id, taken)
            taken.add(provider_id)
            provider = item.server.provider(provider_id)
            plan.providers.append(provider)
            plan.edits.append(AddItem("providers", provider))
            working.providers.append(provider)
        imported = plan_import(working, provider_id, item.models, reserved=reserved)
        working.models.extend(imported.models)
        plan.imports[provider_id] = imported
        plan.models_added[provider_id] = len(imported.models)
        plan.edits.extend(AddItem("models", m) for m in imported.models)
    return plan


def add_edit(plan: AddPlan) -> Edit | None:
    if not plan.edits:
        return None
    return Batch(tuple(plan.edits), label="Add detected local servers")
