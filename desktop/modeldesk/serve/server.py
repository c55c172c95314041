"""Running the gateway: uvicorn (with uvloop and httptools when installed) on a socket we
bind ourselves, the ready line, the status file, and a clean stop on SIGINT/SIGTERM.

:func:`serve` is what `modeldesk serve` runs; :class:`BackgroundGateway` runs the same
thing on a thread (tests, embedding), on an OS-chosen port.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import logging
import signal
import socket
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import uvicorn

from modeldesk.core.history import HistoryStore
from modeldesk.core.urls import is_loopback  # one definition of "this machine"
from modeldesk.runtime import serve_status
from modeldesk.runtime.secrets import SecretSource

from .app import MAX_HEADER_BYTES, GatewayApp
from .gateway import Gateway
from .live_config import LiveConfig

log = logging.getLogger(__name__)

DEFAULT_HOST = serve_status.DEFAULT_HOST
# Open streams get this long to end (with an error event) once the gateway stops.
STOP_GRACE_S = 5


class ServeError(Exception):
    """The gateway cannot start (the message says why, in the user's words)."""


def read_token(path: Path) -> str:
    try:
        token = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise ServeError(f"cannot read the token file {path}: {getattr(exc, 'strerror', None) or exc}") from None
    if not token:
        raise ServeError(f"the token file {path} is empty; put the token clients must send in it")
    if any(ord(c) < 33 or ord(c) > 126 for c in token):
        raise ServeError(f"the token in {path} must be one word of printable ASCII characters")
    return token


def check_bind(host: str, token: str | None) -> None:
    if not is_loopback(host) and token is None:
        raise ServeError(
            f"refusing to serve on {host} without a token: other machines could use your providers' keys. "
            "Give --token-file PATH (a file holding the token clients must send), or serve on 127.0.0.1."
        )


def bind_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host.strip("[]") else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host.strip("[]"), port))
    except OSError as exc:
        sock.close()
        raise ServeError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    sock.listen(2048)
    sock.setblocking(False)
    return sock


def url_of(host: str, port: int) -> str:
    shown = f"[{host.strip('[]')}]" if ":" in host.strip("[]") else host
    return f"http://{shown}:{port}"


class _CorkedTransport:
    """A transport that holds a response's status line and headers until its first body
    bytes, which leave with them in one write: the client wakes once per response (or per
    burst of stream events) instead of once per piece. Body bytes go out at once: waiting
    for the loop's next turn to gather them let a busy run parse its whole burst first (a
    streamed answer's first token reached the client ~0.3 ms late). Headers with no body
    after them (HEAD, 100 Continue) leave on the loop's next turn."""

    def __init__(self, transport: Any, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._pending: list[bytes] = []

    def write(self, data: bytes) -> None:
        if data.startswith(b"HTTP/"):  # uvicorn writes a status line and headers in one piece
            if not self._pending:
                self._loop.call_soon(self._flush)
            self._pending.append(data)
        elif self._pending:
            self._pending.append(data)
            self._flush()
        elif not self._transport.is_closing():
            self._transport.write(data)

    def _flush(self) -> None:
        if self._pending:
            data = b"".join(self._pending)
            self._pending.clear()
            if not self._transport.is_closing():
                self._transport.write(data)

    def close(self) -> None:
        self._flush()
        self._transport.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


def _corked_protocol() -> type[asyncio.Protocol] | str:
    """uvicorn's httptools protocol writing through :class:`_CorkedTransport` (h11 when
    httptools is not installed)."""
    if importlib.util.find_spec("httptools") is None:
        return "h11"
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    class CorkedHttpToolsProtocol(HttpToolsProtocol):
        def connection_made(self, transport: Any) -> None:  # uvloop's transports are not asyncio's classes
            sock = transport.get_extra_info("socket")
            if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
                with contextlib.suppress(OSError):  # small writes must not wait for an ACK
                    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            super().connection_made(_CorkedTransport(transport, self.loop))  # type: ignore[arg-type]

    return CorkedHttpToolsProtocol


class _Server(uvicorn.Server):
    """uvicorn's server without its own signal handling: the caller decides how to stop."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def _uvicorn_config(app: GatewayApp) -> uvicorn.Config:
    fast_loop = importlib.util.find_spec("uvloop") is not None and sys.platform != "win32"
    return uvicorn.Config(
        app,
        loop="uvloop" if fast_loop else "asyncio",
        http=_corked_protocol(),
        lifespan="off",
        log_config=None,
        access_log=False,
        server_header=False,
        proxy_headers=False,
        timeout_keep_alive=30,
        timeout_graceful_shutdown=STOP_GRACE_S,
        h11_max_incomplete_event_size=MAX_HEADER_BYTES,
        backlog=2048,
    )


def _quiet_run_events() -> None:
    """The runner logs every step of every run; a gateway serving many requests logs one
    line per request instead (:mod:`.gateway`), which keeps the log readable and the file
    handler off the hot path."""
    logging.getLogger("modeldesk.run").setLevel(logging.WARNING)


async def run_gateway(
    config_path: Path,
    sock: socket.socket,
    host: str,
    *,
    token: str | None,
    on_ready: Callable[[str], None],
    stop: asyncio.Event,
    history: HistoryStore | None = None,
    secrets: SecretSource | None = None,
    write_status: bool = True,
) -> None:
    """Serve until ``stop`` is set; ``on_ready(url)`` once it accepts requests."""
    live = LiveConfig(config_path)
    live.load_now()
    gateway = Gateway(live, history=history, secrets=secrets)
    app = GatewayApp(gateway, token)
    server = _Server(_uvicorn_config(app))
    port = int(sock.getsockname()[1])
    url = url_of(host, port)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            if task.done():
                await task
                raise ServeError("the server stopped while starting")
            await asyncio.sleep(0.005)
        if write_status:
            serve_status.write_status(config_path, url=url, host=host, port=port)
        on_ready(url)
        stopped = asyncio.create_task(stop.wait())
        await asyncio.wait({task, stopped}, return_when=asyncio.FIRST_COMPLETED)
        stopped.cancel()
        gateway.stop_open_exchanges()
        server.should_exit = True
        await task
    finally:
        if not task.done():
            server.should_exit = server.force_exit = True
            with contextlib.suppress(Exception):
                await task
        if write_status:
            serve_status.remove_status(config_path)
        await gateway.close()


def serve(config_path: Path, host: str, port: int, token_file: Path | None) -> int:
    """`modeldesk serve`: runs until SIGINT or SIGTERM, then exits 0."""
    token = read_token(token_file) if token_file is not None else None
    check_bind(host, token)
    _quiet_run_events()  # this process only serves: an embedding program keeps its own logging
    sock = bind_socket(host, port)

    def ready(url: str) -> None:
        print(f"ModelDesk gateway ready at {url} (config {config_path}); stop with Ctrl+C", flush=True)

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()

        def on_signal(signum: int, frame: object) -> None:
            loop.call_soon_threadsafe(stop.set)

        # Plain handlers rather than the loop's: they also replace an ignored SIGINT (a
        # gateway started in the background of a script inherits one), so both signals
        # always stop it cleanly.
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, on_signal)
        await run_gateway(config_path, sock, host, token=token, on_ready=ready, stop=stop)

    _run(main())
    return 0


def _run(coro: Any) -> None:
    try:
        import uvloop
    except ImportError:
        asyncio.run(coro)
        return
    uvloop.run(coro)


class BackgroundGateway:
    """The gateway on its own thread and event loop, on an OS-chosen port of 127.0.0.1
    (or ``host``). ``url`` is set once it is ready; :meth:`stop` ends it cleanly."""

    def __init__(
        self,
        config_path: Path,
        *,
        host: str = DEFAULT_HOST,
        token: str | None = None,
        history: HistoryStore | None = None,
        secrets: SecretSource | None = None,
    ) -> None:
        self.config_path = config_path
        self.host = host
        self.token = token
        self.history = history
        self.secrets = secrets
        self.url = ""
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    def start(self, timeout: float = 10.0) -> BackgroundGateway:
        check_bind(self.host, self.token)
        sock = bind_socket(self.host, 0)

        async def main() -> None:
            self._loop = asyncio.get_running_loop()
            self._stop = asyncio.Event()

            def ready(url: str) -> None:
                self.url = url
                self._ready.set()

            await run_gateway(
                self.config_path,
                sock,
                self.host,
                token=self.token,
                on_ready=ready,
                stop=self._stop,
                history=self.history,
                secrets=self.secrets,
                write_status=False,
            )

        def target() -> None:
            try:
                _run(main())
            except BaseException as exc:  # noqa: BLE001 - reported by start()
                self._error = exc
                self._ready.set()

        self._thread = threading.Thread(target=target, name="modeldesk-gateway", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout) or self._error is not None:
            raise ServeError(f"the gateway did not start: {self._error}")
        return self

    def stop(self, timeout: float = 10.0) -> None:
        if self._loop is not None and self._stop is not None:
            with contextlib.suppress(RuntimeError):
                self._loop.call_soon_threadsafe(self._stop.set)
        if self._thread is not None:
            self._thread.join(timeout)

    def __enter__(self) -> BackgroundGateway:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
