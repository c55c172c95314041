"""A damaged cooldown store (not JSON, nested past the limit, not a file at all) is a
warning and no cooldowns, never a crash; temp files of killed writers are cleaned up; the
time left on a cooldown survives a restart."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from modeldesk.runtime import CooldownTracker
from tests.core.helpers import REPO
from tests.runtime.conftest import build_config, run
from tests.security.helpers import modeldesk
from tests.support.scripted_server import ScriptedServer, status


def _damage(path: Path, how: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if how == "fifo":
        os.mkfifo(path)
    elif how == "folder":
        path.mkdir()
    elif how == "deep":
        path.write_text('{"cooldowns": ' + "[" * 50_000 + "]" * 50_000 + "}")
    elif how == "huge number":
        path.write_text('{"cooldowns": [{"agent": "agent", "model": "A", "until": ' + "9" * 5000 + "}]}")
    elif how == "nan until":
        path.write_text('{"cooldowns": [{"agent": "agent", "model": "A", "until": NaN, "config": "/c.json"}]}')
    else:
        path.write_bytes(b"\xff\x00 not json")


@pytest.mark.parametrize("how", ["garbage", "deep", "huge number", "nan until", "fifo", "folder"])
def test_a_damaged_cooldown_store_is_a_warning_not_a_crash(
    how: str, scripted_server: ScriptedServer, tmp_path: Path
) -> None:
    store = tmp_path / "cooldowns.json"
    _damage(store, how)
    tracker = CooldownTracker(store, scope="/c.json")
    scripted_server.script("a", status(429))
    r = run(build_config(scripted_server), cooldowns=tracker)
    assert r.result.model == "B"
    if how != "nan until":  # a bad entry is skipped quietly; a bad file is said
        assert tracker.warning is not None and "damaged" in tracker.warning
        assert any(line.startswith("Warning: the cooldown store") for line in r.lines())


def test_cooldowns_list_on_a_damaged_store_warns(tmp_path: Path) -> None:
    state = tmp_path / "state"
    _damage(state / "modeldesk" / "cooldowns.json", "deep")
    config = tmp_path / "config.json"
    config.write_text('{"schema_version": 1}')
    done = modeldesk("--config", str(config), "cooldowns", "list", env={"XDG_STATE_HOME": str(state)})
    assert done.returncode == 0 and "damaged" in done.stderr and "Traceback" not in done.stderr


WRITER = """
import sys, time
from modeldesk.core import safe_files
def stall(*args):
    print("writing", flush=True)
    time.sleep(60)  # killed here: the temp file is written, not yet renamed
safe_files.os.replace = stall
from modeldesk.runtime import CooldownTracker
CooldownTracker(sys.argv[1], scope="/c.json").cool("agent", ["A"], 60)
"""


def test_temp_files_of_a_killed_writer_are_removed_by_the_next(tmp_path: Path) -> None:
    store = tmp_path / "cooldowns.json"
    env = {**os.environ, "PYTHONPATH": f"{REPO / 'desktop'}{os.pathsep}{REPO}"}
    with subprocess.Popen(
        [sys.executable, "-c", WRITER, str(store)], env=env, stdout=subprocess.PIPE, text=True
    ) as writer:
        assert writer.stdout is not None and writer.stdout.readline().strip() == "writing"
        writer.send_signal(signal.SIGKILL)
        writer.wait(timeout=10)
    assert [p.name for p in tmp_path.glob(".cooldowns.json.*.tmp")]  # left behind
    CooldownTracker(store, scope="/c.json").cool("agent", ["B"], 60)
    assert list(tmp_path.glob(".cooldowns.json.*.tmp")) == []
    assert [e["model"] for e in json.loads(store.read_text())["cooldowns"]] == ["B"]


def test_a_restart_keeps_the_time_left(tmp_path: Path) -> None:
    store = tmp_path / "cooldowns.json"
    env = {**os.environ, "PYTHONPATH": f"{REPO / 'desktop'}{os.pathsep}{REPO}"}
    code = "import sys\nfrom modeldesk.runtime import CooldownTracker\n"
    cool = code + "CooldownTracker(sys.argv[1], scope='/c.json').cool('agent', ['A'], 300)"
    subprocess.run([sys.executable, "-c", cool, str(store)], env=env, check=True, timeout=60)
    show = code + "print(CooldownTracker(sys.argv[1], scope='/c.json').active()[0].seconds_left)"
    left = subprocess.run(
        [sys.executable, "-c", show, str(store)], env=env, check=True, timeout=60, capture_output=True, text=True
    )
    assert 250 < float(left.stdout) <= 300


def test_the_warning_ends_once_the_store_is_whole_again(scripted_server: ScriptedServer, tmp_path: Path) -> None:
    store = tmp_path / "cooldowns.json"
    _damage(store, "garbage")
    tracker = CooldownTracker(store, scope="/c.json")
    scripted_server.script("a", status(429))
    run(build_config(scripted_server), cooldowns=tracker)  # warns, then writes a whole store
    assert json.loads(store.read_text())["cooldowns"]
    again = run(build_config(scripted_server), cooldowns=tracker)
    assert tracker.warning is None and not any(line.startswith("Warning:") for line in again.lines())
