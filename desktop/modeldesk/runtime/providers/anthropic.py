"""Anthropic's Messages API. ``base_url`` is the host root (``https://api.anthropic.com``);
a trailing ``/v1`` is tolerated."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from .base import (
    ChatProvider,
    ChatRequest,
    Chunk,
    Finished,
    Progress,
    RemoteModel,
    TextChunk,
    classify_stream_error,
    iter_sse,
    parse_json_event,
)
from .openai import USER_AGENT

API_VERSION = "2023-06-01"
# The Messages API requires max_tokens; this is used when the caller gives none.
DEFAULT_MAX_TOKENS = 1024
MAX_MODEL_PAGES = 20


class AnthropicProvider(ChatProvider):
    @property
    def root(self) -> str:
        base = self.provider.base_url
        return base[: -len("/v1")] if base.endswith("/v1") else base

    def headers(self) -> dict[str, str]:
        headers = {"user-agent": USER_AGENT, "anthropic-version": API_VERSION, "accept": "application/json"}
        if self._api_key:
            headers["x-api-key"] = self._api_key
        return headers

    def body(self, request: ChatRequest) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": request.model,
            "max_tokens": request.max_tokens or DEFAULT_MAX_TOKENS,
            "messages": [{"role": "user", "content": request.prompt}],
            "stream": request.stream,
        }
        if request.system:
            body["system"] = request.system
        return body

    async def chat(self, request: ChatRequest) -> AsyncIterator[Chunk]:  # type: ignore[override]
        url = f"{self.root}/v1/messages"
        with self.mapping_errors("request"):
            async with self.client.stream("POST", url, json=self.body(request), headers=self.headers()) as response:
                await self.raise_for_status(response)
                if not request.stream:
                    text, usage = self._parse_message(await self.read_json(response))
                    yield TextChunk(text)
                    yield Finished(usage)
                    return
                async for chunk in self._parse_stream(response):
                    yield chunk

    async def _parse_stream(self, response: Any) -> AsyncIterator[Chunk]:
        usage: dict[str, int] = {}
        async for event in iter_sse(response, self):
            data = parse_json_event(event.data, self)
            kind = data.get("type") or event.event
            if kind == "error":
                error_class, status, message = classify_stream_error(data)
                raise self.error(error_class, message, status=status)
            if kind == "message_start":
                message = data.get("message")
                raw = message.get("usage") if isinstance(message, dict) else None
                if isinstance(raw, dict) and isinstance(raw.get("input_tokens"), int):
                    usage["prompt_tokens"] = raw["input_tokens"]
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
            elif kind == "message_delta":
                raw = data.get("usage")
                if isinstance(raw, dict) and isinstance(raw.get("output_tokens"), int):
                    usage["completion_tokens"] = raw["output_tokens"]
            elif kind == "message_stop":
                yield Finished(_complete(usage))
                return
            yield Progress()
        raise self.error("malformed_response", "stream cut short (no message_stop)")

    def _parse_message(self, data: Any) -> tuple[str, dict[str, int] | None]:
        if isinstance(data, dict) and data.get("type") == "error":
            error_class, status, message = classify_stream_error(data)
            raise self.error(error_class, message, status=status)
        content = data.get("content") if isinstance(data, dict) else None
        if not isinstance(content, list):
            raise self.error("malformed_response", "message has no 'content' list")
        text = "".join(
            block["text"]
            for block in content
            if isinstance(block, dict) and block.get("type") == "text" and isinstance(block.get("text"), str)
        )
        raw = data.get("usage")
        usage: dict[str, int] = {}
        if isinstance(raw, dict):
            if isinstance(raw.get("input_tokens"), int):
                usage["prompt_tokens"] = raw["input_tokens"]
            if isinstance(raw.get("output_tokens"), int):
                usage["completion_tokens"] = raw["output_tokens"]
        return text, _complete(usage)

    async def list_models(self) -> list[RemoteModel]:
        models: list[RemoteModel] = []
        params: dict[str, str] = {"limit": "1000"}
        for _ in range(MAX_MODEL_PAGES):
            with self.mapping_errors("request"):
                async with self.client.stream(
                    "GET", f"{self.root}/v1/models", params=params, headers=self.headers()
                ) as response:
                    await self.raise_for_status(response)
                    data = await self.read_json(response)
            items = data.get("data") if isinstance(data, dict) else None
            if not isinstance(items, list):
                raise self.error("malformed_response", "model list has no 'data' array")
            for item in items:
                if isinstance(item, dict) and isinstance(item.get("id"), str):
                    models.append(RemoteModel(item["id"], item.get("display_name") or None))
            if not data.get("has_more") or not data.get("last_id"):
                break
            params["after_id"] = str(data["last_id"])
        return models


def _complete(usage: dict[str, int]) -> dict[str, int] | None:
    return usage if {"prompt_tokens", "completion_tokens"} <= usage.keys() else None
