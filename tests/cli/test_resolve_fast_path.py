"""`modeldesk resolve` in real processes: the first run validates the file in full (and
leaves the note, core/fast_read.py), the next ones read it without importing pydantic,
and both print exactly the same; an edit by another process, a damaged note or a new
policy sends the next run down the full path again."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bench.workspace import messy_10k, workspace_10k
from modeldesk.core import fast_read
from tests.core.helpers import POLICY, REPO, WORLD, policy_file, set_agent, world, write_json


def _resolve(path: Path, *args: str) -> tuple[tuple[int, str, str], bool]:
    """The run's (exit code, stdout, stderr) and whether it imported pydantic."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "modeldesk", "--config", str(path), "resolve", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
    )
    imports = [line for line in done.stderr.splitlines() if line.startswith("import time:")]
    stderr = "\n".join(line for line in done.stderr.splitlines() if not line.startswith("import time:"))
    return (done.returncode, done.stdout, stderr), any(line.endswith(" pydantic") for line in imports)


def _messy_world() -> dict[str, Any]:
    data = world()
    set_agent(data, "lone", model=["ghost", "retired", " default ", "", "mini", "mini", "local"])
    set_agent(data, "bare", project="gone")
    data["agents"].append({"id": "stuck", "name": "Stuck", "model": ["orphan", "retired"]})
    data["settings"]["default_agent_model"] = ["ghost", "orphan"]
    return data


CASES = [
    ("--agent", "own"),
    ("--agent", "own", "--json"),
    ("--agent", "lone"),
    ("--agent", "lone", "--json"),
    ("--agent", "bare", "--task", "title"),
    ("--agent", "fan", "--task", "summary", "--json"),
    ("--agent", "tasky", "--model", "ghost,haiku", "--json"),
    ("--agent", "fan", "--parent-model", "haiku", "--request-model", "retired"),
    ("--agent", "lone", "--strict", "--json"),
    ("--agent", "stuck"),
    ("--agent", "stuck", "--json"),
    ("--agent", "nobody", "--json"),
]


def _same_both_ways(path: Path, args: tuple[str, ...]) -> tuple[int, str, str]:
    fast_read.note_path(path).unlink(missing_ok=True)
    full, imported = _resolve(path, *args)
    assert imported, "the first run validates the file in full"
    fast, imported = _resolve(path, *args)
    assert not imported, "the second run reads the noted file without pydantic"
    assert fast == full, args
    return full


@pytest.mark.parametrize("args", CASES, ids=[" ".join(case) for case in CASES])
def test_a_messy_config_prints_the_same_either_way(tmp_path: Path, args: tuple[str, ...]) -> None:
    path = write_json(tmp_path / "config.json", _messy_world())
    write_json(policy_file(), POLICY)
    code, out, err = _same_both_ways(path, args)
    assert code == (1 if args[1] == "nobody" or "--strict" in args else 0), (out, err)


def test_the_10k_workspace_prints_the_same_either_way(tmp_path: Path) -> None:
    path = write_json(tmp_path / "config.json", messy_10k(workspace_10k()))
    for args in (("--agent", "agent4", "--json"), ("--agent", "agent7", "--task", "summary"), ("--agent", "agent9999")):
        code, out, _ = _same_both_ways(path, args)
        assert code == 0 and out


def test_an_edit_by_another_process_is_never_missed(tmp_path: Path) -> None:
    path = write_json(tmp_path / "config.json", WORLD)
    _same_both_ways(path, ("--agent", "lone", "--json"))
    edit = subprocess.run(
        [sys.executable, "-m", "modeldesk", "--config", str(path), "agents", "set-model", "lone", "haiku"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
    )
    assert edit.returncode == 0, edit.stderr
    (code, out, _), imported = _resolve(path, "--agent", "lone")
    assert code == 0 and out.startswith("Models: haiku\n") and imported
    (code, again, _), imported = _resolve(path, "--agent", "lone")
    assert again == out and not imported


def test_a_new_policy_is_never_missed(tmp_path: Path) -> None:
    path = write_json(
        tmp_path / "config.json", set_agent(world(settings__default_agent_model=None), "lone", model="ghost")
    )
    code, _, err = _same_both_ways(path, ("--agent", "lone"))
    assert code == 1 and "No usable model for agent 'lone'" in err
    write_json(policy_file(), POLICY)
    (code, out, _), imported = _resolve(path, "--agent", "lone")
    assert code == 0 and out.startswith("Models: corp-model\n") and imported


@pytest.mark.parametrize("content", [b"", b"{not json", b'{"format": 1, "code": [], "config": 7}'])
def test_a_damaged_note_falls_back_silently(tmp_path: Path, content: bytes) -> None:
    path = write_json(tmp_path / "config.json", WORLD)
    expected = _same_both_ways(path, ("--agent", "own", "--json"))
    fast_read.note_path(path).write_bytes(content)
    got, imported = _resolve(path, "--agent", "own", "--json")
    assert got == expected and imported
    got, imported = _resolve(path, "--agent", "own", "--json")
    assert got == expected and not imported  # noted again by the run before


def test_a_forged_note_gives_an_error_not_a_traceback(tmp_path: Path) -> None:
    import hashlib
    import json

    good = write_json(tmp_path / "good.json", WORLD)
    _same_both_ways(good, ("--agent", "own"))
    bad = write_json(tmp_path / "bad.json", set_agent(world(), "own", model={"not": "a list"}))
    note = json.loads(fast_read.note_path(good).read_text())
    raw = bad.read_bytes()
    note["config"] = [os.path.realpath(bad), len(raw), hashlib.sha256(raw).hexdigest()]
    fast_read.note_path(bad).parent.mkdir(parents=True, exist_ok=True)
    fast_read.note_path(bad).write_text(json.dumps(note))
    (code, _, err), imported = _resolve(bad, "--agent", "own")
    assert code == 1 and not imported and "Traceback" not in err
    assert "agents[0] does not read as a validated config" in err
