"""Streaming parser cost against how the bytes arrive.

A 1 MB answer in one SSE event is parsed by the OpenAI-compatible provider, fed through an
in-memory transport (no network, so only parsing is measured). Baseline, in the same run:
the whole stream in one piece. Arriving in 64 KiB or 256-byte pieces must cost about the
same per byte: a parser that rescans its buffer for every piece would grow with the
square of the line length instead.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpx
from harness import best_of, header, report

from modeldesk.core.schema import Provider
from modeldesk.runtime.providers import ChatRequest, OpenAIProvider, TextChunk

EVENT = b"data: " + json.dumps({"choices": [{"delta": {"content": "x" * 1_000_000}}]}).encode() + b"\r\n\r\n"
STREAM = EVENT + b"data: [DONE]\r\n\r\n"


def parse(piece_size: int) -> None:
    pieces = [STREAM[i : i + piece_size] for i in range(0, len(STREAM), piece_size)]

    async def body():  # type: ignore[no-untyped-def]
        for piece in pieces:
            yield piece

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=body())

    async def run() -> int:
        provider = Provider(id="p", kind="openai", base_url="http://in-memory/v1")
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
            chunks = [c async for c in OpenAIProvider(provider, client, None).chat(ChatRequest("m", "hi"))]
        return sum(len(c.text) for c in chunks if isinstance(c, TextChunk))

    assert asyncio.run(run()) == 1_000_000


def main() -> None:
    header("SSE parsing: a 1 MB event, by piece size")
    base = best_of(lambda: parse(len(STREAM)), repeat=3)
    report("baseline: one piece", base, base, "one piece")
    report("64 KiB pieces", best_of(lambda: parse(64 * 1024), repeat=3), base, "one piece")
    report("256-byte pieces (4,000 pieces)", best_of(lambda: parse(256), repeat=3), base, "one piece")


if __name__ == "__main__":
    main()
