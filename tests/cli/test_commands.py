"""The editing and inspection commands, run through the real entry point in-process."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import pytest

from modeldesk.cli.main import build_parser
from tests.core.helpers import POLICY, WORLD, Cli, policy_file, write_json


def saved(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())


def agent(path: Path, agent_id: str) -> dict[str, Any]:
    return next(a for a in saved(path)["agents"] if a["id"] == agent_id)


# --- help ----------------------------------------------------------------------------


def _commands(parser: argparse.ArgumentParser, prefix: list[str]) -> list[list[str]]:
    found = [prefix]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found += _commands(sub, [*prefix, name])
    return found


MINE = {
    "resolve",
    "run",
    "agents",
    "squads",
    "projects",
    "models",
    "settings",
    "config",
    "providers",
    "history",
    "export",
    "import",
}


@pytest.mark.parametrize(
    "command",
    [c for c in _commands(build_parser(), []) if not c or c[0] in MINE],
    ids=lambda c: " ".join(c) or "modeldesk",
)
def test_every_command_has_help(command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        build_parser().parse_args([*command, "--help"])
    assert caught.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: modeldesk") and len(out.splitlines()) > 3


def test_a_group_alone_prints_its_help(cli: Any) -> None:
    code, _, err = cli("agents")
    assert code == 2 and "set-model" in err


# --- agents --------------------------------------------------------------------------


def test_agents_list_shows_effective_models_and_errors_per_agent(cli: Any, path: Path) -> None:
    data = saved(path)
    del data["settings"]["default_agent_model"]
    data["agents"][2]["model"] = ["gpt-9"]
    write_json(path, data)
    result = cli.json("agents", "list")
    rows = {r["id"]: r for r in result["agents"]}
    assert rows["own"] == {
        "id": "own",
        "name": "Own",
        "project": "support",
        "preferred": ["gpt-4o", "claude"],
        "task_models": {},
        "models": ["gpt-4o", "claude"],
        "source": "agent",
        "warnings": [],
        "error": None,
    }
    assert rows["bare"]["source"] == "project" and rows["bare"]["preferred"] == []
    assert rows["lone"]["models"] is None and rows["lone"]["error"]["code"] == "no_model_configured"
    assert rows["lone"]["warnings"] == ["agent: 'gpt-9' removed: unknown model"]  # why it failed
    code, out, _ = cli("agents", "list")
    assert code == 0
    assert "error: no_model_configured" in out and "Settings → Models → Default agent model" in out
    assert out.splitlines()[0].split() == ["ID", "NAME", "PREFERRED", "EFFECTIVE", "SOURCE"]


def test_agents_add(cli: Any, path: Path) -> None:
    result = cli.json(
        "agents",
        "add",
        "writer",
        "--name",
        "Writer",
        "--model",
        "haiku,claude",
        "--project",
        "support",
        "--instruction",
        "Write well.",
    )
    assert result["agent"]["models"] == ["haiku", "claude"] and result["warnings"] == []
    assert agent(path, "writer") == {
        "id": "writer",
        "name": "Writer",
        "project": "support",
        "model": ["haiku", "claude"],
        "instruction": "Write well.",
    }
    code, out, _ = cli("agents", "add", "plain", "--name", "Plain", "--model", "haiku")
    assert code == 0 and "Effective models: haiku (from agent)" in out
    assert agent(path, "plain")["model"] == "haiku"  # one model is written as text


def test_agents_add_refusals_and_warnings(cli: Any, path: Path) -> None:
    error = cli.json("agents", "add", "own", "--name", "Again", expect=1)
    assert error == {"error": {"code": "invalid_edit", "message": "there is already an agent 'own'"}}
    error = cli.json("agents", "add", "twice", "--name", "X", "--model", "haiku,haiku", expect=1)
    assert error == {"error": {"code": "invalid_edit", "message": "agent 'twice': 'haiku' is listed twice"}}
    error = cli.json("agents", "add", "bad id", "--name", "X", expect=1)
    assert error["error"]["code"] == "invalid_edit" and "id:" in error["error"]["message"]
    code, _, err = cli("agents", "add", "new", "--name", "New", "--model", "gpt-9", "--project", "nowhere")
    assert code == 0
    assert "warning: 'gpt-9': unknown model" in err and "no project 'nowhere'" in err
    assert agent(path, "new")["model"] == "gpt-9"  # allowed: the registry may catch up


def test_agents_set_model(cli: Any, path: Path) -> None:
    cli.json("agents", "set-model", "bare", "haiku", "mini,claude")
    assert agent(path, "bare")["model"] == ["haiku", "mini", "claude"]
    code, out, _ = cli("agents", "set-model", "fan", "mini")
    assert code == 0 and "preferred models set to mini" in out and agent(path, "fan")["model"] == "mini"
    result = cli.json("agents", "set-model", "own", "--inherit")
    assert result["agent"]["source"] == "project" and "model" not in agent(path, "own")
    assert cli.json("agents", "set-model", "own", expect=1)["error"]["code"] == "usage"
    assert cli.json("agents", "set-model", "own", "a", "--inherit", expect=1)["error"]["code"] == "usage"
    assert cli.json("agents", "set-model", "ghost", "haiku", expect=1)["error"]["code"] == "unknown_agent"
    assert cli.json("agents", "set-model", "own", "haiku", "haiku", expect=1)["error"]["code"] == "invalid_edit"


def test_task_models(cli: Any, path: Path) -> None:
    result = cli.json("agents", "set-task-model", "own", "title", "mini")
    assert result["agent"]["task_models"] == {"title": ["mini"]}
    assert agent(path, "own")["task_models"] == {"title": "mini"}
    assert cli.json("resolve", "--agent", "own", "--task", "title")["source"] == "agent-task"
    cli.json("agents", "set-task-model", "own", "title", "--clear")
    assert "task_models" not in agent(path, "own")
    code, out, _ = cli("settings", "set-task-model", "summary", "haiku,mini", "--chat", "gpt-4o")
    assert code == 0 and "Task summary (chat model gpt-4o): haiku, mini" in out
    cli.json("settings", "set-task-model", "title", "--clear")  # the '*' entry; the gpt-4o one stays
    assert saved(path)["settings"]["task_models"] == {
        "title": {"gpt-4o": "haiku"},
        "summary": {"gpt-4o": ["haiku", "mini"]},
    }
    cli.json("settings", "set-task-model", "title", "--chat", "gpt-4o", "--clear")
    assert saved(path)["settings"]["task_models"] == {"summary": {"gpt-4o": ["haiku", "mini"]}}
    assert cli.json("settings", "set-task-model", "title", expect=1)["error"]["code"] == "usage"
    assert cli.json("agents", "set-task-model", "ghost", "title", "mini", expect=1)["error"]["code"] == "unknown_agent"


def test_agents_show_and_remove(cli: Any, path: Path) -> None:
    shown = cli.json("agents", "show", "tasky")
    assert shown["task_models"] == {"title": ["haiku"]} and shown["trace"][-1]["layer"] == "agent"
    code, out, _ = cli("agents", "show", "bare")
    assert code == 0 and "Source: project" in out and "LAYER" in out
    assert cli.json("agents", "remove", "own") == {"removed": "own"}
    data = saved(path)
    assert "own" not in [a["id"] for a in data["agents"]]
    assert data["squads"][0]["agents"] == ["bare"]  # taken out of its squad too
    assert cli.json("agents", "remove", "own", expect=1)["error"]["code"] == "unknown_agent"


# --- settings --------------------------------------------------------------------------


def test_settings_default_model(cli: Any, path: Path) -> None:
    cli.json("settings", "set-default-model", "haiku")
    assert saved(path)["settings"]["default_agent_model"] == "haiku"
    code, out, _ = cli("settings", "set-default-model", "mini", "gpt-4o")
    assert code == 0 and "Default agent model: mini, gpt-4o" in out
    assert saved(path)["settings"]["default_agent_model"] == ["mini", "gpt-4o"]
    cli.json("settings", "set-default-model", "--clear")
    assert "default_agent_model" not in saved(path)["settings"]
    assert cli.json("settings", "set-default-model", expect=1)["error"]["code"] == "usage"
    _, _, err = cli("settings", "set-default-model", "gpt-9")
    assert "warning: 'gpt-9': unknown model" in err


def test_settings_show_and_fallback(cli: Any, path: Path) -> None:
    shown = cli.json("settings", "show")
    assert shown["default_agent_model"] == ["claude", "gpt-4o"] and shown["fallback"]["retries"] == 2
    assert shown["task_models"] == {"title": {"gpt-4o": ["haiku"], "*": ["mini"]}}
    cli.json("settings", "set-fallback", "retries", "4")
    cli.json("settings", "set-fallback", "cooldown_s", "0.5")
    assert saved(path)["settings"]["fallback"] == {"retries": 4, "cooldown_s": 0.5}
    cli.json("settings", "set-fallback", "retries", "--reset")
    assert saved(path)["settings"]["fallback"] == {"cooldown_s": 0.5}
    assert cli.json("settings", "set-fallback", "retries", "many", expect=1)["error"]["code"] == "invalid_edit"
    assert cli.json("settings", "set-fallback", "jitter", "5", expect=1)["error"]["code"] == "invalid_edit"
    code, out, _ = cli("settings", "show")
    assert code == 0 and "cooldown_s" in out and "Default agent model: claude, gpt-4o" in out


# --- squads and bulk changes -----------------------------------------------------------


def test_squads_add_and_list(cli: Any, path: Path) -> None:
    cli.json("squads", "add", "crew", "--name", "Crew", "--agents", "fan, tasky")
    assert saved(path)["squads"][1] == {"id": "crew", "name": "Crew", "agents": ["fan", "tasky"]}
    error = cli.json("squads", "add", "bad", "--name", "Bad", "--agents", "fan,ghost", expect=1)
    assert "ghost" in error["error"]["message"]
    assert cli.json("squads", "add", "crew", "--name", "Again", expect=1)["error"]["code"] == "invalid_edit"
    listed = cli.json("squads", "list")["squads"]
    assert listed[0]["agents"][1] == {
        "id": "bare",
        "models": ["mini"],
        "source": "project",
        "warnings": [],
        "error": None,
    }
    code, out, _ = cli("squads", "list")
    assert code == 0 and "crew: Crew (2 agents)" in out


def test_squad_set_model_dry_run_then_apply(cli: Any, path: Path) -> None:
    before = path.read_bytes()
    preview = cli.json("squads", "set-model", "team", "haiku", "mini", "--dry-run")
    assert path.read_bytes() == before
    assert preview["dry_run"] is True and preview["changed"] == 2
    assert preview["changes"] == [
        {"agent": "own", "before": ["gpt-4o", "claude"], "after": ["haiku", "mini"], "changed": True, "note": ""},
        {"agent": "bare", "before": [], "after": ["haiku", "mini"], "changed": True, "note": ""},
    ]
    code, out, _ = cli("squads", "set-model", "team", "haiku,mini")
    assert code == 0 and "own" in out and "->" in out and "2 agent(s) changed." in out
    assert agent(path, "own")["model"] == ["haiku", "mini"] and agent(path, "bare")["model"] == ["haiku", "mini"]
    assert cli.json("squads", "set-model", "ghost", "haiku", expect=1)["error"]["code"] == "invalid_edit"


def test_models_replace_everywhere_and_in_a_squad(cli: Any, path: Path) -> None:
    before = path.read_bytes()
    preview = cli.json("models", "replace", "claude", "haiku", "--dry-run")
    assert path.read_bytes() == before
    assert [c["agent"] for c in preview["changes"]] == ["own", "fan", "tasky"]
    assert preview["warnings"] == ["settings.default_agent_model still lists 'claude' (not changed here)"]
    # Task models are not agents' preferred lists: each place naming OLD is pointed out.
    assert cli.json("models", "replace", "haiku", "mini", "--dry-run")["warnings"] == [
        "settings.task_models.title['gpt-4o'] still lists 'haiku' (not changed here)",
        "projects[0].task_models.summary['*'] still lists 'haiku' (not changed here)",
        "agents[4].task_models.title still lists 'haiku' (not changed here)",
    ]
    cli.json("models", "replace", "claude", "haiku", "--squad", "team")
    assert agent(path, "own")["model"] == ["gpt-4o", "haiku"] and agent(path, "fan")["model"] == "claude"
    code, out, _ = cli("models", "replace", "claude", "mini")
    assert code == 0 and "2 agent(s) changed." in out
    assert agent(path, "fan")["model"] == "mini" and agent(path, "tasky")["model"] == "mini"
    assert cli.json("models", "replace", "mini", "mini", expect=1)["error"]["code"] == "usage"
    code, out, _ = cli("models", "replace", "mini", "GPT-X", "--dry-run")
    assert code == 0 and out.startswith("Replace mini with GPT-X for every agent using mini:")


def test_models_list(cli: Any) -> None:
    write_json(policy_file(), POLICY)
    rows = {r["id"]: r for r in cli.json("models", "list")["models"]}
    assert rows["corp-model"]["origin"] == "policy" and rows["corp-model"]["problem"] is None
    assert rows["local"]["problem"] == "provider 'off' disabled"
    assert rows["gpt-4o"]["agents"] == 1
    code, out, _ = cli("models", "list")
    assert code == 0 and "provider 'gone' missing" in out


# --- config ----------------------------------------------------------------------------


def test_config_validate(cli: Any, path: Path) -> None:
    code, out, _ = cli("config", "validate")
    assert code == 0 and out.startswith(f"{path}: valid")
    data = saved(path)
    data["agents"][0]["model"] = ["gpt-4o", "gpt-9"]
    data["squads"][0]["agents"].append("ghost")
    write_json(path, data)
    result = cli.json("config", "validate")
    assert result["valid"] is True
    assert result["warnings"] == [
        "models[5].provider: there is no provider 'gone'",
        "agents[0].model: 'gpt-9': unknown model",
        "squads[0].agents[2]: there is no agent 'ghost'",
    ]
    assert cli.json("config", "validate", "--strict", expect=1)["valid"] is False


def test_config_validate_lists_every_problem(cli: Any, path: Path) -> None:
    data = saved(path)
    data["agents"][2]["model"] = {"id": "x"}
    data["settings"]["fallback"] = {"retries": "many", "jiter": 0.1}
    write_json(path, data)
    code, out, _ = cli("config", "validate")
    assert code == 1 and "not valid" in out
    for place in ("agents[2].model", "settings.fallback.retries", "settings.fallback.jiter"):
        assert place in out
    result = cli.json("config", "validate", expect=1)
    assert result["valid"] is False and len(result["problems"]) == 3
    assert result["error"]["code"] == "invalid_config"


def test_config_validate_names_a_broken_policy(cli: Any, path: Path) -> None:
    write_json(policy_file(), {"models": [{"id": "x"}], "agents": []})
    code, out, _ = cli("config", "validate")
    assert code == 1
    lines = out.splitlines()
    assert lines[0] == f"{policy_file()}: not valid (organization policy)"
    assert lines[1:] == [
        "  models[0].provider: required, but not given",
        "  models[0].name: required, but not given",
        "  agents: unknown field (check the spelling)",
    ]
    result = cli.json("config", "validate", expect=1)
    assert str(policy_file()) in result["error"]["message"] and len(result["problems"]) == 3


def test_config_schema_and_path(cli: Any, path: Path) -> None:
    code, out, _ = cli("config", "schema")
    schema = json.loads(out)
    assert code == 0 and schema["$schema"].endswith("2020-12/schema") and "agents" in schema["properties"]
    result = cli.json("config", "path")
    assert result["config"] == str(path) and result["exists"] is True


# --- errors ----------------------------------------------------------------------------


def test_a_broken_file_fails_every_command_cleanly(cli: Any, path: Path) -> None:
    path.write_text('{"agents": [}')
    for command in (["agents", "list"], ["resolve", "--agent", "own"], ["agents", "set-model", "own", "x"]):
        error = cli.json(*command, expect=1)
        assert error["error"]["code"] == "invalid_config"
        assert "line 1, column 13" in error["error"]["message"]
    code, _, err = cli("agents", "list")
    assert code == 1 and err.startswith("modeldesk: ") and "line 1, column 13" in err
    assert path.read_text() == '{"agents": [}'


def test_a_newer_file_is_refused(cli: Any, path: Path) -> None:
    path.write_text('{"schema_version": 2}')
    assert cli.json("agents", "add", "x", "--name", "X", expect=1)["error"]["code"] == "config_too_new"
    assert path.read_text() == '{"schema_version": 2}'


def test_a_named_missing_file_is_an_error_for_reading_and_created_by_adding(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    cli = Cli(capsys)
    path = tmp_path / "config.json"
    error = cli.json("--config", str(path), "agents", "list", expect=1)["error"]
    assert error["code"] == "config_not_found" and str(path) in error["message"]
    assert not path.exists()
    cli.json("--config", str(path), "agents", "add", "a", "--name", "A")
    assert saved(path) == {"schema_version": 1, "agents": [{"id": "a", "name": "A"}]}


def test_config_from_the_environment(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = write_json(tmp_path / "env.json", WORLD)
    monkeypatch.setenv("MODELDESK_CONFIG", str(path))
    assert Cli(capsys).json("resolve", "--agent", "own")["source"] == "agent"


def test_resolve_human_output(cli: Any, path: Path) -> None:
    data = saved(path)
    data["agents"][0]["model"] = ["gpt-9", "claude"]
    write_json(path, data)
    code, out, _ = cli("resolve", "--agent", "own")
    assert code == 0
    assert out.startswith("Models: claude\nSource: agent (Agent's preferred models)\n")
    assert "LAYER" in out and "REASON" in out and "- agent: 'gpt-9' removed: unknown model" in out
    code, out, _ = cli("resolve", "--agent", "tasky", "--task", "title")
    assert code == 0 and out.startswith("Task 'title' for agent 'tasky' (chat model: claude)")


def test_resolve_failure_human_output(cli: Any, path: Path) -> None:
    data = saved(path)
    del data["settings"]["default_agent_model"]
    write_json(path, data)
    code, out, err = cli("resolve", "--agent", "lone")
    assert code == 1 and out == ""
    assert "organization" in err and "modeldesk: No usable model for agent 'lone'" in err


def test_resolve_usage_errors(cli: Any) -> None:
    error = cli.json("resolve", "--agent", "bare", "--model", "a", "--request-model", "b", expect=1)
    assert error["error"]["code"] == "usage"
    with pytest.raises(SystemExit) as caught:
        cli("resolve")
    assert caught.value.code == 2
