"""What every provider shares: the request and chunk types, SSE parsing with limits,
reading bodies without trusting their size, and turning HTTP failures into
:class:`ProviderError`.
"""

from __future__ import annotations

import contextlib
import email.utils
import functools
import json
import math
import os
import re
import socket
import ssl
import time
import zlib
from collections.abc import AsyncGenerator, AsyncIterator, Iterator
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

import httpx

from modeldesk.core.limits import deeper_than
from modeldesk.core.schema import Provider
from modeldesk.core.text import clean_text, one_line, whole_characters

from ..conversation import Conversation
from ..errors import ErrorClass, ProviderError, redact
from ..proxies import transport_from_env
from ..simulate import FaultTransport, RoutingTransport, Simulation

# Limits against floods: a line, an error body, a whole response. Far above anything a
# real chat answer needs, far below what would hurt the process.
MAX_LINE_BYTES = 1 << 20
MAX_ERROR_BODY_BYTES = 64 << 10
MAX_RESPONSE_BYTES = 16 << 20
# Deepest JSON taken from a provider (arrays and objects): answers need fewer than 10
# levels; deeper is refused before parsing, so the parser's recursion is never reached.
MAX_REPLY_NESTING = 64
# Longest model id or label taken from a server's model list.
MAX_NAME_CHARS = 256

USER_AGENT = "modeldesk"
# Only encodings this module decodes itself, piece by piece under the size limits.
ACCEPT_ENCODING = "gzip, deflate"
# Largest piece a compressed body is inflated to at a time: a tiny gzip bomb never
# becomes one huge buffer before the limit is checked.
INFLATE_STEP = 64 << 10


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    """One TLS context for every client: building it loads the CA bundle (~50 ms)."""
    return httpx.create_ssl_context()


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
    ``limits`` sizes the direct connection pool (httpx's default: 100 connections).
    """
    timeout = httpx.Timeout(
        connect=connect_timeout_s, read=read_timeout_s, write=connect_timeout_s, pool=connect_timeout_s
    )
    network: httpx.AsyncBaseTransport = transport_from_env(_ssl_context()) or httpx.AsyncHTTPTransport(
        verify=_ssl_context(),
        trust_env=False,
        limits=limits or httpx.Limits(max_connections=100, max_keepalive_connections=20),
    )
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


@dataclass(frozen=True)
class ChatRequest:
    """One chat call. ``model`` is the provider-side name, not the config id."""

    model: str
    prompt: str
    system: str | None = None
    max_tokens: int | None = None
    stream: bool = True
    # Text an earlier model streamed before its stream broke: this model continues it
    # (``on_stream_break: "continue"``).
    prefix: str | None = None
    # A whole conversation (the gateway); ``prompt`` and ``system`` are then not used.
    conversation: Conversation | None = None


@dataclass(frozen=True)
class TextChunk:
    text: str


@dataclass(frozen=True)
class ToolCallChunk:
    """A piece of a tool call: ``index`` counts the answer's calls from 0; the first piece
    of a call carries its ``id`` and ``name``, every piece a fragment of its JSON
    ``arguments``."""

    index: int
    id: str | None
    name: str | None
    arguments: str = ""


@dataclass(frozen=True)
class Progress:
    """The provider sent something that is not text (role header, ping): it is alive."""


@dataclass(frozen=True)
class Finished:
    usage: dict[str, int] | None = None
    # Why the model stopped, in Chat Completions' words (stop, length, tool_calls,
    # content_filter); None when the provider did not say.
    stop_reason: str | None = None


Chunk = TextChunk | ToolCallChunk | Progress | Finished


@dataclass(frozen=True)
class RemoteModel:
    """A model as a provider lists it."""

    id: str
    label: str | None = None
    context_window: int | None = None

    @classmethod
    def listed(cls, raw_id: object, raw_label: object = None, context_window: int | None = None) -> RemoteModel | None:
        """A model from a server's list, or None when its id cannot be used as a name.

        Surrounding whitespace is dropped (an id ending in a newline); an id holding
        control or format characters, or a very long one, is skipped: it could not be
        shown or typed back. A label that is not text is ignored."""
        if not isinstance(raw_id, str):
            return None
        model_id = raw_id.strip()
        if not model_id or len(model_id) > MAX_NAME_CHARS or one_line(model_id) != model_id:
            return None
        label = one_line(raw_label)[:MAX_NAME_CHARS] if isinstance(raw_label, str) else ""
        return cls(model_id, label or None, context_window)


class ChatProvider:
    """Base class: one configured provider over a shared ``httpx.AsyncClient``."""

    def __init__(self, provider: Provider, client: httpx.AsyncClient, api_key: str | None) -> None:
        self.provider = provider
        self.client = client
        self._api_key = api_key

    @property
    def secrets(self) -> tuple[str, ...]:
        return (self._api_key,) if self._api_key else ()

    # -- what each API defines -------------------------------------------------------------

    def chat_url(self) -> str:  # pragma: no cover - abstract
        raise NotImplementedError

    def headers(self) -> dict[str, str]:  # pragma: no cover - abstract
        raise NotImplementedError

    def body(self, request: ChatRequest) -> dict[str, Any]:  # pragma: no cover - abstract
        raise NotImplementedError

    def parse_completion(self, data: Any) -> tuple[str, dict[str, int] | None]:  # pragma: no cover - abstract
        """Text and usage from a whole (non-streaming) answer."""
        raise NotImplementedError

    def parse_stream(self, response: httpx.Response) -> AsyncIterator[Chunk]:  # pragma: no cover - abstract
        """Chunks from a streaming answer; ends with :class:`Finished` or raises."""
        raise NotImplementedError

    async def list_models(self) -> list[RemoteModel]:  # pragma: no cover - abstract
        raise NotImplementedError

    def request_headers(self, request: ChatRequest) -> dict[str, str]:
        """Headers this request needs besides :meth:`headers` (none unless a kind says so)."""
        return {}

    def completion_extras(self, data: Any) -> tuple[list[ToolCallChunk], str | None]:
        """The tool calls and the stop reason of a whole answer (after parse_completion
        accepted it)."""
        return [], None

    # -- shared ---------------------------------------------------------------------------------

    async def chat(self, request: ChatRequest) -> AsyncGenerator[Chunk, None]:
        """Send one chat request and yield its text as it arrives, then :class:`Finished`."""
        with self.mapping_errors("request"):
            async with self.client.stream(
                "POST", self.chat_url(), json=self.body(request), headers=self.headers() | self.request_headers(request)
            ) as response:
                await self.raise_for_status(response)
                if not request.stream or not _is_event_stream(response.headers.get("content-type", "")):
                    # Some servers ignore "stream": true and answer with one JSON body.
                    data = await self.read_json(response)
                    text, usage = self.parse_completion(data)
                    calls, stop_reason = self.completion_extras(data)
                    if text or not calls:
                        yield TextChunk(whole_characters(text))
                    for call in calls:
                        yield call
                    yield Finished(usage, stop_reason)
                    return
                async for chunk in _whole_characters(self.parse_stream(response)):
                    yield chunk

    async def get_json(self, url: str, params: dict[str, str] | None = None) -> Any:
        """GET ``url`` and return its JSON body (errors mapped like any call)."""
        with self.mapping_errors("request"):
            async with self.client.stream("GET", url, params=params, headers=self.headers()) as response:
                await self.raise_for_status(response)
                return await self.read_json(response)

    def error(self, error_class: ErrorClass, detail: str = "", **kwargs: Any) -> ProviderError:
        # A provider's words are data: no escape sequence, bidi override or lone
        # surrogate from them reaches a terminal, a label, the history or the log.
        return ProviderError.make(error_class, clean_text(detail), secrets=self.secrets, **kwargs)

    @contextlib.contextmanager
    def mapping_errors(self, phase: str = "request") -> Iterator[None]:
        """Turn httpx exceptions raised inside the block into ProviderError.

        ``phase`` is "request" before a response arrived and "stream" while reading one: a
        connection dropped mid-stream is a stream cut short, not a refused connection.
        """
        try:
            yield
        except ProviderError:
            raise
        except httpx.ConnectTimeout:
            raise self.error("timeout", f"could not connect to {self._where()} in time") from None
        except httpx.TimeoutException as exc:
            raise self.error("timeout", f"{type(exc).__name__} from {self._where()}") from None
        except httpx.ConnectError as exc:
            raise self.error("connection", f"cannot reach {self._where()} ({_os_reason(exc)})") from None
        except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError, httpx.CloseError) as exc:
            if phase == "stream":
                raise self.error("malformed_response", "stream cut short: the connection closed mid-answer") from None
            raise self.error("connection", f"connection to {self._where()} broke ({_os_reason(exc)})") from None
        except httpx.HTTPError as exc:
            raise self.error("connection", f"{type(exc).__name__}: {_os_reason(exc)}") from None

    def _where(self) -> str:
        url = httpx.URL(self.chat_url())  # where requests go (a simulated provider has no base_url)
        return f"{url.host}:{url.port or (443 if url.scheme == 'https' else 80)}"

    async def read_json(self, response: httpx.Response) -> Any:
        """The whole (size-limited) body as JSON, or a malformed_response error."""
        with self.mapping_errors("stream"):
            try:
                body = await read_limited(response, MAX_RESPONSE_BYTES)
            except (zlib.error, ValueError) as exc:
                raise self.error("malformed_response", f"body cannot be decoded ({exc})") from None
        if body is None:
            raise self.error("malformed_response", f"response larger than {MAX_RESPONSE_BYTES >> 20} MiB")
        return self.parse_json(body, "body")

    def parse_json(self, data: bytes | str, what: str) -> Any:
        """``data`` as JSON within :data:`MAX_REPLY_NESTING`; else a malformed_response error."""
        if deeper_than(data, MAX_REPLY_NESTING):
            raise self.error("malformed_response", f"{what} is JSON nested more than {MAX_REPLY_NESTING} levels deep")
        try:
            return json.loads(data)
        except (ValueError, RecursionError):  # RecursionError: only if the check above is wrong
            raise self.error("malformed_response", f"{what} is not valid JSON") from None

    async def raise_for_status(self, response: httpx.Response) -> None:
        """For a non-2xx response, read a bounded part of the body and raise the mapped error."""
        if response.is_success:
            return
        body: bytes | None = b""
        # A body that cannot be read or decoded (a corrupt gzip, an unknown encoding) still
        # leaves the status to classify by.
        with contextlib.suppress(httpx.HTTPError, BodyTooLarge, ValueError, zlib.error):
            body = await read_limited(response, MAX_ERROR_BODY_BYTES, truncate=True)
        raise self.status_error(response.status_code, body or b"", response.headers)

    def status_error(self, status: int, body: bytes, headers: httpx.Headers | None = None) -> ProviderError:
        # Retry-After replaces the backoff only where HTTP gives it that meaning for a retry.
        retry_after = parse_retry_after(headers) if headers is not None and status in RETRY_AFTER_STATUSES else None
        should_retry = parse_should_retry(headers) if headers is not None else None
        if status in REDIRECTS:
            location = headers.get("location", "") if headers is not None else ""
            return self.error(
                "redirect",
                f"the server redirects to {location or '(no Location given)'}; "
                f"check the provider's base_url ({self.provider.base_url})",
                status=status,
            )
        content_type = headers.get("content-type", "") if headers is not None else ""
        size = len(body)
        # Redacted before anything is parsed, picked out or cut: a key cut short, or with
        # characters dropped, would no longer be recognised.
        body = redact(body.decode("utf-8", errors="replace"), self.secrets).encode("utf-8")
        if looks_like_html(body, content_type):
            # An HTML error page (a proxy's or load balancer's) says nothing a person needs
            # beyond its title; raw markup must never reach a terminal or a label.
            error_class = classify(status)
            return self.error(
                error_class,
                html_summary(status, body),
                status=status,
                retry_after=retry_after,
                should_retry=should_retry,
            )
        message, err_type, code = parse_error_body(body)
        error_class = classify(status, message, err_type, code)
        detail = capped(message, size, truncated=size >= MAX_ERROR_BODY_BYTES) or _reason_phrase(status)
        return self.error(error_class, detail, status=status, retry_after=retry_after, should_retry=should_retry)


REDIRECTS = frozenset({301, 302, 303, 307, 308})
# The statuses whose Retry-After says when to try again (SPEC §4): on others it is ignored.
RETRY_AFTER_STATUSES = frozenset({429, 503, 529})


def looks_like_html(body: bytes, content_type: str = "") -> bool:
    if content_type.split(";")[0].strip().lower() in ("text/html", "application/xhtml+xml"):
        return True
    head = body[:512].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html", b"<head", b"<body"))


_TITLE = re.compile(rb"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)


def html_summary(status: int, body: bytes) -> str:
    """ "502 Bad Gateway (HTML page)": the page's title, else the status's reason phrase."""
    match = _TITLE.search(body[:8192])
    title = " ".join(match.group(1).decode("utf-8", errors="replace").split()) if match else ""
    title = re.sub(r"[^\w .,:;()/'*-]", "", redact(title))[:80]  # plain words (and *** for a key) only
    if not title:
        with contextlib.suppress(ValueError):
            title = f"{status} {HTTPStatus(status).phrase}"
    return f"{title or status} (HTML page)"


def capped(message: str, size: int, *, truncated: bool = False, limit: int = 200) -> str:
    """``message`` on one line; when long, its start and a note of the whole body's size."""
    text = " ".join(redact(message).split())
    if len(text) <= limit and not truncated:
        return text
    total = f"more than {size >> 10} KiB" if truncated else f"{size:,} bytes"
    return f"{text[: limit - 40].rstrip()}… (body of {total}, shortened)"


def _is_event_stream(content_type: str) -> bool:
    return content_type.split(";")[0].strip().lower() == "text/event-stream"


class BodyTooLarge(Exception):
    """A body decoded past its size limit (raised while decoding, before the bytes pile up)."""


def _inflater(encoding: str) -> zlib._Decompress | None:
    encoding = encoding.strip().lower()
    if encoding in ("", "identity"):
        return None
    if encoding in ("gzip", "x-gzip"):
        return zlib.decompressobj(16 + zlib.MAX_WBITS)
    if encoding == "deflate":
        return zlib.decompressobj()  # zlib-wrapped, as RFC 9110 says; raw deflate is retried below
    raise ValueError(f"unsupported content-encoding '{encoding}'")


async def aiter_limited(response: httpx.Response, limit: int) -> AsyncIterator[bytes]:
    """The decoded body in pieces; :class:`BodyTooLarge` once more than ``limit`` bytes came.

    Compressed bodies are inflated here, at most ``INFLATE_STEP`` bytes at a time, so the
    limit holds for what a body expands to, not just for what travelled.
    """
    if hasattr(response, "_content"):
        # Already read and decoded by httpx (a response built in memory): nothing to inflate.
        chunks: AsyncIterator[bytes] = _once(response.content)
        inflater = None
    else:
        chunks = response.aiter_raw()
        inflater = _inflater(response.headers.get("content-encoding", ""))
    total = 0
    raw_deflate_tried = False
    saw_bytes = False
    async for raw in chunks:
        saw_bytes = saw_bytes or bool(raw)
        if inflater is None:
            pieces: Iterator[bytes] = iter((raw,))
        else:
            pieces = _inflate(inflater, raw)
        try:
            for piece in pieces:
                total += len(piece)
                if total > limit:
                    yield piece[: max(limit - (total - len(piece)), 0)]
                    raise BodyTooLarge(limit)
                if piece:
                    yield piece
        except zlib.error:
            if raw_deflate_tried or response.headers.get("content-encoding", "").strip().lower() != "deflate":
                raise
            # Some servers send raw deflate without the zlib wrapper.
            raw_deflate_tried = True
            inflater = zlib.decompressobj(-zlib.MAX_WBITS)
            for piece in _inflate(inflater, raw):
                total += len(piece)
                if total > limit:
                    raise BodyTooLarge(limit) from None
                yield piece
    if inflater is not None and saw_bytes and not inflater.eof:
        raise ValueError("the compressed body ends before its end mark")


async def _once(data: bytes) -> AsyncIterator[bytes]:
    yield data


def _inflate(inflater: zlib._Decompress, data: bytes) -> Iterator[bytes]:
    while data:
        piece = inflater.decompress(data, INFLATE_STEP)
        yield piece
        data = inflater.unconsumed_tail
        if inflater.eof:
            return


async def read_limited(response: httpx.Response, limit: int, *, truncate: bool = False) -> bytes | None:
    """Up to ``limit`` bytes of the decoded body; ``None`` (or the first ``limit`` bytes when
    ``truncate``) if it is longer. Never decodes past the limit, so a flood or a
    compression bomb costs nothing."""
    data = bytearray()
    try:
        async for piece in aiter_limited(response, limit):
            data += piece
    except BodyTooLarge:
        return bytes(data[:limit]) if truncate else None
    return bytes(data)


@dataclass
class SseEvent:
    event: str
    data: str


async def iter_sse(response: httpx.Response, provider: ChatProvider) -> AsyncIterator[SseEvent]:
    """Server-sent events from a streaming response, with line and total size limits.

    Comments (``: ping``) and fields other than ``event``/``data`` are ignored, as the
    SSE format asks. An over-long line or body is a malformed_response error.

    Linear in the body's size whatever the piece size: the bytes wait in one bytearray,
    ``scan`` remembers how far line breaks were already looked for, and consumed lines are
    dropped from the front once per piece.
    """
    buffer = bytearray()
    scan = 0  # no line break before this offset of ``buffer``
    event, data_lines = "", list[str]()
    with provider.mapping_errors("stream"):
        try:
            async for piece in aiter_limited(response, MAX_RESPONSE_BYTES):
                buffer += piece
                start = 0  # where the current line begins
                while True:
                    found = _BREAK.search(buffer, scan)
                    if found is None:
                        scan = len(buffer)
                        break
                    end = found.start()
                    if buffer[end] == 13:  # CR: a CRLF's LF may still be on its way
                        if end + 1 == len(buffer):
                            scan = end
                            break
                        after = end + 2 if buffer[end + 1] == 10 else end + 1
                    else:
                        after = end + 1
                    line = buffer[start:end].decode("utf-8", errors="replace")
                    start = scan = after
                    if not line:
                        if data_lines:
                            yield SseEvent(event or "message", "\n".join(data_lines))
                        event, data_lines = "", []
                        continue
                    if line.startswith(":"):
                        continue
                    name, _, value = line.partition(":")
                    value = value.removeprefix(" ")
                    if name == "event":
                        event = value
                    elif name == "data":
                        data_lines.append(value)
                if start:
                    del buffer[:start]  # CPython drops a bytearray's front without copying the rest
                    scan -= start
                if len(buffer) > MAX_LINE_BYTES:
                    raise provider.error("malformed_response", f"stream line longer than {MAX_LINE_BYTES >> 20} MiB")
        except BodyTooLarge:
            raise provider.error("malformed_response", f"stream larger than {MAX_RESPONSE_BYTES >> 20} MiB") from None
        except (zlib.error, ValueError) as exc:
            raise provider.error("malformed_response", f"stream cannot be decoded ({exc})") from None
    if buffer.strip() or data_lines:
        line = buffer.decode("utf-8", errors="replace").rstrip("\r")
        if line.startswith("data:"):
            data_lines.append(line[5:].lstrip(" "))
        if data_lines:
            yield SseEvent(event or "message", "\n".join(data_lines))


_BREAK = re.compile(rb"[\r\n]")


async def _whole_characters(chunks: AsyncIterator[Chunk]) -> AsyncIterator[Chunk]:
    """Text chunks that always encode: a high surrogate that ends a chunk (an emoji whose
    two JSON escapes came in two events) waits for the next chunk, and any surrogate still
    alone becomes U+FFFD."""
    pending = ""
    async for chunk in chunks:
        if isinstance(chunk, TextChunk):
            text = pending + chunk.text
            pending = ""
            if text and "\ud800" <= text[-1] <= "\udbff":
                text, pending = text[:-1], text[-1]
            if text:
                yield TextChunk(whole_characters(text))
            else:
                yield Progress()
            continue
        if pending and isinstance(chunk, Finished):
            yield TextChunk(whole_characters(pending))
            pending = ""
        yield chunk


def parse_json_event(data: str, provider: ChatProvider) -> dict[str, Any]:
    value = provider.parse_json(data, "stream event")
    if not isinstance(value, dict):
        raise provider.error("malformed_response", "stream event is not a JSON object")
    return value


def parse_error_body(body: bytes) -> tuple[str, str, str]:
    """(message, type, code) from an OpenAI- or Anthropic-style error body, or plain text."""
    text = body.decode("utf-8", errors="replace").strip()
    if deeper_than(text, MAX_REPLY_NESTING):
        return "error body nested too deeply to read", "", ""
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        return text[:500], "", ""
    return error_fields(data)


def error_fields(data: Any) -> tuple[str, str, str]:
    if isinstance(data, dict):
        err = data.get("error", data)
        if isinstance(err, dict):
            return str(err.get("message") or ""), str(err.get("type") or ""), str(err.get("code") or "")
        if isinstance(err, str):
            return err, "", ""
    return "", "", ""


# How servers say "the prompt does not fit" (their exact wordings are in the tests):
# OpenAI/Azure/vLLM "maximum context length is N tokens", OpenRouter "This endpoint's
# maximum context length", Anthropic "prompt is too long", llama.cpp "exceeds the available
# context size" (type exceed_context_size_error), Ollama "the input length exceeds the
# context length", LM Studio "when context the overflows" / "Context size has been
# exceeded", sglang "is longer than the model's context length" / "exceeds the model's
# maximum context length", newer OpenAI "Input tokens exceed the configured limit".
_CONTEXT_PATTERNS = re.compile(
    r"context_length_exceeded|exceed_context_size|maximum context length|context window"
    r"|prompt is too long|input is too long|too many tokens|context size has been exceeded"
    r"|exceeds? the (available )?context (size|length)|longer than the model'?s context length"
    r"|when context the overflows|input tokens exceed the configured limit|context length of only"
    r"|exceeds? (the )?(model'?s? )?(maximum|max)",
    re.IGNORECASE,
)
_POLICY_PATTERNS = re.compile(
    r"content[_ ]policy|content[_ ]filter|content management policy|safety system", re.IGNORECASE
)
# Quota, billing and credit errors: the account is out of money, not briefly over a rate.
# Decided by the provider's code or wording, never by the status alone (a 429 is usually a
# passing rate limit; OpenAI's insufficient_quota also comes as a 429).
_QUOTA_CODES = frozenset(
    {
        "insufficient_quota",
        "billing_hard_limit_reached",
        "billing_not_active",
        "insufficient_balance",
        "insufficient_credits",
        "credits_exhausted",
    }
)
_QUOTA_PATTERNS = re.compile(
    r"exceeded your current quota|credit balance is too low|insufficient (credits|balance|funds|quota)"
    r"|billing (hard )?limit|out of credits|purchase (more )?credits",
    re.IGNORECASE,
)


def classify(status: int, message: str = "", err_type: str = "", code: str = "") -> ErrorClass:
    """The error class for an HTTP status plus the provider's error text."""
    words = " ".join((message, err_type, code))
    if status == 402 or code.lower() in _QUOTA_CODES or err_type.lower() in _QUOTA_CODES:
        return "quota"
    if _QUOTA_PATTERNS.search(words):
        return "quota"
    if status in REDIRECTS:
        return "redirect"
    # Some servers report an overlong prompt with a 5xx; the text decides.
    if (status in (400, 413, 422) or status >= 500) and _CONTEXT_PATTERNS.search(words):
        return "context_overflow"
    if status == 429:
        return "rate_limit"
    if status in (401, 403):
        return "auth"
    if status == 404:
        return "not_found"
    if status == 408:
        return "timeout"
    if status == 501:
        return "not_implemented"  # the server lacks the feature: asking again will not help
    if status >= 500:
        return "server"
    if _POLICY_PATTERNS.search(words):
        return "content_policy"
    return "invalid_request"


def classify_stream_error(data: dict[str, Any]) -> tuple[ErrorClass, int | None, str]:
    """An error sent inside a 200 stream: pick a status from its type or code."""
    message, err_type, code = error_fields(data)
    status = _TYPE_STATUS.get(err_type) or _TYPE_STATUS.get(code)
    if status is None and code.isdigit():
        status = int(code)
    error_class = classify(status or 500, message, err_type, code)
    if error_class in ("server", "invalid_request") and _POLICY_PATTERNS.search(" ".join((message, err_type, code))):
        # A filter's error event comes with no status of its own (or a generic one): its
        # words decide, as they do for the same error in a 400.
        error_class = "content_policy"
    return error_class, status, message or err_type or "error in stream"


# Anthropic's error types, and the codes OpenAI-compatible servers put in stream errors.
_TYPE_STATUS = {
    "invalid_request_error": 400,
    "authentication_error": 401,
    "permission_error": 403,
    "not_found_error": 404,
    "request_too_large": 413,
    "rate_limit_error": 429,
    "rate_limit_exceeded": 429,
    "api_error": 500,
    "server_error": 500,
    "overloaded_error": 529,
    "context_length_exceeded": 400,
    "exceed_context_size_error": 400,
    "insufficient_quota": 429,
}


def parse_retry_after(headers: httpx.Headers) -> float | None:
    """Seconds to wait from ``retry-after-ms`` or ``Retry-After`` (seconds or an HTTP date).

    Only a finite, non-negative number or a real date counts: ``-1``, ``NaN``, ``Infinity``,
    an empty value or words are ignored (``None``), so the backoff applies instead.
    """
    millis = _non_negative(headers.get("retry-after-ms", ""))
    if millis is not None:
        return millis / 1000
    value = headers.get("retry-after", "").strip()
    if not value:
        return None
    seconds = _non_negative(value)
    if seconds is not None:
        return seconds
    if not _DATE.match(value):
        return None  # a signed or odd number, or words: not a date either
    try:
        when = email.utils.parsedate_to_datetime(value)
        left = when.timestamp() - time.time()
    except (TypeError, ValueError, OverflowError, IndexError):
        return None
    return max(left, 0.0) if math.isfinite(left) else None


# An HTTP date starts with a day name ("Wed, 21 Oct 2015 07:28:00 GMT", or the obsolete forms).
_DATE = re.compile(r"^[A-Za-z]{3}")
_NUMBER = re.compile(r"^\d+(\.\d+)?$")


def _non_negative(text: str) -> float | None:
    """A plain decimal number ≥ 0 (no sign, exponent, NaN or infinity), else None."""
    text = text.strip()
    if not _NUMBER.match(text) or len(text) > 30:
        return None
    value = float(text)
    return value if math.isfinite(value) else None


def parse_should_retry(headers: httpx.Headers) -> bool | None:
    """The provider's ``x-should-retry`` (OpenAI and Anthropic send it): True, False or None."""
    value = headers.get("x-should-retry", "").strip().lower()
    return {"true": True, "false": False}.get(value)


def _os_reason(exc: BaseException) -> str:
    """The most specific reason in the exception chain ("Connection refused" rather than
    anyio's "All connection attempts failed")."""
    seen: BaseException | None = exc
    while seen is not None:
        for candidate in (seen, *getattr(seen, "exceptions", ())):  # groups: happy eyeballs
            if isinstance(candidate, socket.gaierror):
                # A name that does not resolve is a DNS matter, not "Unknown error -2".
                return f"DNS lookup failed: {candidate.strerror or 'the host name does not resolve'}"
            if isinstance(candidate, OSError) and isinstance(candidate.errno, int):
                return os.strerror(candidate.errno)
        seen = seen.__cause__ or seen.__context__
    text = redact(str(exc)) or type(exc).__name__
    return text.splitlines()[0][:160]


_PHRASES = {
    400: "bad request",
    401: "unauthorized",
    403: "forbidden",
    404: "not found",
    408: "request timeout",
    429: "too many requests",
    500: "internal server error",
    502: "bad gateway",
    503: "service unavailable",
    504: "gateway timeout",
    529: "overloaded",
}


def _reason_phrase(status: int) -> str:
    return _PHRASES.get(status, "")
