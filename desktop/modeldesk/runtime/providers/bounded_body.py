"""Reading a response body without trusting its size: the limits against floods, and
compressed bodies inflated piece by piece under them."""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator, Iterator

import httpx

# Limits against floods: an error body, a whole response. Far above anything a real chat
# answer needs, far below what would hurt the process.
MAX_ERROR_BODY_BYTES = 64 << 10
MAX_RESPONSE_BYTES = 16 << 20
# Deepest JSON taken from a provider (arrays and objects): answers need fewer than 10
# levels; deeper is refused before parsing, so the parser's recursion is never reached.
MAX_REPLY_NESTING = 64
# Largest piece a compressed body is inflated to at a time: a tiny gzip bomb never
# becomes one huge buffer before the limit is checked.
INFLATE_STEP = 64 << 10


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
