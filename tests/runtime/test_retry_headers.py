"""What a provider's headers may change about retrying, against the scripted server:
Retry-After / retry-after-ms (only valid values, only on 429, 503 and 529),
x-should-retry, and 501 (not implemented: the next model, no retry)."""

from __future__ import annotations

import email.utils
import time

import pytest

from tests.support.scripted_server import ScriptedServer, ok, status

from .conftest import build_config, run

pytestmark = pytest.mark.timeout(30)

BACKOFF = 0.01  # FAST's first backoff (jitter 0)


@pytest.mark.parametrize(
    "headers",
    [
        {"retry-after": "-1"},
        {"retry-after": "-Infinity"},
        {"retry-after": "Infinity"},
        {"retry-after": "NaN"},
        {"retry-after": "nan"},
        {"retry-after": "1e999"},
        {"retry-after": ""},
        {"retry-after": "soon"},
        {"retry-after": "Wed, 99 Foo 2024 99:99:99 GMT"},
        {"retry-after-ms": "-1000"},
        {"retry-after-ms": "NaN"},
        {"retry-after-ms": "-Infinity"},
        {"retry-after-ms": "garbage", "retry-after": "-5"},
    ],
    ids=lambda h: " ".join(f"{k}={v!r}" for k, v in h.items()),
)
def test_a_retry_after_that_is_no_number_or_date_is_ignored(
    scripted_server: ScriptedServer, headers: dict[str, str]
) -> None:
    scripted_server.script("a", status(503, headers=headers), ok("Fine."))
    outcome = run(build_config(scripted_server, agent_models=["A"]), record_sleeps=True)
    assert outcome.result.ok, outcome.result.error
    assert outcome.sleeps == [BACKOFF]  # the backoff applies
    assert not any("nan" in line or "inf" in line for line in outcome.lines()), outcome.lines()


@pytest.mark.parametrize("code", [429, 503, 529])
def test_retry_after_replaces_the_backoff_on_429_503_529(scripted_server: ScriptedServer, code: int) -> None:
    scripted_server.script("a", status(code, headers={"retry-after": "0.5"}), ok())
    outcome = run(build_config(scripted_server, agent_models=["A"]), record_sleeps=True)
    assert outcome.result.ok and outcome.sleeps == [0.5]


def test_retry_after_ms_wins_over_retry_after(scripted_server: ScriptedServer) -> None:
    scripted_server.script("a", status(503, headers={"retry-after-ms": "250", "retry-after": "7"}), ok())
    outcome = run(build_config(scripted_server, agent_models=["A"]), record_sleeps=True)
    assert outcome.sleeps == [0.25]


def test_a_retry_after_date_is_honoured(scripted_server: ScriptedServer) -> None:
    when = email.utils.formatdate(time.time() + 3, usegmt=True)
    scripted_server.script("a", status(503, headers={"retry-after": when}), ok())
    outcome = run(build_config(scripted_server, agent_models=["A"]), record_sleeps=True)
    assert len(outcome.sleeps) == 1 and 1.0 < outcome.sleeps[0] <= 3.0


@pytest.mark.parametrize("code", [500, 502, 504])
def test_retry_after_on_other_statuses_does_not_change_the_backoff(scripted_server: ScriptedServer, code: int) -> None:
    scripted_server.script("a", status(code, headers={"retry-after": "30", "retry-after-ms": "30000"}), ok())
    outcome = run(build_config(scripted_server, agent_models=["A"]), record_sleeps=True)
    assert outcome.result.ok and outcome.sleeps == [BACKOFF]


def test_x_should_retry_false_moves_on_at_once(scripted_server: ScriptedServer) -> None:
    scripted_server.script("a", status(503, headers={"x-should-retry": "false"}))
    outcome = run(build_config(scripted_server, agent_models=["A", "C"]), record_sleeps=True)
    assert outcome.result.model == "C"
    assert [r.model for r in scripted_server.chat_requests()] == ["a", "c"]
    assert outcome.sleeps == []


def test_x_should_retry_false_on_the_last_model_ends_the_run(scripted_server: ScriptedServer) -> None:
    scripted_server.script("a", status(503, headers={"x-should-retry": "false"}), ok())
    outcome = run(build_config(scripted_server, agent_models=["A"]), record_sleeps=True)
    assert outcome.result.error is not None and outcome.result.error["code"] == "all_models_failed"
    assert len(scripted_server.chat_requests()) == 1


@pytest.mark.parametrize("code", [429, 404])
def test_x_should_retry_true_allows_one_retry_the_class_would_not(scripted_server: ScriptedServer, code: int) -> None:
    scripted_server.script("a", status(code, headers={"x-should-retry": "true"}), ok("Second time lucky."))
    outcome = run(build_config(scripted_server, agent_models=["A", "C"]), record_sleeps=True)
    assert outcome.result.model == "A" and outcome.result.text == "Second time lucky."
    assert [r.model for r in scripted_server.chat_requests()] == ["a", "a"]


def test_x_should_retry_true_allows_only_one_extra_retry(scripted_server: ScriptedServer) -> None:
    scripted_server.script("a", *[status(404, headers={"x-should-retry": "true"}) for _ in range(3)])
    outcome = run(build_config(scripted_server, agent_models=["A", "C"]), record_sleeps=True)
    assert outcome.result.model == "C"
    assert [r.model for r in scripted_server.chat_requests()] == ["a", "a", "c"]


@pytest.mark.parametrize("api", ["openai", "anthropic"])
def test_501_is_not_retried_and_moves_to_the_next_model(scripted_server: ScriptedServer, api: str) -> None:
    models = [
        {"id": "A", "provider": "p1" if api == "openai" else "an", "name": "a"},
        {"id": "C", "provider": "p2", "name": "c"},
    ]
    scripted_server.script("a", status(501, "not implemented"), ok())
    outcome = run(build_config(scripted_server, models), record_sleeps=True)
    assert outcome.result.model == "C"
    assert [r.model for r in scripted_server.chat_requests()] == ["a", "c"]
    failed = outcome.result.attempts[0]
    assert failed.status == 501 and failed.error_class == "not_implemented"
