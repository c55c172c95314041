"""The attempt log: the attempts a run's events tell agree with the runner's own, and a
cancelled run still says which model was in flight."""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import replace

import pytest

from modeldesk.runtime import run_agent
from modeldesk.runtime.attempt_log import AttemptLog
from tests.support.scripted_server import ScriptedServer, hang, ok, status

from .conftest import build_config, run

pytestmark = pytest.mark.timeout(30)


def test_the_log_lists_the_attempts_the_runner_returns(scripted_server: ScriptedServer) -> None:
    scripted_server.script("a", status(500))
    scripted_server.script("b", ok("From B"))
    config = build_config(
        scripted_server,
        models=[
            {"id": "A", "provider": "p1", "name": "a"},
            {"id": "V", "provider": "p1", "name": "v", "capabilities": {"vision": False}},
            {"id": "B", "provider": "p1", "name": "b"},
        ],
        fallback={"retries": 0},
    )
    log = AttemptLog()
    # A clock that moves a millisecond at every reading: the runner's attempt and the event the
    # log reads must come from one reading, not two.
    readings = itertools.count(0.0, 0.001)
    result = run(config, needs=frozenset({"vision"}), clock=lambda: next(readings))
    for event in result.events:
        log.note(event)
    assert [(a.model, a.outcome) for a in log.attempts] == [("A", "failed"), ("V", "skipped"), ("B", "answered")]
    # The same attempts, to the millisecond; only the cost is the runner's alone (no event carries it).
    assert [replace(a, cost_usd=None) for a in log.attempts] == [
        replace(a, cost_usd=None) for a in result.result.attempts
    ]


def test_a_cancelled_run_logs_the_attempt_in_flight(scripted_server: ScriptedServer) -> None:
    scripted_server.script("a", hang())
    config = build_config(scripted_server)
    ticks = iter([0.0, 10.0, 10.25])  # created, attempt started, cancelled
    log = AttemptLog(clock=lambda: next(ticks))

    async def scenario() -> None:
        task = asyncio.create_task(run_agent(config, "agent", "Hi", on_event=log.note))
        while len(scripted_server.requests) < 1:
            await asyncio.sleep(0.005)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(scenario())
    assert [(a.model, a.outcome, a.elapsed_ms) for a in log.attempts] == [("A", "cancelled", 250)]
