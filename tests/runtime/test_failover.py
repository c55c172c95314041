"""``failover``: "after_retries" (the default) retries a failing model before moving on;
"at_once" moves to the next usable model on another provider at once and retries the
failed model only when nothing else answered. Against the scripted server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from modeldesk.runtime import CooldownTracker
from tests.support.scripted_server import (
    Behaviour,
    ScriptedServer,
    cut,
    malformed_json,
    ok,
    reset,
    status,
)

from .conftest import build_config, run

pytestmark = pytest.mark.timeout(30)

AT_ONCE = {"failover": "at_once"}
# A and B on p1, C on p2, E on the Anthropic-style provider.
THREE_PROVIDERS = [
    {"id": "A", "provider": "p1", "name": "a"},
    {"id": "B", "provider": "p1", "name": "b"},
    {"id": "C", "provider": "p2", "name": "c"},
    {"id": "E", "provider": "an", "name": "e"},
]


def _sent(server: ScriptedServer) -> list[str]:
    return [str(r.model) for r in server.chat_requests()]


RETRYABLE: dict[str, Behaviour] = {
    "500": status(500),
    "502": status(502),
    "503": status(503),
    "529": status(529),
    "408": status(408),
    "reset": reset(),
    "malformed": malformed_json(),
    "cut": cut(),
    "empty": ok("   "),
}


@pytest.mark.parametrize("fault", list(RETRYABLE))
def test_at_once_moves_to_another_provider_on_every_retryable_class(
    scripted_server: ScriptedServer, fault: str
) -> None:
    scripted_server.script("a", RETRYABLE[fault])
    outcome = run(build_config(scripted_server, fallback=AT_ONCE), record_sleeps=True)
    assert outcome.result.model == "C", outcome.lines()
    assert _sent(scripted_server) == ["a", "c"]  # not a retry of A, and C before B (same provider as A)
    assert outcome.sleeps == []


def test_after_retries_is_the_default(scripted_server: ScriptedServer) -> None:
    scripted_server.script("a", status(503), status(503), ok("Third time."))
    outcome = run(build_config(scripted_server), record_sleeps=True)
    assert outcome.result.model == "A" and _sent(scripted_server) == ["a", "a", "a"]


def test_at_once_applies_to_every_model_in_the_chain(scripted_server: ScriptedServer) -> None:
    scripted_server.script("a", status(503))
    scripted_server.script("c", status(500))
    scripted_server.script("e", ok("From E."))
    outcome = run(build_config(scripted_server, THREE_PROVIDERS, fallback=AT_ONCE))
    assert outcome.result.model == "E"
    assert _sent(scripted_server) == ["a", "c", "e"]


def test_at_once_takes_the_same_providers_next_model_when_no_other_is_left(scripted_server: ScriptedServer) -> None:
    scripted_server.script("a", status(503))
    models = THREE_PROVIDERS[:2]
    outcome = run(build_config(scripted_server, models, fallback=AT_ONCE))
    assert outcome.result.model == "B" and _sent(scripted_server) == ["a", "b"]


def test_at_once_retries_the_failed_model_when_nothing_else_answered(scripted_server: ScriptedServer) -> None:
    scripted_server.script("a", status(503), ok("A after all."))
    scripted_server.script("b", status(404))
    scripted_server.script("c", status(404))
    outcome = run(build_config(scripted_server, fallback=AT_ONCE), record_sleeps=True)
    assert outcome.result.model == "A" and outcome.result.text == "A after all."
    assert _sent(scripted_server) == ["a", "c", "b", "a"]
    assert "Retrying A in" in "\n".join(outcome.lines())
    outcomes = [(a.model, a.outcome) for a in outcome.result.attempts]
    assert outcomes == [("A", "failed"), ("C", "failed"), ("B", "failed"), ("A", "answered")]


def test_at_once_uses_each_models_remaining_attempts_only(scripted_server: ScriptedServer) -> None:
    scripted_server.script("a", *[status(503)] * 5)
    scripted_server.script("c", status(404))
    models = [THREE_PROVIDERS[0], THREE_PROVIDERS[2]]
    outcome = run(build_config(scripted_server, models, fallback=AT_ONCE))
    assert outcome.result.error is not None and outcome.result.error["code"] == "all_models_failed"
    assert _sent(scripted_server) == ["a", "c", "a", "a"]  # 1 + retries (2) attempts on A in all


@pytest.mark.parametrize("where", ["settings", "agent"])
def test_failover_is_an_agent_option_too(scripted_server: ScriptedServer, where: str) -> None:
    scripted_server.script("a", status(503))
    kwargs: dict[str, Any] = {"fallback": AT_ONCE} if where == "settings" else {"agent_fallback": AT_ONCE}
    outcome = run(build_config(scripted_server, **kwargs))
    assert outcome.result.model == "C" and _sent(scripted_server) == ["a", "c"]


# --- a failing fallback is cooled like a primary ---------------------------------------------


@pytest.mark.parametrize("where", ["file", "redis"])
def test_a_fallback_that_fails_is_cooled_like_a_primary(
    scripted_server: ScriptedServer, tmp_path: Path, request: pytest.FixtureRequest, where: str
) -> None:
    redis_url = request.getfixturevalue("redis_url") if where == "redis" else None

    def tracker() -> CooldownTracker:
        # A new tracker each run, as in a new process (another host, with Redis).
        return CooldownTracker(tmp_path / "cooldowns.json", redis_url=redis_url, redis_scope="team")

    config = build_config(scripted_server, THREE_PROVIDERS)
    scripted_server.script("a", status(429))
    assert run(config, cooldowns=tracker()).result.model == "B"  # A cools, runs start at B
    scripted_server.script("b", status(429))
    second = run(config, cooldowns=tracker())
    assert second.result.model == "C"
    assert "Next runs start at C for 60 s (B is cooling down)" in second.lines()
    cooling = {e.model: e for e in tracker().entries("agent")}
    assert set(cooling) == {"A", "B"} and cooling["B"].replaced_by == "C"
    assert tracker().warning is None and tracker().shared is (where == "redis")
    third = run(config, cooldowns=tracker())
    assert third.result.model == "C" and [a.model for a in third.result.attempts[:2]] == ["A", "B"]
    assert [r.model for r in scripted_server.chat_requests()] == ["a", "b", "b", "c", "c"]


@pytest.mark.parametrize("failover", ["after_retries", "at_once"])
def test_a_fallback_failing_before_the_primary_answers_is_cooled(
    scripted_server: ScriptedServer, tmp_path: Path, failover: str
) -> None:
    # A pinned chain: A cools, so B goes first; B is not found, and A (tried last) answers.
    tracker = CooldownTracker(tmp_path / "cooldowns.json")
    tracker.cool("agent", ["A"], 60, replaced_by="B")
    scripted_server.script("b", status(404))
    scripted_server.script("c", status(404))
    outcome = run(build_config(scripted_server, fallback={"failover": failover}), cooldowns=tracker)
    assert outcome.result.model == "A"
    cooling = {e.model: e.replaced_by for e in tracker.entries("agent")}
    assert cooling == {"B": "A", "C": "A"}  # A's success ended its own cooldown
