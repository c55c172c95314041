"""The direct connections of the provider client: asyncio's own transports under httpcore,
each request sent in one write.

httpcore's default connections go through anyio: every read and write opens a cancel
scope, maps exceptions through a context manager and first yields a turn of the event
loop, and every look at an idle connection builds anyio's table of socket attributes. On
a fallback hop (two requests) that was ~200 us of CPU, more than the runner's own work.
Here a connection is an asyncio protocol with a buffer: a read that finds bytes returns
them at once, one that must wait awaits one future (under a timer only when httpcore
gives a timeout), and bytes received beyond :data:`READ_LIMIT` pause reading, so a flood
waits in the kernel, not in memory. httpcore writes a request's headers, body and end
apart, each a system call and, for the server, a wake-up of its own: here they wait in a
buffer and go out together at the request's end (or when the response is read, or the
buffer is large).
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import typing

import httpcore
import httpx
from httpcore._utils import is_socket_readable

# A request buffer this large goes out at once, without waiting for the request's end: a big body streams.
FLUSH_BYTES = 64 << 10
# Received bytes held unread before the socket stops being read (the kernel holds the rest).
READ_LIMIT = 256 << 10
# Before the next address of a host is tried alongside, as anyio (httpcore's default) waits.
HAPPY_EYEBALLS_DELAY_S = 0.25


class _Connection(asyncio.Protocol):
    """What the event loop delivers for one connection: the bytes not yet read, and whether
    it has ended (and how)."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.received = bytearray()
        self.ended = False  # the peer closed its side, or the connection was lost
        self.error: Exception | None = None  # why it was lost, when not by a clean close
        self.reading_paused = False
        self.writing_paused = False
        self.waiter: asyncio.Future[None] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = typing.cast("asyncio.Transport", transport)

    def data_received(self, data: bytes) -> None:
        self.received += data
        if len(self.received) > READ_LIMIT and not self.reading_paused and self.transport is not None:
            self.reading_paused = True
            self.transport.pause_reading()
        self._wake()

    def eof_received(self) -> bool:
        self.ended = True
        self._wake()
        return False  # the transport closes itself

    def connection_lost(self, exc: Exception | None) -> None:
        self.ended = True
        self.error = exc
        self._wake()

    def pause_writing(self) -> None:
        self.writing_paused = True

    def resume_writing(self) -> None:
        self.writing_paused = False
        self._wake()

    def _wake(self) -> None:
        waiter = self.waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def wait(self, timeout: float | None) -> None:  # noqa: ASYNC109 - httpcore's timeouts
        """Until the loop delivers something (bytes, the end, room to write); TimeoutError
        after ``timeout`` seconds (None: no limit)."""
        waiter = self.waiter = asyncio.get_running_loop().create_future()
        try:
            if timeout is None:
                await waiter
            else:
                async with asyncio.timeout(timeout):
                    await waiter
        finally:
            self.waiter = None


class AsyncioStream(httpcore.AsyncNetworkStream):
    """One connection for httpcore, over an asyncio transport (plain or TLS)."""

    def __init__(self, transport: asyncio.Transport, connection: _Connection) -> None:
        self._transport = transport
        self._connection = connection
        connection.transport = transport  # after start_tls: the TLS transport pauses reading
        self._pending = bytearray()
        self._write_timeout: float | None = None

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:  # noqa: ASYNC109 - httpcore's signature
        if self._pending:
            # As httpcore does when a write fails: the server may have answered (a 413) and
            # closed before reading everything, so its answer is still read.
            with contextlib.suppress(httpcore.WriteError):
                await self._flush()
        connection = self._connection
        while not connection.received:
            if connection.ended:
                if connection.error is not None:
                    raise httpcore.ReadError(str(connection.error) or type(connection.error).__name__) from (
                        connection.error
                    )
                return b""
            try:
                await connection.wait(timeout)
            except TimeoutError:
                raise httpcore.ReadTimeout(f"no bytes within {timeout:g} s") from None
        received = connection.received
        if len(received) <= max_bytes:
            data = bytes(received)
            received.clear()
        else:
            data = bytes(received[:max_bytes])
            del received[:max_bytes]
        if connection.reading_paused and len(received) <= READ_LIMIT // 2:
            connection.reading_paused = False
            self._transport.resume_reading()
        return data

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:  # noqa: ASYNC109 - httpcore's signature
        if not buffer:
            # httpcore's write of a request's end (empty when the body has a length): the
            # request goes out now, not at the read, so the server is woken while httpcore
            # still prepares to read.
            if self._pending:
                await self._flush()
            return
        self._pending += buffer
        self._write_timeout = timeout
        if len(self._pending) >= FLUSH_BYTES:
            await self._flush()

    async def _flush(self) -> None:
        data = bytes(self._pending)
        self._pending.clear()
        connection = self._connection
        if connection.ended or self._transport.is_closing():
            raise httpcore.WriteError("the connection is closed")
        self._transport.write(data)
        while connection.writing_paused and not connection.ended:
            try:
                await connection.wait(self._write_timeout)
            except TimeoutError:
                raise httpcore.WriteTimeout(f"could not send within {self._write_timeout:g} s") from None
        if connection.error is not None:
            raise httpcore.WriteError(str(connection.error) or type(connection.error).__name__) from connection.error

    async def aclose(self) -> None:
        # At once, as httpcore's anyio streams end theirs: nothing is left to send.
        self._pending.clear()
        self._transport.abort()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's signature
    ) -> httpcore.AsyncNetworkStream:
        if self._pending:
            await self._flush()
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(timeout):
                transport = await loop.start_tls(
                    self._transport, self._connection, ssl_context, server_hostname=server_hostname
                )
        except TimeoutError:
            self._transport.abort()
            raise httpcore.ConnectTimeout(f"no TLS handshake within {timeout:g} s") from None
        except OSError as exc:  # a certificate refused (ssl.SSLError is one), a reset
            self._transport.abort()
            raise httpcore.ConnectError(str(exc) or type(exc).__name__) from exc
        if transport is None:  # the connection closed during the handshake
            raise httpcore.ConnectError("the connection closed during the TLS handshake")
        return AsyncioStream(transport, self._connection)

    def get_extra_info(self, info: str) -> typing.Any:
        if info == "ssl_object":
            return self._transport.get_extra_info("ssl_object")
        if info == "client_addr":
            return self._transport.get_extra_info("sockname")
        if info == "server_addr":
            return self._transport.get_extra_info("peername")
        if info == "socket":
            return self._transport.get_extra_info("socket")
        if info == "is_readable":
            # An idle connection with anything to read has been closed (or broken) by the
            # server; the socket is asked too, for what the loop has not read yet.
            connection = self._connection
            return (
                bool(connection.received)
                or connection.ended
                or is_socket_readable(self._transport.get_extra_info("socket"))
            )
        return None


class AsyncioBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend, with :class:`AsyncioStream` connections."""

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's signature
        local_address: str | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        loop = asyncio.get_running_loop()
        local = None if local_address is None else (local_address, 0)
        # asyncio's loops (and qasync's, built on them) race a host's addresses; uvloop (the
        # gateway's) has no such setting and tries them in turn.
        if isinstance(loop, asyncio.BaseEventLoop):
            connecting = loop.create_connection(
                _Connection, host, port, local_addr=local, happy_eyeballs_delay=HAPPY_EYEBALLS_DELAY_S
            )
        else:
            connecting = loop.create_connection(_Connection, host, port, local_addr=local)
        return await _connected(connecting, timeout, socket_options)

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's signature
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        loop = asyncio.get_running_loop()
        return await _connected(loop.create_unix_connection(_Connection, path), timeout, socket_options)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


async def _connected(
    connecting: typing.Awaitable[tuple[asyncio.BaseTransport, _Connection]],
    timeout: float | None,  # noqa: ASYNC109 - httpcore's timeouts
    socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None,
) -> AsyncioStream:
    """The stream of a connection being made, its errors in httpcore's terms (the OS error
    kept as the cause: the message names it)."""
    try:
        async with asyncio.timeout(timeout):
            made, connection = await connecting
    except TimeoutError:
        raise httpcore.ConnectTimeout(f"no connection within {timeout:g} s") from None
    except OSError as exc:
        raise httpcore.ConnectError(str(exc) or type(exc).__name__) from exc
    transport = typing.cast("asyncio.Transport", made)
    try:
        for option in socket_options or ():  # TCP_NODELAY is asyncio's default already
            transport.get_extra_info("socket").setsockopt(*option)
    except OSError as exc:
        transport.abort()
        raise httpcore.ConnectError(str(exc) or type(exc).__name__) from exc
    return AsyncioStream(transport, connection)


def use_asyncio_connections(transport: httpx.AsyncHTTPTransport) -> None:
    """Have ``transport``'s pool make :class:`AsyncioStream` connections. httpx offers no
    setting for httpcore's network backend, so it is replaced in place; should either
    library change its insides, the transport is left as it is (anyio's connections, each
    request in several writes, as before)."""
    pool = getattr(transport, "_pool", None)
    backend = getattr(pool, "_network_backend", None)
    if isinstance(pool, httpcore.AsyncConnectionPool) and isinstance(backend, httpcore.AsyncNetworkBackend):
        pool._network_backend = AsyncioBackend()
