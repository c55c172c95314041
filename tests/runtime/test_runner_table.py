"""Every row of SPEC §4's table, through the runner against a real HTTP server, with
streaming on and off."""

from __future__ import annotations

import pytest

from tests.support.scripted_server import (
    ScriptedServer,
    content_policy,
    context_overflow,
    cut,
    hang,
    malformed_json,
    malformed_sse,
    no_done,
    ok,
    reset,
    status,
    stream_error,
)

from .conftest import build_config, run

pytestmark = [pytest.mark.timeout(30), pytest.mark.parametrize("stream", [True, False], ids=["stream", "no-stream"])]


def chat_models(server: ScriptedServer) -> list[str | None]:
    return [r.model for r in server.chat_requests()]


# --- 429 --------------------------------------------------------------------------------


def test_rate_limit_moves_to_the_next_model_at_once(scripted_server: ScriptedServer, stream: bool) -> None:
    scripted_server.script("a", status(429, retry_after=5))
    scripted_server.script("b", ok("From B"))
    r = run(build_config(scripted_server), stream=stream, record_sleeps=True)
    assert r.result.ok and r.result.model == "B" and r.result.text == "From B"
    assert chat_models(scripted_server) == ["a", "b"]
    assert r.sleeps == []  # no wait before switching
    assert r.lines()[:4] == [
        "Starting (models: A, B, C)",
        "Trying A (1/3)",
        "A failed: 429 rate limited: scripted 429",
        "Falling back to B",
    ]
    assert r.result.attempts[0].status == 429 and r.result.attempts[0].error_class == "rate_limit"


def test_rate_limit_on_the_last_model_honours_retry_after(scripted_server: ScriptedServer, stream: bool) -> None:
    scripted_server.script("a", status(429, retry_after="0.05"), ok("Later"))
    config = build_config(scripted_server, agent_models=["A"])
    r = run(config, stream=stream, record_sleeps=True)
    assert r.result.ok and r.result.text == "Later"
    assert r.sleeps == [pytest.approx(0.05)]
    assert "Retrying A in 0.05 s (2/3)" in r.lines()


def test_rate_limit_on_the_last_model_gives_up_when_retry_after_is_too_long(
    scripted_server: ScriptedServer, stream: bool
) -> None:
    scripted_server.script("a", status(429, retry_after=120))
    r = run(build_config(scripted_server, agent_models=["A"]), stream=stream, record_sleeps=True)
    assert not r.result.ok and r.result.error is not None
    assert r.result.error["code"] == "all_models_failed"
    assert r.sleeps == [] and chat_models(scripted_server) == ["a"]


def test_rate_limit_on_the_last_model_without_retry_after_backs_off(
    scripted_server: ScriptedServer, stream: bool
) -> None:
    scripted_server.script("a", status(429), status(429), status(429))
    r = run(build_config(scripted_server, agent_models=["A"]), stream=stream, record_sleeps=True)
    assert r.result.error is not None and r.result.error["code"] == "all_models_failed"
    assert r.sleeps == [pytest.approx(0.01), pytest.approx(0.02)]
    assert chat_models(scripted_server) == ["a", "a", "a"]


# --- retryable ----------------------------------------------------------------------------


@pytest.mark.parametrize("code", [500, 502, 503, 504, 529, 408])
def test_server_errors_retry_with_backoff_then_fall_back(
    scripted_server: ScriptedServer, stream: bool, code: int
) -> None:
    scripted_server.script("a", status(code), status(code), status(code))
    scripted_server.script("b", ok("Recovered"))
    r = run(build_config(scripted_server), stream=stream, record_sleeps=True)
    assert r.result.ok and r.result.model == "B" and r.result.text == "Recovered"
    assert chat_models(scripted_server) == ["a", "a", "a", "b"]
    assert r.sleeps == [pytest.approx(0.01), pytest.approx(0.02)]
    assert [a.status for a in r.result.attempts] == [code, code, code, 200]
    assert "Retrying A in 0.01 s (2/3)" in r.lines() and "Retrying A in 0.02 s (3/3)" in r.lines()


def test_a_retry_that_succeeds_stays_on_the_model(scripted_server: ScriptedServer, stream: bool) -> None:
    scripted_server.script("a", status(503), ok("Second time lucky"))
    r = run(build_config(scripted_server), stream=stream, record_sleeps=True)
    assert r.result.model == "A" and r.result.text == "Second time lucky"
    assert r.outcomes() == [("A", "failed"), ("A", "answered")]


@pytest.mark.parametrize(
    ("behaviour", "error_class"),
    [
        (reset(), "connection"),
        (hang(), "timeout"),
        (malformed_json(), "malformed_response"),
        (malformed_sse(), "malformed_response"),
        (cut(), "malformed_response"),
        (no_done(), "malformed_response"),
        (stream_error(), "server"),
    ],
    ids=["reset", "read-timeout", "bad-json", "bad-sse", "cut", "no-done", "stream-error"],
)
def test_broken_responses_retry_then_fall_back(
    scripted_server: ScriptedServer, stream: bool, behaviour: object, error_class: str
) -> None:
    scripted_server.script("a", behaviour, behaviour, behaviour)  # type: ignore[arg-type]
    scripted_server.script("b", ok("Fine"))
    config = build_config(scripted_server, fallback={"first_token_timeout_s": 0.3, "idle_timeout_s": 0.3})
    r = run(config, stream=stream, record_sleeps=True)
    assert r.result.ok and r.result.text == "Fine" and r.result.model == "B"
    failed = [a for a in r.result.attempts if a.outcome == "failed"]
    assert len(failed) == 3
    assert {a.error_class for a in failed} == {error_class}
    assert chat_models(scripted_server) == ["a", "a", "a", "b"]


def test_connection_refused_retries_then_falls_back(scripted_server: ScriptedServer, stream: bool) -> None:
    config = build_config(
        scripted_server,
        [{"id": "X", "provider": "dead", "name": "x"}, {"id": "A", "provider": "p1", "name": "a"}],
    )
    r = run(config, stream=stream, record_sleeps=True)
    assert r.result.ok and r.result.model == "A"
    assert [a.error_class for a in r.result.attempts[:3]] == ["connection"] * 3
    assert "Connection refused" in (r.result.attempts[0].error or "")


# --- context, 404, auth -----------------------------------------------------------------


def test_context_overflow_skips_to_a_larger_window(scripted_server: ScriptedServer, stream: bool) -> None:
    models = [
        {"id": "A", "provider": "p1", "name": "a", "context_window": 8000},
        {"id": "B", "provider": "p1", "name": "b", "context_window": 8000},
        {"id": "S", "provider": "p1", "name": "s", "context_window": 4000},
        {"id": "U", "provider": "p1", "name": "u"},
        {"id": "L", "provider": "p2", "name": "l", "context_window": 128000},
    ]
    scripted_server.script("a", context_overflow(8000))
    scripted_server.script("l", ok("Big enough"))
    r = run(build_config(scripted_server, models), stream=stream, record_sleeps=True)
    assert r.result.ok and r.result.model == "L"
    assert chat_models(scripted_server) == ["a", "l"]
    assert r.result.attempts[0].error_class == "context_overflow"
    assert r.outcomes() == [("A", "failed"), ("B", "skipped"), ("S", "skipped"), ("U", "skipped"), ("L", "answered")]
    assert "Skipping B: context window 8000 is not larger than A's 8000" in r.lines()


def test_not_found_moves_on_without_retry(scripted_server: ScriptedServer, stream: bool) -> None:
    scripted_server.script("a", status(404, "The model `a` does not exist"))
    scripted_server.script("b", ok())
    r = run(build_config(scripted_server), stream=stream, record_sleeps=True)
    assert r.result.model == "B" and chat_models(scripted_server) == ["a", "b"]
    assert r.result.attempts[0].error_class == "not_found"


@pytest.mark.parametrize("code", [401, 403])
def test_auth_failure_skips_the_rest_of_the_provider(scripted_server: ScriptedServer, stream: bool, code: int) -> None:
    scripted_server.script("a", status(code))
    scripted_server.script("c", ok("Other provider"))
    r = run(build_config(scripted_server), stream=stream, record_sleeps=True)
    assert r.result.model == "C" and r.result.text == "Other provider"
    assert chat_models(scripted_server) == ["a", "c"]  # b is on p1 too: never sent
    assert r.outcomes() == [("A", "failed"), ("B", "skipped"), ("C", "answered")]
    assert "Skipping B: provider 'p1' refused the key for A" in r.lines()


# --- stop ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("behaviour", "code"),
    [
        (status(400, "messages: field required"), "invalid_request"),
        (content_policy(), "content_policy"),
        (status(422, "bad"), "invalid_request"),
    ],
    ids=["400", "content-policy", "422"],
)
def test_stop_errors_end_the_run_without_retry_or_fallback(
    scripted_server: ScriptedServer, stream: bool, behaviour: object, code: str
) -> None:
    scripted_server.script("a", behaviour)  # type: ignore[arg-type]
    r = run(build_config(scripted_server), stream=stream, record_sleeps=True)
    assert r.result.error is not None and r.result.error["code"] == code
    assert chat_models(scripted_server) == ["a"] and r.sleeps == []
    assert r.kinds()[-1] == "all_failed"
    assert r.result.to_json()["error"]["code"] == code


# --- every model fails ----------------------------------------------------------------------


def test_all_models_failing_reports_each_attempt(scripted_server: ScriptedServer, stream: bool) -> None:
    scripted_server.script("a", status(500), status(500), status(500))
    scripted_server.script("b", status(404))
    scripted_server.script("c", status(429, retry_after=999))
    r = run(build_config(scripted_server), stream=stream, record_sleeps=True)
    assert r.result.error is not None and r.result.error["code"] == "all_models_failed"
    assert "the last, C, failed with 429" in r.result.error["message"]
    assert [(a.model, a.status) for a in r.result.attempts] == [
        ("A", 500),
        ("A", 500),
        ("A", 500),
        ("B", 404),
        ("C", 429),
    ]
    data = r.result.to_json()
    assert set(data) == {"error", "attempts", "elapsed_s"}
    assert set(data["attempts"][0]) >= {"model", "outcome", "status", "error", "elapsed_ms"}
