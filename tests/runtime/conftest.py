"""Fixtures for the runtime tests: a scripted server, configs pointing at it, and a
helper that runs the runner and records its events and sleeps."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from modeldesk.core.schema import Config
from modeldesk.runtime import RunEvent, RunResult, run_agent
from tests.support.redis_server import redis_url  # noqa: F401 (a fixture)
from tests.support.scripted_server import ScriptedServer, keyed_server, scripted_server  # noqa: F401 (fixtures)

# Small, fast settings: retries with millisecond backoff and short timeouts.
FAST = {
    "retries": 2,
    "backoff_base_s": 0.01,
    "backoff_max_s": 0.04,
    "jitter": 0,
    "cooldown_s": 60,
    "connect_timeout_s": 2,
    "first_token_timeout_s": 2,
    "idle_timeout_s": 1,
    "max_total_s": 20,
}

DEAD_URL = "http://127.0.0.1:9/v1"  # the discard port: nothing listens there


def route_remote_hosts(server: ScriptedServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """Send requests for any remote host through ``server`` as their HTTP proxy: a provider at
    ``http://api.remote.test/v1`` is then remote (not loopback, so not free) while nothing
    leaves the machine."""
    for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy", "http_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", server.url)


def build_config(
    server: ScriptedServer,
    models: list[dict[str, Any]] | None = None,
    *,
    agent_models: list[str] | None = None,
    fallback: dict[str, Any] | None = None,
    agent_fallback: dict[str, Any] | None = None,
    providers: list[dict[str, Any]] | None = None,
    instruction: str = "",
) -> Config:
    """Providers p1 and p2 (OpenAI-style) and an (Anthropic-style) on ``server``, dead (nothing
    listening), and by default models A, B on p1 and C on p2 (names a, b, c)."""
    models = models or [
        {"id": "A", "provider": "p1", "name": "a"},
        {"id": "B", "provider": "p1", "name": "b"},
        {"id": "C", "provider": "p2", "name": "c"},
    ]
    data = {
        "schema_version": 1,
        "providers": providers
        or [
            {"id": "p1", "kind": "openai", "base_url": server.openai_url},
            {"id": "p2", "kind": "openai", "base_url": server.openai_url},
            {"id": "an", "kind": "anthropic", "base_url": server.anthropic_url},
            {"id": "dead", "kind": "openai", "base_url": DEAD_URL},
        ],
        "models": models,
        "settings": {"fallback": FAST | (fallback or {})},
        "agents": [
            {
                "id": "agent",
                "name": "Agent",
                "model": agent_models or [m["id"] for m in models],
                "instruction": instruction,
                **({"fallback": agent_fallback} if agent_fallback else {}),
            }
        ],
    }
    return Config.model_validate(data)


def write_config(path: Path, config: Config) -> Path:
    path.write_text(json.dumps(config.model_dump(mode="json", exclude_none=True), indent=2))
    return path


@dataclass
class Run:
    result: RunResult
    events: list[RunEvent]
    sleeps: list[float] = field(default_factory=list)

    def lines(self) -> list[str]:
        return [e.describe() for e in self.events if e.kind != "text"]

    def kinds(self) -> list[str]:
        return [e.kind for e in self.events if e.kind != "text"]

    def outcomes(self) -> list[tuple[str, str]]:
        return [(a.model, a.outcome) for a in self.result.attempts]


def run(config: Config, prompt: str = "Hello?", *, record_sleeps: bool = False, **kwargs: Any) -> Run:
    """Run the runner to completion in a fresh event loop, recording events (and sleeps)."""
    events: list[RunEvent] = []
    sleeps: list[float] = []

    async def fake_sleep(delay: float) -> None:
        sleeps.append(delay)

    if record_sleeps:
        kwargs.setdefault("sleep", fake_sleep)
    result = asyncio.run(run_agent(config, kwargs.pop("agent_id", "agent"), prompt, on_event=events.append, **kwargs))
    return Run(result, events, sleeps)


@pytest.fixture
def make_config(scripted_server: ScriptedServer) -> Callable[..., Config]:  # noqa: F811 (fixture use)
    def make(*args: Any, **kwargs: Any) -> Config:
        return build_config(scripted_server, *args, **kwargs)

    return make


# Cancelling must stop a run at once: no timer, no network wait. After task.cancel() the
# run has finished within a few turns of the event loop, each of which only runs what is
# ready and never blocks (asyncio.sleep(0)). Counting turns, not seconds, keeps the check
# exact on a loaded machine; it stops in 2-3 turns today.
CANCEL_TURNS = 20


async def turns_to_finish(task: asyncio.Future[object], limit: int = 1000) -> int:
    """How many non-blocking loop turns ``task`` takes to finish (``limit`` if it does not)."""
    turns = 0
    while not task.done() and turns < limit:
        await asyncio.sleep(0)
        turns += 1
    return turns
