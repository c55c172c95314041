"""A request in one write: httpcore writes a request's headers, its body and its end apart,
each a system call and, for the server, a wake-up of its own. Here the writes wait in a
buffer until the response is read (or the buffer is large), then go out together.
"""

from __future__ import annotations

import contextlib
import ssl
import typing

import httpcore
import httpx

# A buffer this large goes out at once, without waiting for the read: a big body streams.
FLUSH_BYTES = 64 << 10


class OneWriteStream(httpcore.AsyncNetworkStream):
    """A connection whose writes go out together when the response is read."""

    def __init__(self, stream: httpcore.AsyncNetworkStream) -> None:
        self._stream = stream
        self._pending = bytearray()
        self._write_timeout: float | None = None

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:  # noqa: ASYNC109 - httpcore's signature
        if not buffer:
            return
        self._pending += buffer
        self._write_timeout = timeout
        if len(self._pending) >= FLUSH_BYTES:
            await self._flush()

    async def _flush(self) -> None:
        data = bytes(self._pending)
        self._pending.clear()
        await self._stream.write(data, self._write_timeout)

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:  # noqa: ASYNC109 - httpcore's signature
        if self._pending:
            # As httpcore does when a write fails: the server may have answered (a 413) and
            # closed before reading everything, so its answer is still read.
            with contextlib.suppress(httpcore.WriteError):
                await self._flush()
        return await self._stream.read(max_bytes, timeout)

    async def aclose(self) -> None:
        self._pending.clear()
        await self._stream.aclose()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's signature
    ) -> httpcore.AsyncNetworkStream:
        if self._pending:
            await self._flush()
        return OneWriteStream(await self._stream.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> typing.Any:
        return self._stream.get_extra_info(info)


class OneWriteBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend with its connections wrapped in :class:`OneWriteStream`."""

    def __init__(self, backend: httpcore.AsyncNetworkBackend) -> None:
        self._backend = backend

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's signature
        local_address: str | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        return OneWriteStream(await self._backend.connect_tcp(host, port, timeout, local_address, socket_options))

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's signature
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        return OneWriteStream(await self._backend.connect_unix_socket(path, timeout, socket_options))

    async def sleep(self, seconds: float) -> None:
        await self._backend.sleep(seconds)


def send_requests_in_one_write(transport: httpx.AsyncHTTPTransport) -> None:
    """Have ``transport``'s connections send each request in one write. httpx offers no
    setting for httpcore's network backend, so it is wrapped in place; should either
    library change its insides, the transport is left as it is (each request is then sent
    in several writes, as before)."""
    pool = getattr(transport, "_pool", None)
    backend = getattr(pool, "_network_backend", None)
    if isinstance(pool, httpcore.AsyncConnectionPool) and isinstance(backend, httpcore.AsyncNetworkBackend):
        pool._network_backend = OneWriteBackend(backend)
