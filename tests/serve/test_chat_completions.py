"""Chat Completions through the gateway with the official OpenAI SDK: answers, streams,
fallback invisible to the client, the headers naming who answered, and the history."""

from __future__ import annotations

from collections.abc import Callable

import openai
import pytest

from tests.serve.conftest import Running
from tests.support.scripted_server import ScriptedServer, ok, status


def _wait_runs(gw: Running, count: int) -> list:
    return gw.wait_runs(count)


def test_non_stream_answer_names_the_agent_and_the_model(
    start_gateway: Callable[..., Running], scripted_server: ScriptedServer
) -> None:
    gw = start_gateway()
    scripted_server.script("a", ok("Hello there", chunks=1))
    raw = gw.openai(default_headers={"user-agent": "test-client/1.0"}).chat.completions.with_raw_response.create(
        model="chat", messages=[{"role": "user", "content": "Hi"}], temperature=0.3, user="u1", seed=7
    )
    answer = raw.parse()
    assert answer.choices[0].message.content == "Hello there"
    assert answer.choices[0].finish_reason == "stop"
    assert answer.usage is not None and answer.usage.prompt_tokens == 3
    assert raw.headers["x-modeldesk-model"] == "A"
    assert raw.headers["x-modeldesk-agent"] == "chat"
    (sent,) = scripted_server.chat_requests("a")
    # Same format: the client's body, only the model replaced; its key never forwarded.
    assert sent.body["temperature"] == 0.3 and sent.body["user"] == "u1" and sent.body["seed"] == 7
    assert sent.headers.get("authorization") in (None, "<redacted>")
    assert "client-key-never-forwarded" not in str(sent.headers)
    (run,) = _wait_runs(gw, 1)
    assert (run.agent, run.answered_by, run.origin, run.client) == ("chat", "A", "serve", "test-client/1.0")


def test_fallback_before_content_is_invisible(
    start_gateway: Callable[..., Running], scripted_server: ScriptedServer
) -> None:
    gw = start_gateway()
    scripted_server.script("a", status(429))
    scripted_server.script("b", ok("From B", chunks=3))
    client = gw.openai()
    with client.chat.completions.with_streaming_response.create(
        model="chat", messages=[{"role": "user", "content": "Hi"}], stream=True
    ) as response:
        assert response.headers["x-modeldesk-model"] == "B"
        text = "".join(chunk.choices[0].delta.content or "" for chunk in response.parse() if chunk.choices)
    assert text == "From B"
    (run,) = _wait_runs(gw, 1)
    assert run.answered_by == "B" and [a.outcome for a in run.attempts] == ["failed", "answered"]


def test_every_model_rate_limited_is_a_429_in_openai_shape(
    start_gateway: Callable[..., Running], scripted_server: ScriptedServer
) -> None:
    gw = start_gateway()
    scripted_server.script("a", status(429), status(429))
    scripted_server.script("b", status(429), status(429))
    with pytest.raises(openai.RateLimitError) as caught:
        gw.openai().chat.completions.create(model="chat", messages=[{"role": "user", "content": "Hi"}], stream=True)
    body = caught.value.body
    assert isinstance(body, dict) and "A" in body["message"] and "B" in body["message"]


def test_unknown_model_is_a_404_naming_where_agents_are_set(start_gateway: Callable[..., Running]) -> None:
    gw = start_gateway()
    with pytest.raises(openai.NotFoundError) as caught:
        gw.openai().chat.completions.create(model="gpt-nope", messages=[{"role": "user", "content": "Hi"}])
    assert "settings.serve.aliases" in str(caught.value)


def test_models_lists_every_agent(start_gateway: Callable[..., Running]) -> None:
    gw = start_gateway()
    assert [m.id for m in gw.openai().models.list()] == ["chat", "claude", "mixed"]
