"""Four processes each apply 250 edits to one config file at the same time: every edit
is kept (none lost to another writer's save), and the file is valid throughout."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from itertools import pairwise
from pathlib import Path

from modeldesk.core.schema import Config
from modeldesk.core.store import ConfigStore
from tests.core.helpers import REPO
from tests.support.figures import record

WRITERS = 4
EDITS = 250

WRITER = """
import os, sys, time
from modeldesk.core.edits import AddItem, SetAgentModels
from modeldesk.core.schema import Agent
from modeldesk.core.store import ConfigStore
path, tag, edits, go = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
store = ConfigStore(path, policy_path=path + ".none")
print("ready", flush=True)
while not os.path.exists(go):
    time.sleep(0.002)
for i in range(edits):
    if i % 5 == 4:  # now and then an edit of an agent written earlier (by this writer)
        store.apply(SetAgentModels(f"{tag}-{i - 1}", ("m2", "m1")))
    else:
        store.apply(AddItem("agents", Agent(id=f"{tag}-{i}", name=f"{tag} {i}", model=["m1"])))
print("done", flush=True)
"""


def test_four_writers_250_edits_each_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    ConfigStore(path, policy_path=tmp_path / "none").save(
        Config.model_validate(
            {
                "providers": [{"id": "p", "kind": "openai", "base_url": "http://127.0.0.1:1/v1"}],
                "models": [{"id": "m1", "provider": "p", "name": "a"}, {"id": "m2", "provider": "p", "name": "b"}],
            }
        )
    )
    go = tmp_path / "go"
    tags = [f"w{n}" for n in range(WRITERS)]
    children = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path), tag, str(EDITS), str(go)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=REPO,
            env=os.environ | {"PYTHONPATH": os.pathsep.join([str(REPO / "desktop"), str(REPO)])},
        )
        for tag in tags
    ]
    for child in children:
        assert child.stdout is not None and child.stdout.readline().strip() == "ready"
    started = time.monotonic()
    go.touch()
    reads = 0
    while any(child.poll() is None for child in children):
        # A reader meanwhile always finds a whole, valid file.
        data = json.loads(path.read_text(encoding="utf-8"))
        Config.model_validate(data)
        reads += 1
        time.sleep(0.05)
    elapsed = time.monotonic() - started
    for child in children:
        _, err = child.communicate(timeout=60)
        assert child.returncode == 0, err[-2000:]
    agents = {a["id"]: a for a in json.loads(path.read_text())["agents"]}
    adds = [f"{tag}-{i}" for tag in tags for i in range(EDITS) if i % 5 != 4]
    changed = [f"{tag}-{i - 1}" for tag in tags for i in range(EDITS) if i % 5 == 4]
    lost_adds = [a for a in adds if a not in agents]
    lost_changes = [a for a in changed if agents.get(a, {}).get("model") != ["m2", "m1"]]
    ids = list(agents)
    interleavings = sum(1 for x, y in pairwise(ids) if x.split("-")[0] != y.split("-")[0])
    record(
        "concurrent writers",
        f"{WRITERS} processes x {EDITS} edits = {WRITERS * EDITS} edits in {elapsed:.1f} s: "
        f"{len(lost_adds) + len(lost_changes)} lost, {reads} reads of a whole valid file meanwhile, "
        f"writers interleaved {interleavings} times",
    )
    assert lost_adds == [] and lost_changes == []
    assert len(agents) == len(adds)
    assert interleavings > WRITERS  # they really wrote at the same time
