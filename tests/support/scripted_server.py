"""A real HTTP server on 127.0.0.1 that plays scripted LLM provider behaviours.

It speaks the OpenAI chat completions API (``POST /v1/chat/completions``, ``GET
/v1/models``) and Anthropic's Messages API (``POST /v1/messages``, ``GET /v1/models`` when
the request carries ``anthropic-version``), streaming and not. Each model name has a queue
of behaviours; every request takes the next one (the ``default`` when the queue is empty)::

    from tests.support.scripted_server import ScriptedServer, ok, status, cut

    with ScriptedServer() as server:          # or use the ``scripted_server`` fixture
        server.script("gpt-a", status(429, retry_after=1), ok("Hello", chunks=3))
        base_url = server.openai_url          # http://127.0.0.1:PORT/v1
        ...
        assert [r.model for r in server.requests] == ["gpt-a", "gpt-a"]

Every request is recorded (method, path, model, headers with secrets masked, JSON body,
monotonic arrival time). With ``api_key=...`` the server checks credentials the way the
real APIs do (``Authorization: Bearer`` / ``x-api-key``) and answers 401 otherwise.

The server runs in a background thread; ``stop()`` unblocks every hanging handler, closes
every connection and joins every handler thread, so a ``hang()`` never delays the end of a
test and no thread or socket outlives the server.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections import defaultdict, deque
from collections.abc import Iterator
from dataclasses import dataclass, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

SECRET_HEADERS = frozenset({"authorization", "x-api-key"})
MODELS_KEY = "__models__"  # script key for GET /v1/models


# --- behaviours -----------------------------------------------------------------------


@dataclass(frozen=True)
class Behaviour:
    """One scripted answer. Build them with the functions below, not directly."""

    kind: str
    text: str = ""
    chunks: int = 1
    delay: float = 0.0  # seconds before each streamed chunk
    status: int = 200
    message: str = ""
    error_type: str = ""
    error_code: str = ""
    retry_after: str | None = None
    after: int = 0  # chunks sent before a cut, stall or stream error
    size: int = 0  # bytes, for a flood
    usage: tuple[int, int] | None = (3, 5)
    extra_headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""  # for raw()
    calls: tuple[tuple[str, str, str], ...] = ()  # for tools(): (id, name, JSON arguments)
    content_type: str = "application/json"  # for raw()


def ok(
    text: str = "Hello!", *, chunks: int = 3, delay: float = 0.0, usage: tuple[int, int] | None = (3, 5)
) -> Behaviour:
    """A good answer: ``text`` in ``chunks`` stream pieces (or one JSON body when not streaming)."""
    return Behaviour("ok", text=text, chunks=max(chunks, 1), delay=delay, usage=usage)


def slow(text: str = "Slow but sure.", *, chunks: int = 3, delay: float = 0.2) -> Behaviour:
    """A good answer with ``delay`` seconds before each chunk."""
    return ok(text, chunks=chunks, delay=delay)


def status(
    code: int,
    message: str | None = None,
    *,
    retry_after: float | str | None = None,
    error_type: str = "",
    error_code: str = "",
    headers: dict[str, str] | None = None,
) -> Behaviour:
    """An HTTP error with a provider-style JSON error body (and any ``headers``, such as
    ``retry-after-ms`` or ``x-should-retry``)."""
    return Behaviour(
        "status",
        status=code,
        message=message if message is not None else f"scripted {code}",
        error_type=error_type,
        error_code=error_code,
        retry_after=None if retry_after is None else str(retry_after),
        extra_headers=tuple((headers or {}).items()),
    )


def tools(*calls: tuple[str, str, dict[str, Any]], text: str = "", chunks: int = 2) -> Behaviour:
    """An answer that calls tools: ``text`` (maybe none), then each ``(id, name, arguments)``
    as a tool call (streamed in ``chunks`` pieces of its JSON), stop reason tool_calls /
    tool_use."""
    return Behaviour("tools", text=text, chunks=max(chunks, 1), calls=tuple((i, n, json.dumps(a)) for i, n, a in calls))


def refusal(text: str = "", *, chunks: int = 2) -> Behaviour:
    """The model refuses: ``text`` (maybe none) streamed, then OpenAI's ``finish_reason:
    "content_filter"`` / Anthropic's ``stop_reason: "refusal"`` (in one body when not streaming)."""
    return Behaviour("refusal", text=text, chunks=max(chunks, 1))


def context_overflow(window: int = 4096) -> Behaviour:
    return status(
        400,
        f"This model's maximum context length is {window} tokens. However, your messages resulted in "
        f"{window * 2} tokens.",
        error_type="invalid_request_error",
        error_code="context_length_exceeded",
    )


def content_policy() -> Behaviour:
    return status(
        400, "Your request was rejected as a result of our safety system.", error_code="content_policy_violation"
    )


def hang() -> Behaviour:
    """Read the request and never answer (until the server stops)."""
    return Behaviour("hang")


def stall(text: str = "Half an ans", *, after: int = 1, chunks: int = 3) -> Behaviour:
    """Stream ``after`` chunks of ``text``, then go silent with the connection open."""
    return Behaviour("stall", text=text, chunks=chunks, after=after)


def cut(text: str = "Partial answer that breaks", *, after: int = 2, chunks: int = 4) -> Behaviour:
    """Stream ``after`` chunks of ``text``, then close the socket mid-stream."""
    return Behaviour("cut", text=text, chunks=chunks, after=after)


def stream_error(message: str = "upstream failed", *, error_type: str = "server_error", after: int = 1) -> Behaviour:
    """Stream ``after`` chunks, then an error event inside the 200 stream."""
    return Behaviour(
        "stream_error", text="Some words before", chunks=3, after=after, message=message, error_type=error_type
    )


def no_done(text: str = "Unfinished", *, chunks: int = 2) -> Behaviour:
    """A stream that ends cleanly at the HTTP level but without [DONE] / message_stop."""
    return Behaviour("no_done", text=text, chunks=chunks)


def reset() -> Behaviour:
    """Read the request, then close the connection without any response."""
    return Behaviour("reset")


def malformed_json() -> Behaviour:
    """200 with a body that is not JSON (non-streaming) / an event that is not JSON (streaming)."""
    return Behaviour("malformed_json")


def malformed_sse() -> Behaviour:
    """A 200 stream whose events have the wrong shape (JSON, but no ``choices``/``delta``)."""
    return Behaviour("malformed_sse")


def flood(size: int = 64 << 20) -> Behaviour:
    """A 200 response that keeps sending bytes without a line break, up to ``size``."""
    return Behaviour("flood", size=size)


def raw(
    code: int, body: bytes = b"", *, content_type: str = "application/json", headers: dict[str, str] | None = None
) -> Behaviour:
    """Exactly this status, content type, headers and body bytes (a redirect, an HTML error
    page, a gzip-encoded body, an error object in a 200)."""
    return Behaviour(
        "raw", status=code, body=body, content_type=content_type, extra_headers=tuple((headers or {}).items())
    )


# --- records ----------------------------------------------------------------------------


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    model: str | None
    headers: dict[str, str]  # lower-case names; secret values masked as "<redacted>"
    body: Any
    time: float  # time.monotonic() when the request arrived
    stream: bool
    authorized: bool | None  # None when the server checks no key
    api: str  # "openai" or "anthropic"
    client_port: int = 0  # the client's end of the connection: one port, one connection


# --- the server -------------------------------------------------------------------------


class ScriptedServer:
    def __init__(self, *, api_key: str | None = None, default: Behaviour | None = None) -> None:
        self.api_key = api_key
        self.default = default or ok()
        self.model_names: list[str] = []  # listed by GET /v1/models besides the scripted ones
        self._scripts: dict[str, deque[Behaviour]] = defaultdict(deque)
        self._requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._connections: set[socket.socket] = set()
        self._handlers: set[threading.Thread] = set()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle --

    def start(self) -> ScriptedServer:
        handler = type("Handler", (_Handler,), {"scripted": self})
        self._httpd = _Server(("127.0.0.1", 0), handler)
        self._httpd.owner = self
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Stop serving, break every open connection and wait for every handler thread."""
        self._stopping.set()
        if self._httpd is None:
            return
        self._httpd.shutdown()
        assert self._thread is not None
        self._thread.join(timeout)
        with self._lock:
            conns = list(self._connections)
        for conn in conns:
            _shutdown(conn)
        self._httpd.server_close()
        self._httpd = None
        end = time.monotonic() + timeout
        with self._lock:
            handlers = list(self._handlers)
        for thread in handlers:
            thread.join(max(end - time.monotonic(), 0.0))
        left = [t.name for t in handlers if t.is_alive()]
        if left:
            raise RuntimeError(f"scripted server: handler threads still running after {timeout:g} s: {left}")

    def __enter__(self) -> ScriptedServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- scripting --

    @property
    def port(self) -> int:
        assert self._httpd is not None, "server not started"
        return self._httpd.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def openai_url(self) -> str:
        """``base_url`` for an ``openai`` provider."""
        return f"{self.url}/v1"

    @property
    def anthropic_url(self) -> str:
        """``base_url`` for an ``anthropic`` provider."""
        return self.url

    def script(self, model: str, *behaviours: Behaviour) -> None:
        """Queue behaviours for requests naming ``model``."""
        with self._lock:
            self._scripts[model].extend(behaviours)

    def script_models(self, *behaviours: Behaviour) -> None:
        """Queue behaviours for ``GET /v1/models`` (an ``ok`` lists the known names)."""
        self.script(MODELS_KEY, *behaviours)

    def pending(self, model: str) -> int:
        with self._lock:
            return len(self._scripts[model])

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    def chat_requests(self, model: str | None = None) -> list[RecordedRequest]:
        return [r for r in self.requests if r.method == "POST" and (model is None or r.model == model)]

    def open_connections(self) -> int:
        """Client connections the server still holds open."""
        with self._lock:
            return len(self._connections)

    def wait_for_requests(self, count: int, timeout: float = 5.0) -> list[RecordedRequest]:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if len(self.requests) >= count:
                break
            time.sleep(0.005)
        return self.requests

    # -- used by the handler --

    def _next(self, key: str, fallback: Behaviour) -> Behaviour:
        with self._lock:
            queue = self._scripts.get(key)
            return queue.popleft() if queue else fallback

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(request)

    def _track(self, conn: socket.socket, add: bool) -> None:
        with self._lock:
            (self._connections.add if add else self._connections.discard)(conn)
        # A connection accepted just before stop() must not wait for a next request.
        if add and self._stopping.is_set():
            _shutdown(conn)

    def _known_models(self) -> list[str]:
        with self._lock:
            names = [n for n in self._scripts if n != MODELS_KEY]
        return list(dict.fromkeys(self.model_names + names))


class _Server(ThreadingHTTPServer):
    allow_reuse_address = True
    # Hundreds of clients may connect at once (the gateway's bench): a short listen queue
    # would reset their connections.
    request_queue_size = 1024
    owner: ScriptedServer

    def process_request(self, request: Any, client_address: Any) -> None:
        # As ThreadingMixIn does, but every handler thread is recorded so stop() can join it.
        thread = threading.Thread(target=self.process_request_thread, args=(request, client_address), daemon=True)
        with self.owner._lock:
            self.owner._handlers = {t for t in self.owner._handlers if t.is_alive()} | {thread}
        thread.start()

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients hanging up mid-answer is the point of many scripts; stay quiet.
        pass


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Small header and body writes must not wait on delayed ACKs (~40 ms per reused connection).
    disable_nagle_algorithm = True
    scripted: ScriptedServer

    def setup(self) -> None:
        super().setup()
        self.scripted._track(self.connection, True)

    def finish(self) -> None:
        self.scripted._track(self.connection, False)
        with contextlib.suppress(OSError):
            super().finish()

    def log_message(self, format: str, *args: Any) -> None:
        pass

    # -- routing --

    def do_GET(self) -> None:
        api = "anthropic" if "anthropic-version" in self.headers else "openai"
        authorized = self._record(None, None, api)
        if _origin_form(self.path).split("?")[0] != "/v1/models":
            self._send_error(api, status(404, f"no route {self.path}"))
            return
        if authorized is False:
            self._send_error(api, status(401, "invalid api key", error_type="authentication_error"))
            return
        behaviour = self.scripted._next(MODELS_KEY, ok())
        if behaviour.kind != "ok":
            self._perform(api, behaviour, stream=False)
            return
        names = self.scripted._known_models()
        if api == "anthropic":
            data: dict[str, Any] = {
                "data": [
                    {"type": "model", "id": n, "display_name": n.title(), "created_at": "2025-01-01T00:00:00Z"}
                    for n in names
                ],
                "has_more": False,
                "first_id": names[0] if names else None,
                "last_id": names[-1] if names else None,
            }
        else:
            data = {
                "object": "list",
                "data": [{"id": n, "object": "model", "created": 0, "owned_by": "scripted"} for n in names],
            }
        self._send_json(200, data)

    def do_POST(self) -> None:
        path = _origin_form(self.path).split("?")[0]
        api = "anthropic" if path == "/v1/messages" else "openai"
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        model = body.get("model") if isinstance(body, dict) else None
        stream = bool(body.get("stream")) if isinstance(body, dict) else False
        authorized = self._record(model, body, api, stream=stream)
        if path not in ("/v1/chat/completions", "/v1/messages"):
            self._send_error(api, status(404, f"no route {path}"))
            return
        if authorized is False:
            self._send_error(
                api, status(401, f"invalid api key {self._credential()}", error_type="authentication_error")
            )
            return
        behaviour = self.scripted._next(str(model), self.scripted.default)
        self._perform(api, behaviour, stream=stream)

    def _credential(self) -> str:
        """What the client sent as its key. Echoed in 401s on purpose: real providers
        quote (parts of) a wrong key, and the client must redact it."""
        auth = self.headers.get("authorization", "")
        return self.headers.get("x-api-key") or auth.removeprefix("Bearer ").strip()

    def _record(self, model: str | None, body: Any, api: str, stream: bool = False) -> bool | None:
        headers = {k.lower(): ("<redacted>" if k.lower() in SECRET_HEADERS else v) for k, v in self.headers.items()}
        authorized = None if self.scripted.api_key is None else self._credential() == self.scripted.api_key
        if api == "anthropic" and self.scripted.api_key is not None and "authorization" in headers:
            authorized = False  # Anthropic wants x-api-key, not a bearer token
        self.scripted._record(
            RecordedRequest(
                self.command,
                self.path,
                model,
                headers,
                body,
                time.monotonic(),
                stream,
                authorized,
                api,
                self.client_address[1],
            )
        )
        return authorized

    # -- behaviours --

    def _perform(self, api: str, b: Behaviour, *, stream: bool) -> None:
        stopping = self.scripted._stopping
        if b.kind == "status":
            return self._send_error(api, b)
        if b.kind == "raw":
            return self._send_raw(b.status, b.content_type, b.body, list(b.extra_headers))
        if b.kind == "hang":
            stopping.wait()
            self.close_connection = True
            return None
        if b.kind == "reset":
            return self._drop()
        if b.kind == "flood":
            return self._flood(b, stream)
        if b.kind == "malformed_json" and not stream:
            return self._send_raw(200, "application/json", b'{"id": "x", "choices": [{"message": ')
        if not stream:
            if b.kind in ("ok", "refusal", "tools"):
                return self._send_json(200, _completion(api, b))
            if b.kind in ("cut", "stall"):
                # Non-streaming variants: headers, then part of the body, then cut or silence.
                self._start_stream("application/json")
                self._chunk(b'{"id": "x", "choices": [')
                if b.kind == "stall":
                    stopping.wait()
                return self._drop()
            if b.kind == "malformed_sse":  # right JSON, wrong shape
                return self._send_json(
                    200, {"type": "message", "content": "nope"} if api == "anthropic" else {"choices": "nope"}
                )
            if b.kind == "stream_error":  # an error object in a 200 body
                return self._send_raw(200, "application/json", _error_event(api, b).split(b"data: ", 1)[1].strip())
            if b.kind == "no_done":  # a complete HTTP message holding half a JSON document
                return self._send_raw(200, "application/json", json.dumps(_completion(api, b)).encode()[:40])
            return self._send_json(200, _completion(api, replace(b, kind="ok")))
        self._start_stream("text/event-stream")
        events = _stream_events(api, b)
        try:
            for index, event in enumerate(events):
                if b.kind in ("cut", "stall", "stream_error") and index == b.after + _preamble(api):
                    break
                if b.delay and stopping.wait(b.delay):
                    return self._drop()
                self._chunk(event)
            else:
                return self._end_stream()
            if b.kind == "cut":
                return self._drop()
            if b.kind == "stall":
                stopping.wait()
                return self._drop()
            self._chunk(_error_event(api, b))
            self._end_stream()
        except OSError:
            self.close_connection = True

    def _flood(self, b: Behaviour, stream: bool) -> None:
        self._start_stream("text/event-stream" if stream else "application/json")
        piece = b"x" * (64 << 10)
        sent = 0
        try:
            self._chunk(b"data: " if stream else b'{"junk": "')
            while sent < b.size and not self.scripted._stopping.is_set():
                self._chunk(piece)
                sent += len(piece)
            self._end_stream()
        except OSError:
            self.close_connection = True

    # -- wire helpers --

    def _send_error(self, api: str, b: Behaviour) -> None:
        if api == "anthropic":
            err_type = b.error_type or _ANTHROPIC_TYPES.get(b.status, "api_error")
            data: dict[str, Any] = {"type": "error", "error": {"type": err_type, "message": b.message}}
        else:
            data = {"error": {"message": b.message, "type": b.error_type or None, "code": b.error_code or None}}
        headers = [("retry-after", b.retry_after)] if b.retry_after is not None else []
        self._send_json(b.status, data, headers + list(b.extra_headers))

    def _send_json(self, code: int, data: Any, headers: list[tuple[str, str]] | None = None) -> None:
        self._send_raw(code, "application/json", json.dumps(data).encode(), headers)

    def _send_raw(
        self, code: int, content_type: str, payload: bytes, headers: list[tuple[str, str]] | None = None
    ) -> None:
        try:
            self.send_response(code)
            self.send_header("content-type", content_type)
            self.send_header("content-length", str(len(payload)))
            for name, value in headers or []:
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)
            self.wfile.flush()
        except OSError:
            self.close_connection = True

    def _start_stream(self, content_type: str) -> None:
        self.send_response(200)
        self.send_header("content-type", content_type)
        self.send_header("transfer-encoding", "chunked")
        self.send_header("cache-control", "no-cache")
        self.end_headers()
        self.wfile.flush()

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def _end_stream(self) -> None:
        try:
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except OSError:
            self.close_connection = True

    def _drop(self) -> None:
        """Close the socket without finishing the chunked body: a broken stream."""
        self.close_connection = True
        _shutdown(self.connection)


def _origin_form(target: str) -> str:
    """The path of a request target. A client using the server as its HTTP proxy sends the
    absolute form (``http://api.remote.test/v1/...``): the server then stands in for that
    remote host (tests of what happens to remote providers, with no network)."""
    if target.startswith(("http://", "https://")):
        return "/" + target.split("://", 1)[1].partition("/")[2]
    return target


def _shutdown(conn: socket.socket) -> None:
    with contextlib.suppress(OSError):
        conn.shutdown(socket.SHUT_RDWR)


_ANTHROPIC_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    529: "overloaded_error",
}


def _pieces(text: str, count: int) -> list[str]:
    size = max(1, -(-len(text) // count))
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


def _completion(api: str, b: Behaviour) -> dict[str, Any]:
    prompt, completion = b.usage or (0, 0)
    if api == "anthropic":
        return {
            "id": "msg_1",
            "type": "message",
            "role": "assistant",
            "model": "scripted",
            "content": ([{"type": "text", "text": b.text}] if b.text or b.kind not in ("refusal", "tools") else [])
            + [{"type": "tool_use", "id": i, "name": n, "input": json.loads(a)} for i, n, a in b.calls],
            "stop_reason": {"refusal": "refusal", "tools": "tool_use"}.get(b.kind, "end_turn"),
            "usage": {"input_tokens": prompt, "output_tokens": completion},
        }
    data: dict[str, Any] = {
        "id": "cmpl-1",
        "object": "chat.completion",
        "created": 0,
        "model": "scripted",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": b.text or None}
                | (
                    {
                        "tool_calls": [
                            {"id": i, "type": "function", "function": {"name": n, "arguments": a}}
                            for i, n, a in b.calls
                        ]
                    }
                    if b.calls
                    else {}
                ),
                "finish_reason": {"refusal": "content_filter", "tools": "tool_calls"}.get(b.kind, "stop"),
            }
        ],
    }
    if b.usage:
        data["usage"] = {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}
    return data


def _preamble(api: str) -> int:
    """Events sent before the first text chunk (so ``after`` counts text chunks)."""
    return 2 if api == "anthropic" else 1


def _sse(data: Any, event: str | None = None) -> bytes:
    head = f"event: {event}\n" if event else ""
    body = data if isinstance(data, str) else json.dumps(data)
    return f"{head}data: {body}\n\n".encode()


def _stream_events(api: str, b: Behaviour) -> Iterator[bytes]:
    pieces = _pieces(b.text, b.chunks)
    prompt, completion = b.usage or (0, 0)
    if api == "anthropic":
        yield _sse(
            {
                "type": "message_start",
                "message": {
                    "id": "msg_1",
                    "type": "message",
                    "role": "assistant",
                    "content": [],
                    "usage": {"input_tokens": prompt, "output_tokens": 1},
                },
            },
            "message_start",
        )
        yield _sse(
            {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
            "content_block_start",
        )
        if b.kind == "malformed_json":
            yield b'event: content_block_delta\ndata: {"type": "content_block_delta", "delta": \n\n'
            return
        if b.kind == "malformed_sse":
            yield _sse({"type": "content_block_delta", "index": 0, "delta": "not an object"}, "content_block_delta")
            return
        for piece in pieces if b.text or b.kind not in ("refusal", "tools") else []:
            yield _sse(
                {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": piece}},
                "content_block_delta",
            )
        if b.kind == "no_done":
            return
        yield _sse({"type": "content_block_stop", "index": 0}, "content_block_stop")
        for number, (call_id, name, arguments) in enumerate(b.calls, start=1):
            yield _sse(
                {
                    "type": "content_block_start",
                    "index": number,
                    "content_block": {"type": "tool_use", "id": call_id, "name": name, "input": {}},
                },
                "content_block_start",
            )
            for piece in _pieces(arguments, b.chunks):
                yield _sse(
                    {
                        "type": "content_block_delta",
                        "index": number,
                        "delta": {"type": "input_json_delta", "partial_json": piece},
                    },
                    "content_block_delta",
                )
            yield _sse({"type": "content_block_stop", "index": number}, "content_block_stop")
        stop = {"refusal": "refusal", "tools": "tool_use"}.get(b.kind, "end_turn")
        yield _sse(
            {"type": "message_delta", "delta": {"stop_reason": stop}, "usage": {"output_tokens": completion}},
            "message_delta",
        )
        yield _sse({"type": "message_stop"}, "message_stop")
        return
    base = {"id": "chunk-1", "object": "chat.completion.chunk", "created": 0, "model": "scripted"}
    yield _sse(base | {"choices": [{"index": 0, "delta": {"role": "assistant"}, "finish_reason": None}]})
    if b.kind == "malformed_json":
        yield b'data: {"choices": [{"delta": {"content": \n\n'
        return
    if b.kind == "malformed_sse":
        yield _sse(base | {"choices": "not a list"})
        return
    for piece in pieces if b.text or b.kind not in ("refusal", "tools") else []:
        yield _sse(base | {"choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]})
    if b.kind == "no_done":
        return
    for number, (call_id, name, arguments) in enumerate(b.calls):
        for first, piece in enumerate(_pieces(arguments, b.chunks)):
            call: dict[str, Any] = {"index": number, "function": {"arguments": piece}}
            if first == 0:
                call |= {"id": call_id, "type": "function", "function": {"name": name, "arguments": piece}}
            delta = {"tool_calls": [call]}
            yield _sse(base | {"choices": [{"index": 0, "delta": delta, "finish_reason": None}]})
    finish = {"refusal": "content_filter", "tools": "tool_calls"}.get(b.kind, "stop")
    yield _sse(base | {"choices": [{"index": 0, "delta": {}, "finish_reason": finish}]})
    if b.usage:
        yield _sse(
            base
            | {
                "choices": [],
                "usage": {
                    "prompt_tokens": prompt,
                    "completion_tokens": completion,
                    "total_tokens": prompt + completion,
                },
            }
        )
    yield _sse("[DONE]")


def _error_event(api: str, b: Behaviour) -> bytes:
    if api == "anthropic":
        return _sse({"type": "error", "error": {"type": b.error_type or "api_error", "message": b.message}}, "error")
    return _sse({"error": {"message": b.message, "type": b.error_type, "code": None}})


# --- fixtures ---------------------------------------------------------------------------


@pytest.fixture
def scripted_server() -> Iterator[ScriptedServer]:
    """A started :class:`ScriptedServer`, stopped after the test."""
    with ScriptedServer() as server:
        yield server


@pytest.fixture
def keyed_server() -> Iterator[ScriptedServer]:
    """A started server that requires the key ``sk-test-SECRET-0123456789``."""
    with ScriptedServer(api_key=TEST_KEY) as server:
        yield server


TEST_KEY = "sk-test-SECRET-0123456789"
