"""A whole conversation, in neutral form, and the two provider wire formats built from it.

A request may come as OpenAI Chat Completions, OpenAI Responses or Anthropic Messages
(the gateway's clients); providers speak Chat Completions (``openai`` kind) or Messages
(``anthropic`` kind). :class:`Conversation` holds what the formats share: messages with
roles and content parts (text, images), the system prompt, function tools, tool calls
and their results (ids kept as the client sent them), sampling parameters and stop
sequences. The parsers here read the client formats; :func:`openai_chat_body` and
:func:`anthropic_messages_body` write the provider formats.

When a request's format is the provider's own (``raw`` with ``api`` equal to the
provider's), the provider gets ``raw`` unchanged except ``model``: fields this module does
not know are never dropped.

Every parser treats its input as hostile: a wrong shape raises :class:`ConversationError`
with the path of the offending field.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

from modeldesk.core.errors import ModelDeskError

Api = Literal["chat", "responses", "messages"]
# The client format each provider kind speaks natively.
NATIVE_API: dict[str, Api] = {"openai": "chat", "simulated": "chat", "anthropic": "messages"}
# Neutral stop reasons are Chat Completions' words; Messages' and Responses' map to them.
StopReason = Literal["stop", "length", "tool_calls", "content_filter"]
# Messages requires max_tokens; a translated request without one gets this.
DEFAULT_TRANSLATED_MAX_TOKENS = 4096


class ConversationError(ModelDeskError):
    """The request body is not a conversation this format allows."""

    code = "invalid_request"


@dataclass(frozen=True)
class TextPart:
    text: str


@dataclass(frozen=True)
class ImagePart:
    """An image as a URL: ``https://…`` or ``data:<media type>;base64,<data>``."""

    url: str
    detail: str | None = None

    def inline(self) -> tuple[str, str] | None:
        """(media type, base64 data) of a data URL, else ``None``."""
        if not self.url.startswith("data:"):
            return None
        head, _, data = self.url[5:].partition(",")
        media_type, _, encoding = head.partition(";")
        if encoding != "base64" or not media_type:
            return None
        return media_type, data


Part = TextPart | ImagePart


@dataclass(frozen=True)
class ToolCall:
    id: str
    name: str
    arguments: str  # JSON text, as the model wrote it


@dataclass(frozen=True)
class Message:
    """``user``, ``assistant`` (text and/or tool calls) or ``tool`` (the result of
    ``tool_call_id``)."""

    role: Literal["user", "assistant", "tool"]
    parts: tuple[Part, ...] = ()
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str | None = None
    is_error: bool = False

    def text(self) -> str:
        return "".join(p.text for p in self.parts if isinstance(p, TextPart))


@dataclass(frozen=True)
class Tool:
    name: str
    description: str | None
    parameters: dict[str, Any]


# "auto", "none", "required" (any tool) or the name of the one tool to call.
ToolChoice = str | tuple[Literal["tool"], str]


@dataclass
class Conversation:
    messages: list[Message]
    system: str | None = None
    tools: list[Tool] = field(default_factory=list)
    tool_choice: ToolChoice | None = None
    max_tokens: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    stop: list[str] = field(default_factory=list)
    stream: bool = False
    # The client's body and its format: a provider speaking that format gets it unchanged
    # except ``model`` (see the module docstring).
    raw: dict[str, Any] | None = None
    api: Api | None = None
    # A Messages client's ``anthropic-beta`` header: forwarded with its body to an
    # Anthropic-kind provider (beta fields in the body need it).
    beta: str | None = None

    def needs(self) -> frozenset[str]:
        """Capabilities a model must have to carry this conversation."""
        needs = set()
        if any(isinstance(p, ImagePart) for m in self.messages for p in m.parts):
            needs.add("vision")
        if self.tools or any(m.tool_calls or m.role == "tool" for m in self.messages):
            needs.add("tools")
        return frozenset(needs)

    def last_user_text(self) -> str:
        """The last user turn's text (what the history records as the prompt)."""
        for message in reversed(self.messages):
            if message.role == "user":
                return message.text()
        return ""

    @classmethod
    def from_prompt(cls, prompt: str, system: str | None = None) -> Conversation:
        return cls([Message("user", (TextPart(prompt),))], system=system)


# --- reading the client formats -------------------------------------------------------


def _fail(where: str, what: str) -> ConversationError:
    return ConversationError(f"{where}: {what}")


def _obj(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _fail(where, "must be an object")
    return value


def _list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise _fail(where, "must be an array")
    return value


def _str(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise _fail(where, "must be a string")
    return value


def _opt_number(body: dict[str, Any], key: str) -> float | None:
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _fail(key, "must be a number")
    return float(value)


def _opt_int(body: dict[str, Any], *keys: str) -> int | None:
    for key in keys:
        value = body.get(key)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise _fail(key, "must be a positive whole number")
        return value
    return None


def _stops(value: Any, where: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return [_str(item, f"{where}[{i}]") for i, item in enumerate(_list(value, where))]


def _arguments_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _function_tool(spec: dict[str, Any], where: str) -> Tool:
    name = _str(spec.get("name"), f"{where}.name")
    description = spec.get("description")
    parameters = spec.get("parameters") or {"type": "object", "properties": {}}
    return Tool(
        name,
        description if isinstance(description, str) else None,
        _obj(parameters, f"{where}.parameters"),
    )


def _openai_tool_choice(value: Any, where: str) -> ToolChoice | None:
    if value is None:
        return None
    if isinstance(value, str):
        if value not in ("auto", "none", "required"):
            raise _fail(where, "must be auto, none, required or a function")
        return value
    choice = _obj(value, where)
    function = choice.get("function")
    name = function.get("name") if isinstance(function, dict) else choice.get("name")
    return ("tool", _str(name, f"{where}.function.name"))


def _openai_parts(content: Any, where: str) -> tuple[Part, ...]:
    """Chat Completions content (and Responses' input content): a string or a list of parts."""
    if content is None:
        return ()
    if isinstance(content, str):
        return (TextPart(content),)
    parts: list[Part] = []
    for i, raw in enumerate(_list(content, where)):
        part = _obj(raw, f"{where}[{i}]")
        kind = part.get("type")
        if kind in ("text", "input_text", "output_text", "refusal"):
            parts.append(TextPart(_str(part.get("text", part.get("refusal")), f"{where}[{i}].text")))
        elif kind == "image_url":
            image = part.get("image_url")
            url = image.get("url") if isinstance(image, dict) else image
            detail = image.get("detail") if isinstance(image, dict) else None
            parts.append(
                ImagePart(_str(url, f"{where}[{i}].image_url.url"), detail if isinstance(detail, str) else None)
            )
        elif kind == "input_image":
            url = part.get("image_url")
            parts.append(ImagePart(_str(url, f"{where}[{i}].image_url")))
        else:
            raise _fail(f"{where}[{i}].type", f"content part type {str(kind)[:40]!r} is not supported")
    return tuple(parts)


def from_chat_completions(body: dict[str, Any]) -> Conversation:
    """A Chat Completions request body."""
    system: list[str] = []
    messages: list[Message] = []
    for i, raw in enumerate(_list(body.get("messages"), "messages")):
        where = f"messages[{i}]"
        item = _obj(raw, where)
        role = item.get("role")
        if role in ("system", "developer"):
            system.append(
                "".join(
                    p.text for p in _openai_parts(item.get("content"), f"{where}.content") if isinstance(p, TextPart)
                )
            )
        elif role == "user":
            messages.append(Message("user", _openai_parts(item.get("content"), f"{where}.content")))
        elif role == "assistant":
            calls = []
            for j, rawcall in enumerate(item.get("tool_calls") or []):
                call = _obj(rawcall, f"{where}.tool_calls[{j}]")
                function = _obj(call.get("function"), f"{where}.tool_calls[{j}].function")
                calls.append(
                    ToolCall(
                        _str(call.get("id"), f"{where}.tool_calls[{j}].id"),
                        _str(function.get("name"), f"{where}.tool_calls[{j}].function.name"),
                        _arguments_text(function.get("arguments") or "{}"),
                    )
                )
            messages.append(Message("assistant", _openai_parts(item.get("content"), f"{where}.content"), tuple(calls)))
        elif role == "tool":
            messages.append(
                Message(
                    "tool",
                    _openai_parts(item.get("content"), f"{where}.content"),
                    tool_call_id=_str(item.get("tool_call_id"), f"{where}.tool_call_id"),
                )
            )
        else:
            raise _fail(f"{where}.role", f"unknown role {str(role)[:40]!r}")
    tools = []
    for i, raw in enumerate(body.get("tools") or []):
        spec = _obj(raw, f"tools[{i}]")
        if spec.get("type", "function") != "function":
            raise _fail(f"tools[{i}].type", "only function tools are supported")
        tools.append(_function_tool(_obj(spec.get("function"), f"tools[{i}].function"), f"tools[{i}].function"))
    return Conversation(
        messages,
        system="\n\n".join(system) if system else None,
        tools=tools,
        tool_choice=_openai_tool_choice(body.get("tool_choice"), "tool_choice"),
        max_tokens=_opt_int(body, "max_completion_tokens", "max_tokens"),
        temperature=_opt_number(body, "temperature"),
        top_p=_opt_number(body, "top_p"),
        stop=_stops(body.get("stop"), "stop"),
        stream=bool(body.get("stream")),
        raw=body,
        api="chat",
    )


def from_responses(body: dict[str, Any]) -> Conversation:
    """A Responses API request body (input items, instructions, function tools)."""
    if body.get("previous_response_id") is not None:
        raise _fail("previous_response_id", "is not supported (the gateway keeps no responses); send the whole input")
    system: list[str] = []
    instructions = body.get("instructions")
    if instructions is not None:
        system.append(_str(instructions, "instructions"))
    messages: list[Message] = []

    def add_call(call: ToolCall) -> None:
        # Calls made in one turn (with the text before them) are one assistant message.
        if messages and messages[-1].role == "assistant":
            last = messages[-1]
            messages[-1] = Message("assistant", last.parts, (*last.tool_calls, call))
        else:
            messages.append(Message("assistant", (), (call,)))

    raw_input = body.get("input")
    if isinstance(raw_input, str):
        messages.append(Message("user", (TextPart(raw_input),)))
    else:
        for i, raw in enumerate(_list(raw_input, "input")):
            where = f"input[{i}]"
            item = _obj(raw, where)
            kind = item.get("type", "message")
            if kind == "message":
                role = item.get("role")
                parts = _openai_parts(item.get("content"), f"{where}.content")
                if role in ("system", "developer"):
                    system.append("".join(p.text for p in parts if isinstance(p, TextPart)))
                elif role in ("user", "assistant"):
                    messages.append(Message(role, parts))
                else:
                    raise _fail(f"{where}.role", f"unknown role {str(role)[:40]!r}")
            elif kind == "function_call":
                add_call(
                    ToolCall(
                        _str(item.get("call_id"), f"{where}.call_id"),
                        _str(item.get("name"), f"{where}.name"),
                        _arguments_text(item.get("arguments") or "{}"),
                    )
                )
            elif kind == "function_call_output":
                output = item.get("output")
                parts = (TextPart(output),) if isinstance(output, str) else _openai_parts(output, f"{where}.output")
                messages.append(Message("tool", parts, tool_call_id=_str(item.get("call_id"), f"{where}.call_id")))
            elif kind == "reasoning":
                continue  # a model's own reasoning summary: not carried to another model
            else:
                raise _fail(f"{where}.type", f"input item type {str(kind)[:40]!r} is not supported")
    tools = []
    for i, raw in enumerate(body.get("tools") or []):
        spec = _obj(raw, f"tools[{i}]")
        if spec.get("type") != "function":
            continue  # hosted tools (web search, …) run at OpenAI only; a gateway cannot offer them
        tools.append(_function_tool(spec, f"tools[{i}]"))
    return Conversation(
        messages,
        system="\n\n".join(system) if system else None,
        tools=tools,
        tool_choice=_openai_tool_choice(body.get("tool_choice"), "tool_choice"),
        max_tokens=_opt_int(body, "max_output_tokens"),
        temperature=_opt_number(body, "temperature"),
        top_p=_opt_number(body, "top_p"),
        stream=bool(body.get("stream")),
        raw=body,
        api="responses",
    )


def _anthropic_parts(content: Any, where: str) -> tuple[list[Part], list[ToolCall], list[Message]]:
    """(parts, tool calls, tool results) of one Messages turn."""
    if isinstance(content, str):
        return [TextPart(content)], [], []
    parts: list[Part] = []
    calls: list[ToolCall] = []
    results: list[Message] = []
    for i, raw in enumerate(_list(content, where)):
        block = _obj(raw, f"{where}[{i}]")
        kind = block.get("type")
        if kind == "text":
            parts.append(TextPart(_str(block.get("text"), f"{where}[{i}].text")))
        elif kind == "image":
            source = _obj(block.get("source"), f"{where}[{i}].source")
            if source.get("type") == "base64":
                media = _str(source.get("media_type"), f"{where}[{i}].source.media_type")
                parts.append(ImagePart(f"data:{media};base64,{_str(source.get('data'), f'{where}[{i}].source.data')}"))
            else:
                parts.append(ImagePart(_str(source.get("url"), f"{where}[{i}].source.url")))
        elif kind == "tool_use":
            calls.append(
                ToolCall(
                    _str(block.get("id"), f"{where}[{i}].id"),
                    _str(block.get("name"), f"{where}[{i}].name"),
                    _arguments_text(block.get("input") if block.get("input") is not None else {}),
                )
            )
        elif kind == "tool_result":
            inner, _, _ = _anthropic_parts(block.get("content") or "", f"{where}[{i}].content")
            results.append(
                Message(
                    "tool",
                    tuple(inner),
                    tool_call_id=_str(block.get("tool_use_id"), f"{where}[{i}].tool_use_id"),
                    is_error=bool(block.get("is_error")),
                )
            )
        elif kind in ("thinking", "redacted_thinking"):
            continue  # signed by the model that wrote it: another model cannot take it
        else:
            raise _fail(f"{where}[{i}].type", f"content block type {str(kind)[:40]!r} is not supported")
    return parts, calls, results


def from_messages(body: dict[str, Any]) -> Conversation:
    """An Anthropic Messages request body."""
    system = body.get("system")
    if isinstance(system, list):
        system = "\n\n".join(
            _str(_obj(b, f"system[{i}]").get("text"), f"system[{i}].text") for i, b in enumerate(system)
        )
    elif system is not None:
        system = _str(system, "system")
    messages: list[Message] = []
    for i, raw in enumerate(_list(body.get("messages"), "messages")):
        where = f"messages[{i}]"
        item = _obj(raw, where)
        role = item.get("role")
        if role == "system":
            # A system turn between the others (Claude Code sends its environment notes so):
            # instructions like the system prompt, which it joins, as a Responses request's
            # developer items do.
            parts, calls, results = _anthropic_parts(item.get("content"), f"{where}.content")
            if calls or results or any(not isinstance(p, TextPart) for p in parts):
                raise _fail(f"{where}.content", "a system turn holds text only")
            text = "".join(p.text for p in parts if isinstance(p, TextPart))
            system = f"{system}\n\n{text}" if system else text
            continue
        if role not in ("user", "assistant"):
            raise _fail(f"{where}.role", f"unknown role {str(role)[:40]!r}")
        parts, calls, results = _anthropic_parts(item.get("content"), f"{where}.content")
        messages.extend(results)  # tool results come first in a user turn
        if parts or calls or not results:
            messages.append(Message(role, tuple(parts), tuple(calls)))
    tools = []
    for i, raw in enumerate(body.get("tools") or []):
        spec = _obj(raw, f"tools[{i}]")
        if spec.get("type") not in (None, "custom"):
            raise _fail(f"tools[{i}].type", f"server tool {str(spec.get('type'))[:40]!r} is not supported")
        tools.append(
            Tool(
                _str(spec.get("name"), f"tools[{i}].name"),
                spec.get("description") if isinstance(spec.get("description"), str) else None,
                _obj(spec.get("input_schema") or {"type": "object", "properties": {}}, f"tools[{i}].input_schema"),
            )
        )
    choice: ToolChoice | None = None
    raw_choice = body.get("tool_choice")
    if raw_choice is not None:
        kind = _obj(raw_choice, "tool_choice").get("type")
        choice = {"auto": "auto", "any": "required", "none": "none"}.get(str(kind)) or (
            "tool",
            _str(raw_choice.get("name"), "tool_choice.name"),
        )
    return Conversation(
        messages,
        system=system or None,
        tools=tools,
        tool_choice=choice,
        max_tokens=_opt_int(body, "max_tokens"),
        temperature=_opt_number(body, "temperature"),
        top_p=_opt_number(body, "top_p"),
        stop=_stops(body.get("stop_sequences"), "stop_sequences"),
        stream=bool(body.get("stream")),
        raw=body,
        api="messages",
    )


PARSERS = {"chat": from_chat_completions, "responses": from_responses, "messages": from_messages}


# --- writing the provider formats -------------------------------------------------------


def _openai_content(parts: tuple[Part, ...]) -> str | list[dict[str, Any]]:
    if all(isinstance(p, TextPart) for p in parts):
        return "".join(p.text for p in parts if isinstance(p, TextPart))
    out: list[dict[str, Any]] = []
    for part in parts:
        if isinstance(part, TextPart):
            out.append({"type": "text", "text": part.text})
        else:
            image: dict[str, Any] = {"url": part.url}
            if part.detail:
                image["detail"] = part.detail
            out.append({"type": "image_url", "image_url": image})
    return out


def openai_chat_body(conversation: Conversation, model: str, stream: bool) -> dict[str, Any]:
    """The Chat Completions body for ``conversation``."""
    messages: list[dict[str, Any]] = []
    if conversation.system:
        messages.append({"role": "system", "content": conversation.system})
    for message in conversation.messages:
        if message.role == "tool":
            messages.append(
                {"role": "tool", "tool_call_id": message.tool_call_id, "content": message.text() or "(no output)"}
            )
        elif message.role == "assistant":
            item: dict[str, Any] = {"role": "assistant", "content": message.text() or None}
            if message.tool_calls:
                item["tool_calls"] = [
                    {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
                    for c in message.tool_calls
                ]
            messages.append(item)
        else:
            messages.append({"role": "user", "content": _openai_content(message.parts)})
    body: dict[str, Any] = {"model": model, "messages": messages, "stream": stream}
    if conversation.tools:
        body["tools"] = [
            {
                "type": "function",
                "function": {
                    "name": t.name,
                    **({"description": t.description} if t.description else {}),
                    "parameters": t.parameters,
                },
            }
            for t in conversation.tools
        ]
    choice = conversation.tool_choice
    if choice is not None and conversation.tools:
        body["tool_choice"] = (
            {"type": "function", "function": {"name": choice[1]}} if isinstance(choice, tuple) else choice
        )
    if conversation.max_tokens is not None:
        body["max_tokens"] = conversation.max_tokens
    if conversation.temperature is not None:
        body["temperature"] = conversation.temperature
    if conversation.top_p is not None:
        body["top_p"] = conversation.top_p
    if conversation.stop:
        body["stop"] = conversation.stop
    if stream:
        body["stream_options"] = {"include_usage": True}
    return body


def _anthropic_image(part: ImagePart) -> dict[str, Any]:
    inline = part.inline()
    if inline is not None:
        return {"type": "image", "source": {"type": "base64", "media_type": inline[0], "data": inline[1]}}
    return {"type": "image", "source": {"type": "url", "url": part.url}}


def _anthropic_blocks(parts: tuple[Part, ...]) -> list[dict[str, Any]]:
    return [
        {"type": "text", "text": p.text} if isinstance(p, TextPart) else _anthropic_image(p)
        for p in parts
        if not isinstance(p, TextPart) or p.text
    ]


def _tool_input(arguments: str) -> dict[str, Any]:
    try:
        value = json.loads(arguments) if arguments.strip() else {}
    except ValueError:
        return {"_arguments": arguments}
    return value if isinstance(value, dict) else {"_arguments": value}


def anthropic_messages_body(conversation: Conversation, model: str, stream: bool) -> dict[str, Any]:
    """The Messages body for ``conversation``: tool results become ``tool_result`` blocks
    of a user turn, and turns of one role in a row are joined (the API wants them to
    alternate)."""
    turns: list[dict[str, Any]] = []

    def add(role: str, blocks: list[dict[str, Any]]) -> None:
        if turns and turns[-1]["role"] == role:
            turns[-1]["content"].extend(blocks)
        else:
            turns.append({"role": role, "content": blocks})

    for message in conversation.messages:
        if message.role == "tool":
            result: dict[str, Any] = {
                "type": "tool_result",
                "tool_use_id": message.tool_call_id,
                "content": _anthropic_blocks(message.parts) or [{"type": "text", "text": "(no output)"}],
            }
            if message.is_error:
                result["is_error"] = True
            add("user", [result])
        elif message.role == "assistant":
            blocks = _anthropic_blocks(message.parts)
            blocks += [
                {"type": "tool_use", "id": c.id, "name": c.name, "input": _tool_input(c.arguments)}
                for c in message.tool_calls
            ]
            if blocks:
                add("assistant", blocks)
        else:
            add("user", _anthropic_blocks(message.parts) or [{"type": "text", "text": "(empty)"}])
    body: dict[str, Any] = {
        "model": model,
        "max_tokens": conversation.max_tokens or DEFAULT_TRANSLATED_MAX_TOKENS,
        "messages": turns,
        "stream": stream,
    }
    if conversation.system:
        body["system"] = conversation.system
    if conversation.tools:
        body["tools"] = [
            {"name": t.name, **({"description": t.description} if t.description else {}), "input_schema": t.parameters}
            for t in conversation.tools
        ]
        choice = conversation.tool_choice
        if isinstance(choice, tuple):
            body["tool_choice"] = {"type": "tool", "name": choice[1]}
        elif choice in ("auto", "none"):
            body["tool_choice"] = {"type": choice}
        elif choice == "required":
            body["tool_choice"] = {"type": "any"}
    if conversation.temperature is not None:
        body["temperature"] = min(conversation.temperature, 1.0)  # Messages allows 0..1
    if conversation.top_p is not None:
        body["top_p"] = conversation.top_p
    if conversation.stop:
        body["stop_sequences"] = conversation.stop
    return body


def provider_body(conversation: Conversation, kind: str, model: str, stream: bool) -> dict[str, Any]:
    """What a provider of ``kind`` is sent: the client's own body when the formats match
    (only ``model`` replaced), else the translation."""
    if conversation.raw is not None and conversation.api == NATIVE_API.get(kind):
        body = dict(conversation.raw)
        body["model"] = model
        if stream and kind != "anthropic" and "stream_options" not in body:
            body["stream_options"] = {"include_usage": True}  # added, never replacing the client's
        return body
    if kind == "anthropic":
        return anthropic_messages_body(conversation, model, stream)
    return openai_chat_body(conversation, model, stream)


# Stop reasons in each format, to and from the neutral (Chat Completions) words.
_FROM_ANTHROPIC: dict[str, StopReason] = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "pause_turn": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
}
_TO_ANTHROPIC = {"stop": "end_turn", "length": "max_tokens", "tool_calls": "tool_use", "content_filter": "refusal"}


def stop_from_anthropic(reason: str | None) -> StopReason | None:
    return None if reason is None else _FROM_ANTHROPIC.get(reason, "stop")


def stop_from_openai(reason: str | None) -> StopReason | None:
    if reason is None:
        return None
    if reason == "function_call":
        return "tool_calls"
    return reason if reason in ("stop", "length", "tool_calls", "content_filter") else "stop"  # type: ignore[return-value]


def stop_to_anthropic(reason: str | None) -> str:
    return _TO_ANTHROPIC.get(reason or "stop", "end_turn")
