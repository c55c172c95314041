"""The editing commands added for every layer: projects, providers, models, squads and
agents, plus export/import. In-process for the details, real processes for the flows the
spec names (a project made from the CLI is the agents' `project` layer; an export imported
into an empty config resolves the same)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.core.helpers import WORLD, run_module, write_json
from tests.runtime.conftest import build_config, write_config
from tests.support.memory_keyring import installed_memory_keyring
from tests.support.scripted_server import ScriptedServer


def saved(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text())
    return data


# --- projects -----------------------------------------------------------------------


def test_a_project_made_from_the_cli_is_the_project_layer(tmp_path: Path) -> None:
    path = write_json(tmp_path / "c.json", WORLD)
    steps = [
        ["projects", "add", "research", "--name", "Research", "--model", "haiku,mini"],
        ["agents", "set-project", "research", "lone"],
        ["projects", "set-task-model", "research", "title", "claude", "--chat", "haiku"],
    ]
    for step in steps:
        done = run_module("--config", str(path), *step)
        assert done.returncode == 0, done.stderr
    resolved = json.loads(run_module("--config", str(path), "resolve", "--agent", "lone", "--json").stdout)
    assert resolved["source"] == "project" and resolved["models"] == ["haiku", "mini"]
    task = json.loads(
        run_module("--config", str(path), "resolve", "--agent", "lone", "--task", "title", "--json").stdout
    )
    assert task["source"] == "project-task" and task["models"] == ["claude"]
    shown = json.loads(run_module("--config", str(path), "projects", "show", "research", "--json").stdout)
    assert [a["id"] for a in shown["agents"]] == ["lone"] and shown["agents"][0]["source"] == "project"


def test_projects_list_show_rename_set_model(cli: Any, path: Path) -> None:
    rows = cli.json("projects", "list")["projects"]
    assert rows == [
        {
            "id": "support",
            "name": "Support",
            "default_model": ["mini"],
            "usable_default": ["mini"],
            "task_models": {"summary": {"*": ["haiku"]}, "title": {"claude": ["mini"]}},
            "agent_count": 3,
        }
    ]
    cli.json("projects", "rename", "support", "helpdesk", "--name", "Help desk")
    data = saved(path)
    assert data["projects"][0]["id"] == "helpdesk" and data["projects"][0]["name"] == "Help desk"
    assert {a["id"] for a in data["agents"] if a.get("project") == "helpdesk"} == {"own", "bare", "fan"}
    cli.json("projects", "set-model", "helpdesk", "--json", "claude", "haiku")
    assert saved(path)["projects"][0]["default_model"] == ["claude", "haiku"]
    cli.json("projects", "set-model", "helpdesk", "--clear")
    assert "default_model" not in saved(path)["projects"][0]
    assert cli.json("projects", "show", "nope", expect=1)["error"]["code"] == "unknown_project"


def test_removing_a_project_asks_about_its_agents(cli: Any, path: Path) -> None:
    before = saved(path)
    error = cli.json("projects", "remove", "support", expect=1)["error"]
    assert "3 agent(s)" in error["message"] and saved(path) == before
    preview = cli.json("projects", "remove", "support", "--agents", "detach", "--dry-run")
    assert preview["dry_run"] and {c["project_after"] for c in preview["agents"]} == {None}
    assert saved(path) == before
    cli.json("projects", "add", "other", "--name", "Other")
    cli.json("projects", "remove", "support", "--agents", "move", "--to", "other")
    assert {a.get("project") for a in saved(path)["agents"] if a["id"] in ("own", "bare", "fan")} == {"other"}
    cli.json("projects", "remove", "other", "--agents", "remove")
    assert {a["id"] for a in saved(path)["agents"]} == {"lone", "tasky"}
    assert saved(path)["squads"][0]["agents"] == []


# --- agents and squads --------------------------------------------------------------


def test_agents_rename_follows_into_squads(cli: Any, path: Path) -> None:
    cli.json("agents", "rename", "own", "mine", "--name", "Mine")
    data = saved(path)
    assert "mine" in [a["id"] for a in data["agents"]] and data["squads"][0]["agents"] == ["mine", "bare"]
    assert cli.json("agents", "rename", "mine", "bare", expect=1)["error"]["code"] == "invalid_edit"


def test_agents_set_project_instruction_and_remove(cli: Any, path: Path, tmp_path: Path) -> None:
    cli.json("agents", "set-project", "--none", "own", "fan")
    assert all("project" not in a for a in saved(path)["agents"] if a["id"] in ("own", "fan"))
    assert cli.json("agents", "set-project", "ghost-project", "own", expect=1)["error"]["code"] == "invalid_edit"
    cli.json("agents", "set-instruction", "own", "Be brief.")
    assert next(a for a in saved(path)["agents"] if a["id"] == "own")["instruction"] == "Be brief."
    prompt = tmp_path / "p.md"
    prompt.write_text("From a file.\n")
    cli.json("agents", "set-instruction", "own", "--file", str(prompt))
    assert next(a for a in saved(path)["agents"] if a["id"] == "own")["instruction"] == "From a file.\n"
    cli.json("agents", "set-instruction", "own", "--clear")
    assert "instruction" not in next(a for a in saved(path)["agents"] if a["id"] == "own")
    before = saved(path)
    preview = cli.json("agents", "remove", "own", "bare", "--dry-run")
    assert preview == {"removed": ["own", "bare"], "dry_run": True} and saved(path) == before
    moved = cli.json("agents", "set-project", "support", "lone", "--dry-run")
    assert moved["dry_run"] and moved["agents"][0]["source"] == "project" and saved(path) == before
    before = saved(path)
    preview = cli.json("agents", "remove", "own", "bare", "--dry-run")
    assert preview == {"removed": ["own", "bare"], "dry_run": True} and saved(path) == before
    moved = cli.json("agents", "set-project", "support", "lone", "--dry-run")
    assert moved["dry_run"] and moved["agents"][0]["source"] == "project" and saved(path) == before
    cli.json("agents", "remove", "own", "bare")
    data = saved(path)
    assert {a["id"] for a in data["agents"]} == {"lone", "fan", "tasky"} and data["squads"][0]["agents"] == []


def test_squads_members_rename_remove(cli: Any, path: Path) -> None:
    assert cli.json("squads", "add-member", "team", "lone", "--json", "own")["squad"]["agents"] == [
        "own",
        "bare",
        "lone",
    ]
    assert cli.json("squads", "add-member", "team", "ghost", expect=1)["error"]["code"] == "invalid_edit"
    assert cli.json("squads", "remove-member", "team", "own,bare")["squad"]["agents"] == ["lone"]
    cli.json("squads", "rename", "team", "crew", "--name", "Crew")
    assert saved(path)["squads"] == [{"id": "crew", "name": "Crew", "agents": ["lone"]}]
    cli.json("squads", "remove", "crew")
    assert "squads" not in saved(path) or saved(path)["squads"] == []


# --- providers and models -----------------------------------------------------------


def test_providers_and_models_from_the_cli(cli: Any, path: Path) -> None:
    cli.json("providers", "add", "local", "--kind", "openai", "--base-url", "http://127.0.0.1:11434/v1/")
    cli.json(
        "models",
        "add",
        "llama",
        "--provider",
        "local",
        "--name",
        "llama3",
        "--tools",
        "yes",
        "--context-window",
        "8192",
    )
    data = saved(path)
    assert data["providers"][-1] == {"id": "local", "kind": "openai", "base_url": "http://127.0.0.1:11434/v1"}
    model = data["models"][-1]
    assert model["name"] == "llama3" and model["capabilities"] == {"tools": True} and model["context_window"] == 8192
    assert cli.json("resolve", "--agent", "lone", "--model", "llama")["models"] == ["llama"]
    cli.json("providers", "disable", "local")
    assert cli.json("resolve", "--agent", "lone", "--model", "llama,mini")["models"] == ["mini"]
    cli.json("providers", "enable", "local")
    cli.json("models", "set", "llama", "--label", "Llama 3", "--vision", "no")
    assert saved(path)["models"][-1]["capabilities"] == {"tools": True, "vision": False}
    cli.json("models", "disable", "llama", "mini")
    assert cli.json("resolve", "--agent", "lone", "--model", "llama,mini,claude")["models"] == ["claude"]
    cli.json("models", "enable", "llama", "mini")
    cli.json("providers", "set", "local", "--key-env", "LOCAL_KEY", "--label", "Local")
    assert saved(path)["providers"][-1]["api_key"] == {"env": "LOCAL_KEY"}
    refused = cli.json("providers", "remove", "local", expect=1)["error"]
    assert "llama" in refused["message"]
    preview = cli.json("providers", "remove", "local", "--with-models", "--dry-run")
    assert preview["removed_models"] == ["llama"] and saved(path)["models"][-1]["id"] == "llama"
    cli.json("providers", "remove", "local", "--with-models")
    assert "local" not in {p["id"] for p in saved(path)["providers"]}
    removed = cli.json("models", "remove", "haiku")
    assert removed["removed"] == ["haiku"] and any("tasky" in w or "agents[4]" in w for w in removed["warnings"])
    assert cli.json("models", "add", "x", "--provider", "openai", "--context-window", "-5", expect=1)["error"]


def test_set_key_reads_stdin_and_stores_in_the_keyring_without_echo(
    capsys: pytest.CaptureFixture[str], path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    from modeldesk.cli.main import main

    monkeypatch.setattr("sys.stdin", io.StringIO("sk-test-SECRET-123\n"))
    with installed_memory_keyring() as ring:
        code = main(["--config", str(path), "providers", "set-key", "openai", "--json"])
        out, err = capsys.readouterr()
        assert code == 0, err
        assert ring.values[("modeldesk", "openai")] == "sk-test-SECRET-123"
    assert "SECRET" not in out + err and "SECRET" not in path.read_text()
    assert json.loads(out)["keyring_entry"] == "openai"
    provider = next(p for p in saved(path)["providers"] if p["id"] == "openai")
    assert provider["api_key"] == {"keyring": "openai"}


def test_set_key_refuses_an_empty_key(path: Path) -> None:
    done = run_module("--config", str(path), "providers", "set-key", "openai")  # stdin is empty (not a tty)
    assert done.returncode == 1 and "No key" in done.stderr
    assert next(p for p in saved(path)["providers"] if p["id"] == "openai")["api_key"] == {"env": "OPENAI_API_KEY"}


def test_providers_models_import(scripted_server: ScriptedServer, tmp_path: Path) -> None:
    scripted_server.model_names = ["a", "gpt-x", "gpt-y", "other"]
    path = write_config(tmp_path / "c.json", build_config(scripted_server))
    preview = run_module(
        "--config", str(path), "providers", "models", "p1", "--import", "--match", "gpt-*", "--dry-run", "--json"
    )
    assert preview.returncode == 0, preview.stderr
    assert [m["id"] for m in json.loads(preview.stdout)["added"]] == ["gpt-x", "gpt-y"]
    assert "gpt-x" not in path.read_text()
    done = run_module("--config", str(path), "providers", "models", "p1", "--import")
    assert done.returncode == 0, done.stderr
    ids = [m["id"] for m in saved(path)["models"]]
    assert {"gpt-x", "gpt-y", "other"} <= set(ids) and ids.count("a") == 0  # 'a' is configured as A


# --- export / import ----------------------------------------------------------------


def test_export_then_import_into_an_empty_config_resolves_the_same(tmp_path: Path) -> None:
    source = write_json(tmp_path / "source.json", WORLD)
    bundle = tmp_path / "team.json"
    done = run_module("--config", str(source), "export", "-o", str(bundle), "--squads", "team", "--agents", "tasky")
    assert done.returncode == 0, done.stderr
    target = tmp_path / "empty.json"
    target.write_text("{}")
    preview = run_module("--config", str(target), "import", str(bundle), "--dry-run", "--json")
    plan = json.loads(preview.stdout)
    assert plan["dry_run"] and not plan["applied"] and "agent own" in plan["added"]
    assert target.read_text() == "{}"
    assert run_module("--config", str(target), "import", str(bundle)).returncode == 0
    for agent in ("own", "bare", "tasky"):
        for extra in ([], ["--task", "title"], ["--task", "summary"]):
            a = json.loads(run_module("--config", str(source), "resolve", "--agent", agent, *extra, "--json").stdout)
            b = json.loads(run_module("--config", str(target), "resolve", "--agent", agent, *extra, "--json").stdout)
            assert a == b


def test_import_conflicts_need_a_choice(cli: Any, path: Path, tmp_path: Path) -> None:
    bundle = tmp_path / "b.json"
    code, out, _ = cli("export", "--agents", "lone")
    assert code == 0
    data = json.loads(out)
    data["agents"][0]["model"] = "haiku"
    bundle.write_text(json.dumps(data))
    before = saved(path)
    blocked = cli.json("import", str(bundle), expect=1)
    assert blocked["blocked"] and "agent lone" in blocked["conflicting"] and saved(path) == before
    cli.json("import", str(bundle), "--keep-existing")
    assert saved(path) == before
    replaced = cli.json("import", str(bundle), "--replace")
    assert replaced["changed"] == ["agent lone"] and replaced["applied"]
    assert next(a for a in saved(path)["agents"] if a["id"] == "lone")["model"] == "haiku"


def test_export_never_holds_a_secret(cli: Any, path: Path) -> None:
    data = saved(path)
    data["providers"][0]["base_url"] = "https://user:sk-LEAK@api.openai.com/v1"
    path.write_text(json.dumps(data))
    code, out, err = cli("export")
    assert "sk-LEAK" not in out + err
    if code == 1:  # a config refusing credentials in URLs is safe too
        return
    assert code == 0 and "credentials" in err
    assert {"env": "OPENAI_API_KEY"} in [p.get("api_key") for p in json.loads(out)["providers"]]


def test_every_new_editing_command_through_a_real_process(tmp_path: Path) -> None:
    """Each command once, as a user types it, from an empty folder."""
    path = tmp_path / "config.json"
    steps: list[tuple[list[str], str]] = [
        (["providers", "add", "oa", "--kind", "openai", "--base-url", "https://api.openai.com/v1"], "Added provider"),
        (["providers", "set", "oa", "--key-env", "OA_KEY"], "Changed provider"),
        (["providers", "disable", "oa"], "Disabled"),
        (["providers", "enable", "oa"], "Enabled"),
        (["models", "add", "g4", "--provider", "oa", "--name", "gpt-4o"], "Added model"),
        (["models", "add", "mini", "--provider", "oa", "--name", "gpt-4o-mini"], "Added model"),
        (["models", "set", "mini", "--label", "Mini"], "Changed model"),
        (["models", "disable", "mini"], "Disabled"),
        (["models", "enable", "mini"], "Enabled"),
        (["projects", "add", "web", "--name", "Web", "--model", "mini"], "Added project"),
        (["projects", "set-model", "web", "g4", "mini"], "default models set"),
        (["projects", "set-task-model", "web", "title", "mini"], "task title"),
        (["projects", "rename", "web", "site", "--name", "Site"], "is now site"),
        (["agents", "add", "a1", "--name", "A1"], "Added agent"),
        (["agents", "add", "a2", "--name", "A2", "--project", "site"], "Added agent"),
        (["agents", "set-project", "site", "a1"], "project site"),
        (["agents", "set-instruction", "a1", "Be brief."], "instruction set"),
        (["agents", "rename", "a1", "b1"], "is now b1"),
        (["squads", "add", "sq", "--name", "Squad", "--agents", "b1"], "Added squad"),
        (["squads", "add-member", "sq", "a2"], "b1, a2"),
        (["squads", "remove-member", "sq", "b1"], "a2"),
        (["squads", "rename", "sq", "team"], "is now team"),
        (["projects", "list"], "site"),
        (["projects", "show", "site"], "b1"),
        (["resolve", "--agent", "b1"], "Source: project"),
        (["export", "-o", str(tmp_path / "out.json")], "Exported"),
        (["squads", "remove", "team"], "Removed squad"),
        (["agents", "remove", "b1"], "Removed agent"),
        (["projects", "remove", "site", "--agents", "detach"], "Removed project"),
        (["models", "remove", "mini"], "Removed model"),
        (["providers", "remove", "oa", "--with-models"], "Removed provider"),
        (["import", str(tmp_path / "out.json"), "--dry-run"], "Nothing was written"),
        (["import", str(tmp_path / "out.json"), "--replace"], "Imported as one change"),
    ]
    for argv, expected in steps:
        done = run_module("--config", str(path), *argv)
        assert done.returncode == 0, (argv, done.stdout, done.stderr)
        assert expected in done.stdout, (argv, done.stdout)
    resolved = json.loads(run_module("--config", str(path), "resolve", "--agent", "b1", "--json").stdout)
    assert resolved["source"] == "project" and resolved["models"] == ["g4", "mini"]
