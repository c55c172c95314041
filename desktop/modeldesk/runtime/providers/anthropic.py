"""Anthropic's Messages API. ``base_url`` is the host root (``https://api.anthropic.com``);
a trailing ``/v1`` is tolerated."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx

from ..conversation import provider_body, stop_from_anthropic
from .chat_provider import ChatProvider
from .chat_types import ChatRequest, Chunk, Finished, Progress, RemoteModel, TextChunk, ToolCallChunk
from .http_client import USER_AGENT
from .sse_reader import iter_sse, parse_json_event, skip_rest

API_VERSION = "2023-06-01"
# The Messages API requires max_tokens; this is used when the caller gives none.
DEFAULT_MAX_TOKENS = 1024
MAX_MODEL_PAGES = 20
# A result the model refused to give (not an error: the request itself was accepted).
REFUSED = "the model declined to answer (stop_reason refusal)"


class AnthropicProvider(ChatProvider):
    @property
    def root(self) -> str:
        base = self.provider.base_url
        return base.removesuffix("/v1")

    def headers(self) -> dict[str, str]:
        headers = {"user-agent": USER_AGENT, "anthropic-version": API_VERSION, "accept": "application/json"}
        if self._api_key:
            headers["x-api-key"] = self._api_key
        return headers

    def body(self, request: ChatRequest) -> dict[str, Any]:
        if request.conversation is not None:
            translated = provider_body(request.conversation, "anthropic", request.model, request.stream)
            if request.prefix and request.prefix.rstrip():
                translated["messages"] = [
                    *translated.get("messages", []),
                    {"role": "assistant", "content": request.prefix.rstrip()},
                ]
            return translated
        body: dict[str, Any] = {
            "model": request.model,
            "max_tokens": request.max_tokens or DEFAULT_MAX_TOKENS,
            "messages": [{"role": "user", "content": request.prompt}],
            "stream": request.stream,
        }
        if request.system:
            body["system"] = request.system
        if request.prefix and request.prefix.rstrip():
            # A final assistant turn is a prefill: the model continues that very text. The
            # API refuses trailing whitespace in it.
            body["messages"].append({"role": "assistant", "content": request.prefix.rstrip()})
        return body

    def request_headers(self, request: ChatRequest) -> dict[str, str]:
        # A Messages client's beta features travel with its own body (same format only).
        conversation = request.conversation
        if conversation is not None and conversation.api == "messages" and conversation.beta:
            return {"anthropic-beta": conversation.beta}
        return {}

    def chat_url(self) -> str:
        return f"{self.root}/v1/messages"

    async def parse_stream(self, response: httpx.Response) -> AsyncIterator[Chunk]:
        usage: dict[str, int] = {}
        stop_reason: str | None = None
        tools: dict[int, int] = {}  # content block index -> tool call index
        events = iter_sse(response, self)
        async for event in events:
            data = parse_json_event(event.data, self)
            kind = data.get("type") or event.event
            if kind == "error":
                raise self.error_in_body(data)
            if kind == "message_start":
                started = data.get("message")
                _add_usage(usage, started.get("usage") if isinstance(started, dict) else None)
            elif kind == "content_block_start":
                block = data.get("content_block")
                if isinstance(block, dict) and block.get("type") == "tool_use":
                    call_id, name = block.get("id"), block.get("name")
                    if not isinstance(call_id, str) or not isinstance(name, str):
                        raise self.error("malformed_response", "tool_use block has no id or name")
                    index = len(tools)
                    tools[_block_index(data)] = index
                    yield ToolCallChunk(index, call_id, name, "")
                    continue
            elif kind == "content_block_delta":
                delta = data.get("delta")
                if not isinstance(delta, dict):
                    raise self.error("malformed_response", "content_block_delta has no delta object")
                if delta.get("type") == "text_delta":
                    text = delta.get("text")
                    if not isinstance(text, str):
                        raise self.error("malformed_response", "text_delta has no text")
                    if text:
                        yield TextChunk(text)
                        continue
                elif delta.get("type") == "input_json_delta":
                    call_index = tools.get(_block_index(data))
                    partial = delta.get("partial_json")
                    if call_index is None or not isinstance(partial, str):
                        raise self.error("malformed_response", "input_json_delta outside a tool_use block")
                    if partial:
                        yield ToolCallChunk(call_index, None, None, partial)
                        continue
            elif kind == "message_delta":
                _add_usage(usage, data.get("usage"))
                delta = data.get("delta")
                if isinstance(delta, dict) and delta.get("stop_reason") == "refusal":
                    raise self.error("refusal", REFUSED)
                if isinstance(delta, dict) and isinstance(delta.get("stop_reason"), str):
                    stop_reason = stop_from_anthropic(delta["stop_reason"])
            elif kind == "message_stop":
                yield Finished(_complete(usage), stop_reason)
                await skip_rest(events)
                return
            yield Progress()
        raise self.error("malformed_response", "stream cut short (no message_stop)")

    def completion_extras(self, data: Any) -> tuple[list[ToolCallChunk], str | None]:
        calls: list[ToolCallChunk] = []
        for block in data.get("content") or []:
            if isinstance(block, dict) and block.get("type") == "tool_use":
                call_id, name = block.get("id"), block.get("name")
                if not isinstance(call_id, str) or not isinstance(name, str):
                    raise self.error("malformed_response", "tool_use block has no id or name")
                arguments = json.dumps(block.get("input") if block.get("input") is not None else {})
                calls.append(ToolCallChunk(len(calls), call_id, name, arguments))
        reason = data.get("stop_reason")
        return calls, stop_from_anthropic(reason if isinstance(reason, str) else None)

    def parse_completion(self, data: Any) -> tuple[str, dict[str, int] | None]:
        if isinstance(data, dict) and data.get("type") == "error":
            raise self.error_in_body(data)
        content = data.get("content") if isinstance(data, dict) else None
        if not isinstance(content, list):
            raise self.error("malformed_response", "message has no 'content' list")
        text = "".join(
            block["text"]
            for block in content
            if isinstance(block, dict) and block.get("type") == "text" and isinstance(block.get("text"), str)
        )
        if data.get("stop_reason") == "refusal":
            raise self.error("refusal", REFUSED)
        usage: dict[str, int] = {}
        _add_usage(usage, data.get("usage"))
        return text, _complete(usage)

    async def list_models(self) -> list[RemoteModel]:
        models: list[RemoteModel] = []
        params: dict[str, str] = {"limit": "1000"}
        for _ in range(MAX_MODEL_PAGES):
            data = await self.get_json(f"{self.root}/v1/models", params)
            items = data.get("data") if isinstance(data, dict) else None
            if not isinstance(items, list):
                raise self.error("malformed_response", "model list has no 'data' array")
            for item in items:
                model = RemoteModel.listed(item.get("id"), item.get("display_name")) if isinstance(item, dict) else None
                if model is not None:
                    models.append(model)
            if not data.get("has_more") or not data.get("last_id"):
                break
            params["after_id"] = str(data["last_id"])
        return models


def _block_index(data: dict[str, Any]) -> int:
    index = data.get("index")
    return index if isinstance(index, int) else 0


def _add_usage(usage: dict[str, int], raw: Any) -> None:
    """Anthropic counts input tokens at message_start and output tokens at the end."""
    if isinstance(raw, dict):
        for theirs, ours in (("input_tokens", "prompt_tokens"), ("output_tokens", "completion_tokens")):
            if isinstance(raw.get(theirs), int):
                usage[ours] = raw[theirs]


def _complete(usage: dict[str, int]) -> dict[str, int] | None:
    return usage if {"prompt_tokens", "completion_tokens"} <= usage.keys() else None
