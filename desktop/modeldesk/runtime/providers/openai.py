"""OpenAI-compatible chat completions: OpenAI, OpenRouter, vLLM, llama.cpp, LM Studio,
Ollama's ``/v1``. ``base_url`` is everything up to and including ``/v1``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx

from ..conversation import provider_body, stop_from_openai
from .chat_provider import ChatProvider
from .chat_types import ChatRequest, Chunk, Finished, Progress, RemoteModel, TextChunk, ToolCallChunk
from .http_client import USER_AGENT
from .sse_reader import iter_sse, parse_json_event, skip_rest

# A result the model refused to give (not an error: the request itself was accepted).
REFUSED = "the provider's content filter stopped the answer (finish_reason content_filter)"

# Sent after a broken answer handed over from another model.
CONTINUE_INSTRUCTION = (
    "Your answer above was cut off. Continue it exactly where it stops, without repeating anything "
    "and without any preamble."
)


class OpenAIProvider(ChatProvider):
    def headers(self) -> dict[str, str]:
        headers = {"user-agent": USER_AGENT, "accept": "application/json, text/event-stream"}
        if self._api_key:
            headers["authorization"] = f"Bearer {self._api_key}"
        return headers

    def body(self, request: ChatRequest) -> dict[str, Any]:
        if request.conversation is not None:
            translated = provider_body(request.conversation, "openai", request.model, request.stream)
            if request.prefix:
                translated["messages"] = [
                    *translated.get("messages", []),
                    {"role": "assistant", "content": request.prefix},
                    {"role": "user", "content": CONTINUE_INSTRUCTION},
                ]
            return translated
        messages = []
        if request.system:
            messages.append({"role": "system", "content": request.system})
        messages.append({"role": "user", "content": request.prompt})
        if request.prefix:
            messages.append({"role": "assistant", "content": request.prefix})
            messages.append({"role": "user", "content": CONTINUE_INSTRUCTION})
        body: dict[str, Any] = {"model": request.model, "messages": messages, "stream": request.stream}
        if request.max_tokens is not None:
            body["max_tokens"] = request.max_tokens
        if request.stream:
            # Without this, OpenAI sends no token counts in a stream.
            body["stream_options"] = {"include_usage": True}
        return body

    def chat_url(self) -> str:
        return f"{self.provider.base_url}/chat/completions"

    async def parse_stream(self, response: httpx.Response) -> AsyncIterator[Chunk]:
        usage: dict[str, int] | None = None
        finished = False
        stop_reason: str | None = None
        events = iter_sse(response, self)
        async for event in events:
            if event.data.strip() == "[DONE]":
                yield Finished(usage, stop_reason)
                await skip_rest(events)
                return
            data = parse_json_event(event.data, self)
            if "error" in data:
                raise self.error_in_body(data)
            usage = _usage(data.get("usage")) or usage
            choices = data.get("choices")
            if not isinstance(choices, list):
                raise self.error("malformed_response", "stream chunk has no 'choices' list")
            text = ""
            calls: list[ToolCallChunk] = []
            for choice in choices:
                if not isinstance(choice, dict):
                    raise self.error("malformed_response", "stream choice is not an object")
                delta = choice.get("delta") or {}
                if not isinstance(delta, dict):
                    raise self.error("malformed_response", "stream delta is not an object")
                piece = delta.get("content")
                if isinstance(piece, str):
                    text += piece
                if delta.get("tool_calls"):
                    calls.extend(self._call_deltas(delta["tool_calls"]))
                if choice.get("finish_reason"):
                    finished = True
                    stop_reason = stop_from_openai(str(choice["finish_reason"]))
                    if choice["finish_reason"] == "content_filter":
                        if text:
                            yield TextChunk(text)  # part of what is withdrawn
                        raise self.error("refusal", REFUSED)
            if text:
                yield TextChunk(text)
            for call in calls:
                yield call
            if not text and not calls:
                yield Progress()
        if not finished:
            raise self.error("malformed_response", "stream cut short (no [DONE])")
        # A finish_reason without [DONE] is a complete answer from a lax server.
        yield Finished(usage, stop_reason)

    def _call_deltas(self, raw: Any) -> list[ToolCallChunk]:
        if not isinstance(raw, list):
            raise self.error("malformed_response", "stream tool_calls is not a list")
        calls = []
        for item in raw:
            if not isinstance(item, dict) or not isinstance(item.get("index", 0), int):
                raise self.error("malformed_response", "stream tool call is not an object with an index")
            raw_function = item.get("function")
            function: dict[str, Any] = raw_function if isinstance(raw_function, dict) else {}
            call_id, name, arguments = item.get("id"), function.get("name"), function.get("arguments")
            calls.append(
                ToolCallChunk(
                    int(item.get("index", 0)),
                    call_id if isinstance(call_id, str) else None,
                    name if isinstance(name, str) else None,
                    arguments if isinstance(arguments, str) else "",
                )
            )
        return calls

    def completion_extras(self, data: Any) -> tuple[list[ToolCallChunk], str | None]:
        choice = data["choices"][0]
        message = choice.get("message") if isinstance(choice.get("message"), dict) else {}
        calls = []
        for index, item in enumerate(message.get("tool_calls") or []):
            function = item.get("function") if isinstance(item, dict) else None
            if not isinstance(function, dict) or not isinstance(function.get("name"), str):
                raise self.error("malformed_response", "tool call has no function name")
            arguments = function.get("arguments")
            call_id = item.get("id")
            calls.append(
                ToolCallChunk(
                    index,
                    call_id if isinstance(call_id, str) else f"call_{index}",
                    function["name"],
                    arguments if isinstance(arguments, str) else "{}",
                )
            )
        reason = choice.get("finish_reason")
        return calls, stop_from_openai(reason if isinstance(reason, str) else None)

    def parse_completion(self, data: Any) -> tuple[str, dict[str, int] | None]:
        if isinstance(data, dict) and "error" in data:
            raise self.error_in_body(data)
        try:
            choice = data["choices"][0]
            content = choice["message"].get("content") or ""
        except (KeyError, IndexError, TypeError, AttributeError):
            raise self.error("malformed_response", "completion has no choices[0].message") from None
        if not isinstance(content, str):
            raise self.error("malformed_response", "message content is not text")
        if choice.get("finish_reason") == "content_filter":
            raise self.error("refusal", REFUSED)
        return content, _usage(data.get("usage"))

    async def list_models(self) -> list[RemoteModel]:
        data = await self.get_json(f"{self.provider.base_url}/models")
        items = data.get("data") if isinstance(data, dict) else None
        if not isinstance(items, list):
            raise self.error("malformed_response", "model list has no 'data' array")
        models = []
        for item in items:
            if isinstance(item, dict):
                model = RemoteModel.listed(item.get("id"), item.get("name"), _context_window(item))
                if model is not None:
                    models.append(model)
        return models


def _usage(raw: Any) -> dict[str, int] | None:
    if not isinstance(raw, dict):
        return None
    prompt, completion = raw.get("prompt_tokens"), raw.get("completion_tokens")
    if not isinstance(prompt, int) or not isinstance(completion, int):
        return None
    return {"prompt_tokens": prompt, "completion_tokens": completion}


def _context_window(item: dict[str, Any]) -> int | None:
    # Each server names it differently: OpenRouter, vLLM, llama.cpp's server.
    meta = item.get("meta")
    for value in (
        item.get("context_length"),
        item.get("max_model_len"),
        meta.get("n_ctx_train") if isinstance(meta, dict) else None,
    ):
        if isinstance(value, int) and value > 0:
            return value
    return None
