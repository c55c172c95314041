"""A hostile stand-in for Redis on 127.0.0.1: it reads real RESP commands and answers
each with whatever its ``answer`` function returns (any bytes, or a behaviour such as
silence or a trickle), so tests can play a server that is slow, broken or not Redis."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

SILENCE = b"__silence__"  # read the command, never answer
TRICKLE = b"__trickle__"  # answer a byte at a time, forever


@dataclass
class FakeRedis:
    answer: Callable[[list[str]], bytes]
    commands: list[list[str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._server = socket.create_server(("127.0.0.1", 0))
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self._server.getsockname()[1]}/0"

    def names(self) -> list[str]:
        return [c[0].upper() for c in self.commands if c]

    def close(self) -> None:
        self._stop.set()
        with contextlib.suppress(OSError):
            self._server.close()
        self._thread.join(timeout=5)

    def _serve(self) -> None:
        self._server.settimeout(0.05)
        while not self._stop.is_set():
            try:
                conn, _ = self._server.accept()
            except OSError:
                continue
            threading.Thread(target=self._talk, args=(conn,), daemon=True).start()

    def _talk(self, conn: socket.socket) -> None:
        reader = conn.makefile("rb")
        with conn, reader:
            while not self._stop.is_set():
                try:
                    command = _read_command(reader)
                except (OSError, ValueError):
                    return
                if command is None:
                    return
                self.commands.append(command)
                reply = self.answer(command)
                try:
                    if reply == SILENCE:
                        self._stop.wait(30)
                        return
                    if reply == TRICKLE:
                        while not self._stop.wait(0.05):
                            conn.sendall(b"$")
                        return
                    conn.sendall(reply)
                except OSError:
                    return


def _read_command(reader: BinaryIO) -> list[str] | None:
    line = reader.readline()
    if not line:
        return None
    count = int(line[1:])
    parts = []
    for _ in range(count):
        size = int(reader.readline()[1:])
        parts.append(reader.read(size + 2)[:-2].decode("utf-8", "replace"))
    return parts


@contextlib.contextmanager
def fake_redis(answer: Callable[[list[str]], bytes]) -> Iterator[FakeRedis]:
    server = FakeRedis(answer)
    try:
        yield server
    finally:
        server.close()
