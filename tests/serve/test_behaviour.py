"""How the gateway behaves around the answer: tokens, aliases, live config edits, streams
that break after content, clients that go away, and many clients at once."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import anthropic
import openai
import pytest

from tests.serve.conftest import Running, gateway_config, write
from tests.support.scripted_server import ScriptedServer, cut, ok, slow

HI = [{"role": "user", "content": "Hi"}]


def _runs(gw: Running, count: int) -> list:
    return gw.wait_runs(count)


def test_token_guards_every_endpoint(start_gateway: Callable[..., Running], scripted_server: ScriptedServer) -> None:
    gw = start_gateway(token="tok-123")
    with pytest.raises(openai.AuthenticationError):
        gw.openai().models.list()
    with pytest.raises(openai.AuthenticationError):
        gw.openai(api_key="wrong").chat.completions.create(model="chat", messages=HI)  # type: ignore[arg-type]
    with pytest.raises(anthropic.AuthenticationError) as caught:
        gw.anthropic().messages.create(model="claude", max_tokens=5, messages=HI)  # type: ignore[arg-type]
    assert caught.value.body["error"]["type"] == "authentication_error"  # type: ignore[index]
    assert [m.id for m in gw.openai(api_key="tok-123").models.list()] == ["chat", "claude", "mixed"]
    scripted_server.script("c", ok("Keyed", chunks=1))
    message = gw.anthropic(api_key="tok-123").messages.create(model="claude", max_tokens=5, messages=HI)  # type: ignore[arg-type]
    assert message.content[0].text == "Keyed"  # type: ignore[union-attr]
    scripted_server.script("c", ok("Bearer", chunks=1))
    bearer = gw.anthropic(api_key=None, auth_token="tok-123").messages.create(model="claude", max_tokens=5, messages=HI)  # type: ignore[arg-type]
    assert bearer.content[0].text == "Bearer"  # type: ignore[union-attr]
    (sent, _) = scripted_server.chat_requests("c")
    assert "tok-123" not in json.dumps(sent.headers)


def test_aliases_map_a_tools_own_model_names_to_agents(
    start_gateway: Callable[..., Running], scripted_server: ScriptedServer
) -> None:
    config = gateway_config(scripted_server)
    config["settings"]["serve"] = {"aliases": {"claude-*haiku*": "chat", "claude-*": "claude", "chat": "claude"}}
    gw = start_gateway(config)
    scripted_server.script("a", ok("from chat", chunks=1))
    scripted_server.script("c", ok("from claude", chunks=1), ok("agent wins", chunks=1))
    client = gw.anthropic()
    small = client.messages.with_raw_response.create(model="claude-3-5-haiku-latest", max_tokens=5, messages=HI)  # type: ignore[arg-type]
    assert small.headers["x-modeldesk-agent"] == "chat"
    big = client.messages.with_raw_response.create(model="claude-sonnet-4-5", max_tokens=5, messages=HI)  # type: ignore[arg-type]
    assert big.headers["x-modeldesk-agent"] == "claude" and big.parse().content[0].text == "from claude"  # type: ignore[union-attr]
    # An agent id always wins over an alias of the same name.
    assert (
        gw.openai()
        .chat.completions.with_raw_response.create(model="chat", messages=HI)
        .headers[  # type: ignore[arg-type]
            "x-modeldesk-agent"
        ]
        == "chat"
    )


def test_config_edits_apply_to_the_next_request_and_a_broken_file_keeps_the_last_good(
    start_gateway: Callable[..., Running], scripted_server: ScriptedServer
) -> None:
    config = gateway_config(scripted_server)
    gw = start_gateway(config)
    with pytest.raises(openai.NotFoundError):
        gw.openai().chat.completions.create(model="fresh", messages=HI)  # type: ignore[arg-type]
    config["agents"].append({"id": "fresh", "name": "Fresh", "model": ["B"]})
    write(gw.config_path, config)
    scripted_server.script("b", ok("new agent", chunks=1), ok("still served", chunks=1))
    answer = gw.openai().chat.completions.create(model="fresh", messages=HI)  # type: ignore[arg-type]
    assert answer.choices[0].message.content == "new agent"
    gw.config_path.write_text("{ this is not json")
    again = gw.openai().chat.completions.create(model="fresh", messages=HI)  # type: ignore[arg-type]
    assert again.choices[0].message.content == "still served"


def test_a_stream_that_breaks_after_content_ends_with_an_error_event(
    start_gateway: Callable[..., Running], scripted_server: ScriptedServer
) -> None:
    gw = start_gateway()
    scripted_server.script("a", cut("Partial answer that breaks", after=2, chunks=4))
    received: list[str] = []

    def read() -> None:
        stream = gw.openai().chat.completions.create(model="chat", messages=HI, stream=True)  # type: ignore[arg-type]
        received.extend(chunk.choices[0].delta.content or "" if chunk.choices else "" for chunk in stream)

    with pytest.raises(openai.APIError):
        read()
    assert "".join(received) == "Partial answer that breaks"[: len("".join(received))] and received
    assert scripted_server.chat_requests("b") == []  # nothing continues an answer already sent
    (run,) = _runs(gw, 1)
    assert run.error_code == "stream_broken"


def test_on_stream_break_continue_carries_on_in_the_same_stream(
    start_gateway: Callable[..., Running], scripted_server: ScriptedServer
) -> None:
    config = gateway_config(scripted_server)
    config["agents"][1]["fallback"] = {"on_stream_break": "continue", "retries": 0}
    gw = start_gateway(config)
    scripted_server.script("c", cut("Once upon a time there", after=2, chunks=4))
    scripted_server.script("a", ok(" was a gateway.", chunks=2))
    with gw.anthropic().messages.stream(model="claude", max_tokens=50, messages=HI) as stream:  # type: ignore[arg-type]
        text = "".join(stream.text_stream)
    assert text.endswith(" was a gateway.") and text.startswith("Once upon")
    (sent,) = scripted_server.chat_requests("a")
    assert sent.body["messages"][-2]["role"] == "assistant"  # the kept text, for A to continue


def test_a_client_that_goes_away_cancels_the_upstream_request(
    start_gateway: Callable[..., Running], scripted_server: ScriptedServer
) -> None:
    gw = start_gateway()
    scripted_server.script("a", slow("word " * 200, chunks=200, delay=0.05))
    with gw.openai().chat.completions.create(model="chat", messages=HI, stream=True) as stream:  # type: ignore[arg-type]
        next(iter(stream))
    start = time.monotonic()
    while scripted_server.open_connections() and time.monotonic() - start < 5:
        time.sleep(0.01)
    # The upstream answer takes 10 s to stream: its connection closing now means the
    # gateway cancelled it (within a second on an idle machine; 5 s allows a loaded one).
    assert scripted_server.open_connections() == 0
    (run,) = _runs(gw, 1)
    assert run.error_code == "cancelled" and run.origin == "serve"


def test_many_clients_at_once_each_get_their_exact_answer(
    start_gateway: Callable[..., Running], scripted_server: ScriptedServer
) -> None:
    config = gateway_config(scripted_server)
    count = 40
    config["agents"] = [{"id": f"ag{i}", "name": f"Agent {i}", "model": [f"M{i}"]} for i in range(count)]
    config["models"] = [{"id": f"M{i}", "provider": "oa", "name": f"m{i}"} for i in range(count)]
    gw = start_gateway(config)
    for i in range(count):
        scripted_server.script(f"m{i}", ok(f"answer number {i} " * 5, chunks=10, delay=0.005))
    client = gw.openai()

    def ask(i: int) -> str:
        stream = client.chat.completions.create(model=f"ag{i}", messages=HI, stream=True)  # type: ignore[arg-type]
        return "".join(c.choices[0].delta.content or "" for c in stream if c.choices)

    with ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(ask, range(count)))
    assert answers == [f"answer number {i} " * 5 for i in range(count)]
    assert len(_runs(gw, count)) == count


def test_aliases_set_from_the_cli_reach_a_running_gateway(
    start_gateway: Callable[..., Running], scripted_server: ScriptedServer
) -> None:
    import subprocess
    import sys

    gw = start_gateway()

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "modeldesk", "--config", str(gw.config_path), "settings", *args],
            capture_output=True,
            text=True,
            timeout=60,
        )

    assert cli("set-alias", "gpt-*", "claude").returncode == 0
    assert cli("set-alias", "ghost", "nobody").returncode == 0  # with a warning
    scripted_server.script("c", ok("via alias", chunks=1))
    raw = gw.openai().chat.completions.with_raw_response.create(model="gpt-5", messages=HI)  # type: ignore[arg-type]
    assert raw.headers["x-modeldesk-agent"] == "claude"
    with pytest.raises(openai.NotFoundError) as caught:
        gw.openai().chat.completions.create(model="ghost", messages=HI)  # type: ignore[arg-type]
    assert "nobody" in str(caught.value)
    shown = json.loads(cli("show", "--json").stdout)
    assert shown["serve"]["aliases"] == {"gpt-*": "claude", "ghost": "nobody"}
    assert cli("set-alias", "gpt-*", "--clear").returncode == 0
    assert cli("set-fallback", "retries", "3").returncode == 0  # another edit keeps the aliases
    saved = json.loads(gw.config_path.read_text())["settings"]
    assert saved["serve"]["aliases"] == {"ghost": "nobody"} and saved["fallback"]["retries"] == 3
