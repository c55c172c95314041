"""Where provider keys come from at run time.

The config only names a secret (``{"env": "OPENAI_API_KEY"}`` or ``{"keyring": "openai"}``);
the value is read here, just before a request, and handed to the provider. It is never
stored, printed or logged; errors name the variable or entry, never the value.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
from collections.abc import Iterable
from typing import Protocol

from modeldesk.core.schema import ApiKeyRef, Provider
from modeldesk.core.urls import plain_http_key_warning

from .errors import ProviderError

KEYRING_SERVICE = "modeldesk"


class SecretSource(Protocol):
    """Looks up the value behind an :class:`ApiKeyRef`: ``None`` when it is not set, a
    :class:`ProviderError` of class ``auth`` when the store cannot be read."""

    def get(self, ref: ApiKeyRef) -> str | None: ...


class EnvKeyringSecrets:
    """The default source: the environment, then the OS keyring (service ``modeldesk``)."""

    def get(self, ref: ApiKeyRef) -> str | None:
        if ref.env is not None:
            return os.environ.get(ref.env) or None
        import keyring  # imported late: backends can be slow to load and are rarely needed
        from keyring.errors import KeyringError

        try:
            return keyring.get_password(KEYRING_SERVICE, ref.keyring or "") or None
        except (KeyringError, RuntimeError, OSError) as exc:
            # A locked or broken keyring (no D-Bus session, a crashed backend) must end in
            # an attempt error naming the entry, not in a crash of the run.
            raise ProviderError.make(
                "auth", f"cannot read keyring entry '{ref.keyring}' ({type(exc).__name__})"
            ) from None


class StaticSecrets:
    """A fixed mapping, for tests and embedding: ``{"env:NAME": value, "keyring:entry": value}``."""

    def __init__(self, values: dict[str, str]) -> None:
        self._values = dict(values)

    def get(self, ref: ApiKeyRef) -> str | None:
        key = f"env:{ref.env}" if ref.env is not None else f"keyring:{ref.keyring}"
        return self._values.get(key)


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


# --- keeping keys out of text ---------------------------------------------------------

# Derived forms shorter than this are not redacted: a few characters of base64 would match
# ordinary words and say nothing about the key.
_MIN_FORM_CHARS = 6


def secret_forms(secret: str) -> tuple[list[str], list[str]]:
    """The ways a key commonly shows up in text a server sends back or a library logs:
    (forms matched in any case, forms matched exactly).

    Any case: the key itself (a server quoting it upper-cased), and its URL-encodings.
    Exactly: base64 of the key (standard and URL-safe alphabets) and of ``user:key`` as in
    HTTP Basic auth. The user name is unknown, so for each of the three ways the key can
    fall across base64's 3-byte groups the characters that depend only on the key are
    taken (the encoding's first and last few characters, which mix in the neighbours, are
    left; they cannot give the key back).
    """
    from base64 import b64encode, urlsafe_b64encode
    from urllib.parse import quote, quote_plus

    any_case = {secret, quote(secret, safe=""), quote_plus(secret)}
    raw = secret.encode("utf-8")
    exact: set[str] = set()
    for encode in (b64encode, urlsafe_b64encode):
        exact.add(encode(raw).decode("ascii"))
        for offset in (0, 1, 2):
            # `offset` bytes of something else before the key (the end of "user:"), and
            # maybe more after it: keep the 4-character groups made of key bytes only.
            text = encode(b"\0" * offset + raw).decode("ascii")
            whole_groups = (offset + len(raw)) // 3
            exact.add(text[4 if offset else 0 : 4 * whole_groups])
    exact = {form for form in exact if len(form) >= _MIN_FORM_CHARS} - any_case
    return sorted(any_case - {""}, key=len, reverse=True), sorted(exact, key=len, reverse=True)


def redact_secrets(text: str, secrets: tuple[str, ...] | list[str]) -> str:
    """``text`` with every secret, and the common encodings of it, replaced by ``***``."""
    import re

    for secret in secrets:
        if not secret:
            continue
        any_case, exact = secret_forms(secret)
        for form in any_case:
            text = re.sub(re.escape(form), "***", text, flags=re.IGNORECASE)
        for form in exact:
            text = text.replace(form, "***")
    return text


def key_transport_warnings(providers: Iterable[Provider]) -> list[str]:
    """For the app and the CLI: one warning per provider that would send its API key over
    plain http to another machine (see :func:`modeldesk.core.urls.plain_http_key_warning`)."""
    out: list[str] = []
    for provider in providers:
        text = plain_http_key_warning(provider.id, provider.base_url, provider.api_key is not None)
        if text is not None:
            out.append(text)
    return out
