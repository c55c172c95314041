"""Export and import: a self-contained document, planning (added / changed / conflicting),
one edit to apply, and the same resolution after a round trip."""

from __future__ import annotations

import copy
import json

import pytest

from modeldesk.core.edits import apply_edit
from modeldesk.core.errors import ConfigError, EditError
from modeldesk.core.resolver import Resolver
from modeldesk.core.schema import Config
from modeldesk.core.transfer import ImportConflictError, export_bundle, plan_import, read_bundle
from tests.core.helpers import WORLD, config, policy, world


def _round_trip(data: dict[str, object]) -> tuple[Config, dict[str, object]]:
    exported = export_bundle(config(data)).to_json()
    bundle, _ = read_bundle(json.loads(json.dumps(exported)))
    target = Config()
    plan = plan_import(target, bundle)
    assert not plan.conflicting
    apply_edit(target, plan.edit)
    return target, exported


def test_everything_exported_resolves_the_same_in_an_empty_config() -> None:
    source = config()
    target, _ = _round_trip(copy.deepcopy(WORLD))
    before, after = Resolver(source), Resolver(target)
    for agent in source.agents:
        assert after.chat(agent.id).to_json() == before.chat(agent.id).to_json()
        for task in ("title", "summary"):
            assert after.task(agent.id, task).to_json() == before.task(agent.id, task).to_json()


def test_chosen_agents_bring_their_project_models_and_providers() -> None:
    exported = export_bundle(config(), agents=["fan"]).to_json()
    assert [a["id"] for a in exported["agents"]] == ["fan"]
    assert [p["id"] for p in exported["projects"]] == ["support"]
    model_ids = {m["id"] for m in exported["models"]}
    assert {"claude", "mini", "haiku", "gpt-4o"} <= model_ids  # own, project, settings defaults
    assert {p["id"] for p in exported["providers"]} == {"openai", "anthropic"}
    bundle, _ = read_bundle(exported)
    target = Config()
    apply_edit(target, plan_import(target, bundle).edit)
    assert Resolver(target).chat("fan").to_json() == Resolver(config()).chat("fan").to_json()


def test_a_squad_brings_its_members_and_a_project_its_agents() -> None:
    exported = export_bundle(config(), squads=["team"]).to_json()
    assert {a["id"] for a in exported["agents"]} == {"own", "bare"}
    exported = export_bundle(config(), projects=["support"]).to_json()
    assert {a["id"] for a in exported["agents"]} == {"own", "bare", "fan"}


def test_policy_models_are_exported_when_named() -> None:
    data = world()
    data["agents"][2]["model"] = "corp-model"
    exported = export_bundle(config(data), policy(), agents=["lone"]).to_json()
    assert "corp-model" in {m["id"] for m in exported["models"]}
    assert "corp" in {p["id"] for p in exported["providers"]}


def test_key_references_stay_references_and_url_credentials_are_removed() -> None:
    cfg = config()
    # The schema refuses credentials in a base_url; the export still strips them from an
    # object that got them around validation.
    cfg.providers[0].__dict__["base_url"] = "https://user:sk-SECRET@api.openai.com/v1"
    result = export_bundle(cfg)
    text = result.text()
    assert "sk-SECRET" not in text and "user:" not in text
    providers = {p["id"]: p for p in result.to_json()["providers"]}
    assert providers["openai"]["api_key"] == {"env": "OPENAI_API_KEY"}
    assert providers["anthropic"]["api_key"] == {"keyring": "anthropic"}
    assert any("credentials" in w for w in result.warnings)


def test_unknown_ids_are_refused() -> None:
    with pytest.raises(EditError, match="agent 'ghost'"):
        export_bundle(config(), agents=["ghost"])


def test_plan_names_added_changed_conflicting_and_unchanged() -> None:
    bundle, _ = read_bundle(export_bundle(config(), agents=["lone", "fan"]).to_json())
    target_data = world()
    target_data["agents"] = [a for a in target_data["agents"] if a["id"] != "lone"]
    for a in target_data["agents"]:
        if a["id"] == "fan":
            a["model"] = "gpt-4o"
    target = config(target_data)
    plan = plan_import(target, bundle)
    assert "agent lone" in plan.added
    assert plan.conflicting == ["agent fan"] and plan.blocked
    assert "model claude" in plan.unchanged
    with pytest.raises(ImportConflictError, match="agent fan"):
        apply_edit(target, plan.edit)
    assert target.agent("lone") is None  # nothing applied

    replacing = plan_import(target, bundle, "replace")
    assert replacing.changed == ["agent fan"] and not replacing.blocked
    undo = apply_edit(target, replacing.edit)
    assert target.agent("fan").model == "claude" and target.agent("lone") is not None  # type: ignore[union-attr]
    apply_edit(target, undo)  # one step back
    assert target.agent("fan").model == "gpt-4o" and target.agent("lone") is None  # type: ignore[union-attr]

    keeping = plan_import(target, bundle, "keep")
    apply_edit(target, keeping.edit)
    assert target.agent("fan").model == "gpt-4o" and target.agent("lone") is not None  # type: ignore[union-attr]


def test_settings_defaults_conflict_like_items() -> None:
    bundle, _ = read_bundle(export_bundle(config(), agents=["lone"]).to_json())
    target = config(world(settings__default_agent_model="mini"))
    plan = plan_import(target, bundle)
    assert "setting default_agent_model" in plan.conflicting


def test_a_whole_config_file_can_be_imported() -> None:
    bundle, _ = read_bundle(copy.deepcopy(WORLD))
    assert {a.id for a in bundle.agents} == {a["id"] for a in WORLD["agents"]}


def test_a_bad_document_names_the_place() -> None:
    with pytest.raises(ConfigError) as caught:
        read_bundle({"modeldesk_export": 1, "agents": [{"id": "x"}]})
    assert any("agents[0].name" in p for p in caught.value.problems)
    with pytest.raises(ConfigError):
        read_bundle({"modeldesk_export": 1, "agents": [{"id": "x", "name": "X"}, {"id": "x", "name": "Y"}]})
    with pytest.raises(ConfigError):
        read_bundle([1, 2])
