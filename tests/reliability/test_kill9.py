"""kill -9 during saves of a 5,000-agent file, 500 times: a reader never sees a torn file,
the file always loads, and the temp files a killed writer leaves are swept by the next save.

Starting a fresh interpreter per kill would take minutes, so one harness process builds
the two configs once and forks a writer per kill (a fork starts in a millisecond with
everything imported); each writer saves the two configs in turn until it is killed at a
random moment, mid-save or between saves.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.core.helpers import REPO
from tests.support.figures import record

KILLS = 500
AGENTS = 5_000

HARNESS = """
import json, os, random, signal, sys, time
from pathlib import Path
from modeldesk.core.schema import Config
from modeldesk.core.store import ConfigStore, config_text

path, kills, agents = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])

def workspace(tag):
    return Config.model_validate({
        "models": [{"id": f"m{i}", "provider": "p", "name": f"m{i}"} for i in range(50)],
        "providers": [{"id": "p", "kind": "openai", "base_url": "http://127.0.0.1:1/v1"}],
        "agents": [{"id": f"{tag}{i}", "name": f"Agent {i}", "model": [f"m{i % 50}", "m1"]} for i in range(agents)],
    })

configs = [workspace("a"), workspace("b")]
allowed = {config_text(c).encode("utf-8"): n for n, c in enumerate(configs)}
store = ConfigStore(path, policy_path=path.with_name("none.json"))
store.save(configs[0])
rng = random.Random(2024)
seen = [0, 0]
torn = loads = temps_seen = 0
for kill in range(kills):
    pid = os.fork()
    if pid == 0:  # the writer: saves forever, until killed
        try:
            own = ConfigStore(path, policy_path=path.with_name("none.json"))
            while True:
                own.save(configs[1])
                own.save(configs[0])
        finally:
            os._exit(1)
    # Mostly mid-save (a save takes longer than this); every tenth lets saves complete.
    time.sleep(rng.uniform(0.3, 0.8) if kill % 10 == 9 else rng.uniform(0.0, 0.15))
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    raw = path.read_bytes()
    if raw in allowed:
        seen[allowed[raw]] += 1
    else:
        torn += 1
    temps_seen += sum(1 for p in path.parent.iterdir() if p.name.endswith(".tmp"))
    if kill % 50 == 0:  # the file loads (and is not taken for broken)
        assert len(store.load().agents) == agents
        loads += 1
store.save(configs[0])  # sweeps what killed writers left
temps_after = sum(1 for p in path.parent.iterdir() if p.name.endswith(".tmp"))
broken = sum(1 for p in path.parent.iterdir() if ".broken-" in p.name)
print(json.dumps({"kills": kills, "torn": torn, "seen": seen, "loads": loads, "temps_seen": temps_seen,
                  "temps_after": temps_after, "broken": broken, "bytes": len(raw)}))
"""


def test_500_kills_during_saves_of_a_5000_agent_file(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", HARNESS, str(tmp_path / "config.json"), str(KILLS), str(AGENTS)],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=REPO,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    record(
        "kill -9 during saves",
        f"{result['kills']} kills on a {AGENTS:,}-agent file ({result['bytes']:,} bytes): {result['torn']} torn, "
        f"old/new seen {result['seen'][0]}/{result['seen'][1]}, {result['loads']} full loads ok, "
        f"{result['temps_seen']} leftover temp files seen between kills, {result['temps_after']} after the next save",
    )
    assert result["kills"] >= 500 and result["torn"] == 0
    assert result["temps_after"] == 0 and result["broken"] == 0
    # Kills landed both mid-save and between saves often enough to mean something.
    assert min(result["seen"]) >= 5
