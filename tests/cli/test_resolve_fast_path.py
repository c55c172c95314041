"""`modeldesk resolve` in real processes: the first run validates the file in full (and
leaves the note, core/fast_read.py), the next ones read it without importing pydantic,
and both print exactly the same; an edit by another process, a damaged note or a new
policy sends the next run down the full path again."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bench.workspace import messy_10k, workspace_10k
from tests.core.helpers import POLICY, REPO, WORLD, policy_file, set_agent, world, write_json
from tests.support.resolve_runs import resolve_run, same_both_ways


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


@pytest.mark.parametrize("args", CASES, ids=[" ".join(case) for case in CASES])
def test_a_messy_config_prints_the_same_either_way(tmp_path: Path, args: tuple[str, ...]) -> None:
    path = write_json(tmp_path / "config.json", _messy_world())
    write_json(policy_file(), POLICY)
    code, out, err = same_both_ways(path, args)
    assert code == (1 if args[1] == "nobody" or "--strict" in args else 0), (out, err)


def test_the_10k_workspace_prints_the_same_either_way(tmp_path: Path) -> None:
    path = write_json(tmp_path / "config.json", messy_10k(workspace_10k()))
    for args in (("--agent", "agent4", "--json"), ("--agent", "agent7", "--task", "summary"), ("--agent", "agent9999")):
        code, out, _ = same_both_ways(path, args)
        assert code == 0 and out


def test_an_edit_by_another_process_is_never_missed(tmp_path: Path) -> None:
    path = write_json(tmp_path / "config.json", WORLD)
    same_both_ways(path, ("--agent", "lone", "--json"))
    edit = subprocess.run(
        [sys.executable, "-m", "modeldesk", "--config", str(path), "agents", "set-model", "lone", "haiku"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
    )
    assert edit.returncode == 0, edit.stderr
    (code, out, _), imported = resolve_run(path, "--agent", "lone")
    assert code == 0 and out.startswith("Models: haiku\n") and imported
    (code, again, _), imported = resolve_run(path, "--agent", "lone")
    assert again == out and not imported


def test_a_new_policy_is_never_missed(tmp_path: Path) -> None:
    path = write_json(
        tmp_path / "config.json", set_agent(world(settings__default_agent_model=None), "lone", model="ghost")
    )
    code, _, err = same_both_ways(path, ("--agent", "lone"))
    assert code == 1 and "No usable model for agent 'lone'" in err
    write_json(policy_file(), POLICY)
    (code, out, _), imported = resolve_run(path, "--agent", "lone")
    assert code == 0 and out.startswith("Models: corp-model\n") and imported
