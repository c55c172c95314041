"""A small Redis client that trusts nothing the server sends (shared cooldowns only).

A shared Redis is another party: it may be slow, down, or not Redis at all. So every call
here has one deadline for the whole exchange (connect, send, every byte of the reply), and
every reply is read within bounds (line length, bulk size, element count, nesting, total
bytes) and must be what RESP2 allows; anything else is a :class:`RedisFault`, never a hang,
a huge buffer or another exception. Only the commands the cooldown store needs are used
(AUTH, SELECT, HGETALL, HDEL, EVAL), and no command walks the keyspace.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from modeldesk.core.redaction import redact
from modeldesk.core.text import one_line

# Bounds on one reply: far above what the cooldown store reads (one hash per config
# scope), far below what would hurt the process.
MAX_LINE_BYTES = 4096
MAX_BULK_BYTES = 1 << 20
MAX_REPLY_BYTES = 8 << 20
MAX_ELEMENTS = 100_000
MAX_DEPTH = 3

Reply = str | int | None | list["Reply"]


class RedisFault(Exception):
    """Redis could not be used: unreachable, too slow, or it answered something unexpected."""


@dataclass(frozen=True)
class RedisTarget:
    host: str
    port: int
    db: int
    username: str | None
    password: str | None
    tls: bool

    @classmethod
    def from_url(cls, url: str) -> RedisTarget:
        """``redis://[[user]:password@]host[:port][/db]`` (``rediss://`` for TLS)."""
        try:
            parts = urlsplit(url)
            port = parts.port or 6379
        except ValueError as exc:
            raise RedisFault(f"not a Redis URL ({exc})") from None
        if parts.scheme not in ("redis", "rediss") or not parts.hostname:
            raise RedisFault("not a Redis URL (redis://host:port/db)")
        path = parts.path.strip("/") or "0"
        if not path.isdigit() or len(path) > 6:
            raise RedisFault(f"the database in a Redis URL is a number, not '{one_line(path)[:20]}'")
        return cls(
            parts.hostname,
            port,
            int(path),
            unquote(parts.username) if parts.username else None,
            unquote(parts.password) if parts.password else None,
            parts.scheme == "rediss",
        )


class BoundedRedis:
    """Calls to one Redis server. Each call opens its own connection and closes it: a
    cooldown store makes a few calls per run, and no socket outlives its call (none is
    left open by a tracker that is simply dropped, none goes stale between runs)."""

    def __init__(self, url: str, *, timeout_s: float, password: str | None = None) -> None:
        self.target = RedisTarget.from_url(url)
        self.timeout_s = timeout_s
        self._password = password if password is not None else self.target.password
        self._sock: socket.socket | None = None
        self._buffer = bytearray()
        self._deadline = 0.0
        self._read = 0

    def close(self) -> None:
        if self._sock is not None:
            with contextlib.suppress(OSError):
                self._sock.close()
        self._sock = None
        self._buffer.clear()

    def call(self, *args: str | bytes | int | float) -> Reply:
        """Send one command and return its reply, all within ``timeout_s``."""
        self._deadline = time.monotonic() + self.timeout_s
        try:
            self._connect()
            return self._exchange(args)
        except (OSError, ssl.SSLError) as exc:
            if isinstance(exc, TimeoutError | socket.timeout):
                raise RedisFault(f"no answer within {self.timeout_s:g} s") from None
            raise RedisFault(exc.strerror or type(exc).__name__) from None
        finally:
            self.close()

    # -- the connection -------------------------------------------------------------------

    def _connect(self) -> None:
        target = self.target
        sock = socket.create_connection((target.host, target.port), timeout=self._remaining())
        if target.tls:
            sock = ssl.create_default_context().wrap_socket(sock, server_hostname=target.host)
        self._sock = sock
        self._buffer.clear()
        if self._password is not None:
            auth = ("AUTH", target.username, self._password) if target.username else ("AUTH", self._password)
            self._expect_ok(self._exchange(auth), "AUTH")
        if target.db:
            self._expect_ok(self._exchange(("SELECT", target.db)), "SELECT")

    @staticmethod
    def _expect_ok(reply: Reply, command: str) -> None:
        if reply != "OK":
            raise RedisFault(f"unexpected answer to {command}")

    def _remaining(self) -> float:
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise RedisFault(f"no answer within {self.timeout_s:g} s")
        return left

    def _exchange(self, args: tuple[str | bytes | int | float | None, ...]) -> Reply:
        assert self._sock is not None
        parts = [a if isinstance(a, bytes) else str(a).encode("utf-8") for a in args if a is not None]
        message = b"*%d\r\n" % len(parts) + b"".join(b"$%d\r\n%s\r\n" % (len(p), p) for p in parts)
        self._sock.settimeout(self._remaining())
        self._sock.sendall(message)
        self._read = 0
        return self._reply(0)

    # -- reading a reply within bounds ------------------------------------------------------

    def _fill(self) -> None:
        assert self._sock is not None
        self._sock.settimeout(self._remaining())
        data = self._sock.recv(65536)
        if not data:
            raise RedisFault("the server closed the connection")
        self._read += len(data)
        if self._read > MAX_REPLY_BYTES + MAX_LINE_BYTES:
            raise RedisFault(f"reply larger than {MAX_REPLY_BYTES >> 20} MiB")
        self._buffer += data

    def _line(self) -> bytes:
        while True:
            end = self._buffer.find(b"\r\n")
            if end >= 0:
                line = bytes(self._buffer[:end])
                del self._buffer[: end + 2]
                return line
            if len(self._buffer) > MAX_LINE_BYTES:
                raise RedisFault("reply line too long")
            self._fill()

    def _exact(self, size: int) -> bytes:
        while len(self._buffer) < size + 2:
            self._fill()
        if self._buffer[size : size + 2] != b"\r\n":
            raise RedisFault("malformed reply (bulk string without its end)")
        data = bytes(self._buffer[:size])
        del self._buffer[: size + 2]
        return data

    def _reply(self, depth: int) -> Reply:
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return _text(rest)
        if kind == b"-":
            # Redacted before it is cut: a server may echo the AUTH password in its error.
            said = one_line(redact(rest.decode("utf-8", "replace")))
            raise RedisFault(f"the server answered: {said[:120]}")
        if kind == b":":
            return _number(rest)
        if kind == b"$":
            size = _number(rest)
            if size == -1:
                return None
            if not 0 <= size <= MAX_BULK_BYTES:
                raise RedisFault(f"reply string of {size} bytes (limit {MAX_BULK_BYTES})")
            return _text(self._exact(size))
        if kind == b"*":
            count = _number(rest)
            if count == -1:
                return None
            if not 0 <= count <= MAX_ELEMENTS:
                raise RedisFault(f"reply of {count} elements (limit {MAX_ELEMENTS})")
            if depth >= MAX_DEPTH:
                raise RedisFault("reply nested too deeply")
            return [self._reply(depth + 1) for _ in range(count)]
        raise RedisFault("not a Redis reply (a RESP2 type was expected)")


def _text(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise RedisFault("reply is not UTF-8 text") from None


def _number(data: bytes) -> int:
    if not 1 <= len(data) <= 20 or not data.lstrip(b"-").isdigit():
        raise RedisFault("malformed number in reply")
    return int(data)
