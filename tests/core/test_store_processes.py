"""The store across real processes: kill -9 during saves, and concurrent editors."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from itertools import pairwise
from pathlib import Path

from modeldesk.core.schema import Config
from modeldesk.core.store import ConfigStore, config_text
from tests.core.helpers import REPO

# Saves two different large configs in turn, forever, and says when it has started.
SAVER = """
import sys
from modeldesk.core.schema import Config
from modeldesk.core.store import ConfigStore

def workspace(tag):
    agents = [{"id": f"{tag}{i}", "name": f"Agent {i} " + tag * 40, "model": ["m1", "m2"]} for i in range(1500)]
    return Config.model_validate({"agents": agents})

store = ConfigStore(sys.argv[1], sys.argv[1] + ".policy")
first, second = workspace("a"), workspace("b")
store.save(first)
print("ready", flush=True)
while True:
    store.save(second)
    store.save(first)
"""


def _workspace(tag: str) -> Config:
    agents = [{"id": f"{tag}{i}", "name": f"Agent {i} " + tag * 40, "model": ["m1", "m2"]} for i in range(1500)]
    return Config.model_validate({"agents": agents})


def test_kill_during_saves_never_leaves_a_torn_file(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    allowed = {config_text(_workspace("a")), config_text(_workspace("b"))}
    rng = random.Random(7)
    reads = 0
    for _ in range(6):
        child = subprocess.Popen([sys.executable, "-c", SAVER, str(path)], stdout=subprocess.PIPE, text=True, cwd=REPO)
        try:
            assert child.stdout is not None and child.stdout.readline().strip() == "ready"
            deadline = time.monotonic() + rng.uniform(0.05, 0.4)
            while time.monotonic() < deadline:  # readers meanwhile see whole files only
                assert path.read_text(encoding="utf-8") in allowed
                reads += 1
        finally:
            child.send_signal(signal.SIGKILL)
            child.wait(10)
            if child.stdout is not None:
                child.stdout.close()
        assert path.read_text(encoding="utf-8") in allowed
        assert len(ConfigStore(path).load().agents) == 1500
    assert reads > 10
    # Whatever a killed writer left behind is swept by the next save.
    ConfigStore(path).save(Config())
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


# Adds 30 agents through the real CLI entry point, one command per agent.
ADDER = """
import os, sys, time
from modeldesk.cli.main import main
import modeldesk.cli.agents  # loaded by the first command otherwise: load it before the start
path, tag, go = sys.argv[1], sys.argv[2], sys.argv[3]
print("ready", flush=True)
sys.stdout = open(os.devnull, "w")  # the JSON answers are not needed here
while not os.path.exists(go):
    time.sleep(0.005)
for i in range(30):
    code = main(["--config", path, "agents", "add", f"{tag}-{i}", "--name", f"{tag} {i}", "--model", "m1", "--json"])
    assert code == 0, code
"""


def test_two_processes_editing_at_once_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    env = os.environ | {"MODELDESK_CONFIG": str(path)}
    go = tmp_path / "go"
    children = [
        subprocess.Popen(
            [sys.executable, "-c", ADDER, str(path), tag, str(go)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=REPO,
            env=env,
        )
        for tag in ("left", "right")
    ]
    for child in children:  # both started and imported: start them together
        assert child.stdout is not None and child.stdout.readline().strip() == "ready"
    go.touch()
    for child in children:
        _, err = child.communicate(timeout=120)
        assert child.returncode == 0, err
    agents = [a["id"] for a in json.loads(path.read_text())["agents"]]
    assert sorted(agents) == sorted(f"{tag}-{i}" for tag in ("left", "right") for i in range(30))
    # Both really ran at the same time: their adds interleave in the file.
    sides = [a.split("-")[0] for a in agents]
    assert sum(1 for x, y in pairwise(sides) if x != y) > 1
