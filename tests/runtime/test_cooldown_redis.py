"""Cooldowns shared through a real Redis (``redis-server`` on 127.0.0.1, a free port):
two runner processes on one Redis honour each other's cooldowns; Redis down means a warning
and the local store, never a failed run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import redis

from modeldesk.core.schema import FallbackState
from modeldesk.runtime import CooldownTracker
from tests.runtime.conftest import build_config, run, write_config
from tests.support.redis_server import free_port
from tests.support.scripted_server import ScriptedServer, status

REPO = Path(__file__).resolve().parents[2]


def test_entries_live_in_redis_and_expire_with_their_cooldown(redis_url: str, tmp_path: Path) -> None:
    tracker = CooldownTracker(tmp_path / "local.json", scope="/a/config.json", redis_url=redis_url, redis_scope="team")
    tracker.cool("agent", ["A"], 60, reason="quota", replaced_by="B")
    tracker.cool("agent", ["A"], 60, reason="quota", replaced_by="B")
    assert tracker.shared and tracker.warning is None
    other_host = CooldownTracker(
        tmp_path / "elsewhere.json", scope="/b/config.json", redis_url=redis_url, redis_scope="team"
    )
    [entry] = other_host.entries("agent")
    assert (entry.model, entry.reason, entry.replaced_by, entry.failures) == ("A", "quota", "B", 2)
    assert not (tmp_path / "local.json").exists()  # nothing went to the local store
    client = redis.Redis.from_url(redis_url)
    [key] = client.keys("modeldesk:cooldowns:*")
    # The key outlives its last entry by the 1 ms the script rounds up (floor(ms) + 1).
    assert 0 < client.pttl(key) <= 60_001
    assert other_host.clear("agent") == 1 and tracker.active() == []


def test_another_scope_is_not_affected(redis_url: str) -> None:
    CooldownTracker(redis_url=redis_url, redis_scope="team-a").cool("agent", ["A"], 60)
    assert CooldownTracker(redis_url=redis_url, redis_scope="team-b").entries() == []


RUNNER = """
import asyncio, json, sys
from modeldesk.core.store import ConfigStore
from modeldesk.runtime import CooldownTracker, run_agent
path = sys.argv[1]
config = ConfigStore(path).load()
tracker = CooldownTracker.for_config(path, config.settings.fallback.state)
result = asyncio.run(run_agent(config, "agent", "Hi", cooldowns=tracker))
print(json.dumps({"model": result.model, "warning": tracker.warning, "shared": tracker.shared}))
"""


def _runner(config_path: Path, home: Path) -> dict[str, object]:
    env = {
        "PYTHONPATH": f"{REPO / 'desktop'}{os.pathsep}{REPO}",
        "HOME": str(home),
        "XDG_STATE_HOME": str(home / "state"),
        "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
    }
    done = subprocess.run(
        [sys.executable, "-c", RUNNER, str(config_path)], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout))


def test_two_runner_processes_on_one_redis_honour_each_others_cooldowns(
    redis_url: str, scripted_server: ScriptedServer, tmp_path: Path
) -> None:
    # Two hosts: each its own folder, home and state folder; one Redis between them.
    config = build_config(scripted_server)
    config.settings.fallback.state = FallbackState(redis=redis_url, scope="team")
    for host in ("one", "two"):
        (tmp_path / host).mkdir()
    host_one = write_config(tmp_path / "one" / "config.json", config)
    host_two = write_config(tmp_path / "two" / "config.json", config)
    scripted_server.script("a", status(429))
    first = _runner(host_one, tmp_path / "home-one")
    assert first == {"model": "B", "warning": None, "shared": True}
    second = _runner(host_two, tmp_path / "home-two")
    assert second["model"] == "B"
    # The second host never asked A: it honoured the cooldown the first one started.
    assert [r.model for r in scripted_server.chat_requests()] == ["a", "b", "b"]
    assert not list((tmp_path / "home-two").rglob("cooldowns.json"))  # nothing kept locally


def test_redis_down_means_a_warning_and_the_local_store(scripted_server: ScriptedServer, tmp_path: Path) -> None:
    dead = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    tracker = CooldownTracker(tmp_path / "local.json", scope="/c.json", redis_url=dead)
    scripted_server.script("a", status(429))
    r = run(build_config(scripted_server), cooldowns=tracker)
    assert r.result.model == "B"  # the run did not fail
    warnings = [line for line in r.lines() if line.startswith("Warning: cooldowns are kept on this machine only")]
    assert len(warnings) == 1 and dead in warnings[0]
    assert not tracker.shared
    # The cooldown went to the local store, and the next run honours it.
    assert [e["model"] for e in json.loads((tmp_path / "local.json").read_text())["cooldowns"]] == ["A"]
    again = run(build_config(scripted_server), cooldowns=tracker)
    assert again.result.model == "B" and "cooldown_used" in again.kinds()


def test_a_password_in_the_redis_url_is_not_shown(tmp_path: Path) -> None:
    tracker = CooldownTracker(tmp_path / "l.json", redis_url=f"redis://:hunter2secret@127.0.0.1:{free_port()}/0")
    tracker.entries()
    assert tracker.warning is not None and "hunter2secret" not in tracker.warning
