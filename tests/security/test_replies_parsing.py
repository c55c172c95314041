"""Hostile provider replies: deep JSON anywhere (an error body, a 200 answer, a stream
event, a gzip body, a model list), split surrogates and odd model lists are failed attempts
or skipped entries, never a traceback."""

from __future__ import annotations

import asyncio
import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from modeldesk.core.schema import Provider
from modeldesk.runtime.provider_probe import check_providers
from tests.core.helpers import Cli
from tests.runtime.conftest import build_config, run, write_config
from tests.support.scripted_server import MODELS_KEY, ScriptedServer, ok, raw

MAX_REPLY_NESTING = 64  # what the provider layer promises (runtime/providers/bounded_body.py)

DEEP = 50_000  # far past Python's recursion limit: json.loads alone raises RecursionError


def _deep(depth: int = DEEP) -> bytes:
    return b'{"error": {"message": ' + b"[" * depth + b"]" * depth + b"}}"


def _sse(*events: dict[str, Any] | bytes) -> bytes:
    out = b""
    for event in events:
        out += b"data: " + (event if isinstance(event, bytes) else json.dumps(event).encode()) + b"\n\n"
    return out + b"data: [DONE]\n\n"


def _delta(text: str) -> dict[str, Any]:
    return {"choices": [{"index": 0, "delta": {"content": text}, "finish_reason": None}]}


HOSTILE = {
    "error body (500)": raw(500, _deep()),
    "error body (404)": raw(404, _deep()),
    "200 answer": raw(200, b'{"choices": ' + b"[" * DEEP + b"]" * DEEP + b"}"),
    "200 answer, 65 levels": raw(200, b'{"choices": ' + b"[" * 65 + b"]" * 65 + b"}"),
    "stream event": raw(
        200, _sse(_delta("Hi"), b'{"choices": ' + b"[" * DEEP + b"]" * DEEP + b"}"), content_type="text/event-stream"
    ),
    "gzip body": raw(
        200, gzip.compress(b'{"choices": ' + b"[" * DEEP + b"]" * DEEP + b"}"), headers={"content-encoding": "gzip"}
    ),
    "gzip error body": raw(502, gzip.compress(_deep()), headers={"content-encoding": "gzip"}),
}


@pytest.mark.parametrize("reply", HOSTILE.values(), ids=list(HOSTILE))
def test_deeply_nested_json_is_a_failed_attempt_that_falls_back(scripted_server: ScriptedServer, reply: Any) -> None:
    scripted_server.script("a", reply, reply, reply)
    r = run(build_config(scripted_server))
    assert r.result.model == "B" and r.result.text == "Hello!"
    failed = [a for a in r.result.attempts if a.model == "A"]
    assert failed and all(a.outcome == "failed" and a.error_class for a in failed)


def test_a_deep_answer_is_classified_as_malformed(scripted_server: ScriptedServer) -> None:
    reply = HOSTILE["200 answer"]
    scripted_server.script("a", reply, reply, reply)
    r = run(build_config(scripted_server))
    first = r.result.attempts[0]
    assert first.error_class == "malformed_response"
    assert f"nested more than {MAX_REPLY_NESTING} levels" in (first.error or "")


def test_an_emoji_split_across_stream_events_arrives_whole(scripted_server: ScriptedServer) -> None:
    # JSON escapes of one emoji's two UTF-16 halves, one per event; then a lone half.
    body = _sse(
        b'{"choices": [{"delta": {"content": "Hi \\ud83d"}}]}',
        b'{"choices": [{"delta": {"content": "\\ude00!"}}]}',
        b'{"choices": [{"delta": {"content": " \\ud83d"}, "finish_reason": "stop"}]}',
    )
    scripted_server.script("a", raw(200, body, content_type="text/event-stream"))
    r = run(build_config(scripted_server))
    assert r.result.model == "A" and r.result.text == "Hi \U0001f600! \ufffd"
    r.result.text.encode("utf-8")  # nothing left that cannot be written


def test_a_lone_surrogate_does_not_crash_run_json_or_the_history(
    scripted_server: ScriptedServer, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    body = _sse(b'{"choices": [{"delta": {"content": "half \\ud83d"}, "finish_reason": "stop"}]}')
    scripted_server.script("a", raw(200, body, content_type="text/event-stream"))
    config = write_config(tmp_path / "config.json", build_config(scripted_server))
    cli = Cli(capsys)
    data = cli.json("--config", str(config), "run", "--agent", "agent", "Hello?")
    assert data["text"] == "half \ufffd"
    code, out, err = cli("--config", str(config), "history", "--json")
    assert code == 0, err
    assert "half" in out or json.loads(out)


def _check(server: ScriptedServer, tmp_path: Path) -> dict[str, Any]:
    good = Provider(id="good", kind="openai", base_url=server.openai_url)
    bad = Provider(id="bad", kind="openai", base_url=server.openai_url)
    return {r.provider: r for r in asyncio.run(check_providers([bad, good], timeout_s=5))}


def test_a_nested_model_list_fails_its_check_and_the_others_are_still_shown(
    scripted_server: ScriptedServer, tmp_path: Path
) -> None:
    scripted_server.script(MODELS_KEY, raw(200, b'{"data": ' + b"[" * DEEP + b"]" * DEEP + b"}"), ok())
    results = _check(scripted_server, tmp_path)
    assert sorted(r.ok for r in results.values()) == [False, True]


ODD_MODELS = {
    "object": "list",
    "data": [
        {"id": "plain", "name": "Plain"},
        {"id": "newline\n", "name": "Ends in a newline"},
        {"id": "esc\x1b[31m", "name": "Escape"},
        {"id": "labelled", "name": {"not": "text"}},
        {"id": ["not", "text"]},
        {"id": "bidi", "name": "\u202eevil"},
    ],
}


def test_model_ids_and_labels_from_a_list_are_cleaned_or_skipped(scripted_server: ScriptedServer) -> None:
    from modeldesk.runtime.provider_probe import list_models

    scripted_server.script(MODELS_KEY, raw(200, json.dumps(ODD_MODELS).encode()))
    provider = Provider(id="p", kind="openai", base_url=scripted_server.openai_url)
    models = asyncio.run(list_models(provider, timeout_s=5))
    assert [(m.id, m.label) for m in models] == [
        ("plain", "Plain"),
        ("newline", "Ends in a newline"),
        ("labelled", None),
        ("bidi", "evil"),
    ]


def test_anthropic_display_names_that_are_not_text_are_ignored(scripted_server: ScriptedServer) -> None:
    from modeldesk.runtime.provider_probe import list_models

    listing = {
        "data": [{"id": "claude-x", "display_name": 42}, {"id": "claude-y\n", "display_name": ["x"]}],
        "has_more": False,
    }
    scripted_server.script(MODELS_KEY, raw(200, json.dumps(listing).encode()))
    provider = Provider(id="an", kind="anthropic", base_url=scripted_server.anthropic_url)
    models = asyncio.run(list_models(provider, timeout_s=5))
    assert [(m.id, m.label) for m in models] == [("claude-x", None), ("claude-y", None)]


def test_detect_add_takes_odd_model_lists_without_a_crash(scripted_server: ScriptedServer, tmp_path: Path) -> None:
    from tests.security.helpers import modeldesk

    scripted_server.script(MODELS_KEY, *[raw(200, json.dumps(ODD_MODELS).encode())] * 3)
    config = tmp_path / "config.json"
    config.write_text('{"schema_version": 1}')
    env = {"MODELDESK_DETECT_PORTS": f"ollama={scripted_server.port}"}
    done = modeldesk("--config", str(config), "providers", "detect", "--add", env=env)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    models = json.loads(config.read_text())["models"]
    assert {m["name"] for m in models} == {"plain", "newline", "labelled", "bidi"}
    assert not any("\x1b" in json.dumps(m) or "\u202e" in m.get("label", "") for m in models)


ANTHROPIC_HOSTILE = {
    "error body": raw(529, _deep()),
    "200 message": raw(200, b'{"type": "message", "content": ' + b"[" * DEEP + b"]" * DEEP + b"}"),
    "stream event": raw(
        200,
        b"event: message_start\ndata: "
        + b'{"type": "message_start", "message": '
        + b"[" * DEEP
        + b"]" * DEEP
        + b"}\n\n",
        content_type="text/event-stream",
    ),
}


@pytest.mark.parametrize("reply", ANTHROPIC_HOSTILE.values(), ids=list(ANTHROPIC_HOSTILE))
def test_deeply_nested_json_from_an_anthropic_provider_falls_back(scripted_server: ScriptedServer, reply: Any) -> None:
    models = [{"id": "X", "provider": "an", "name": "x"}, {"id": "A", "provider": "p1", "name": "a"}]
    scripted_server.script("x", reply, reply, reply)
    r = run(build_config(scripted_server, models))
    failed = [a for a in r.result.attempts if a.model == "X"]
    assert r.result.model == "A" and failed and all(a.outcome == "failed" and a.error_class for a in failed)


def test_a_nested_model_list_leaves_detect_showing_the_other_servers(
    scripted_server: ScriptedServer, tmp_path: Path
) -> None:
    from tests.security.helpers import modeldesk
    from tests.support.scripted_server import ScriptedServer as Server

    scripted_server.script(MODELS_KEY, *[raw(200, b'{"data": ' + b"[" * DEEP + b"]" * DEEP + b"}")] * 3)
    with Server() as good:
        good.model_names = ["fine-model"]
        good_port = good.port
        ports = f"ollama={scripted_server.port},vllm={good_port}"
        done = modeldesk("providers", "detect", "--json", env={"MODELDESK_DETECT_PORTS": ports})
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    found = json.loads(done.stdout)
    assert "fine-model" in json.dumps(found) and str(good_port) in json.dumps(found)
