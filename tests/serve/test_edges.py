"""Edges of the gateway's contract: tool calls in the same format both ways, every
all-failed status, size limits, a slow client beside a fast one, and prompts recorded only
when the user asked for it."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable

import anthropic
import httpx
import openai
import pytest

from tests.serve.conftest import Running, gateway_config
from tests.support.scripted_server import ScriptedServer, content_policy, ok, status, tools

HI = [{"role": "user", "content": "Hi"}]
TOOL = {"type": "function", "function": {"name": "lookup", "parameters": {"type": "object", "properties": {}}}}


@pytest.mark.parametrize("stream", [False, True])
def test_tool_calls_in_the_same_format_pass_through(
    start_gateway: Callable[..., Running], scripted_server: ScriptedServer, stream: bool
) -> None:
    gw = start_gateway()
    scripted_server.script("a", tools(("call_a", "lookup", {"q": 1})))
    scripted_server.script("c", tools(("toolu_c", "lookup", {"q": 2}), text="Checking."))
    if stream:
        chunks = list(gw.openai().chat.completions.create(model="chat", messages=HI, tools=[TOOL], stream=True))  # type: ignore[arg-type, list-item]
        deltas = [call for c in chunks for ch in c.choices for call in ch.delta.tool_calls or []]
        assert deltas[0].id == "call_a" and deltas[0].function is not None and deltas[0].function.name == "lookup"
        arguments = "".join(d.function.arguments or "" for d in deltas if d.function)
        finish = [ch.finish_reason for c in chunks for ch in c.choices if ch.finish_reason]
        assert json.loads(arguments) == {"q": 1} and finish == ["tool_calls"]
        with gw.anthropic().messages.stream(
            model="claude",
            max_tokens=50,
            messages=HI,  # type: ignore[arg-type]
            tools=[{"name": "lookup", "input_schema": {"type": "object"}}],
        ) as events:
            message = events.get_final_message()
    else:
        answer = gw.openai().chat.completions.create(model="chat", messages=HI, tools=[TOOL])  # type: ignore[arg-type, list-item]
        (call,) = answer.choices[0].message.tool_calls or []
        assert call.id == "call_a" and json.loads(call.function.arguments) == {"q": 1}  # type: ignore[union-attr]
        assert answer.choices[0].finish_reason == "tool_calls"
        message = gw.anthropic().messages.create(
            model="claude",
            max_tokens=50,
            messages=HI,  # type: ignore[arg-type]
            tools=[{"name": "lookup", "input_schema": {"type": "object"}}],
        )
    assert message.stop_reason == "tool_use"
    assert [b.type for b in message.content] == ["text", "tool_use"]
    assert message.content[1].input == {"q": 2}  # type: ignore[union-attr]
    (sent,) = scripted_server.chat_requests("a")
    assert sent.body["tools"] == [TOOL]  # the client's own tools, untouched


def test_every_all_failed_status(start_gateway: Callable[..., Running], scripted_server: ScriptedServer) -> None:
    config = gateway_config(scripted_server)
    config["providers"].append(
        {
            "id": "keyless",
            "kind": "openai",
            "base_url": "http://127.0.0.1:9/v1",
            "api_key": {"env": "MODELDESK_TEST_UNSET_KEY"},
        }
    )
    config["models"].append({"id": "K", "provider": "keyless", "name": "k"})
    config["agents"].append({"id": "nokey", "name": "No key", "model": ["K"]})
    gw = start_gateway(config)
    client = gw.openai()
    # Nothing could be tried: 503.
    with pytest.raises(openai.InternalServerError) as untried:
        client.chat.completions.create(model="nokey", messages=HI)  # type: ignore[arg-type]
    assert untried.value.status_code == 503 and "MODELDESK_TEST_UNSET_KEY" in str(untried.value)
    # The upstream refused the request itself: 400, with its words.
    scripted_server.script("a", content_policy())
    with pytest.raises(openai.BadRequestError) as refused:
        client.chat.completions.create(model="chat", messages=HI, stream=True)  # type: ignore[arg-type]
    assert "safety system" in str(refused.value)
    # Servers failing: 502.
    scripted_server.script("a", status(500), status(500))
    scripted_server.script("b", status(502), status(502))
    with pytest.raises(openai.InternalServerError) as broken:
        client.chat.completions.create(model="chat", messages=HI, stream=True)  # type: ignore[arg-type]
    assert broken.value.status_code == 502
    # Rate limits and quota only: 429, in Anthropic's shape for a Messages client.
    scripted_server.script("c", status(429), status(429))
    scripted_server.script("a", status(429, "You exceeded your current quota", error_code="insufficient_quota"))
    with pytest.raises(anthropic.RateLimitError) as limited:
        gw.anthropic().messages.create(model="claude", max_tokens=5, messages=HI)  # type: ignore[arg-type]
    assert limited.value.body["error"]["type"] == "rate_limit_error"  # type: ignore[index]


def test_size_limits_answer_in_the_api_shape(start_gateway: Callable[..., Running]) -> None:
    gw = start_gateway()
    big = "x" * (33 << 20)
    reply = httpx.post(
        f"{gw.url}/v1/messages",
        content=json.dumps({"model": "claude", "max_tokens": 5, "messages": [{"role": "user", "content": big}]}),
        headers={"content-type": "application/json"},
        timeout=60,
    )
    assert reply.status_code == 413 and reply.json()["error"]["type"] == "request_too_large"
    reply = httpx.get(f"{gw.url}/v1/models", headers={f"x-filler-{i}": "y" * 1000 for i in range(80)}, timeout=10)
    assert reply.status_code in (400, 431)


def test_a_slow_client_does_not_hold_up_others(
    start_gateway: Callable[..., Running], scripted_server: ScriptedServer
) -> None:
    gw = start_gateway()
    host, port = gw.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port))) as slow:
        slow.sendall(b'POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-length: 1000\r\n\r\n{"model"')
        scripted_server.script("a", ok("Fast one", chunks=1))
        start = time.monotonic()
        answer = gw.openai().chat.completions.create(model="chat", messages=HI)  # type: ignore[arg-type]
        assert answer.choices[0].message.content == "Fast one"
        assert time.monotonic() - start < 10


def test_prompts_are_recorded_only_when_the_user_asked(
    start_gateway: Callable[..., Running], scripted_server: ScriptedServer
) -> None:
    gw = start_gateway()

    def ask(prompt: str, runs: int) -> None:
        gw.openai().chat.completions.create(model="chat", messages=[{"role": "user", "content": prompt}])  # type: ignore[arg-type]
        gw.wait_runs(runs)

    ask("secret plans", 1)
    gw.history.set_settings(record_prompts=True)
    ask("shared plans", 2)
    newest, oldest = gw.wait_runs(2)
    assert oldest.prompt is None and newest.prompt == "shared plans"


def test_an_agent_that_cannot_resolve_is_a_503_and_a_recorded_run(
    start_gateway: Callable[..., Running], scripted_server: ScriptedServer
) -> None:
    config = gateway_config(scripted_server)
    config["agents"].append({"id": "empty", "name": "Empty"})  # no models, no default
    gw = start_gateway(config)
    with pytest.raises(anthropic.APIStatusError) as caught:
        gw.anthropic().messages.create(model="empty", max_tokens=5, messages=HI)  # type: ignore[arg-type]
    assert caught.value.status_code == 503 and caught.value.body["type"] == "error"  # type: ignore[index]
    (run,) = gw.wait_runs(1)
    assert run.agent == "empty" and run.answered_by is None and run.error_code and run.origin == "serve"
