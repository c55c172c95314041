"""Provider clients over ``httpx``: one class per config ``kind``."""

from __future__ import annotations

import httpx

from modeldesk.core.schema import Provider

from .anthropic import AnthropicProvider
from .chat_provider import ChatProvider
from .chat_types import ChatRequest, Chunk, Finished, Progress, RemoteModel, TextChunk, ToolCallChunk
from .http_client import new_client
from .openai import OpenAIProvider
from .simulated import SimulatedProvider

KINDS: dict[str, type[ChatProvider]] = {
    "openai": OpenAIProvider,
    "anthropic": AnthropicProvider,
    "simulated": SimulatedProvider,
}


def make_provider(
    provider: Provider, client: httpx.AsyncClient, api_key: str | None, timeout: httpx.Timeout | None = None
) -> ChatProvider:
    return KINDS[provider.kind](provider, client, api_key, timeout)


__all__ = [
    "KINDS",
    "AnthropicProvider",
    "ChatProvider",
    "ChatRequest",
    "Chunk",
    "Finished",
    "OpenAIProvider",
    "Progress",
    "RemoteModel",
    "SimulatedProvider",
    "TextChunk",
    "ToolCallChunk",
    "make_provider",
    "new_client",
]
