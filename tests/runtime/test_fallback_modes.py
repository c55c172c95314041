"""Cooldown ordering (all cooling, pinned chain failing, probe_primary), ``fallback.enabled``,
``on_stream_break: "continue"``, simulated faults through the real runner, and the
``simulated`` provider — each against the scripted server."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from modeldesk.core.schema import Config
from modeldesk.runtime import CooldownTracker
from modeldesk.runtime.providers.openai import CONTINUE_INSTRUCTION
from modeldesk.runtime.simulate import FAULTS, parse_fault, parse_simulations
from tests.runtime.conftest import build_config, run, write_config
from tests.support.scripted_server import ScriptedServer, cut, ok, status

# --- cooldown ordering ---------------------------------------------------------------------------


def test_when_every_model_cools_down_the_soonest_ending_goes_first(scripted_server: ScriptedServer) -> None:
    tracker = CooldownTracker()
    tracker.cool("agent", ["A"], 300)
    tracker.cool("agent", ["B"], 30)
    tracker.cool("agent", ["C"], 120)
    scripted_server.script("b", ok("B here."))
    r = run(build_config(scripted_server), cooldowns=tracker)
    assert r.result.model == "B"
    assert any(line.startswith("Every model is cooling down; trying B first") for line in r.lines())
    assert [q.model for q in scripted_server.chat_requests()] == ["b"]
    assert "B" not in tracker.cooling("agent", ["A", "B", "C"])  # its success ended its cooldown


def test_when_the_pinned_chain_fails_the_primary_is_tried_last(scripted_server: ScriptedServer) -> None:
    tracker = CooldownTracker()
    tracker.cool("agent", ["A"], 60, replaced_by="B")
    scripted_server.script("b", status(404), status(404))
    scripted_server.script("c", status(404))
    scripted_server.script("a", ok("Primary is back."))
    r = run(build_config(scripted_server), cooldowns=tracker)
    assert r.result.model == "A"
    assert [q.model for q in scripted_server.chat_requests()] == ["b", "c", "a"]
    assert r.kinds()[:2] == ["starting", "cooldown_used"]


def test_an_agent_of_the_same_id_in_another_config_file_is_not_affected(
    scripted_server: ScriptedServer, tmp_path: Path
) -> None:
    store = tmp_path / "cooldowns.json"
    first = CooldownTracker(store, scope=str(tmp_path / "one.json"))
    scripted_server.script("a", status(429))
    assert run(build_config(scripted_server), cooldowns=first).result.model == "B"
    second = CooldownTracker(store, scope=str(tmp_path / "two.json"))
    r = run(build_config(scripted_server), cooldowns=second)
    assert r.result.model == "A" and "cooldown_used" not in r.kinds()
    again = run(build_config(scripted_server), cooldowns=CooldownTracker(store, scope=str(tmp_path / "one.json")))
    assert again.result.model == "B" and "cooldown_used" in again.kinds()


def test_cooldown_zero_ignores_entries(scripted_server: ScriptedServer) -> None:
    tracker = CooldownTracker()
    tracker.cool("agent", ["A"], 60)
    r = run(build_config(scripted_server, agent_fallback={"cooldown_s": 0}), cooldowns=tracker)
    assert r.result.model == "A"


def test_probe_primary_goes_back_early_when_the_primary_answers(scripted_server: ScriptedServer) -> None:
    tracker = CooldownTracker()
    tracker.cool("agent", ["A"], 60, replaced_by="B")
    scripted_server.script("a", ok("pong"), ok("Real answer."))
    r = run(build_config(scripted_server, agent_fallback={"probe_primary": True}), cooldowns=tracker)
    assert r.result.model == "A" and r.result.text == "Real answer."
    probe, real = scripted_server.chat_requests("a")
    assert probe.body["max_tokens"] == 1 and probe.body["stream"] is False
    assert real.body["messages"][-1]["content"] == "Hello?"
    assert tracker.cooling("agent", ["A"]) == {}
    assert "A answered the probe; its cooldown ends" in r.lines()


def test_probe_primary_keeps_the_cooldown_when_the_primary_is_still_down(scripted_server: ScriptedServer) -> None:
    tracker = CooldownTracker()
    tracker.cool("agent", ["A"], 60, replaced_by="B")
    scripted_server.script("a", status(429))
    r = run(build_config(scripted_server, agent_fallback={"probe_primary": True}), cooldowns=tracker)
    assert r.result.model == "B"
    assert [q.model for q in scripted_server.chat_requests()] == ["a", "b"]
    assert "A" in tracker.cooling("agent", ["A"])


def test_fallback_disabled_means_only_the_first_model(scripted_server: ScriptedServer) -> None:
    tracker = CooldownTracker()
    tracker.cool("agent", ["A"], 60)  # ignored: the explicit pick sticks
    scripted_server.script("a", status(500), status(500), status(500))
    r = run(build_config(scripted_server, agent_fallback={"enabled": False}), cooldowns=tracker)
    assert r.result.error is not None and r.result.error["code"] == "all_models_failed"
    assert [q.model for q in scripted_server.chat_requests()] == ["a", "a", "a"]
    assert ("B", "skipped") in r.outcomes() and "fallback is off for this agent" in "\n".join(r.lines())


def test_a_failed_fallback_starts_its_own_cooldown(scripted_server: ScriptedServer) -> None:
    tracker = CooldownTracker()
    scripted_server.script("a", status(429))
    scripted_server.script("b", status(404))
    r = run(build_config(scripted_server), cooldowns=tracker)
    assert r.result.model == "C"
    assert {(e.model, e.reason, e.replaced_by) for e in tracker.entries("agent")} == {
        ("A", "rate_limit", "C"),
        ("B", "not_found", "C"),
    }


# --- broken streams: continue --------------------------------------------------------------------


def test_continue_hands_the_partial_text_to_the_next_model(scripted_server: ScriptedServer) -> None:
    scripted_server.script("a", cut("Partial answer that breaks", after=2, chunks=4))
    scripted_server.script("b", ok(" off here and ends.", chunks=2))
    config = build_config(scripted_server, agent_fallback={"on_stream_break": "continue", "retries": 0})
    r = run(config)
    partial = "Partial answer"[:14]
    assert r.result.model == "B"
    assert r.result.text.startswith(partial) and r.result.text.endswith(" off here and ends.")
    kept = len(r.result.text) - len(" off here and ends.")
    assert r.result.segments == [
        {"model": "A", "start": 0, "end": kept},
        {"model": "B", "start": kept, "end": len(r.result.text)},
    ]
    assert "output_kept" in r.kinds() and "output_withdrawn" not in r.kinds()
    messages = scripted_server.chat_requests("b")[0].body["messages"]
    assert messages[-2] == {"role": "assistant", "content": r.result.text[:kept]}
    assert messages[-1] == {"role": "user", "content": CONTINUE_INSTRUCTION}
    assert r.result.to_json()["segments"][0]["model"] == "A"


def test_continue_on_anthropic_prefills_the_partial_text(scripted_server: ScriptedServer) -> None:
    models = [{"id": "A", "provider": "p1", "name": "a"}, {"id": "X", "provider": "an", "name": "x"}]
    scripted_server.script("a", cut("Half of it ", after=1, chunks=2))
    config = build_config(scripted_server, models, agent_fallback={"on_stream_break": "continue", "retries": 0})
    r = run(config)
    assert r.result.model == "X"
    body = scripted_server.chat_requests("x")[0].body
    assert body["messages"][-1]["role"] == "assistant"
    assert body["messages"][-1]["content"] == body["messages"][-1]["content"].rstrip()


def test_withdraw_stays_the_default(scripted_server: ScriptedServer) -> None:
    scripted_server.script("a", cut(after=2), ok("Clean."))
    r = run(build_config(scripted_server))
    assert r.result.text == "Clean." and r.result.segments == []
    assert "output_withdrawn" in r.kinds()
    assert "assistant" not in [m["role"] for m in scripted_server.chat_requests("a")[1].body["messages"]]


# --- simulated faults through the real runner ------------------------------------------------


def test_every_fault_name_parses() -> None:
    for name in FAULTS:
        parse_fault(name.replace("N", "3"))
    with pytest.raises(ValueError, match="unknown fault 'teapot'; known: 429"):
        parse_fault("teapot")
    with pytest.raises(ValueError, match="MODEL=FAULT"):
        parse_simulations(["A"])


@pytest.mark.parametrize(
    ("fault", "error_class", "status_code"),
    [
        ("429", "rate_limit", 429),
        ("500", "server", 500),
        ("503", "server", 503),
        ("529", "server", 529),
        ("timeout", "timeout", None),
        ("reset", "connection", None),
        ("context", "context_overflow", 400),
        ("auth", "auth", 401),
        ("quota", "quota", 429),
        ("cut:12", "malformed_response", None),
        ("empty", "empty_answer", None),
    ],
)
def test_a_simulated_fault_goes_through_the_real_policy(
    scripted_server: ScriptedServer, fault: str, error_class: str, status_code: int | None
) -> None:
    sim = parse_simulations([f"A={fault}"])
    models = [
        {"id": "A", "provider": "p1", "name": "a", "context_window": 4096},
        {"id": "B", "provider": "p1", "name": "b", "context_window": 8192},
        {"id": "C", "provider": "p2", "name": "c", "context_window": 128000},
    ]
    r = run(build_config(scripted_server, models, agent_fallback={"retries": 1}), simulate=sim)
    assert r.result.ok
    first = r.result.attempts[0]
    assert (first.error_class, first.status, first.simulated) == (error_class, status_code, fault)
    assert f"Simulated fault on A: {fault}" in r.lines()
    assert "a" not in [q.model for q in scripted_server.chat_requests()]  # nothing reached the server for A
    assert first.to_json()["simulated"] == fault


def test_a_simulated_retry_after_is_honoured(scripted_server: ScriptedServer) -> None:
    r = run(
        build_config(scripted_server, agent_models=["A"]),
        simulate=parse_simulations(["A=429:retry-after=2"]),
        record_sleeps=True,
    )
    assert r.sleeps == [2.0, 2.0]
    assert r.result.error is not None


def test_a_provider_can_be_marked_as_failing(scripted_server: ScriptedServer) -> None:
    r = run(build_config(scripted_server), simulate=parse_simulations(["p1=503"]))
    assert r.result.model == "C"
    assert {a.simulated for a in r.result.attempts if a.model in ("A", "B")} == {"503"}


def test_run_simulate_on_the_command_line(
    scripted_server: ScriptedServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from modeldesk.cli.main import main

    path = write_config(tmp_path / "config.json", build_config(scripted_server))
    assert main(["--config", str(path), "run", "--agent", "agent", "--simulate", "A=quota", "--json", "Hi"]) == 0
    captured = capsys.readouterr()
    data = json.loads(captured.out)
    assert data["model"] == "C" and data["attempts"][0]["simulated"] == "quota"
    assert "[modeldesk] Simulated fault on A: quota" in captured.err
    assert main(["--config", str(path), "run", "--agent", "agent", "--simulate", "A=teapot", "Hi"]) == 2
    assert "unknown fault 'teapot'" in capsys.readouterr().err


# --- the simulated provider --------------------------------------------------------------------


def _offline_config(**fallback: Any) -> Config:
    return Config.model_validate(
        {
            "schema_version": 1,
            "providers": [{"id": "sim", "kind": "simulated", "base_url": "http://simulated.invalid/v1"}],
            "models": [
                {"id": "busy", "provider": "sim", "name": "fail-429"},
                {"id": "steady", "provider": "sim", "name": "steady"},
            ],
            "settings": {"fallback": {"backoff_base_s": 0.01, "jitter": 0, **fallback}},
            "agents": [{"id": "demo", "name": "Demo", "model": ["busy", "steady"]}],
        }
    )


@pytest.mark.parametrize("stream", [True, False])
def test_the_simulated_provider_answers_offline_and_shows_a_fallback(stream: bool) -> None:
    tracker = CooldownTracker()
    r = run(_offline_config(), agent_id="demo", stream=stream, cooldowns=tracker)
    assert r.result.model == "steady"
    assert r.result.text == "This is a simulated answer from steady; no network was used."
    assert r.result.attempts[0].error_class == "rate_limit"
    assert "cooldown_started" in r.kinds()
    again = run(_offline_config(), agent_id="demo", stream=stream, cooldowns=tracker)
    assert again.kinds()[:2] == ["starting", "cooldown_used"]


def test_the_sample_workspace_runs_offline() -> None:
    from modeldesk.core.samples import sample_config

    r = run(sample_config(), agent_id="demo", cooldowns=CooldownTracker())
    assert r.result.ok and r.result.model == "demo-steady"
    assert [a.model for a in r.result.attempts] == ["demo-busy", "demo-steady"]


def test_a_simulated_failure_is_marked_in_the_run_history(scripted_server: ScriptedServer) -> None:
    from modeldesk.runtime.history_record import run_record

    r = run(build_config(scripted_server), simulate=parse_simulations(["A=429"]))
    record = run_record(r.result, agent="agent", models=["A", "B", "C"], source="agent", config_path=None, origin="cli")
    assert record.attempts[0].error == "simulated fault (429): rate limited: simulated rate limit"
    assert record.attempts[1].error is None  # B's real answer is left as it is
