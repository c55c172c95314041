"""Where provider keys come from at run time.

The config only names a secret (``{"env": "OPENAI_API_KEY"}`` or ``{"keyring": "openai"}``);
the value is read here, just before a request, and handed to the provider. It is never
stored, printed or logged; errors name the variable or entry, never the value. Every value
read passes :func:`modeldesk.core.key_value.clean_key` (surrounding whitespace dropped, a
control or non-ASCII character refused) and is remembered for redaction.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
from collections.abc import Iterable
from typing import Protocol

from modeldesk.core.key_value import UnusableKey, clean_key
from modeldesk.core.schema import ApiKeyRef, Provider
from modeldesk.core.urls import plain_http_key_warning

from .errors import ProviderError
from .keyring_errors import keyring_problem

KEYRING_SERVICE = "modeldesk"


class SecretSource(Protocol):
    """Looks up the value behind an :class:`ApiKeyRef`: ``None`` when it is not set, a
    :class:`ProviderError` of class ``auth`` when the store cannot be read."""

    def get(self, ref: ApiKeyRef) -> str | None: ...


class EnvKeyringSecrets:
    """The default source: the environment, then the OS keyring (service ``modeldesk``)."""

    def get(self, ref: ApiKeyRef) -> str | None:
        if ref.env is not None:
            return usable_key(ref, os.environ.get(ref.env))
        import keyring  # imported late: backends can be slow to load and are rarely needed
        from keyring.errors import KeyringError

        try:
            return usable_key(ref, keyring.get_password(KEYRING_SERVICE, ref.keyring or ""))
        except (KeyringError, RuntimeError, OSError) as exc:
            # A locked or broken keyring (no D-Bus session, a crashed backend) must end in
            # an attempt error naming the entry, not in a crash of the run.
            # Said in words, not by the keyring library's class name ("NoKeyringError").
            what, _fix = keyring_problem(exc)
            raise ProviderError.make("auth", f"cannot read keyring entry '{ref.keyring}': {what}") from None


class StaticSecrets:
    """A fixed mapping, for tests and embedding: ``{"env:NAME": value, "keyring:entry": value}``."""

    def __init__(self, values: dict[str, str]) -> None:
        self._values = dict(values)

    def get(self, ref: ApiKeyRef) -> str | None:
        key = f"env:{ref.env}" if ref.env is not None else f"keyring:{ref.keyring}"
        return usable_key(ref, self._values.get(key))


def usable_key(ref: ApiKeyRef, value: str | None) -> str | None:
    """The key as it can be sent (see :func:`clean_key`), ``None`` when it is not set; a
    ``no_key`` error, which never holds the value, when it cannot be used."""
    if value is None:
        return None
    try:
        return clean_key(value, describe_ref(ref)) or None
    except UnusableKey as exc:
        raise ProviderError.make("no_key", str(exc)) from None


def describe_ref(ref: ApiKeyRef) -> str:
    return f"environment variable {ref.env}" if ref.env is not None else f"keyring entry '{ref.keyring}'"


def require_key(ref: ApiKeyRef | None, source: SecretSource, provider_id: str) -> str | None:
    """The key for a provider, ``None`` when it needs none; a ``no_key`` error when it is not
    set on this machine (the provider never saw a request, so nothing is its fault)."""
    if ref is None:
        return None
    value = source.get(ref)
    if not value:
        raise ProviderError.make(
            "no_key", f"provider '{provider_id}' has no key on this machine: {describe_ref(ref)} is not set"
        )
    return value


async def read_key(ref: ApiKeyRef | None, source: SecretSource, provider_id: str) -> str | None:
    """:func:`require_key` without blocking the event loop on a keyring.

    A keyring read can block for long (a D-Bus call, an unlock prompt waiting for the
    user): it runs on a daemon thread so the app stays responsive and a cancelled run ends
    at once. A thread left blocked by a cancelled run holds nothing and never delays exit.
    Environment variables are read inline.
    """
    if ref is None or ref.keyring is None:
        return require_key(ref, source, provider_id)
    loop = asyncio.get_running_loop()
    future: asyncio.Future[str | None] = loop.create_future()

    def deliver(value: str | None, error: BaseException | None) -> None:
        if future.done():  # the run was cancelled meanwhile
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(value)

    def work() -> None:
        value, error = None, None
        try:
            value = require_key(ref, source, provider_id)
        except Exception as exc:  # noqa: BLE001 - handed to the awaiting coroutine, which raises it
            error = exc
        with contextlib.suppress(RuntimeError):  # the loop has closed: nobody waits any more
            loop.call_soon_threadsafe(deliver, value, error)

    threading.Thread(target=work, name=f"modeldesk-keyring-{provider_id}", daemon=True).start()
    return await future


def key_transport_warnings(providers: Iterable[Provider]) -> list[str]:
    """For the app and the CLI: one warning per provider that would send its API key over
    plain http to another machine (see :func:`modeldesk.core.urls.plain_http_key_warning`)."""
    out: list[str] = []
    for provider in providers:
        text = plain_http_key_warning(provider.id, provider.base_url, provider.api_key is not None)
        if text is not None:
            out.append(text)
    return out
