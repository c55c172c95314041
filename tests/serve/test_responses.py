"""The Responses API (Codex, the OpenAI Agents SDK) through the gateway, with the official
OpenAI SDK: input items with function calls and their outputs, instructions, function
tools, and its streaming events, answered by either kind of provider."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from tests.serve.conftest import Running, gateway_config
from tests.support.scripted_server import ScriptedServer, ok, tools

TOOL = {
    "type": "function",
    "name": "shell",
    "description": "Run a command",
    "parameters": {"type": "object", "properties": {"cmd": {"type": "string"}}, "required": ["cmd"]},
}


@pytest.mark.parametrize("model", ["A", "C"])
def test_responses_text_stream_and_not(
    start_gateway: Callable[..., Running], scripted_server: ScriptedServer, model: str
) -> None:
    gw = start_gateway(gateway_config(scripted_server) | {"agents": [{"id": "codex", "name": "X", "model": [model]}]})
    name = model.lower()
    scripted_server.script(name, ok("Plain answer", chunks=1), ok("Streamed answer", chunks=3))
    client = gw.openai()
    response = client.responses.create(model="codex", instructions="Be exact.", input="Hello")
    assert response.output_text == "Plain answer" and response.status == "completed"
    assert response.usage is not None and response.usage.input_tokens == 3
    with client.responses.stream(model="codex", input=[{"role": "user", "content": "Again"}]) as stream:
        deltas = [e.delta for e in stream if e.type == "response.output_text.delta"]
        final = stream.get_final_response()
    assert "".join(deltas) == "Streamed answer" == final.output_text
    first, second = scripted_server.chat_requests(name)
    if model == "A":
        assert first.body["messages"][0] == {"role": "system", "content": "Be exact."}
    else:
        assert first.body["system"] == "Be exact."
    assert second.stream


@pytest.mark.parametrize("stream", [False, True])
def test_responses_function_calls_both_ways(
    start_gateway: Callable[..., Running], scripted_server: ScriptedServer, stream: bool
) -> None:
    gw = start_gateway(gateway_config(scripted_server) | {"agents": [{"id": "codex", "name": "X", "model": ["C"]}]})
    scripted_server.script("c", tools(("toolu_7", "shell", {"cmd": "ls"})))
    history = [
        {"role": "user", "content": [{"type": "input_text", "text": "List files"}]},
        {"type": "function_call", "call_id": "call_1", "name": "shell", "arguments": '{"cmd":"pwd"}'},
        {"type": "function_call_output", "call_id": "call_1", "output": "/home"},
    ]
    client = gw.openai()
    if stream:
        with client.responses.stream(model="codex", input=history, tools=[TOOL]) as events:  # type: ignore[arg-type]
            kinds = [e.type for e in events]
            response = events.get_final_response()
        assert "response.function_call_arguments.delta" in kinds and kinds[-1] == "response.completed"
    else:
        response = client.responses.create(model="codex", input=history, tools=[TOOL])  # type: ignore[arg-type]
    (call,) = [item for item in response.output if item.type == "function_call"]
    assert (call.call_id, call.name, json.loads(call.arguments)) == ("toolu_7", "shell", {"cmd": "ls"})
    (sent,) = scripted_server.chat_requests("c")
    _user, assistant, result = sent.body["messages"]
    assert assistant["content"] == [{"type": "tool_use", "id": "call_1", "name": "shell", "input": {"cmd": "pwd"}}]
    assert result["content"][0]["tool_use_id"] == "call_1"
    assert sent.body["tools"][0]["name"] == "shell"
