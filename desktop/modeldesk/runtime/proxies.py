"""Proxies for provider calls: HTTP(S)_PROXY / ALL_PROXY and NO_PROXY from the environment
are honoured for remote hosts, and never for this machine.

httpx's own ``trust_env`` would also send a request for 127.0.0.1 through a corporate proxy
when NO_PROXY forgets it, which breaks every local model server; so the choice is made here,
per request: loopback hosts (127.0.0.0/8, ::1, localhost) and the hosts NO_PROXY names go
direct, everything else through the proxy for its scheme.
"""

from __future__ import annotations

import ipaddress
import os
import ssl
from collections.abc import Mapping
from urllib.parse import urlsplit

import httpx

from modeldesk.core.text import one_line
from modeldesk.core.urls import is_loopback

# Proxy schemes httpx can use here. SOCKS needs the optional 'socksio' package.
_SCHEMES = ("http", "https")


def proxy_settings(environ: Mapping[str, str] | None = None) -> tuple[dict[str, str], list[str]]:
    """(scheme -> proxy URL, NO_PROXY entries) from the environment; lower case wins, as curl does."""
    env = os.environ if environ is None else environ

    def get(name: str) -> str:
        return (env.get(name.lower()) or env.get(name.upper()) or "").strip()

    every = get("all_proxy")
    proxies = {scheme: url for scheme in ("http", "https") if (url := get(f"{scheme}_proxy") or every)}
    no_proxy = [entry.strip().lower() for entry in get("no_proxy").split(",") if entry.strip()]
    return proxies, no_proxy


def bypasses(host: str, no_proxy: list[str]) -> bool:
    """Whether ``host`` goes direct: loopback, or named by NO_PROXY (a domain covers its
    subdomains, ``*`` covers everything, an address or network matches addresses)."""
    host = host.strip("[]").lower()
    if is_loopback(host):
        return True
    for entry in no_proxy:
        if entry == "*":
            return True
        domain = entry.lstrip("*").lstrip(".")
        if domain.count(":") == 1:  # host:port — the port is not checked
            domain = domain.split(":", 1)[0]
        if host == domain or host.endswith("." + domain):
            return True
        try:
            if ipaddress.ip_address(host) in ipaddress.ip_network(domain, strict=False):
                return True
        except ValueError:
            continue
    return False


def proxy_url(scheme: str, value: str) -> str:
    """The usable proxy URL for a ``<scheme>_proxy`` value, or :class:`ValueError` saying
    in the user's words why it cannot be used. A value without a scheme
    (``proxy.corp:3128``) means an HTTP proxy, as curl reads it."""
    text = value if "://" in value else f"http://{value}"
    shown = _shown(value)
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 (checks the port)
    except ValueError:
        raise ValueError(f"the proxy setting {scheme}_proxy={shown} is not a URL (http://host:port)") from None
    if parts.scheme.lower() not in _SCHEMES:
        kind = "SOCKS" if parts.scheme.lower().startswith("socks") else f"'{one_line(parts.scheme)[:20]}'"
        raise ValueError(
            f"the proxy setting {scheme}_proxy={shown} names a {kind} proxy, which ModelDesk cannot use; "
            "give an HTTP proxy (http://host:port) or unset the variable"
        )
    if not parts.hostname:
        raise ValueError(f"the proxy setting {scheme}_proxy={shown} names no host (http://host:port)")
    return text


def _shown(value: str) -> str:
    """A proxy setting for a message: on one line, without a password."""
    text = one_line(value)
    if "@" in text:  # masked before it is cut: a cut could leave the password's start
        scheme, sep, rest = text.rpartition("://")
        text = f"{scheme}{sep}***@{rest.rsplit('@', 1)[1]}"
    return repr(text[:200])


class _Refused(httpx.AsyncBaseTransport):
    """Where a request to a remote host would go through a proxy setting that cannot be
    used: it fails with the reason (and loopback hosts never come here)."""

    def __init__(self, reason: str) -> None:
        self.reason = reason

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        raise httpx.ProxyError(self.reason, request=request)


class ProxyRouting(httpx.AsyncBaseTransport):
    """Sends each request direct or through the proxy for its scheme (see module doc)."""

    def __init__(self, proxies: dict[str, str], no_proxy: list[str], verify: ssl.SSLContext) -> None:
        self._direct = httpx.AsyncHTTPTransport(verify=verify)
        self._proxied: dict[str, httpx.AsyncBaseTransport] = {}
        for scheme, value in proxies.items():
            try:
                self._proxied[scheme] = httpx.AsyncHTTPTransport(proxy=proxy_url(scheme, value), verify=verify)
            except (ValueError, ImportError) as exc:
                self._proxied[scheme] = _Refused(str(exc))
        self._no_proxy = no_proxy

    def transport_for(self, url: httpx.URL) -> httpx.AsyncBaseTransport:
        proxied = self._proxied.get(url.scheme)
        if proxied is None or bypasses(url.host, self._no_proxy):
            return self._direct
        return proxied

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await self.transport_for(request.url).handle_async_request(request)

    async def aclose(self) -> None:
        await self._direct.aclose()
        for transport in self._proxied.values():
            await transport.aclose()


def transport_from_env(verify: ssl.SSLContext) -> ProxyRouting | None:
    """A routing transport when the environment names a proxy, else None (plain direct)."""
    proxies, no_proxy = proxy_settings()
    return ProxyRouting(proxies, no_proxy, verify) if proxies else None
