"""CooldownTracker: entries per config file + agent + model, expiry, clearing, the one
locked store in the state folder, and two processes writing it at once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from modeldesk.runtime import cooldown
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


# A tracker in its own process, driven line by line: "look" prints the cooling models of
# "agent", "cool M" and "clear M" change them.
DRIVEN = """
import sys
from modeldesk.runtime.cooldown import CooldownTracker
tracker = CooldownTracker(sys.argv[1], scope="/cfg.json")
for line in sys.stdin:
    command, model = line.split()[0], line.split()[-1]
    if command == "cool":
        tracker.cool("agent", [model], 3600)
    elif command == "clear":
        tracker.clear("agent", model)
    print(" ".join(sorted(tracker.cooling("agent", ["A", "B", "C"]))) or "-", flush=True)
"""


def test_a_change_by_another_process_is_seen_at_the_next_look_up(tmp_path: Path) -> None:
    path = tmp_path / "cooldowns.json"
    here = CooldownTracker(path, scope="/cfg.json")
    env_path = str(Path(__file__).resolve().parents[2] / "desktop")
    other = subprocess.Popen(
        [sys.executable, "-c", DRIVEN, str(path)],
        env={"PYTHONPATH": env_path, "HOME": str(tmp_path)},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert other.stdin is not None and other.stdout is not None

    def there(command: str) -> str:
        other.stdin.write(command + "\n")  # type: ignore[union-attr]
        other.stdin.flush()  # type: ignore[union-attr]
        return other.stdout.readline().strip()  # type: ignore[union-attr]

    def seen_here() -> str:
        return " ".join(sorted(here.cooling("agent", ["A", "B", "C"]))) or "-"

    try:
        assert there("look") == "-" and seen_here() == "-"  # both have read the (missing) store
        for _ in range(3):  # each side's look-ups were answered from what it read before
            assert there("cool A") == "A"
            assert seen_here() == "A"
            here.cool("agent", ["B"], 3600)
            assert there("look") == "A B"
            assert there("clear A") == "B"
            assert seen_here() == "B"
            here.clear("agent", "B")
            assert there("look") == "-"
            assert seen_here() == "-"
    finally:
        other.stdin.close()
        assert other.wait(timeout=30) == 0
        other.stdout.close()


def test_a_look_up_reads_the_store_only_when_it_changed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "cooldowns.json"
    reads: list[object] = []
    read_file = cooldown.limits.read_file

    def counted(*args: Any, **kwargs: Any) -> bytes:
        reads.append(args[0])
        return read_file(*args, **kwargs)

    monkeypatch.setattr(cooldown.limits, "read_file", counted)
    writer = CooldownTracker(path, scope="/cfg.json")
    writer.cool("agent", ["A"], 3600)
    reader = CooldownTracker(path, scope="/cfg.json")
    for _ in range(5):
        assert list(reader.cooling("agent", ["A", "B"])) == ["A"]
    assert len(reads) == 1
    writer.cool("agent", ["B"], 3600)
    for _ in range(5):
        assert sorted(reader.cooling("agent", ["A", "B"])) == ["A", "B"]
    assert len(reads) == 2
    # What a tracker wrote itself it knows without reading it back, when it writes again too.
    assert sorted(writer.cooling("agent", ["A", "B"])) == ["A", "B"]
    assert len(reads) == 2


def test_a_rewrite_in_place_of_the_same_size_and_mtime_is_seen(tmp_path: Path) -> None:
    # The file's inode, size and mtime all as before: only its ctime tells it changed.
    path = tmp_path / "cooldowns.json"
    tracker = CooldownTracker(path, scope="/cfg.json")
    tracker.cool("agent", ["A"], 3600)
    assert list(tracker.cooling("agent", ["A", "B"])) == ["A"]
    before = os.stat(path)
    text = path.read_text()
    assert text.count('"model": "A"') == 1
    with open(path, "r+") as handle:
        handle.write(text.replace('"model": "A"', '"model": "B"'))
    while True:  # the clock of file times may tick coarser than a write; wait for a new ctime
        os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
        after = os.stat(path)
        if after.st_ctime_ns != before.st_ctime_ns:
            break
    assert (after.st_ino, after.st_size, after.st_mtime_ns) == (before.st_ino, before.st_size, before.st_mtime_ns)
    assert list(tracker.cooling("agent", ["A", "B"])) == ["B"]
