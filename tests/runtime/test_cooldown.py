"""CooldownTracker: entries per config file + agent + model, expiry, clearing, the one
locked store in the state folder, and two processes writing it at once."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

from modeldesk.runtime.cooldown import CooldownTracker, config_scope, default_cooldown_path, state_dir


class Clock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_a_cooling_model_is_skipped_until_it_expires() -> None:
    clock = Clock()
    tracker = CooldownTracker(clock=clock)
    tracker.cool("agent", ["A"], 60, replaced_by="B")
    assert set(tracker.cooling("agent", ["A", "B", "C"])) == {"A"}
    assert tracker.start_index("agent", ["A", "B", "C"]) == (1, 60)
    [active] = tracker.active()
    assert (active.agent_id, active.model_id, active.cooling, active.seconds_left) == ("agent", "B", "A", 60)
    clock.now += 59
    assert tracker.start_index("agent", ["A", "B", "C"]) == (1, 1)
    clock.now += 1
    assert tracker.cooling("agent", ["A", "B"]) == {}
    assert tracker.active() == []


def test_entries_belong_to_one_agent_and_one_model() -> None:
    tracker = CooldownTracker()
    tracker.cool("agent", ["A"], 60)
    assert tracker.cooling("other", ["A", "B"]) == {}  # another agent
    assert tracker.cooling("agent", ["B", "C"]) == {}  # another model
    assert set(tracker.cooling("agent", ["X", "A"])) == {"A"}  # any list naming A


def test_a_renewed_cooldown_counts_its_failures() -> None:
    tracker = CooldownTracker()
    tracker.cool("agent", ["A"], 60, reason="quota")
    tracker.cool("agent", ["A"], 60, reason="quota")
    [entry] = tracker.entries()
    assert (entry.reason, entry.failures) == ("quota", 2)


def test_clear_one_model_one_agent_or_all() -> None:
    clock = Clock()
    tracker = CooldownTracker(clock=clock)
    tracker.cool("a1", ["A", "B"], 60)
    tracker.cool("a2", ["C"], 30)
    assert [c.agent_id for c in tracker.active()] == ["a2", "a1", "a1"]  # soonest to end first
    assert tracker.clear("a1", "A") == 1
    assert [(c.agent_id, c.cooling) for c in tracker.active()] == [("a2", "C"), ("a1", "B")]
    assert tracker.clear("a1") == 1
    assert tracker.clear() == 1
    assert tracker.active() == []


def test_the_store_is_shared_between_trackers_of_one_config_only(tmp_path: Path) -> None:
    path = tmp_path / "cooldowns.json"
    first = CooldownTracker(path, scope="/work/a/config.json")
    first.cool("agent", ["A"], 60, replaced_by="B")
    second = CooldownTracker(path, scope="/work/a/config.json")  # e.g. the next CLI run
    assert second.start_index("agent", ["A", "B"])[0] == 1
    # Another config file in the same folder with an agent of the same id: not affected.
    other = CooldownTracker(path, scope="/work/a/other.json")
    assert other.cooling("agent", ["A", "B"]) == {}
    second.clear("agent")
    assert first.active() == []
    assert json.loads(path.read_text()) == {"version": 1, "cooldowns": []}


def test_for_config_uses_the_state_folder_and_the_resolved_path(tmp_path: Path) -> None:
    config = tmp_path / "conf" / "config.json"
    tracker = CooldownTracker.for_config(config)
    assert tracker.path == default_cooldown_path() == state_dir() / "cooldowns.json"
    assert str(state_dir()).startswith(str(Path.home()))  # the tests' isolated XDG_STATE_HOME
    assert tracker.scope == config_scope(config) == str(config.resolve())
    tracker.cool("agent", ["A"], 60)
    data = json.loads(default_cooldown_path().read_text())
    assert [(e["config"], e["agent"], e["model"]) for e in data["cooldowns"]] == [(str(config.resolve()), "agent", "A")]
    assert not (config.parent / "cooldowns.json").exists()


def test_expired_entries_are_pruned_from_the_file(tmp_path: Path) -> None:
    clock = Clock()
    path = tmp_path / "cooldowns.json"
    tracker = CooldownTracker(path, clock=clock)
    tracker.cool("old", ["B"], 1)
    clock.now += 5
    tracker.cool("new", ["C"], 60)
    assert [e["agent"] for e in json.loads(path.read_text())["cooldowns"]] == ["new"]


def test_a_broken_file_means_no_cooldowns_and_is_replaced_on_write(tmp_path: Path) -> None:
    path = tmp_path / "cooldowns.json"
    path.write_text("{ not json")
    tracker = CooldownTracker(path)
    assert tracker.active() == []
    tracker.cool("agent", ["A"], 600)
    assert [e["agent"] for e in json.loads(path.read_text())["cooldowns"]] == ["agent"]


def test_an_unwritable_folder_does_not_break_a_run(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    tracker = CooldownTracker(blocker / "sub" / "cooldowns.json")
    tracker.cool("agent", ["A"], 600)  # cannot be saved; must not raise
    assert tracker.active() == []


def test_thread_safe_under_concurrent_use(tmp_path: Path) -> None:
    tracker = CooldownTracker(tmp_path / "cooldowns.json")

    def work(n: int) -> None:
        for i in range(25):
            tracker.cool(f"agent{n}", [f"M{i}"], 600)
            tracker.active()
            tracker.cooling(f"agent{n}", ["A", f"M{i}"])

    threads = [threading.Thread(target=work, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(tracker.active()) == 6 * 25


WRITER = """
import sys
from modeldesk.runtime.cooldown import CooldownTracker
tracker = CooldownTracker(sys.argv[1], scope="/cfg.json")
name = sys.argv[2]
for i in range(int(sys.argv[3])):
    tracker.cool(f"{name}-{i}", ["A"], 3600)
"""


def test_two_processes_writing_at_once_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "cooldowns.json"
    count = 150
    env_path = str(Path(__file__).resolve().parents[2] / "desktop")
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path), name, str(count)],
            env={"PYTHONPATH": env_path, "HOME": str(tmp_path)},
        )
        for name in ("one", "two")
    ]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    agents = {e["agent"] for e in json.loads(path.read_text())["cooldowns"]}
    print(f"two processes x {count} cooldowns: {len(agents)} of {2 * count} kept")
    assert len(agents) == 2 * count
