"""Anthropic's Messages API through the gateway (the official Anthropic SDK), and requests
answered by a model of the other kind: messages, system, tools, tool calls and results,
images, stop reasons and usage translated both ways."""

from __future__ import annotations

import json
from collections.abc import Callable

import anthropic
import pytest

from tests.serve.conftest import Running, gateway_config
from tests.support.scripted_server import ScriptedServer, ok, status, tools

WEATHER_TOOL = {
    "name": "weather",
    "description": "Weather in a city",
    "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}
OPENAI_WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "weather",
        "description": "Weather in a city",
        "parameters": WEATHER_TOOL["input_schema"],
    },
}
PIXEL = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="


def test_messages_same_format_keeps_the_body_and_answers(
    start_gateway: Callable[..., Running], scripted_server: ScriptedServer
) -> None:
    gw = start_gateway()
    scripted_server.script("c", ok("Bonjour", chunks=1))
    client = gw.anthropic(default_headers={"anthropic-beta": "some-beta-2025", "user-agent": "claude-cli/9"})
    raw = client.messages.with_raw_response.create(
        model="claude",
        max_tokens=50,
        system="Be brief.",
        messages=[{"role": "user", "content": "Hi"}],
        stop_sequences=["END"],
        metadata={"user_id": "u-1"},
        extra_body={"temperature": 0.2, "future_field": {"x": 1}},
    )
    message = raw.parse()
    assert message.content[0].type == "text" and message.content[0].text == "Bonjour"
    assert message.stop_reason == "end_turn" and message.usage.input_tokens == 3
    assert raw.headers["x-modeldesk-model"] == "C" and raw.headers["x-modeldesk-agent"] == "claude"
    (sent,) = scripted_server.chat_requests("c")
    expected = {
        "max_tokens": 50,
        "system": "Be brief.",
        "messages": [{"role": "user", "content": "Hi"}],
        "stop_sequences": ["END"],
        "metadata": {"user_id": "u-1"},
        "temperature": 0.2,
        "future_field": {"x": 1},
        "model": "c",
    }
    assert {k: sent.body[k] for k in expected} == expected
    assert sent.headers["anthropic-beta"] == "some-beta-2025"
    assert "client-key-never-forwarded" not in json.dumps(sent.headers)


def test_messages_stream_with_fallback_across_kinds(
    start_gateway: Callable[..., Running], scripted_server: ScriptedServer
) -> None:
    """C (Anthropic kind) is rate limited; A (OpenAI kind) answers the Messages stream."""
    gw = start_gateway()
    scripted_server.script("c", status(429))
    scripted_server.script("a", ok("Translated answer", chunks=4))
    with gw.anthropic().messages.stream(
        model="claude", max_tokens=40, system="Sys", messages=[{"role": "user", "content": "Hi"}]
    ) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text == "Translated answer" and final.stop_reason == "end_turn"
    assert final.usage.output_tokens == 5
    (sent,) = scripted_server.chat_requests("a")
    assert sent.body["messages"][0] == {"role": "system", "content": "Sys"}
    assert sent.body["max_tokens"] == 40


@pytest.mark.parametrize("stream", [False, True])
def test_tool_calls_from_an_openai_kind_model_reach_a_messages_client(
    start_gateway: Callable[..., Running], scripted_server: ScriptedServer, stream: bool
) -> None:
    gw = start_gateway(gateway_config(scripted_server) | {"agents": [{"id": "t", "name": "T", "model": ["A"]}]})
    scripted_server.script("a", tools(("call_1", "weather", {"city": "Paris"}), text="Let me look."))
    client = gw.anthropic()
    request = {
        "model": "t",
        "max_tokens": 100,
        "tools": [WEATHER_TOOL],
        "messages": [{"role": "user", "content": "Weather in Paris?"}],
    }
    if stream:
        with client.messages.stream(**request) as events:  # type: ignore[arg-type]
            message = events.get_final_message()
    else:
        message = client.messages.create(**request)  # type: ignore[arg-type]
    assert message.stop_reason == "tool_use"
    blocks = [(b.type, getattr(b, "text", None)) for b in message.content]
    assert blocks[0] == ("text", "Let me look.")
    call = message.content[1]
    assert call.type == "tool_use" and (call.id, call.name, call.input) == ("call_1", "weather", {"city": "Paris"})
    (sent,) = scripted_server.chat_requests("a")
    assert sent.body["tools"][0]["function"]["name"] == "weather"


def test_tool_results_translate_to_openai_with_ids_kept(
    start_gateway: Callable[..., Running], scripted_server: ScriptedServer
) -> None:
    gw = start_gateway(gateway_config(scripted_server) | {"agents": [{"id": "t", "name": "T", "model": ["A"]}]})
    scripted_server.script("a", ok("It is sunny.", chunks=1))
    gw.anthropic().messages.create(
        model="t",
        max_tokens=100,
        tools=[WEATHER_TOOL],  # type: ignore[list-item]
        messages=[
            {"role": "user", "content": [{"type": "text", "text": "Weather?"}]},
            {
                "role": "assistant",
                "content": [{"type": "tool_use", "id": "toolu_9", "name": "weather", "input": {"city": "Oslo"}}],
            },
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_9", "content": "sunny"}]},
        ],
    )
    (sent,) = scripted_server.chat_requests("a")
    messages = sent.body["messages"]
    assert messages[1]["tool_calls"][0]["id"] == "toolu_9"
    assert json.loads(messages[1]["tool_calls"][0]["function"]["arguments"]) == {"city": "Oslo"}
    assert messages[2] == {"role": "tool", "tool_call_id": "toolu_9", "content": "sunny"}


@pytest.mark.parametrize("stream", [False, True])
def test_chat_completions_answered_by_an_anthropic_model_with_tools(
    start_gateway: Callable[..., Running], scripted_server: ScriptedServer, stream: bool
) -> None:
    gw = start_gateway(gateway_config(scripted_server) | {"agents": [{"id": "t", "name": "T", "model": ["C"]}]})
    scripted_server.script("c", tools(("toolu_1", "weather", {"city": "Rome"})))
    client = gw.openai()
    messages = [
        {"role": "system", "content": "You are terse."},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "Look at this and the weather"},
                {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PIXEL}"}},
            ],
        },
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {"id": "call_0", "type": "function", "function": {"name": "weather", "arguments": '{"city":"Nice"}'}}
            ],
        },
        {"role": "tool", "tool_call_id": "call_0", "content": "rain"},
    ]
    if stream:
        chunks = list(
            client.chat.completions.create(model="t", messages=messages, tools=[OPENAI_WEATHER_TOOL], stream=True)  # type: ignore[arg-type]
        )
        calls: dict[int, dict[str, str]] = {}
        finish = None
        for chunk in chunks:
            for choice in chunk.choices:
                for call in choice.delta.tool_calls or []:
                    entry = calls.setdefault(call.index, {"id": "", "name": "", "arguments": ""})
                    entry["id"] += call.id or ""
                    entry["name"] += (call.function.name or "") if call.function else ""
                    entry["arguments"] += (call.function.arguments or "") if call.function else ""
                finish = choice.finish_reason or finish
        (got,) = calls.values()
    else:
        answer = client.chat.completions.create(model="t", messages=messages, tools=[OPENAI_WEATHER_TOOL])  # type: ignore[arg-type]
        finish = answer.choices[0].finish_reason
        (tool_call,) = answer.choices[0].message.tool_calls or []
        got = {"id": tool_call.id, "name": tool_call.function.name, "arguments": tool_call.function.arguments}  # type: ignore[union-attr]
    assert finish == "tool_calls"
    assert (got["id"], got["name"], json.loads(got["arguments"])) == ("toolu_1", "weather", {"city": "Rome"})
    (sent,) = scripted_server.chat_requests("c")
    body = sent.body
    assert body["system"] == "You are terse."
    assert body["tools"][0] == {
        "name": "weather",
        "description": "Weather in a city",
        "input_schema": WEATHER_TOOL["input_schema"],
    }
    user, assistant, result = body["messages"]
    assert user["content"][1] == {
        "type": "image",
        "source": {"type": "base64", "media_type": "image/png", "data": PIXEL},
    }
    assert assistant["content"] == [{"type": "tool_use", "id": "call_0", "name": "weather", "input": {"city": "Nice"}}]
    assert result["content"][0]["tool_use_id"] == "call_0" and result["role"] == "user"


def test_a_model_without_vision_is_skipped_for_an_image(
    start_gateway: Callable[..., Running], scripted_server: ScriptedServer
) -> None:
    config = gateway_config(scripted_server)
    config["models"][0]["capabilities"] = {"vision": False}
    gw = start_gateway(config)
    scripted_server.script("b", ok("I see a pixel", chunks=1))
    raw = gw.openai().chat.completions.with_raw_response.create(
        model="chat",
        messages=[
            {"role": "user", "content": [{"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PIXEL}"}}]}
        ],
    )
    assert raw.headers["x-modeldesk-model"] == "B"
    assert scripted_server.chat_requests("a") == []


def test_anthropic_errors_have_anthropic_shape(
    start_gateway: Callable[..., Running], scripted_server: ScriptedServer
) -> None:
    gw = start_gateway()
    with pytest.raises(anthropic.NotFoundError) as caught:
        gw.anthropic().messages.create(model="nope", max_tokens=5, messages=[{"role": "user", "content": "x"}])
    assert caught.value.body["type"] == "error"  # type: ignore[index]
    assert caught.value.body["error"]["type"] == "not_found_error"  # type: ignore[index]
    scripted_server.script("c", status(500), status(500))
    scripted_server.script("a", status(503), status(503))
    with pytest.raises(anthropic.APIStatusError) as failed:
        gw.anthropic().messages.create(model="claude", max_tokens=5, messages=[{"role": "user", "content": "x"}])
    assert failed.value.status_code == 502
    assert "C" in failed.value.message and "A" in failed.value.message
