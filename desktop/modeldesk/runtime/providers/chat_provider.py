"""The base class of every provider: sending a request, turning HTTP failures into
:class:`ProviderError`, and reading a whole JSON answer."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import zlib
from collections.abc import AsyncGenerator, AsyncIterator
from types import TracebackType
from typing import Any

import httpx

from modeldesk.core.limits import deeper_than
from modeldesk.core.schema import Provider
from modeldesk.core.text import clean_text, whole_characters

from ..errors import ErrorClass, ProviderError, redact
from .bounded_body import MAX_ERROR_BODY_BYTES, MAX_REPLY_NESTING, MAX_RESPONSE_BYTES, BodyTooLarge, read_limited
from .chat_types import ChatRequest, Chunk, Finished, Progress, RemoteModel, TextChunk, ToolCallChunk
from .error_classifier import (
    REDIRECTS,
    capped,
    classify,
    classify_stream_error,
    html_summary,
    looks_like_html,
    os_reason,
    parse_error_body,
    reason_phrase,
)
from .retry_after import RETRY_AFTER_STATUSES, parse_retry_after, parse_should_retry

# How long the rest of a streamed body may take once its end mark came (see _read_to_end).
BODY_END_WAIT_S = 0.05


class ChatProvider:
    """Base class: one configured provider over a shared ``httpx.AsyncClient``."""

    def __init__(
        self,
        provider: Provider,
        client: httpx.AsyncClient,
        api_key: str | None,
        timeout: httpx.Timeout | None = None,
    ) -> None:
        self.provider = provider
        self.client = client
        self._api_key = api_key
        # A run's own timeouts (its agent's connect timeout) on a client shared by many runs;
        # None: the client's.
        self._timeout = (timeout or client.timeout).as_dict()

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
            # What client.stream() does, without its context manager's frames on every hop.
            sent = self._post(
                parsed_url(self.chat_url()), self.body(request), self.headers() | self.request_headers(request)
            )
            response = await self.client.send(sent, stream=True)
            try:
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
                chunks = _whole_characters(self.parse_stream(response))
                async for chunk in chunks:
                    if isinstance(chunk, Finished):
                        await _read_to_end(chunks)
                    yield chunk
            finally:
                await response.aclose()

    def _post(self, url: httpx.URL, body: dict[str, Any], headers: dict[str, str]) -> httpx.Request:
        """The request ``client.build_request("POST", ...)`` makes (the client's headers, its
        cookies; the run's timeouts), with the headers merged as one dict: httpx merges them by
        look-ups that each scan every header, a visible share of a fallback hop's own work."""
        client = self.client
        request = httpx.Request(
            "POST",
            url,
            json=body,
            headers=dict(client.headers.items()) | headers,
            extensions={"timeout": self._timeout},
        )
        if client.cookies:
            client.cookies.set_cookie_header(request)
        return request

    async def get_json(self, url: str, params: dict[str, str] | None = None) -> Any:
        """GET ``url`` and return its JSON body (errors mapped like any call)."""
        with self.mapping_errors("request"):
            async with self.client.stream("GET", url, params=params, headers=self.headers()) as response:
                await self.raise_for_status(response)
                return await self.read_json(response)

    def error_in_body(self, data: dict[str, Any]) -> ProviderError:
        """The error that an error object inside a 2xx answer (a stream event or a whole body)
        reports."""
        error_class, status, message = classify_stream_error(data)
        return self.error(error_class, message, status=status)

    def error(self, error_class: ErrorClass, detail: str = "", **kwargs: Any) -> ProviderError:
        # A provider's words are data: no escape sequence, bidi override or lone
        # surrogate from them reaches a terminal, a label, the history or the log.
        return ProviderError.make(error_class, clean_text(detail), secrets=self.secrets, **kwargs)

    def mapping_errors(self, phase: str = "request") -> _ErrorMapping:
        """Turn httpx exceptions raised inside the block into ProviderError.

        ``phase`` is "request" before a response arrived and "stream" while reading one: a
        connection dropped mid-stream is a stream cut short, not a refused connection.
        """
        return _ErrorMapping(self, phase)

    def mapped_error(self, exc: httpx.HTTPError, phase: str) -> ProviderError:
        """The ProviderError for an httpx exception (see :meth:`mapping_errors`)."""
        if isinstance(exc, httpx.ConnectTimeout):
            return self.error("timeout", f"could not connect to {self._where()} in time")
        if isinstance(exc, httpx.PoolTimeout):
            # Every connection of a shared pool busy (the gateway's, under load) until the
            # connect timeout ran out: nothing was sent.
            return self.error("timeout", f"no free connection to {self._where()} in time")
        if isinstance(exc, httpx.TimeoutException):
            return self.error("timeout", f"{type(exc).__name__} from {self._where()}")
        if isinstance(exc, httpx.ConnectError):
            return self.error("connection", f"cannot reach {self._where()} ({os_reason(exc)})")
        if isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError | httpx.WriteError | httpx.CloseError):
            if phase == "stream":
                return self.error("malformed_response", "stream cut short: the connection closed mid-answer")
            return self.error("connection", f"connection to {self._where()} broke ({os_reason(exc)})")
        return self.error("connection", f"{type(exc).__name__}: {os_reason(exc)}")

    def _where(self) -> str:
        url = parsed_url(self.chat_url())  # where requests go (a simulated provider has no base_url)
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
        # The headers read in one pass (httpx scans them all for each look-up, and a missing
        # one costs an exception): four are asked here.
        fields = {} if headers is None else dict(headers.items())
        # Retry-After replaces the backoff only where HTTP gives it that meaning for a retry.
        retry_after = parse_retry_after(fields) if headers is not None and status in RETRY_AFTER_STATUSES else None
        should_retry = parse_should_retry(fields) if headers is not None else None
        if status in REDIRECTS:
            location = fields.get("location", "")
            return self.error(
                "redirect",
                f"the server redirects to {location or '(no Location given)'}; "
                f"check the provider's base_url ({self.provider.base_url})",
                status=status,
            )
        content_type = fields.get("content-type", "")
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
        detail = capped(message, size, truncated=size >= MAX_ERROR_BODY_BYTES) or reason_phrase(status)
        return self.error(error_class, detail, status=status, retry_after=retry_after, should_retry=should_retry)


class _ErrorMapping:
    """:meth:`ChatProvider.mapping_errors`' block: a plain class, entered on every request
    and body read (a generator-based context manager costs a generator each time)."""

    __slots__ = ("phase", "provider")

    def __init__(self, provider: ChatProvider, phase: str) -> None:
        self.provider = provider
        self.phase = phase

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if isinstance(exc, httpx.HTTPError):
            raise self.provider.mapped_error(exc, self.phase) from None


async def _read_to_end(chunks: AsyncIterator[Chunk]) -> None:
    """What follows a stream's end mark, up to the body's own end (normally only the last
    bytes of the chunked encoding, already here). A body read to its end leaves its
    connection open for the next request; one left unread has it closed, so every streamed
    answer cost a new connection (over https, a new TLS handshake too). A server that keeps
    the body open after its end mark loses the connection as before, after BODY_END_WAIT_S."""
    with contextlib.suppress(TimeoutError, ProviderError):
        async with asyncio.timeout(BODY_END_WAIT_S):
            async for _chunk in chunks:
                pass


@functools.lru_cache(maxsize=256)
def parsed_url(url: str) -> httpx.URL:
    """``url`` parsed once: httpx parses a URL given as text on every request, the largest
    single cost of a fallback hop's own work."""
    return httpx.URL(url)


def _is_event_stream(content_type: str) -> bool:
    return content_type.split(";")[0].strip().lower() == "text/event-stream"


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
