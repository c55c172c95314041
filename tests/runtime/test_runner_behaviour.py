"""The runner beyond the table: cancellation, budget, timeouts, streaming withdrawal,
cooldowns, capabilities, floods, the Anthropic API and resolution failures."""

from __future__ import annotations

import asyncio
import contextlib
import time
from pathlib import Path

import httpx
import pytest

from modeldesk.runtime import Cancelled, CooldownTracker, OutputWithdrawn, RunEvent, run_agent, runner
from tests.support.scripted_server import ScriptedServer, cut, flood, hang, ok, slow, stall, status, stream_error

from .conftest import CANCEL_TURNS, build_config, run, turns_to_finish

pytestmark = pytest.mark.timeout(30)

# --- cancellation ---------------------------------------------------------------------------


async def _cancel_when(
    server: ScriptedServer, config: object, ready: object, **kwargs: object
) -> tuple[float, list[RunEvent], int]:
    """Start a run, cancel it once ``ready(events)`` holds; (loop turns to stop, events, requests at cancel)."""
    events: list[RunEvent] = []
    task = asyncio.create_task(run_agent(config, "agent", "Hi", on_event=events.append, **kwargs))  # type: ignore[arg-type]
    deadline = time.monotonic() + 5
    while not ready(events) and time.monotonic() < deadline:  # type: ignore[operator]
        await asyncio.sleep(0.005)
    assert ready(events), "the run never reached the point to cancel at"  # type: ignore[operator]
    sent = len(server.requests)
    task.cancel()
    turns = await turns_to_finish(task)
    with pytest.raises(asyncio.CancelledError):
        await task
    return turns, events, sent


@pytest.mark.parametrize("stream", [True, False])
def test_cancel_while_waiting_for_an_answer(scripted_server: ScriptedServer, stream: bool) -> None:
    scripted_server.script("a", hang())
    config = build_config(scripted_server)

    async def scenario() -> None:
        turns, events, sent = await _cancel_when(
            scripted_server, config, lambda ev: len(scripted_server.requests) == 1, stream=stream
        )
        assert turns <= CANCEL_TURNS
        assert isinstance(events[-1], Cancelled) and events[-1].model == "A"
        await asyncio.sleep(0.3)
        assert len(scripted_server.requests) == sent == 1  # nothing sent after the cancel

    asyncio.run(scenario())


def test_cancel_mid_stream_closes_the_connection(scripted_server: ScriptedServer) -> None:
    scripted_server.script("a", slow("one two three four five six", chunks=6, delay=0.1))
    config = build_config(scripted_server)

    async def scenario() -> None:
        turns, events, _ = await _cancel_when(scripted_server, config, lambda ev: any(e.kind == "text" for e in ev))
        assert turns <= CANCEL_TURNS
        assert events[-1].kind == "cancelled"
        deadline = time.monotonic() + 2
        while scripted_server.open_connections() and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        assert scripted_server.open_connections() == 0
        assert len(scripted_server.requests) == 1

    asyncio.run(scenario())


def test_cancel_during_a_backoff_wait_sends_no_retry(scripted_server: ScriptedServer) -> None:
    scripted_server.script("a", status(503))
    config = build_config(scripted_server, fallback={"backoff_base_s": 5, "backoff_max_s": 5})

    async def scenario() -> None:
        turns, events, sent = await _cancel_when(
            scripted_server, config, lambda ev: any(e.kind == "retrying" for e in ev)
        )
        assert turns <= CANCEL_TURNS and sent == 1
        assert [e.kind for e in events][-2:] == ["retrying", "cancelled"]
        await asyncio.sleep(0.2)
        assert len(scripted_server.requests) == 1

    asyncio.run(scenario())


# --- budget and timeouts ----------------------------------------------------------------------


def test_total_budget_cuts_an_attempt_and_stops_the_run(scripted_server: ScriptedServer) -> None:
    scripted_server.script("a", hang())
    config = build_config(scripted_server, fallback={"max_total_s": 0.4, "first_token_timeout_s": 10})
    r = run(config)
    assert r.result.error is not None and r.result.error["code"] == "budget_exceeded"
    assert [m.model for m in scripted_server.chat_requests()] == ["a"]  # B never tried
    assert "budget of 0.4 s" in (r.result.attempts[0].error or "")


def test_no_retry_wait_runs_past_the_budget(scripted_server: ScriptedServer) -> None:
    scripted_server.script("a", status(500), status(500))
    slow_backoff = {"max_total_s": 0.5, "backoff_base_s": 2, "backoff_max_s": 2}
    # On the last model: stop, and say why.
    r = run(build_config(scripted_server, fallback=slow_backoff, agent_models=["A"]), record_sleeps=True)
    assert r.result.error is not None and r.result.error["code"] == "budget_exceeded"
    assert "next retry of A would start after the run's time budget of 0.5 s" in r.result.error["message"]
    assert r.sleeps == [] and len(scripted_server.chat_requests()) == 1
    # With a fallback: do not wait, go on to it.
    r = run(build_config(scripted_server, fallback=slow_backoff), record_sleeps=True)
    assert r.result.model == "B" and r.sleeps == []
    assert any(line.startswith("Not waiting: the next retry of A") for line in r.lines())


def test_agent_options_override_the_settings(scripted_server: ScriptedServer) -> None:
    scripted_server.script("a", status(500), status(500), status(500), status(500))
    config = build_config(scripted_server, agent_fallback={"retries": 0})
    r = run(config, record_sleeps=True)
    assert r.result.model == "B" and r.sleeps == []
    assert [m.model for m in scripted_server.chat_requests()] == ["a", "b"]


def test_first_token_timeout(scripted_server: ScriptedServer) -> None:
    scripted_server.script("a", slow("late", chunks=1, delay=1.0))
    config = build_config(scripted_server, fallback={"first_token_timeout_s": 0.2, "retries": 0})
    r = run(config)
    assert r.result.model == "B"
    assert r.result.attempts[0].error == "timed out: no answer within 0.2 s"


def test_idle_timeout_restarts_with_every_chunk(scripted_server: ScriptedServer) -> None:
    # Eight chunks 0.15 s apart: 1.2 s in all, longer than both timeouts, but never idle for
    # more than 0.15 s of the 0.8 s allowed (wide margins for a loaded machine).
    scripted_server.script("a", slow("a b c d e f g h", chunks=8, delay=0.15))
    config = build_config(scripted_server, fallback={"first_token_timeout_s": 0.8, "idle_timeout_s": 0.8})
    r = run(config)
    assert r.result.model == "A" and r.result.text == "a b c d e f g h"
    assert r.result.attempts[0].elapsed_ms > 1000  # the answer did outlast both timeouts


def test_a_burst_of_received_chunks_lets_the_event_loop_turn(scripted_server: ScriptedServer) -> None:
    # The app runs on its GUI thread's loop: chunks already received are parsed without
    # waiting on the socket, and a burst read at once must not hold the loop until its end.
    words = "".join(f"w{i} " for i in range(600))
    scripted_server.script("a", ok(words, chunks=600))
    config = build_config(scripted_server)

    async def scenario() -> list[int]:
        since_turn = [0]
        between_turns: list[int] = []
        stop = asyncio.Event()

        def on_event(event: RunEvent) -> None:
            if event.kind == "text":
                time.sleep(0.001)  # drawing it, say: the chunks behind it pile up in the socket
                since_turn[0] += 1

        async def other_work() -> None:
            while not stop.is_set():
                between_turns.append(since_turn[0])
                since_turn[0] = 0
                await asyncio.sleep(0)

        ticker = asyncio.create_task(other_work())
        result = await run_agent(config, "agent", "Hi", on_event=on_event)
        stop.set()
        await ticker
        assert result.text == words
        return between_turns

    between_turns = asyncio.run(scenario())
    # At least a millisecond per chunk: the loop turns every few chunks, not per burst.
    assert max(between_turns) <= 20, max(between_turns)


def test_the_loop_turns_right_after_the_first_text_of_a_burst(
    scripted_server: ScriptedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Whoever sends the answer on (the gateway) must get the first text before the rest of
    # a burst already received is parsed. The usual slicing is taken out of the way.
    monkeypatch.setattr(runner, "YIELD_S", 3600.0)
    words = "".join(f"w{i} " for i in range(40))
    scripted_server.script("a", ok(words, chunks=40))
    config = build_config(scripted_server)

    async def scenario() -> list[int]:
        loop = asyncio.get_running_loop()
        texts: list[str] = []
        seen_at_next_turn: list[int] = []

        def on_event(event: RunEvent) -> None:
            if event.kind == "text":
                texts.append(event.describe())
                if len(texts) == 1:
                    loop.call_soon(lambda: seen_at_next_turn.append(len(texts)))

        async def hold_the_loop_while_the_answer_arrives() -> None:
            while not scripted_server.requests:
                await asyncio.sleep(0.001)
            time.sleep(0.3)  # noqa: ASYNC251 (held on purpose: the whole answer arrives meanwhile)

        holder = asyncio.create_task(hold_the_loop_while_the_answer_arrives())
        result = await run_agent(config, "agent", "Hi", on_event=on_event)
        await holder
        assert result.text == words and len(texts) > 1
        return seen_at_next_turn

    assert asyncio.run(scenario()) == [1]


def test_idle_stream_times_out_and_its_output_is_withdrawn(scripted_server: ScriptedServer) -> None:
    scripted_server.script("a", stall("Half an answer", after=2, chunks=4))
    scripted_server.script("b", ok("Whole answer"))
    config = build_config(scripted_server, fallback={"idle_timeout_s": 0.2, "retries": 0})
    r = run(config)
    assert r.result.text == "Whole answer" and r.result.model == "B"
    assert r.result.attempts[0].error == "timed out: stream idle for 0.2 s"
    withdrawn = [e for e in r.events if isinstance(e, OutputWithdrawn)]
    assert withdrawn == [OutputWithdrawn("A", len("Half an "))]


# --- streaming withdrawal ---------------------------------------------------------------------


def test_a_cut_stream_is_withdrawn_and_the_retry_starts_clean(scripted_server: ScriptedServer) -> None:
    scripted_server.script("a", cut("abcdefgh", after=2, chunks=4), ok("Clean"))
    r = run(build_config(scripted_server))
    assert r.result.text == "Clean" and r.result.model == "A"
    kinds = r.kinds()
    assert kinds.index("attempt_failed") < kinds.index("output_withdrawn") < kinds.index("retrying")
    texts = [(e.model, e.text) for e in r.events if e.kind == "text"]  # type: ignore[attr-defined]
    assert texts == [("A", "ab"), ("A", "cd"), ("A", "Cl"), ("A", "ea"), ("A", "n")]
    assert OutputWithdrawn("A", 4) in r.events


def test_an_error_event_inside_the_stream_fails_the_attempt(scripted_server: ScriptedServer) -> None:
    scripted_server.script("a", stream_error("model overloaded", error_type="server_error"))
    scripted_server.script("b", ok("B here"))
    r = run(build_config(scripted_server, fallback={"retries": 0}))
    assert r.result.model == "B"
    assert r.result.attempts[0].error == "server error: model overloaded"
    assert any(isinstance(e, OutputWithdrawn) for e in r.events)


@pytest.mark.parametrize("stream", [True, False])
def test_a_flood_ends_in_a_clear_error_not_a_hang(scripted_server: ScriptedServer, stream: bool) -> None:
    scripted_server.script("a", flood())
    scripted_server.script("b", ok("Calm"))
    r = run(build_config(scripted_server, fallback={"retries": 0}), stream=stream)
    assert r.result.model == "B"
    assert r.result.attempts[0].error_class == "malformed_response"
    assert "MiB" in (r.result.attempts[0].error or "")


# --- cooldown ----------------------------------------------------------------------------------


def test_cooldown_is_set_used_and_cleared(scripted_server: ScriptedServer, tmp_path: Path) -> None:
    tracker = CooldownTracker(tmp_path / "cooldowns.json")
    config = build_config(scripted_server)
    scripted_server.script("a", status(429))
    first = run(config, cooldowns=tracker)
    assert first.result.model == "B"
    assert first.lines()[-1] == "Next runs start at B for 60 s (A is cooling down)"
    assert [(c.agent_id, c.model_id) for c in tracker.active()] == [("agent", "B")]

    # The next run (another tracker on the same file, as in a second CLI process) starts at B.
    second = run(config, cooldowns=CooldownTracker(tmp_path / "cooldowns.json"))
    assert second.result.model == "B"
    assert second.lines()[1].startswith("Starting at B: cooldown after A failed (")
    assert second.outcomes()[0] == ("A", "skipped")
    assert [r.model for r in scripted_server.chat_requests()] == ["a", "b", "b"]

    tracker.clear("agent")
    third = run(config, cooldowns=tracker)
    assert third.result.model == "A"


def test_a_cooldown_ends_on_the_trackers_clock(scripted_server: ScriptedServer) -> None:
    now = [1000.0]
    tracker = CooldownTracker(clock=lambda: now[0])
    scripted_server.script("a", status(429))
    run(build_config(scripted_server), cooldowns=tracker)
    assert [(c.model_id, c.seconds_left) for c in tracker.active()] == [("B", 60)]
    now[0] += 60
    assert tracker.active() == []


def test_a_success_on_the_primary_clears_the_cooldown(scripted_server: ScriptedServer) -> None:
    tracker = CooldownTracker()
    tracker.start("agent", "B", time.time() + 60, primary="A")
    # With cooldown_s = 0 the run starts at the primary despite the entry; its success clears it.
    r = run(build_config(scripted_server, agent_fallback={"cooldown_s": 0}), cooldowns=tracker)
    assert r.result.model == "A"
    assert tracker.active() == []


@pytest.mark.parametrize(("failure", "sticky"), [(status(404), True), (status(401), True), (status(500), False)])
def test_only_rate_limit_and_non_retryable_failures_start_a_cooldown(
    scripted_server: ScriptedServer, failure: object, sticky: bool
) -> None:
    tracker = CooldownTracker()
    scripted_server.script("a", failure, failure, failure)  # type: ignore[arg-type]
    r = run(build_config(scripted_server), cooldowns=tracker)
    assert r.result.ok
    assert bool(tracker.active()) is sticky


def test_cooldown_zero_never_sticks(scripted_server: ScriptedServer) -> None:
    tracker = CooldownTracker()
    scripted_server.script("a", status(429))
    run(build_config(scripted_server, agent_fallback={"cooldown_s": 0}), cooldowns=tracker)
    assert tracker.active() == []


# --- capabilities, registry, resolution ---------------------------------------------------------


def test_models_known_to_lack_a_needed_capability_are_skipped(scripted_server: ScriptedServer) -> None:
    models = [
        {"id": "A", "provider": "p1", "name": "a", "capabilities": {"vision": False}},
        {"id": "B", "provider": "p1", "name": "b", "capabilities": {"vision": True, "tools": False}},
    ]
    r = run(build_config(scripted_server, models), needs={"vision"})
    assert r.result.model == "B"
    assert "Skipping A: does not support vision" in r.lines()
    assert [m.model for m in scripted_server.chat_requests()] == ["b"]
    none_left = run(build_config(scripted_server, models), needs={"vision", "tools"})
    assert none_left.result.error is not None and none_left.result.error["code"] == "no_usable_model"


def test_explicit_models_not_usable_are_skipped_with_a_reason(scripted_server: ScriptedServer) -> None:
    config = build_config(scripted_server)
    config.models[1].enabled = False
    scripted_server.script("a", status(404))
    r = run(config, models=["nope", "A", "B", "A", "C"])
    assert r.result.model == "C"
    assert [line for line in r.lines() if line.startswith("Skipping")] == [
        "Skipping nope: not in the config",
        "Skipping B: disabled",
        "Skipping A: listed twice",
    ]


def test_a_model_listed_again_later_does_not_hide_that_it_is_the_last(scripted_server: ScriptedServer) -> None:
    # The second A is skipped ("listed twice"), so the first A is the last model: its 429
    # is retried after Retry-After instead of ending the run.
    scripted_server.script("a", status(429, retry_after="0.05"), ok("After the wait"))
    r = run(build_config(scripted_server), models=["A", "A"], record_sleeps=True)
    assert r.result.model == "A" and r.result.text == "After the wait"
    assert r.sleeps == [pytest.approx(0.05)]


@pytest.mark.parametrize(("agent_id", "code"), [("ghost", "unknown_agent")])
def test_resolution_errors_are_results(scripted_server: ScriptedServer, agent_id: str, code: str) -> None:
    r = run(build_config(scripted_server), agent_id=agent_id)
    assert r.result.error is not None and r.result.error["code"] == code
    assert r.kinds() == ["all_failed"]


def test_an_agent_with_no_model_anywhere(scripted_server: ScriptedServer) -> None:
    config = build_config(scripted_server)
    config.agents[0].model = None
    r = run(config)
    assert r.result.error is not None and r.result.error["code"] == "no_model_configured"


def test_the_call_model_is_resolved_like_any_other_layer(scripted_server: ScriptedServer) -> None:
    r = run(build_config(scripted_server), call=["C"])
    assert r.result.model == "C" and r.lines()[0] == "Starting (models: C)"


def test_request_carries_instruction_prompt_and_max_tokens(scripted_server: ScriptedServer) -> None:
    run(build_config(scripted_server, instruction="Be brief."), "What is 2+2?", max_tokens=12)
    body = scripted_server.chat_requests()[0].body
    assert body["messages"] == [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "What is 2+2?"}]
    assert body["max_tokens"] == 12 and body["stream"] is True and body["model"] == "a"


def test_a_normal_run_reports_usage_and_timing(scripted_server: ScriptedServer) -> None:
    r = run(build_config(scripted_server))
    assert r.result.usage == {"prompt_tokens": 3, "completion_tokens": 5}
    assert r.lines() == ["Starting (models: A, B, C)", "Trying A (1/3)", r.lines()[-1]]
    assert r.lines()[-1].startswith("A answered (")
    assert r.result.to_json()["text"] == "Hello!"


# --- a caller's long-lived client ---------------------------------------------------------------


def test_runs_reuse_the_callers_client_and_leave_it_open(scripted_server: ScriptedServer) -> None:
    """A long-lived program passes one client: its runs share one connection, and the
    client stays open for the next run (a run's own client is closed with the run)."""
    from modeldesk.runtime.providers import new_client

    scripted_server.script("a", status(429), status(429))
    config = build_config(scripted_server, agent_models=["A", "B"], fallback={"retries": 0})

    async def scenario() -> None:
        async with new_client(5.0) as client:
            for _ in range(2):
                result = await run_agent(config, "agent", "Hi", stream=False, client=client)
                assert result.model == "B"
            assert not client.is_closed
            assert scripted_server.open_connections() == 1  # four requests over one kept-alive connection
        first = await run_agent(config, "agent", "Hi", stream=False)
        assert first.model == "A"  # the script ran out: A answers again

    asyncio.run(scenario())


def test_streamed_runs_share_one_connection(scripted_server: ScriptedServer) -> None:
    """A streamed answer is read to the end of its body after its end mark, so the next
    request goes over the same connection (one left unread is closed: a new connection,
    and over https a new TLS handshake, for every streamed answer)."""
    from modeldesk.runtime.providers import new_client

    scripted_server.script("a", status(429), status(429), status(429))
    config = build_config(scripted_server, agent_models=["A", "B"], fallback={"retries": 0})

    async def scenario() -> None:
        async with new_client(5.0) as client:
            for _ in range(3):
                result = await run_agent(config, "agent", "Hi", stream=True, client=client)
                assert result.model == "B" and result.text == "Hello!"

    asyncio.run(scenario())
    requests = scripted_server.chat_requests()
    assert [r.stream for r in requests] == [True] * 6
    assert len({r.client_port for r in requests}) == 1


def test_a_run_on_a_shared_client_waits_for_a_connection_only_its_agents_connect_timeout(
    scripted_server: ScriptedServer,
) -> None:
    """The gateway's and the app's runs share one client (its own connect timeout 10 s):
    each request still gets its agent's `connect_timeout_s`. Here the pool's one connection
    is held by a run the server never answers, so the next run waits for a free one."""
    from modeldesk.runtime.providers import new_client

    scripted_server.script("a", hang())
    holding = build_config(scripted_server, agent_models=["A"], agent_fallback={"retries": 0})
    waiting = build_config(
        scripted_server,
        agent_models=["B"],
        agent_fallback={"retries": 0, "connect_timeout_s": 0.3, "first_token_timeout_s": 60, "max_total_s": 120},
    )

    async def scenario() -> None:
        async with new_client(10.0, limits=httpx.Limits(max_connections=1)) as client:
            held = asyncio.ensure_future(run_agent(holding, "agent", "Hi", stream=False, client=client))
            while not scripted_server.chat_requests():
                await asyncio.sleep(0.01)
            try:
                # The client's 10 s would outlast this wait; the agent's 0.3 s does not.
                result = await asyncio.wait_for(run_agent(waiting, "agent", "Hi", stream=False, client=client), 5)
            finally:
                held.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await held
        assert result.model is None
        assert result.attempts[0].error_class == "timeout"
        assert result.attempts[0].error == f"timed out: no free connection to 127.0.0.1:{scripted_server.port} in time"

    asyncio.run(scenario())
