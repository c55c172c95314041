"""A hostile or broken shared Redis (a stand-in speaking RESP on 127.0.0.1, and a real
redis-server): every fault means the local store and a warning, within the run's budget;
look-ups are keyed (no command walks the keyspace); a cooldown never shrinks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import redis

from modeldesk.core.schema import FallbackState
from modeldesk.runtime import CooldownTracker
from tests.runtime.conftest import build_config, run
from tests.support.fake_resp import SILENCE, TRICKLE, fake_redis
from tests.support.scripted_server import ScriptedServer, status


def _answers(reply: bytes) -> Any:
    """A server answering every command with ``reply`` (SCAN always says "more to come")."""

    def answer(command: list[str]) -> bytes:
        if command[0].upper() == "SCAN":
            return b"*2\r\n$1\r\n7\r\n*0\r\n"  # a cursor that never reaches 0
        return reply

    return answer


HOSTILE = {
    "silent": SILENCE,
    "trickling": TRICKLE,
    "invalid UTF-8": b"*2\r\n$2\r\n\xff\xfe\r\n$2\r\n\xc3\x28\r\n",
    "+OK to everything": b"+OK\r\n",
    "2 GB string announced": b"$2000000000\r\n" + b"x" * 65536,
    "100M elements announced": b"*100000000\r\n",
    "nested arrays": b"*1\r\n" * 10_000,
    "RESP3 map": b"%1\r\n+a\r\n+b\r\n",
    "error reply with escapes": b"-ERR \x1b]0;pwned\x07 no\r\n",
    "garbage": b"HTTP/1.1 200 OK\r\n\r\n",
    "a huge line": b"+" + b"x" * (1 << 20),
    "closes at once": b"",
}


@pytest.mark.parametrize("reply", HOSTILE.values(), ids=list(HOSTILE))
def test_a_hostile_redis_means_the_local_store_and_a_warning(
    scripted_server: ScriptedServer, tmp_path: Path, reply: bytes
) -> None:
    with fake_redis(_answers(reply)) as server:
        tracker = CooldownTracker(tmp_path / "local.json", scope="/c.json", redis_url=server.url)
        scripted_server.script("a", status(429))
        r = run(build_config(scripted_server), cooldowns=tracker)
        assert r.result.model == "B" and len(r.result.attempts) >= 2  # the run went on
        warnings = [line for line in r.lines() if line.startswith("Warning: cooldowns are kept on this machine only")]
        assert len(warnings) == 1 and "\x1b" not in warnings[0]
        assert [e["model"] for e in json.loads((tmp_path / "local.json").read_text())["cooldowns"]] == ["A"]
        assert "SCAN" not in server.names() and "KEYS" not in server.names()


def test_a_fault_costs_one_bounded_call_per_run(scripted_server: ScriptedServer, tmp_path: Path) -> None:
    with fake_redis(_answers(SILENCE)) as server:
        tracker = CooldownTracker(tmp_path / "local.json", scope="/c.json", redis_url=server.url)
        scripted_server.script("a", status(429))
        run(build_config(scripted_server), cooldowns=tracker)
        assert len(server.commands) == 1  # then the local store, without waiting again


def _commands_used(client: redis.Redis) -> set[str]:
    stats = client.info("commandstats")
    return {name.removeprefix("cmdstat_").lower() for name in stats}


def test_lookups_are_keyed_not_scans_of_the_keyspace(redis_url: str, tmp_path: Path) -> None:
    client = redis.Redis.from_url(redis_url)
    with client.pipeline(transaction=False) as pipe:
        for i in range(20_000):
            pipe.set(f"unrelated:{i}", "x")
        pipe.execute()
    client.config_resetstat()
    tracker = CooldownTracker(redis_url=redis_url, redis_scope="team")
    tracker.cool("agent", ["A", "B"], 60, reason="rate_limit", replaced_by="C")
    assert {e.model for e in tracker.entries("agent")} == {"A", "B"}
    assert tracker.clear("agent", "A") == 1 and tracker.clear("agent") == 1 and tracker.clear() == 0
    used = _commands_used(client)
    assert not used & {"scan", "keys", "hscan"}, used
    assert len(client.keys("modeldesk:*")) <= 1
    client.close()


@pytest.mark.parametrize("store", ["memory", "file", "redis"])
def test_a_later_shorter_cooldown_keeps_the_later_deadline(store: str, redis_url: str, tmp_path: Path) -> None:
    def tracker() -> CooldownTracker:
        if store == "memory":
            return shared
        if store == "file":
            return CooldownTracker(tmp_path / "cooldowns.json", scope="/x.json")
        return CooldownTracker(redis_url=redis_url, redis_scope="team")

    shared = CooldownTracker()
    tracker().cool("agent", ["A"], 30, reason="rate_limit")
    tracker().cool("agent", ["A"], 1, reason="rate_limit")  # a 1 s Retry-After after a 30 s cooldown
    # Redis keeps deadlines to the millisecond, rounded to nearest: up to 0.5 ms later.
    [left] = tracker().active("agent")
    assert 25 < left.seconds_left <= 30.001 and left.failures == 2
    tracker().cool("agent", ["A"], 90)  # a longer one still extends it
    assert 85 < tracker().active("agent")[0].seconds_left <= 90.001


def test_the_default_redis_scope_is_this_file_not_its_name(redis_url: str, tmp_path: Path) -> None:
    state = FallbackState(redis=redis_url)
    one = CooldownTracker.for_config(tmp_path / "team-a" / "config.json", state)
    two = CooldownTracker.for_config(tmp_path / "team-b" / "config.json", state)
    one.cool("agent", ["A"], 60)
    assert one.shared and one.active("agent") and two.active("agent") == []
    named = FallbackState(redis=redis_url, scope="shared-team")
    CooldownTracker.for_config(tmp_path / "team-a" / "config.json", named).cool("agent", ["B"], 60)
    assert [c.cooling for c in CooldownTracker.for_config(tmp_path / "team-b" / "config.json", named).active()] == ["B"]
