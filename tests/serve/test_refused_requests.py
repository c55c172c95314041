"""Requests the gateway refuses before any agent runs (a wrong or missing token, an unknown
model, an unreadable body, a wrong endpoint) are runs in the history, marked refused, with
the client's User-Agent and the reason, and never the token or the body."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable

import anthropic
import httpx
import openai
import pytest

from modeldesk.core.history import HistoryStore
from tests.serve.conftest import Running
from tests.support.scripted_server import ScriptedServer, ok

TOKEN = "tok-refusal-123"
WRONG_KEY = "wrong-key-456"
PROMPT = "the secret plans"
UA = {"user-agent": "probe-client/1.0 (tests)"}


def _everything_stored(history: HistoryStore) -> str:
    """Every value of every row the history database holds, as text."""
    with sqlite3.connect(history.path) as connection:
        tables = [row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return json.dumps([list(connection.execute(f"SELECT * FROM {table}")) for table in tables])


def test_refused_requests_are_recorded_without_token_or_body(
    start_gateway: Callable[..., Running], scripted_server: ScriptedServer
) -> None:
    gw = start_gateway(token=TOKEN)
    gw.history.set_settings(record_prompts=True)  # a leaked prompt would be stored, so seen
    hi = [{"role": "user", "content": PROMPT}]
    with pytest.raises(openai.AuthenticationError):
        gw.openai(api_key=WRONG_KEY).chat.completions.create(model="chat", messages=hi)  # type: ignore[arg-type]
    with pytest.raises(anthropic.NotFoundError):
        gw.anthropic(api_key=TOKEN).messages.create(model="claude-nope", max_tokens=5, messages=hi)  # type: ignore[arg-type]
    auth = {"authorization": f"Bearer {TOKEN}"} | UA
    assert httpx.post(f"{gw.url}/v1/chat/completions", content=b"{" + PROMPT.encode(), headers=auth).status_code == 400
    assert httpx.get(f"{gw.url}/v2/nothing", headers=auth).status_code == 404
    assert httpx.get(f"{gw.url}/v1/chat/completions", headers=auth).status_code == 405
    assert httpx.get(f"{gw.url}/v1/models", headers=UA).status_code == 401
    # Answered requests are not refusals: the model list, and a run that answers.
    assert httpx.get(f"{gw.url}/v1/models", headers=auth).status_code == 200
    scripted_server.script("a", ok("Hello", chunks=1))
    gw.openai(api_key=TOKEN).chat.completions.create(model="chat", messages=hi)  # type: ignore[arg-type]

    runs = gw.wait_runs(7)[::-1]  # oldest first; one writer, so in the order answered
    assert [(r.refused, r.error_code, r.agent) for r in runs] == [
        (True, "invalid_token", ""),
        (True, "model_not_found", "claude-nope"),
        (True, "invalid_json", ""),
        (True, "not_found", ""),
        (True, "method_not_allowed", ""),
        (True, "invalid_token", ""),
        (False, None, "chat"),
    ]
    refused = runs[:-1]
    assert all(r.origin == "serve" and r.answered_by is None and not r.attempts for r in refused)
    assert refused[0].client is not None and refused[0].client.startswith("OpenAI/Python")
    assert refused[1].client is not None and refused[1].client.startswith("Anthropic/Python")
    assert {r.client for r in refused[2:]} == {UA["user-agent"]}
    assert "settings.serve.aliases" in (refused[1].error_message or "")
    assert "token" in (refused[0].error_message or "")
    assert runs[-1].prompt == PROMPT  # prompts are recorded: the refusals' absence is no accident
    stored = _everything_stored(gw.history)
    assert TOKEN not in stored and WRONG_KEY not in stored
    assert stored.count(PROMPT) == 1  # the answered run's prompt only
    # Refusals ran no agent: they are in no one's spend.
    assert [a.agent for a in gw.history.spend().agents] == ["chat"]


def test_a_run_recorded_by_the_gateway_is_not_recorded_again_as_refused(
    start_gateway: Callable[..., Running], scripted_server: ScriptedServer
) -> None:
    from tests.serve.conftest import gateway_config

    config = gateway_config(scripted_server)
    config["agents"].append({"id": "empty", "name": "Empty"})  # no models: a 503 the gateway records
    gw = start_gateway(config)
    with pytest.raises(openai.InternalServerError):
        gw.openai().chat.completions.create(model="empty", messages=[{"role": "user", "content": "Hi"}])  # type: ignore[arg-type]
    scripted_server.script("a", ok("Hello", chunks=1))
    gw.openai().chat.completions.create(model="chat", messages=[{"role": "user", "content": "Hi"}])  # type: ignore[arg-type]
    runs = gw.wait_runs(2)
    assert [(r.agent, r.refused) for r in runs] == [("chat", False), ("empty", False)]


def test_a_flood_of_refusals_waits_for_no_history_write(
    start_gateway: Callable[..., Running], scripted_server: ScriptedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("modeldesk.serve.gateway.MAX_UNWRITTEN_REFUSALS", 3)
    gw = start_gateway(token=TOKEN)
    gw.history.set_settings(record_prompts=False)  # the database exists, so a writer waits on its lock
    # Another program holds the history: the gateway's writer waits, refusals pile up.
    holder = sqlite3.connect(gw.history.path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with httpx.Client(base_url=gw.url) as client:
            statuses = [client.get("/v1/models").status_code for _ in range(10)]
        assert statuses == [401] * 10  # every one answered at once
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    scripted_server.script("a", ok("Hello", chunks=1))
    gw.openai(api_key=TOKEN).chat.completions.create(model="chat", messages=[{"role": "user", "content": "Hi"}])  # type: ignore[arg-type]
    runs = gw.wait_runs(4)
    assert [r.refused for r in runs] == [False, True, True, True]  # the first 3 refusals, then the run
