"""Talking to a provider outside a chat run: list its models (for import) and check that
it answers (latency shown in the app and by `modeldesk providers check`)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from modeldesk.core.schema import Provider

from .errors import ProviderError
from .providers import RemoteModel, make_provider, new_client
from .secrets import EnvKeyringSecrets, SecretSource, read_key

DEFAULT_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class ProviderCheck:
    """How one provider answered its model list request."""

    provider: str
    kind: str
    ok: bool
    latency_ms: int | None  # time to the full model list; None when it failed
    model_count: int | None
    error: str | None = None
    error_class: str | None = None
    status: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.provider,
            "kind": self.kind,
            "ok": self.ok,
            "latency_ms": self.latency_ms,
            "models": self.model_count,
            "error": None if self.ok else {"code": self.error_class, "status": self.status, "message": self.error},
        }


async def list_models(
    provider: Provider, *, secrets: SecretSource | None = None, timeout_s: float = DEFAULT_TIMEOUT_S
) -> list[RemoteModel]:
    """The provider's model list. Raises :class:`ProviderError` (a timeout after ``timeout_s``)."""
    async with new_client(timeout_s, timeout_s) as client:
        try:
            async with asyncio.timeout(timeout_s):  # a keyring waiting on its unlock prompt included
                key = await read_key(provider.api_key, secrets or EnvKeyringSecrets(), provider.id)
                return await make_provider(provider, client, key).list_models()
        except TimeoutError:
            raise ProviderError.make("timeout", f"no model list within {timeout_s:g} s") from None


async def check_provider(
    provider: Provider, *, secrets: SecretSource | None = None, timeout_s: float = DEFAULT_TIMEOUT_S
) -> ProviderCheck:
    """Never raises for provider failures: the result says what went wrong."""
    started = time.monotonic()
    try:
        models = await list_models(provider, secrets=secrets, timeout_s=timeout_s)
    except ProviderError as exc:
        return ProviderCheck(provider.id, provider.kind, False, None, None, exc.message, exc.error_class, exc.status)
    latency = round((time.monotonic() - started) * 1000)
    return ProviderCheck(provider.id, provider.kind, True, latency, len(models))


async def check_providers(
    providers: Iterable[Provider], *, secrets: SecretSource | None = None, timeout_s: float = DEFAULT_TIMEOUT_S
) -> list[ProviderCheck]:
    """Check several providers at once; results in the order given."""
    return list(await asyncio.gather(*(check_provider(p, secrets=secrets, timeout_s=timeout_s) for p in providers)))
