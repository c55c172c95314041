"""Provider URLs: what a ``base_url`` may hold, and when a key sent to it would travel in
clear text.

* A ``base_url`` never holds credentials (``http://user:KEY@host``): the URL is saved in the
  config file and shown on screen, so the key would be too. Keys belong in an environment
  variable or the OS keyring, named by the provider's ``api_key``.
* The port, when given, is a number from 1 to 65535 (``config validate`` catches 99999
  instead of the first request failing).
* A key sent over plain ``http://`` to a host other than this machine can be read by anyone
  on the way: :func:`plain_http_key_warning` says so (a warning, not an error: a server on
  the local network may be what the user wants).
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

WHERE_KEYS_BELONG = (
    "put the key in an environment variable or the OS keyring and name it in the provider's api_key "
    '({"env": "VARIABLE"} or {"keyring": "entry"})'
)


def check_base_url(value: str) -> str:
    """``value`` cleaned (spaces and trailing slashes removed), or ValueError saying what is
    wrong with it. The message never repeats the URL: it may hold a key."""
    value = value.strip()
    if not value.startswith(("http://", "https://")):
        raise ValueError("base_url must start with http:// or https://")
    if has_credentials(value):
        raise ValueError(
            "base_url must not hold a user name or key (user:KEY@host, or ?key=...): it would be saved in the "
            "config file; " + WHERE_KEYS_BELONG
        )
    parts = urlsplit(value)
    if not parts.hostname:
        raise ValueError("base_url has no host name")
    try:
        port = parts.port
    except ValueError:
        raise ValueError("base_url has a port that is not a number from 1 to 65535") from None
    if port == 0:
        raise ValueError("base_url has a port that is not a number from 1 to 65535")
    return value.rstrip("/")


def is_loopback(host: str) -> bool:
    """True for this machine: ``localhost`` (and names under it), 127.0.0.0/8, ::1."""
    host = host.strip("[]").rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def plain_http_key_warning(provider_id: str, base_url: str, sends_key: bool) -> str | None:
    """A warning when a key would go over plain http to another machine, else None."""
    if not sends_key:
        return None
    parts = urlsplit(base_url)
    if parts.scheme != "http" or is_loopback(parts.hostname or ""):
        return None
    return (
        f"provider '{provider_id}' sends its API key over plain http to {parts.hostname}: anyone on the network "
        "path can read it; use https:// (plain http is safe only to this machine)"
    )


# Query parameters that carry a key (`?key=` is how some providers take theirs).
_KEY_PARAMETERS = frozenset({"key", "api_key", "apikey", "api-key", "token", "access_token", "auth", "password"})


def has_credentials(url: object) -> bool:
    """True when ``url`` is text holding credentials: a user name or password before the
    host (``user:KEY@host``; any ``@`` before the query counts, since a key may itself
    contain ``/``), or a key parameter in the query (``?key=...``)."""
    if not isinstance(url, str):
        return False
    text = url.strip()
    before_query = text.split("#", 1)[0].split("?", 1)[0]
    if "@" in before_query.split("://", 1)[-1]:
        return True
    try:
        query = urlsplit(text).query
    except ValueError:
        return False
    names = {pair.split("=", 1)[0].strip().lower() for pair in query.split("&") if pair}
    return not names.isdisjoint(_KEY_PARAMETERS)
