"""The HTTP client every provider call goes through (pool, TLS, proxies, simulation)."""

from __future__ import annotations

import functools
import ssl

import httpx

from ..proxies import transport_from_env
from ..simulate import FaultTransport, RoutingTransport, Simulation
from .connections import use_asyncio_connections

USER_AGENT = "modeldesk"
# Only encodings .bounded_body decodes itself, piece by piece under the size limits.
ACCEPT_ENCODING = "gzip, deflate"


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    """One TLS context for every client: building it loads the CA bundle (~50 ms)."""
    return httpx.create_ssl_context()


@functools.lru_cache(maxsize=64)
def request_timeout(connect_timeout_s: float, read_timeout_s: float | None = None) -> httpx.Timeout:
    """httpx's timeouts for a connect timeout: connecting, sending and waiting for a pooled
    connection each get that long; reading ``read_timeout_s`` (None for chat runs, whose
    first-token and idle timeouts the runner applies itself)."""
    return httpx.Timeout(
        connect=connect_timeout_s, read=read_timeout_s, write=connect_timeout_s, pool=connect_timeout_s
    )


def new_client(
    connect_timeout_s: float,
    read_timeout_s: float | None = None,
    *,
    simulation: Simulation | None = None,
    limits: httpx.Limits | None = None,
) -> httpx.AsyncClient:
    """An HTTP client for provider calls.

    ``read_timeout_s`` is ``None`` for chat runs, whose first-token and idle timeouts the
    runner applies itself. HTTP(S)_PROXY and NO_PROXY are honoured for remote hosts and
    never for loopback ones (:mod:`..proxies`); httpx's own ``trust_env`` stays off.
    Requests to the ``simulated`` provider are answered in-process; with a ``simulation``
    its faults are injected in front of everything (see :mod:`modeldesk.runtime.simulate`).
    ``limits`` sizes the direct connection pool (httpx's default: 100 connections), whose
    connections are asyncio's own and send each request in one write (:mod:`.connections`).
    """
    timeout = request_timeout(connect_timeout_s, read_timeout_s)
    network: httpx.AsyncBaseTransport | None = transport_from_env(_ssl_context())
    if network is None:
        direct = httpx.AsyncHTTPTransport(
            verify=_ssl_context(),
            trust_env=False,
            limits=limits or httpx.Limits(max_connections=100, max_keepalive_connections=20),
        )
        use_asyncio_connections(direct)
        network = direct
    transport: httpx.AsyncBaseTransport = RoutingTransport(network)
    if simulation is not None:
        transport = FaultTransport(transport, simulation)
    return httpx.AsyncClient(
        timeout=timeout,
        transport=transport,
        follow_redirects=False,
        trust_env=False,
        headers={"accept-encoding": ACCEPT_ENCODING},
    )
