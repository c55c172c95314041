"""Server-sent events from a streaming response, read under line and size limits."""

from __future__ import annotations

import re
import zlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx

from .bounded_body import MAX_RESPONSE_BYTES, BodyTooLarge, aiter_limited

if TYPE_CHECKING:
    from .chat_provider import ChatProvider

# Longest line of a stream: far above any real event, far below what would hurt the process.
MAX_LINE_BYTES = 1 << 20


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


def parse_json_event(data: str, provider: ChatProvider) -> dict[str, Any]:
    value = provider.parse_json(data, "stream event")
    if not isinstance(value, dict):
        raise provider.error("malformed_response", "stream event is not a JSON object")
    return value


async def skip_rest(events: AsyncIterator[SseEvent]) -> None:
    """What follows a stream's end mark, read to the body's end and not parsed (see
    ``ChatProvider.chat``: a body read to its end keeps its connection open)."""
    async for _event in events:
        pass
