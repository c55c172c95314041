"""What agents, squads, projects, providers and models share (cli/items.py) reads the same
in each: an unknown id names the ids there are, an item the organization policy brings
cannot be changed, and rename refuses a call that changes nothing."""

from __future__ import annotations

from typing import Any

from tests.core.helpers import POLICY, policy_file, write_json


def test_an_unknown_id_names_the_known_ones(cli: Any) -> None:
    squads = ", ".join(s["id"] for s in cli.json("squads", "list")["squads"]) or "none"
    error = cli.json("squads", "rename", "nosuch", "other", expect=1)["error"]
    assert error == {"code": "invalid_edit", "message": f"There is no squad 'nosuch' (known: {squads})."}
    error = cli.json("projects", "show", "nosuch", expect=1)["error"]
    assert error["code"] == "unknown_project" and error["message"].startswith("There is no project 'nosuch' (known: ")
    error = cli.json("providers", "check", "nosuch", expect=1)["error"]
    assert error == {
        "code": "unknown_provider",
        "message": "There is no provider 'nosuch' (known: anthropic, off, openai).",
    }
    error = cli.json("providers", "set", "nosuch", "--label", "x", expect=1)["error"]
    assert error["message"] == "There is no provider 'nosuch' in the config (known: openai, anthropic, off)."


def test_what_the_policy_brings_cannot_be_changed_here(cli: Any) -> None:
    write_json(policy_file(), POLICY)
    error = cli.json("providers", "set", "corp", "--label", "x", expect=1)["error"]
    assert error["message"] == "Provider 'corp' comes from the organization policy and cannot be changed here."
    error = cli.json("models", "disable", "corp-model", expect=1)["error"]
    assert error["message"] == "Model 'corp-model' comes from the organization policy and cannot be changed here."
    error = cli.json("models", "disable", "nosuch", expect=1)["error"]
    assert error["message"] == "There is no model 'nosuch' in the config."


def test_rename_needs_a_new_id_or_name(cli: Any) -> None:
    for group in ("agents", "squads", "projects"):
        error = cli.json(group, "rename", "anything", expect=1)["error"]
        assert error == {"code": "usage", "message": "Give a new id, --name, or both."}
