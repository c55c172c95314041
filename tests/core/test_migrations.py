"""Upgrading older files: each step on its own, and the store's migrate-on-write."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from modeldesk.core.edits import SetAgentModels
from modeldesk.core.errors import ConfigError, StoreError
from modeldesk.core.migrations import MIGRATIONS, MigrationError, file_version, migrate
from modeldesk.core.schema import SCHEMA_VERSION, Config
from modeldesk.core.store import ConfigStore
from tests.core.helpers import WORLD, write_json

V0: dict[str, Any] = {
    "providers": [
        {"id": "openai", "kind": "openai", "base_url": "https://api.openai.com/v1", "api_key_env": "OPENAI_API_KEY"}
    ],
    "models": [
        {"id": "gpt-4o", "provider": "openai", "name": "gpt-4o"},
        {"id": "mini", "provider": "openai", "name": "gpt-4o-mini"},
    ],
    "settings": {"default_model": "gpt-4o"},
    "agents": [
        {"id": "a", "name": "A", "model": "gpt-4o", "fallback_models": ["mini", "gpt-4o"]},
        {"id": "b", "name": "B", "models": ["mini"]},
        {"id": "c", "name": "C", "model": "mini"},
        {"id": "d", "name": "D", "models": [], "fallback_models": []},
    ],
    "squads": [{"id": "s", "name": "S", "members": ["a", "b"]}],
}


def test_registry_is_a_chain_up_to_the_current_version() -> None:
    assert sorted(MIGRATIONS) == list(range(SCHEMA_VERSION))


def test_v0_to_v1_step() -> None:
    out = MIGRATIONS[0](json.loads(json.dumps(V0)))
    assert out["settings"] == {"default_agent_model": "gpt-4o"}
    assert out["agents"][0] == {"id": "a", "name": "A", "model": ["gpt-4o", "mini"]}
    assert out["agents"][1] == {"id": "b", "name": "B", "model": ["mini"]}
    assert out["agents"][2] == {"id": "c", "name": "C", "model": "mini"}  # untouched
    assert out["agents"][3] == {"id": "d", "name": "D"}  # nothing listed: inherits
    assert out["providers"][0]["api_key"] == {"env": "OPENAI_API_KEY"} and "api_key_env" not in out["providers"][0]
    assert out["squads"][0] == {"id": "s", "name": "S", "agents": ["a", "b"]}


def test_migrate_gives_a_valid_current_config_and_leaves_the_input_alone() -> None:
    original = json.dumps(V0)
    out = migrate(V0)
    assert json.dumps(V0) == original
    assert out["schema_version"] == SCHEMA_VERSION
    Config.model_validate(out)
    assert migrate(WORLD) == WORLD  # current data is unchanged


def test_unrecognised_shapes_are_left_for_validation() -> None:
    odd = {"settings": "x", "agents": [5, {"id": "a", "name": "A", "fallback_models": "mini"}], "squads": None}
    out = migrate(odd)
    assert out["agents"][0] == 5 and out["agents"][1]["model"] == ["mini"]


@pytest.mark.parametrize(
    ("data", "place"),
    [
        ({"settings": {"default_model": "a", "default_agent_model": "b"}}, "settings"),
        ({"squads": [{"id": "s", "name": "S", "members": [], "agents": []}]}, "squads[0]"),
        ({"agents": [{"id": "a", "name": "A", "fallback_models": [1]}]}, "agents[0]"),
        ({"schema_version": 7}, "newer"),
    ],
)
def test_conflicts_name_the_place(data: dict[str, Any], place: str) -> None:
    with pytest.raises(MigrationError, match=place.replace("[", r"\[")):
        migrate(data)


def test_file_version() -> None:
    assert file_version({}) == 0 and file_version({"schema_version": 1}) == 1
    for bad in ("1", 1.0, -2, None, False):
        with pytest.raises(MigrationError):
            file_version({"schema_version": bad})


def _v0_file(tmp_path: Path) -> Path:
    return write_json(tmp_path / "config.json", V0)


def test_reading_migrates_in_memory_only(tmp_path: Path) -> None:
    path = _v0_file(tmp_path)
    before = path.read_bytes()
    config = ConfigStore(path).load()
    assert config.settings.default_agent_model == "gpt-4o"
    assert config.agent("a").model == ["gpt-4o", "mini"]
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.json"]


def test_first_write_keeps_a_backup_then_upgrades(tmp_path: Path) -> None:
    path = _v0_file(tmp_path)
    original = path.read_bytes()
    store = ConfigStore(path)
    store.apply(SetAgentModels("c", ("gpt-4o",)))
    backup = tmp_path / "config.json.v0.bak"
    assert backup.read_bytes() == original
    assert backup.stat().st_mode & 0o777 == 0o600
    saved = json.loads(path.read_text())
    assert saved["schema_version"] == 1 and saved["settings"] == {"default_agent_model": "gpt-4o"}
    assert saved["agents"][2]["model"] == "gpt-4o"
    # Later writes leave the backup alone.
    store.apply(SetAgentModels("c", ("mini",)))
    assert backup.read_bytes() == original
    assert sorted(p.name for p in tmp_path.glob("config.json.v0*")) == ["config.json.v0.bak"]


def test_a_second_old_file_gets_its_own_backup(tmp_path: Path) -> None:
    path = _v0_file(tmp_path)
    (tmp_path / "config.json.v0.bak").write_text("an older backup")
    ConfigStore(path).save(ConfigStore(path).load())
    assert (tmp_path / "config.json.v0.bak").read_text() == "an older backup"
    assert json.loads((tmp_path / "config.json.v0.bak.1").read_text()) == V0


def test_explicit_version_zero_and_bad_old_files(tmp_path: Path) -> None:
    path = write_json(tmp_path / "config.json", {**V0, "schema_version": 0})
    assert ConfigStore(path).load().agent("b").model == ["mini"]
    write_json(path, {"settings": {"default_model": "a", "default_agent_model": "b"}})
    with pytest.raises(ConfigError, match="cannot upgrade from version 0"):
        ConfigStore(path).load()


def test_an_unreadable_backup_in_the_way_is_a_store_error_and_nothing_is_written(tmp_path: Path) -> None:
    path = _v0_file(tmp_path)
    original = path.read_bytes()
    (tmp_path / "config.json.v0.bak").mkdir()  # a folder where the backup would go
    with pytest.raises(StoreError, match="backup"):
        ConfigStore(path).apply(SetAgentModels("c", ("gpt-4o",)))
    assert path.read_bytes() == original
