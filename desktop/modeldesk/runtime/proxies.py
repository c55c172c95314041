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

import httpx


def proxy_settings(environ: Mapping[str, str] | None = None) -> tuple[dict[str, str], list[str]]:
    """(scheme -> proxy URL, NO_PROXY entries) from the environment; lower case wins, as curl does."""
    env = os.environ if environ is None else environ

    def get(name: str) -> str:
        return (env.get(name.lower()) or env.get(name.upper()) or "").strip()

    every = get("all_proxy")
    proxies = {scheme: url for scheme in ("http", "https") if (url := get(f"{scheme}_proxy") or every)}
    no_proxy = [entry.strip().lower() for entry in get("no_proxy").split(",") if entry.strip()]
    return proxies, no_proxy


def is_loopback(host: str) -> bool:
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


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


class ProxyRouting(httpx.AsyncBaseTransport):
    """Sends each request direct or through the proxy for its scheme (see module doc)."""

    def __init__(self, proxies: dict[str, str], no_proxy: list[str], verify: ssl.SSLContext) -> None:
        self._direct = httpx.AsyncHTTPTransport(verify=verify)
        self._proxied = {scheme: httpx.AsyncHTTPTransport(proxy=url, verify=verify) for scheme, url in proxies.items()}
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
