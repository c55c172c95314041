"""CooldownTracker: start, look-up, expiry, clearing, persistence across processes."""

from __future__ import annotations

import json
import threading
from pathlib import Path

from modeldesk.runtime.cooldown import ActiveCooldown, CooldownTracker, default_cooldown_path


class Clock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_start_index_points_at_the_fallback_until_it_expires() -> None:
    clock = Clock()
    tracker = CooldownTracker(clock=clock)
    tracker.start("agent", "B", clock.now + 60, primary="A")
    assert tracker.start_index("agent", ["A", "B", "C"]) == (1, 60)
    assert tracker.active() == [ActiveCooldown("agent", "B", 60)]
    clock.now += 59
    assert tracker.start_index("agent", ["A", "B", "C"]) == (1, 1)
    clock.now += 1
    assert tracker.start_index("agent", ["A", "B", "C"]) == (0, 0.0)
    assert tracker.active() == []


def test_only_the_same_primary_and_a_listed_fallback_use_it() -> None:
    clock = Clock()
    tracker = CooldownTracker(clock=clock)
    tracker.start("agent", "B", clock.now + 60, primary="A")
    assert tracker.start_index("agent", ["X", "B"]) == (0, 0.0)  # another primary (--model)
    assert tracker.start_index("agent", ["A", "C"]) == (0, 0.0)  # fallback not in the list
    assert tracker.start_index("other", ["A", "B"]) == (0, 0.0)  # another agent


def test_clear_one_agent_or_all() -> None:
    clock = Clock()
    tracker = CooldownTracker(clock=clock)
    tracker.start("a1", "B", clock.now + 60)
    tracker.start("a2", "C", clock.now + 30)
    assert [c.agent_id for c in tracker.active()] == ["a2", "a1"]  # soonest to end first
    tracker.clear("a1")
    assert [c.agent_id for c in tracker.active()] == ["a2"]
    tracker.clear()
    assert tracker.active() == []


def test_file_is_shared_between_trackers(tmp_path: Path) -> None:
    clock = Clock()
    path = tmp_path / "cooldowns.json"
    first = CooldownTracker(path, clock=clock)
    first.start("agent", "B", clock.now + 60, primary="A")
    second = CooldownTracker(path, clock=clock)  # e.g. the next CLI run
    assert second.start_index("agent", ["A", "B"]) == (1, 60)
    second.clear("agent")
    assert first.active() == []
    assert json.loads(path.read_text()) == {"cooldowns": {}}


def test_expired_entries_are_dropped_from_the_file(tmp_path: Path) -> None:
    clock = Clock()
    path = tmp_path / "cooldowns.json"
    tracker = CooldownTracker(path, clock=clock)
    tracker.start("old", "B", clock.now + 1)
    clock.now += 5
    tracker.start("new", "C", clock.now + 60)
    assert list(json.loads(path.read_text())["cooldowns"]) == ["new"]


def test_a_broken_file_means_no_cooldowns_and_is_replaced_on_write(tmp_path: Path) -> None:
    path = tmp_path / "cooldowns.json"
    path.write_text("{ not json")
    tracker = CooldownTracker(path)
    assert tracker.active() == []
    assert tracker.start_index("agent", ["A", "B"]) == (0, 0.0)
    tracker.start("agent", "B", 4e9)
    assert "agent" in json.loads(path.read_text())["cooldowns"]


def test_an_unwritable_folder_does_not_break_a_run(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    tracker = CooldownTracker(blocker / "sub" / "cooldowns.json")
    tracker.start("agent", "B", 4e9)  # cannot be saved; must not raise
    assert tracker.active() == []


def test_default_path_is_beside_the_config(tmp_path: Path) -> None:
    assert default_cooldown_path(tmp_path / "conf" / "config.json") == tmp_path / "conf" / "cooldowns.json"


def test_thread_safe_under_concurrent_use(tmp_path: Path) -> None:
    tracker = CooldownTracker(tmp_path / "cooldowns.json")

    def work(n: int) -> None:
        for i in range(25):
            tracker.start(f"agent{n}", f"M{i}", 4e9)
            tracker.active()
            tracker.start_index(f"agent{n}", ["A", f"M{i}"])

    threads = [threading.Thread(target=work, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(c.agent_id for c in tracker.active()) == [f"agent{n}" for n in range(6)]
    assert all(c.model_id == "M24" for c in tracker.active())
