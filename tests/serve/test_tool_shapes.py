"""The requests real agent tools send, as captured from them (docs/serve.md, Claude Code
and Codex sections), through the in-process gateway to both kinds of upstream: what the
gateway must take, what it must pass on, and what it must leave out when it translates.
The tools themselves run in test_agent_tools.py; these pin the shapes in fast tests."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.support.scripted_server import ScriptedServer, ok

ANSWER = "Answer for the tool."

# Claude Code 2.1.332 (`claude -p`), shortened: the fields and shapes it sends.
CLAUDE_CODE_HEADERS = {
    "User-Agent": "claude-cli/2.1.332 (external, sdk-cli)",
    "anthropic-version": "2023-06-01",
    "anthropic-beta": "claude-code-20250219,interleaved-thinking-2025-05-14,context-management-2025-06-27",
    "anthropic-dangerous-direct-browser-access": "true",
    "x-app": "cli",
    "X-Claude-Code-Session-Id": "d30a02ab-7532-482c-9fa2-8a89d94f1496",
}


def claude_code_body(model: str) -> dict[str, Any]:
    return {
        "model": model,
        "messages": [
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "<system-reminder>\nAttribution lines…\n</system-reminder>\n"},
                    {"type": "text", "text": "Say hi"},
                ],
            },
            # A system turn between the others: its notes on the environment.
            {"role": "system", "content": [{"type": "text", "text": "# Environment\nPlatform: linux"}]},
        ],
        "system": [
            {"type": "text", "text": "x-anthropic-billing-header: cc_version=2.1.332;"},
            {"type": "text", "text": "You are a Claude agent.", "cache_control": {"type": "ephemeral"}},
        ],
        "tools": [
            {
                "name": "Bash",
                "description": "Run a shell command.",
                "input_schema": {
                    "type": "object",
                    "properties": {"command": {"type": "string"}},
                    "required": ["command"],
                },
            }
        ],
        "metadata": {"user_id": json.dumps({"device_id": "c3ba", "session_id": "d30a"})},
        "max_tokens": 32000,
        "thinking": {"type": "adaptive", "display": "omitted"},
        "context_management": {"edits": [{"type": "clear_thinking_20251015", "keep": "all"}]},
        "output_config": {"effort": "high"},
        "stream": True,
    }


# Codex CLI 0.171.0 (`codex exec`), shortened.
CODEX_HEADERS = {
    "User-Agent": "codex_exec/0.171.0 (Debian 12.0.0; x86_64) unknown (codex_exec; 0.171.0)",
    "originator": "codex_exec",
    "session-id": "01a24e46-458c-7e31-8404-bde64166a61a",
    "x-codex-turn-metadata": json.dumps({"request_kind": "turn", "model": "chat"}),
    "accept": "text/event-stream",
}


def codex_body(model: str) -> dict[str, Any]:
    return {
        "model": model,
        "input": [
            {
                "type": "message",
                "id": "msg_1",
                "role": "developer",
                "content": [{"type": "input_text", "text": "You are a coding agent running in the Codex CLI."}],
            },
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Say hi"}]},
        ],
        "tools": [
            {
                "type": "function",
                "name": "exec_command",
                "description": "Runs a command.",
                "strict": False,
                "parameters": {"type": "object", "properties": {"cmd": {"type": "string"}}, "required": ["cmd"]},
            },
            {"type": "namespace", "name": "multi_agent_v1", "tools": []},
            {"type": "web_search"},
        ],
        "tool_choice": "auto",
        "parallel_tool_calls": True,
        "reasoning": {"summary": "auto"},
        "store": False,
        "stream": True,
        "include": ["reasoning.encrypted_content"],
        "prompt_cache_key": "01a24e46",
        "client_metadata": {"turn_id": "01a24e46-45ef"},
    }


def sse_events(text: str) -> list[tuple[str | None, Any]]:
    events: list[tuple[str | None, Any]] = []
    name: str | None = None
    for line in text.splitlines():
        if line.startswith("event:"):
            name = line[6:].strip()
        elif line.startswith("data:"):
            data = line[5:].strip()
            events.append((name, json.loads(data) if data.startswith("{") else data))
            name = None
    return events


def test_claude_code_shape_to_an_anthropic_model_goes_on_unchanged_but_model(
    start_gateway: Callable[..., Any], scripted_server: ScriptedServer
) -> None:
    gateway = start_gateway()
    scripted_server.script("c", ok(ANSWER))
    body = claude_code_body("claude")
    reply = httpx.post(f"{gateway.url}/v1/messages?beta=true", json=body, headers=CLAUDE_CODE_HEADERS, timeout=30)
    assert reply.status_code == 200, reply.text
    text = "".join(
        data["delta"]["text"]
        for name, data in sse_events(reply.text)
        if name == "content_block_delta" and data["delta"].get("type") == "text_delta"
    )
    assert text == ANSWER
    upstream = scripted_server.chat_requests("c")[0]
    assert upstream.body == {**body, "model": "c"}
    # Its beta fields (context_management, thinking) need their beta header at Anthropic.
    assert upstream.headers.get("anthropic-beta") == CLAUDE_CODE_HEADERS["anthropic-beta"]


def test_claude_code_shape_to_an_openai_model_is_translated(
    start_gateway: Callable[..., Any], scripted_server: ScriptedServer
) -> None:
    gateway = start_gateway()
    scripted_server.script("a", ok(ANSWER))
    reply = httpx.post(
        f"{gateway.url}/v1/messages?beta=true", json=claude_code_body("chat"), headers=CLAUDE_CODE_HEADERS, timeout=30
    )
    assert reply.status_code == 200, reply.text
    assert ANSWER in "".join(
        data["delta"].get("text", "") for name, data in sse_events(reply.text) if name == "content_block_delta"
    )
    upstream = scripted_server.chat_requests("a")[0].body
    system = [m for m in upstream["messages"] if m["role"] in ("system", "developer")]
    system_text = json.dumps(system)
    # Both the system blocks and the system turn reach the model as instructions.
    assert "You are a Claude agent." in system_text and "# Environment" in system_text
    assert [m["role"] for m in upstream["messages"] if m["role"] not in ("system", "developer")] == ["user"]
    assert upstream["tools"][0]["function"]["name"] == "Bash"
    assert upstream["tools"][0]["function"]["parameters"]["required"] == ["command"]
    # Messages-only fields mean nothing to an OpenAI-kind API (which refuses unknown ones).
    for field in ("thinking", "context_management", "output_config", "metadata", "system"):
        assert field not in upstream, field


@pytest.mark.parametrize(("agent", "upstream_model"), [("chat", "a"), ("claude", "c")])
def test_codex_shape_streams_the_events_codex_reads(
    start_gateway: Callable[..., Any], scripted_server: ScriptedServer, agent: str, upstream_model: str
) -> None:
    gateway = start_gateway()
    scripted_server.script(upstream_model, ok(ANSWER, chunks=3))
    reply = httpx.post(f"{gateway.url}/v1/responses", json=codex_body(agent), headers=CODEX_HEADERS, timeout=30)
    assert reply.status_code == 200, reply.text
    events = sse_events(reply.text)
    names = [name for name, _ in events]
    assert names[0] == "response.created" and names[-1] == "response.completed", names
    assert "".join(data["delta"] for name, data in events if name == "response.output_text.delta") == ANSWER
    done = [data for name, data in events if name == "response.output_item.done"]
    assert done and done[-1]["item"]["content"][0]["text"] == ANSWER
    completed = events[-1][1]["response"]
    assert completed["status"] == "completed" and completed["usage"]["output_tokens"] >= 0
    upstream = scripted_server.chat_requests(upstream_model)[0].body
    as_text = json.dumps(upstream)
    assert "You are a coding agent running in the Codex CLI." in as_text
    # Only function tools can be carried to a Chat Completions or Messages model.
    names_sent = [t.get("name") or t.get("function", {}).get("name") for t in upstream["tools"]]
    assert names_sent == ["exec_command"]
    for field in ("reasoning", "include", "store", "client_metadata", "prompt_cache_key", "input"):
        assert field not in upstream, field
