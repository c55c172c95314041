"""What the gateway writes back, in each client API's own shape: error bodies, whole
answers, and the streaming events of Chat Completions, Messages and Responses.

A renderer turns the neutral pieces of an answer (text deltas, tool-call deltas, the stop
reason and usage) into bytes. Stream renderers keep the little state each format needs
(open content blocks, output items, sequence numbers).
"""

from __future__ import annotations

import itertools
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

import orjson

from modeldesk.runtime.conversation import Api, stop_to_anthropic

SSE_HEADERS = [(b"content-type", b"text/event-stream"), (b"cache-control", b"no-cache")]
JSON_HEADERS = [(b"content-type", b"application/json")]


def dumps(value: Any) -> bytes:
    return orjson.dumps(value)


_ids = itertools.count(1)
_ID_PREFIX = secrets.token_hex(8)  # ids unique across gateway processes, cheap within one


def new_id(prefix: str) -> str:
    return f"{prefix}{_ID_PREFIX}{next(_ids):08x}"


# --- errors -------------------------------------------------------------------------------

# Anthropic's error type for each status the gateway answers with.
_ANTHROPIC_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    404: "not_found_error",
    408: "request_timeout",
    413: "request_too_large",
    429: "rate_limit_error",
    431: "request_too_large",
    502: "api_error",
    503: "overloaded_error",
}
_OPENAI_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    404: "invalid_request_error",
    408: "timeout",
    413: "invalid_request_error",
    429: "rate_limit_error",
    431: "invalid_request_error",
    502: "server_error",
    503: "server_error",
}


def error_body(api: Api, status: int, code: str, message: str) -> dict[str, Any]:
    """The error object a client of ``api`` expects for ``status``."""
    if api == "messages":
        return {"type": "error", "error": {"type": _ANTHROPIC_TYPES.get(status, "api_error"), "message": message}}
    return {
        "error": {"message": message, "type": _OPENAI_TYPES.get(status, "server_error"), "code": code, "param": None}
    }


# --- the answer, gathered ---------------------------------------------------------------


@dataclass
class CallParts:
    id: str
    name: str
    arguments: list[str] = field(default_factory=list)


@dataclass
class Answer:
    """A whole answer in neutral form (for clients that did not ask for a stream)."""

    text: str
    calls: list[CallParts]
    stop_reason: str | None
    usage: dict[str, int] | None


def _stop(answer_stop: str | None, calls: bool) -> str:
    if answer_stop is None:
        return "tool_calls" if calls else "stop"
    return answer_stop


def _tokens(usage: dict[str, int] | None) -> tuple[int, int]:
    usage = usage or {}
    return int(usage.get("prompt_tokens", 0)), int(usage.get("completion_tokens", 0))


def whole_answer(api: Api, answer: Answer, model: str) -> dict[str, Any]:
    """The non-streaming response body of ``api`` for ``answer``; ``model`` is the name
    the client asked for."""
    stop = _stop(answer.stop_reason, bool(answer.calls))
    prompt, completion = _tokens(answer.usage)
    if api == "chat":
        message: dict[str, Any] = {"role": "assistant", "content": answer.text or None, "refusal": None}
        if answer.calls:
            message["tool_calls"] = [
                {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": "".join(c.arguments)}}
                for c in answer.calls
            ]
        return {
            "id": new_id("chatcmpl-"),
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [{"index": 0, "message": message, "finish_reason": stop, "logprobs": None}],
            "usage": {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion},
        }
    if api == "messages":
        content: list[dict[str, Any]] = []
        if answer.text:
            content.append({"type": "text", "text": answer.text})
        content += [
            {"type": "tool_use", "id": c.id, "name": c.name, "input": _input(c.arguments)} for c in answer.calls
        ]
        return {
            "id": new_id("msg_"),
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": content,
            "stop_reason": stop_to_anthropic(stop),
            "stop_sequence": None,
            "usage": {"input_tokens": prompt, "output_tokens": completion},
        }
    output: list[dict[str, Any]] = []
    if answer.text:
        output.append(_message_item(new_id("msg_"), answer.text, "completed"))
    output += [_call_item(new_id("fc_"), c, "completed") for c in answer.calls]
    return _response(new_id("resp_"), model, output, stop, answer.usage)


def _input(arguments: list[str]) -> dict[str, Any]:
    text = "".join(arguments)
    try:
        value = orjson.loads(text) if text.strip() else {}
    except orjson.JSONDecodeError:
        return {}
    return value if isinstance(value, dict) else {}


def _message_item(item_id: str, text: str, status: str) -> dict[str, Any]:
    return {
        "type": "message",
        "id": item_id,
        "status": status,
        "role": "assistant",
        "content": [{"type": "output_text", "text": text, "annotations": []}] if status == "completed" else [],
    }


def _call_item(item_id: str, call: CallParts, status: str) -> dict[str, Any]:
    return {
        "type": "function_call",
        "id": item_id,
        "call_id": call.id,
        "name": call.name,
        "arguments": "".join(call.arguments) if status == "completed" else "",
        "status": status,
    }


def _response(
    response_id: str,
    model: str,
    output: list[dict[str, Any]],
    stop: str | None,
    usage: dict[str, int] | None,
    *,
    status: str | None = None,
    created: int | None = None,
) -> dict[str, Any]:
    prompt, completion = _tokens(usage)
    if status is None:
        status = "incomplete" if stop == "length" else "completed"
    return {
        "id": response_id,
        "object": "response",
        "created_at": created or int(time.time()),
        "status": status,
        "model": model,
        "output": output,
        "incomplete_details": {"reason": "max_output_tokens"} if status == "incomplete" else None,
        "error": None,
        "parallel_tool_calls": True,
        "tool_choice": "auto",
        "tools": [],
        "usage": None
        if status == "in_progress"
        else {
            "input_tokens": prompt,
            "output_tokens": completion,
            "total_tokens": prompt + completion,
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens_details": {"reasoning_tokens": 0},
        },
    }


# --- streams ---------------------------------------------------------------------------------


def _event(name: str, data: dict[str, Any]) -> bytes:
    return b"event: " + name.encode() + b"\ndata: " + orjson.dumps(data) + b"\n\n"


class StreamRenderer:
    """Turns answer pieces into one API's streaming events (see the subclasses)."""

    def __init__(self, model: str, include_usage: bool = True) -> None:
        self.model = model
        self.include_usage = include_usage

    def start(self) -> bytes:
        raise NotImplementedError

    def text(self, text: str) -> bytes:
        raise NotImplementedError

    def tool(self, index: int, call_id: str | None, name: str | None, arguments: str) -> bytes:
        raise NotImplementedError

    def finish(self, stop_reason: str | None, usage: dict[str, int] | None) -> bytes:
        raise NotImplementedError

    def error(self, status: int, code: str, message: str) -> bytes:
        raise NotImplementedError


class ChatStream(StreamRenderer):
    def __init__(self, model: str, include_usage: bool = True) -> None:
        super().__init__(model, include_usage)
        head = {"id": new_id("chatcmpl-"), "object": "chat.completion.chunk", "created": int(time.time())}
        head["model"] = model
        # Every chunk starts alike: its JSON is made once, the delta appended per chunk.
        self._head = b"data: " + orjson.dumps(head)[:-1] + b',"choices":[{"index":0,"delta":'
        self._tail = b',"finish_reason":null}]}\n\n'
        self._head_obj = head
        self._calls = False

    def _chunk(self, delta: dict[str, Any]) -> bytes:
        return self._head + orjson.dumps(delta) + self._tail

    def start(self) -> bytes:
        return self._chunk({"role": "assistant", "content": ""})

    def text(self, text: str) -> bytes:
        return self._head + b'{"content":' + orjson.dumps(text) + b"}" + self._tail

    def tool(self, index: int, call_id: str | None, name: str | None, arguments: str) -> bytes:
        self._calls = True
        call: dict[str, Any] = {"index": index}
        if call_id is not None:
            call["id"] = call_id
            call["type"] = "function"
        function: dict[str, Any] = {"arguments": arguments}
        if name is not None:
            function["name"] = name
        call["function"] = function
        return self._chunk({"tool_calls": [call]})

    def finish(self, stop_reason: str | None, usage: dict[str, int] | None) -> bytes:
        stop = _stop(stop_reason, self._calls)
        out = b"data: " + orjson.dumps(self._head_obj | {"choices": [{"index": 0, "delta": {}, "finish_reason": stop}]})
        out += b"\n\n"
        if self.include_usage:
            prompt, completion = _tokens(usage)
            body = self._head_obj | {
                "choices": [],
                "usage": {
                    "prompt_tokens": prompt,
                    "completion_tokens": completion,
                    "total_tokens": prompt + completion,
                },
            }
            out += b"data: " + orjson.dumps(body) + b"\n\n"
        return out + b"data: [DONE]\n\n"

    def error(self, status: int, code: str, message: str) -> bytes:
        return b"data: " + orjson.dumps(error_body("chat", status, code, message)) + b"\n\n"


class MessagesStream(StreamRenderer):
    def __init__(self, model: str, include_usage: bool = True) -> None:
        super().__init__(model, include_usage)
        self._id = new_id("msg_")
        self._block = -1  # index of the open content block (-1: none)
        self._open: str | None = None  # "text" or "tool_use"
        self._tools: dict[int, int] = {}  # tool call index -> block index
        self._text_head = b""

    def start(self) -> bytes:
        message: dict[str, Any] = {
            "id": self._id,
            "type": "message",
            "role": "assistant",
            "model": self.model,
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {"input_tokens": 0, "output_tokens": 0},
        }
        return _event("message_start", {"type": "message_start", "message": message})

    def _close(self) -> bytes:
        if self._open is None:
            return b""
        self._open = None
        return _event("content_block_stop", {"type": "content_block_stop", "index": self._block})

    def text(self, text: str) -> bytes:
        out = b""
        if self._open != "text":
            out = self._close()
            self._block += 1
            self._open = "text"
            out += _event(
                "content_block_start",
                {"type": "content_block_start", "index": self._block, "content_block": {"type": "text", "text": ""}},
            )
            self._text_head = (
                b'event: content_block_delta\ndata: {"type":"content_block_delta","index":%d,'
                b'"delta":{"type":"text_delta","text":' % self._block
            )
        return out + self._text_head + orjson.dumps(text) + b"}}\n\n"

    def tool(self, index: int, call_id: str | None, name: str | None, arguments: str) -> bytes:
        out = b""
        if index not in self._tools:
            out = self._close()
            self._block += 1
            self._open = "tool_use"
            self._tools[index] = self._block
            block = {"type": "tool_use", "id": call_id or new_id("toolu_"), "name": name or "", "input": {}}
            out += _event(
                "content_block_start", {"type": "content_block_start", "index": self._block, "content_block": block}
            )
        if arguments:
            out += _event(
                "content_block_delta",
                {
                    "type": "content_block_delta",
                    "index": self._tools[index],
                    "delta": {"type": "input_json_delta", "partial_json": arguments},
                },
            )
        return out

    def finish(self, stop_reason: str | None, usage: dict[str, int] | None) -> bytes:
        prompt, completion = _tokens(usage)
        out = self._close()
        out += _event(
            "message_delta",
            {
                "type": "message_delta",
                "delta": {
                    "stop_reason": stop_to_anthropic(_stop(stop_reason, bool(self._tools))),
                    "stop_sequence": None,
                },
                "usage": {"input_tokens": prompt, "output_tokens": completion},
            },
        )
        return out + _event("message_stop", {"type": "message_stop"})

    def error(self, status: int, code: str, message: str) -> bytes:
        return _event("error", error_body("messages", status, code, message))


class ResponsesStream(StreamRenderer):
    def __init__(self, model: str, include_usage: bool = True) -> None:
        super().__init__(model, include_usage)
        self._id = new_id("resp_")
        self._created = int(time.time())
        self._seq = 0
        self._output: list[dict[str, Any]] = []  # finished items
        self._message: tuple[str, list[str]] | None = None  # open message item: id, text pieces
        self._calls: dict[int, tuple[str, CallParts]] = {}  # tool index -> item id, parts
        self._open_call: int | None = None

    def _emit(self, kind: str, data: dict[str, Any]) -> bytes:
        self._seq += 1
        return _event(kind, {"type": kind, "sequence_number": self._seq, **data})

    def _snapshot(self, status: str, stop: str | None = None, usage: dict[str, int] | None = None) -> dict[str, Any]:
        return _response(self._id, self.model, list(self._output), stop, usage, status=status, created=self._created)

    def start(self) -> bytes:
        return self._emit("response.created", {"response": self._snapshot("in_progress")}) + self._emit(
            "response.in_progress", {"response": self._snapshot("in_progress")}
        )

    def _close(self) -> bytes:
        out = b""
        index = len(self._output)
        if self._message is not None:
            item_id, pieces = self._message
            text = "".join(pieces)
            part = {"type": "output_text", "text": text, "annotations": []}
            out += self._emit(
                "response.output_text.done",
                {"item_id": item_id, "output_index": index, "content_index": 0, "text": text},
            )
            out += self._emit(
                "response.content_part.done",
                {"item_id": item_id, "output_index": index, "content_index": 0, "part": part},
            )
            item = _message_item(item_id, text, "completed")
            out += self._emit("response.output_item.done", {"output_index": index, "item": item})
            self._output.append(item)
            self._message = None
        elif self._open_call is not None:
            item_id, call = self._calls[self._open_call]
            arguments = "".join(call.arguments)
            out += self._emit(
                "response.function_call_arguments.done",
                {"item_id": item_id, "output_index": index, "arguments": arguments},
            )
            item = _call_item(item_id, call, "completed")
            out += self._emit("response.output_item.done", {"output_index": index, "item": item})
            self._output.append(item)
            self._open_call = None
        return out

    def text(self, text: str) -> bytes:
        out = b""
        if self._message is None:
            out = self._close()
            item_id = new_id("msg_")
            self._message = (item_id, [])
            index = len(self._output)
            out += self._emit(
                "response.output_item.added",
                {"output_index": index, "item": _message_item(item_id, "", "in_progress")},
            )
            out += self._emit(
                "response.content_part.added",
                {
                    "item_id": item_id,
                    "output_index": index,
                    "content_index": 0,
                    "part": {"type": "output_text", "text": "", "annotations": []},
                },
            )
        item_id, pieces = self._message
        pieces.append(text)
        return out + self._emit(
            "response.output_text.delta",
            {"item_id": item_id, "output_index": len(self._output), "content_index": 0, "delta": text},
        )

    def tool(self, index: int, call_id: str | None, name: str | None, arguments: str) -> bytes:
        out = b""
        if index not in self._calls:
            out = self._close()
            item_id = new_id("fc_")
            call = CallParts(call_id or new_id("call_"), name or "")
            self._calls[index] = (item_id, call)
            self._open_call = index
            out += self._emit(
                "response.output_item.added",
                {"output_index": len(self._output), "item": _call_item(item_id, call, "in_progress")},
            )
        item_id, call = self._calls[index]
        if arguments:
            call.arguments.append(arguments)
            out += self._emit(
                "response.function_call_arguments.delta",
                {"item_id": item_id, "output_index": len(self._output), "delta": arguments},
            )
        return out

    def finish(self, stop_reason: str | None, usage: dict[str, int] | None) -> bytes:
        out = self._close()
        stop = _stop(stop_reason, bool(self._calls))
        status = "incomplete" if stop == "length" else "completed"
        kind = "response.incomplete" if status == "incomplete" else "response.completed"
        return out + self._emit(kind, {"response": self._snapshot(status, stop, usage)})

    def error(self, status: int, code: str, message: str) -> bytes:
        failed = self._snapshot("failed")
        failed["error"] = {"code": "server_error" if status >= 500 else code, "message": message}
        return self._emit("error", {"code": code, "message": message, "param": None}) + self._emit(
            "response.failed", {"response": failed}
        )


STREAMS: dict[Api, type[StreamRenderer]] = {
    "chat": ChatStream,
    "messages": MessagesStream,
    "responses": ResponsesStream,
}
