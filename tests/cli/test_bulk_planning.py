"""`models replace` and `squads set-model` through real processes: the dry run shows
exactly what the real run then writes, and a bulk edit leaves every entry it was not asked
about exactly as written (hand-edited spaces, duplicates, the string form)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

HAND_EDITED: dict[str, Any] = {
    "schema_version": 1,
    "providers": [{"id": "p", "kind": "openai", "base_url": "http://127.0.0.1:9/v1"}],
    "models": [{"id": m, "provider": "p", "name": m} for m in ("a", "b", "c", "x")],
    "settings": {"default_agent_model": ["a"]},
    "agents": [
        # Lists the replacement already, written with a space by hand.
        {"id": "spaced", "name": "Spaced", "model": ["c", " b"]},
        # An unrelated entry listed twice by hand: not this edit's business.
        {"id": "twice", "name": "Twice", "model": ["c", "x", "x"]},
        {"id": "single", "name": "Single", "model": "c"},
        {"id": "inherits", "name": "Inherits"},
        {"id": "other", "name": "Other", "model": ["x"]},
    ],
    "squads": [{"id": "all", "name": "All", "agents": ["spaced", "twice", "single", "inherits", "other"]}],
}


def modeldesk(config: Path, *args: str) -> tuple[int, str, str]:
    done = subprocess.run(
        [sys.executable, "-m", "modeldesk", "--config", str(config), *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=os.environ | {"PYTHONIOENCODING": "utf-8"},
    )
    return done.returncode, done.stdout, done.stderr


def agents_on_disk(config: Path) -> dict[str, Any]:
    return {a["id"]: a.get("model") for a in json.loads(config.read_text())["agents"]}


def test_models_replace_dry_run_is_what_the_real_run_writes(tmp_path: Path) -> None:
    config = tmp_path / "config.json"
    config.write_text(json.dumps(HAND_EDITED))
    code, out, err = modeldesk(config, "models", "replace", "c", "b", "--dry-run", "--json")
    assert code == 0, err
    preview = json.loads(out)
    assert [(c["agent"], c["after"], c["note"]) for c in preview["changes"]] == [
        ("spaced", [" b"], "b was already listed: it moves up to c's place, no duplicate"),
        ("twice", ["b", "x", "x"], ""),
        ("single", ["b"], ""),
    ]
    assert preview["changed"] == 3

    code, out, err = modeldesk(config, "models", "replace", "c", "b", "--json")
    assert code == 0, err
    assert json.loads(out)["changes"] == preview["changes"]
    assert agents_on_disk(config) == {
        "spaced": [" b"],
        "twice": ["b", "x", "x"],
        "single": "b",
        "inherits": None,
        "other": ["x"],
    }


def test_squad_replace_skips_inheriting_agents_with_a_note(tmp_path: Path) -> None:
    config = tmp_path / "config.json"
    config.write_text(json.dumps(HAND_EDITED))
    code, out, err = modeldesk(config, "models", "replace", "x", "b", "--squad", "all")
    assert code == 0, err
    rows = {line.split()[0]: line for line in out.splitlines() if line.split()[:1] != []}
    assert "inherits a from Settings: skipped" in rows["inherits"]
    assert "2 agent(s) changed." in out
    assert agents_on_disk(config) == {
        "spaced": ["c", " b"],
        "twice": ["c", "b"],
        "single": "c",
        "inherits": None,
        "other": ["b"],
    }


def test_squads_set_model_dry_run_then_apply_agree(tmp_path: Path) -> None:
    config = tmp_path / "config.json"
    config.write_text(json.dumps(HAND_EDITED))
    code, out, err = modeldesk(config, "squads", "set-model", "all", "a", "b", "--dry-run", "--json")
    assert code == 0, err
    dry = json.loads(out)
    code, out, err = modeldesk(config, "squads", "set-model", "all", "a", "b", "--json")
    assert code == 0, err
    real = json.loads(out)
    assert real["changes"] == dry["changes"] and real["changed"] == dry["changed"] == 5
    assert set(map(str, agents_on_disk(config).values())) == {"['a', 'b']"}
