"""ConfigStore in one process: formats, errors, backups, versions, locking, privacy."""

from __future__ import annotations

import json
import os
import stat
import threading
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from modeldesk.core.edits import AddItem, PutItem, SetAgentModels, SetSetting, UpdateItem
from modeldesk.core.errors import ConfigError, ConfigTooNewError, EditError, StoreError
from modeldesk.core.paths import config_path, policy_path
from modeldesk.core.safe_files import file_lock
from modeldesk.core.schema import Agent, Config, Squad
from modeldesk.core.store import ConfigStore, config_text
from modeldesk.core.validation_text import error_place
from tests.core.helpers import POLICY, WORLD, config, configs, world, write_json


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "cfg" / "config.json"


@pytest.fixture
def store(path: Path, tmp_path: Path) -> ConfigStore:
    return ConfigStore(path, tmp_path / "policy.json")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_missing_file_is_an_empty_config_and_nothing_is_written(store: ConfigStore, path: Path) -> None:
    assert store.load() == Config()
    assert not store.exists() and store.fingerprint() is None
    assert not path.parent.exists()
    assert store.load_policy() is None


def test_save_writes_stable_readable_json(store: ConfigStore, path: Path) -> None:
    store.save(config())
    text = path.read_text(encoding="utf-8")
    assert text == json.dumps(json.loads(text), indent=2, ensure_ascii=False) + "\n"
    assert next(iter(json.loads(text))) == "schema_version"
    assert json.loads(text) == WORLD  # only what was written comes back, in the same order
    assert text == config_text(store.load())


def test_a_huge_hand_written_number_is_saved_as_written(store: ConfigStore, path: Path) -> None:
    # Beyond 64 bits the fast JSON writer refuses; the text must still be written, the same.
    data = {
        "schema_version": 1,
        "providers": [{"id": "p", "kind": "openai", "base_url": "http://127.0.0.1:9/v1"}],
        "models": [{"id": "m", "provider": "p", "name": "m", "context_window": 2**70}],
    }
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(data))
    store.apply(SetSetting(("default_agent_model",), "m"))
    text = path.read_text(encoding="utf-8")
    assert json.loads(text)["models"][0]["context_window"] == 2**70
    assert text == json.dumps(json.loads(text), indent=2, ensure_ascii=False) + "\n"


def test_hand_written_forms_survive_a_save(store: ConfigStore, path: Path) -> None:
    data = world()
    data["providers"][0]["enabled"] = True  # equal to the default, but written by a person
    data["agents"][3]["model"] = "claude"  # a string stays a string
    write_json(path, data)
    store.apply(SetSetting(("fallback", "retries"), 3))
    saved = json.loads(path.read_text())
    assert saved["providers"][0]["enabled"] is True
    assert saved["agents"][3]["model"] == "claude"
    assert saved["settings"]["fallback"] == {"retries": 3}


def test_non_ascii_is_kept_readable(store: ConfigStore, path: Path) -> None:
    store.apply(AddItem("agents", Agent(id="zoe", name="Zoë — analyste")))
    assert "Zoë — analyste" in path.read_text(encoding="utf-8")


def test_file_is_private_and_stays_private(store: ConfigStore, path: Path) -> None:
    store.save(config())
    assert mode(path) == 0o600
    path.chmod(0o644)
    store.apply(SetAgentModels("own", ("claude",)))
    assert mode(path) == 0o600
    assert mode(store.lock_path) == 0o600


def test_apply_rereads_the_file(store: ConfigStore, path: Path) -> None:
    store.save(config())
    stale = store.load()
    # Someone else changes the file after we read it.
    other = ConfigStore(path)
    other.apply(SetAgentModels("bare", ("haiku",)))
    result = store.apply(SetAgentModels("own", ("claude",)))
    assert result.agent("bare").model == "haiku"  # not lost
    assert result.agent("own").model == ["claude"]
    assert stale.agent("bare").model is None
    assert store.load() == result


def test_a_failing_edit_writes_nothing(store: ConfigStore, path: Path) -> None:
    store.save(config())
    before = path.read_bytes()
    with pytest.raises(EditError):
        store.apply(SetAgentModels("own", ("claude",)), SetAgentModels("ghost", ("claude",)))
    with pytest.raises(EditError):
        store.apply(AddItem("agents", Agent(id="own", name="again")))
    assert path.read_bytes() == before


def test_edits_that_break_the_schema_are_refused(store: ConfigStore, path: Path) -> None:
    store.save(config())
    before = path.read_bytes()
    with pytest.raises(EditError) as caught:
        store.apply(UpdateItem("squads", "team", {"name": ""}))
    assert "name" in str(caught.value)
    assert path.read_bytes() == before


def test_fingerprint_changes_with_the_file(store: ConfigStore) -> None:
    store.save(config())
    first = store.fingerprint()
    assert first is not None and len(first) == 3
    store.apply(SetAgentModels("own", ("claude",)))
    assert store.fingerprint() != first
    cfg, fingerprint = store.load_snapshot()
    assert fingerprint == store.fingerprint() and cfg.agent("own").model == ["claude"]


# --- broken files --------------------------------------------------------------------


def test_bad_json_names_line_and_column_and_is_kept(store: ConfigStore, path: Path) -> None:
    path.parent.mkdir()
    path.write_text('{\n  "agents": [\n    {"id": "a", "name": "A",}\n  ]\n}\n')
    with pytest.raises(ConfigError) as caught:
        store.load()
    assert "line 3, column 29" in caught.value.message
    assert str(path) in caught.value.message
    backups = sorted(path.parent.glob("config.json.broken-*"))
    assert len(backups) == 1 and backups[0].read_bytes() == path.read_bytes()
    assert mode(backups[0]) == 0o600
    # Once per distinct content.
    with pytest.raises(ConfigError):
        store.load()
    assert len(list(path.parent.glob("config.json.broken-*"))) == 1


def test_broken_file_is_never_overwritten(store: ConfigStore, path: Path) -> None:
    path.parent.mkdir()
    path.write_text("{ not json")
    before = path.read_bytes()
    with pytest.raises(ConfigError):
        store.save(config())
    with pytest.raises(ConfigError):
        store.apply(SetSetting(("default_agent_model",), "gpt-4o"))
    assert path.read_bytes() == before
    path.write_text('{"agents": "nope"}')
    with pytest.raises(ConfigError):
        store.apply(SetSetting(("default_agent_model",), "gpt-4o"))
    assert path.read_text() == '{"agents": "nope"}'
    assert len(list(path.parent.glob("config.json.broken-*"))) == 2


def test_schema_errors_list_every_place(store: ConfigStore, path: Path) -> None:
    data = world()
    data["agents"][3]["model"] = 5
    data["agents"][1]["colour"] = "red"
    del data["agents"][2]["name"]
    data["settings"]["fallback"] = {"retries": -1}
    data["providers"][0]["api_key"] = {"env": "A", "keyring": "b"}
    path.parent.mkdir()
    write_json(path, data)
    with pytest.raises(ConfigError) as caught:
        store.load()
    problems = caught.value.problems
    assert "settings.fallback.retries: must be 0 or more" in problems
    assert "agents[3].model: expected a model id (text) or a list of model ids" in problems
    assert "agents[1].colour: unknown field (check the spelling)" in problems
    assert "agents[2].name: required, but not given" in problems
    assert "providers[0].api_key: api_key needs exactly one of 'env' or 'keyring'" in problems
    assert all(p in caught.value.message for p in problems)


def test_duplicate_ids_are_reported(store: ConfigStore, path: Path) -> None:
    data = world()
    data["agents"].append(dict(data["agents"][0]))
    path.parent.mkdir()
    write_json(path, data)
    with pytest.raises(ConfigError) as caught:
        store.load()
    assert "agents[5].id 'own' repeats agents[0].id" in caught.value.message


@pytest.mark.parametrize("text", ["[]", '"x"', "", " \n", "\ufeff{}", "\xff{}"])
def test_odd_files(store: ConfigStore, path: Path, text: str) -> None:
    path.parent.mkdir()
    path.write_bytes(text.encode("latin-1") if text.startswith("\xff") else text.encode("utf-8"))
    # A byte-order mark from a Windows editor is fine; so is an empty file (nothing to lose).
    if text in ("\ufeff{}", "", " \n"):
        assert store.load() == Config()
        store.apply(SetSetting(("default_agent_model",), "gpt-4o"))
        assert json.loads(path.read_text())["settings"] == {"default_agent_model": "gpt-4o"}
        return
    with pytest.raises(ConfigError):
        store.load()


def test_a_file_holding_a_key_value_is_not_copied(store: ConfigStore, path: Path) -> None:
    data = world()
    data["providers"][0]["api_key"] = "sk-secret-value"
    path.parent.mkdir()
    write_json(path, data)
    with pytest.raises(ConfigError) as caught:
        store.load()
    assert "providers[0].api_key" in caught.value.message
    assert "sk-secret-value" not in caught.value.message
    assert not list(path.parent.glob("config.json.broken-*"))


def test_saved_files_hold_key_references_only(store: ConfigStore, path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-live-123")
    store.save(config())
    text = path.read_text()
    assert '"env": "OPENAI_API_KEY"' in text and "sk-live-123" not in text


# --- versions --------------------------------------------------------------------------


@pytest.mark.parametrize("version", [2, 99])
def test_newer_version_is_refused_and_untouched(store: ConfigStore, path: Path, version: int) -> None:
    path.parent.mkdir()
    path.write_text(json.dumps({"schema_version": version, "future": {"x": 1}}))
    before, stamp = path.read_bytes(), path.stat().st_mtime_ns
    for action in (store.load, lambda: store.save(Config()), lambda: store.apply(SetAgentModels("a", ("b",)))):
        with pytest.raises(ConfigTooNewError) as caught:
            action()
        assert f"schema_version {version}" in caught.value.message and caught.value.code == "config_too_new"
    assert path.read_bytes() == before and path.stat().st_mtime_ns == stamp
    assert sorted(p.name for p in path.parent.iterdir()) == ["config.json", "config.json.lock"]


@pytest.mark.parametrize("version", ["1", 1.5, -1, True])
def test_bad_version_values(store: ConfigStore, path: Path, version: object) -> None:
    path.parent.mkdir()
    path.write_text(json.dumps({"schema_version": version}))
    with pytest.raises(ConfigError) as caught:
        store.load()
    assert "schema_version" in caught.value.message


# --- locking ---------------------------------------------------------------------------


def test_apply_waits_for_the_lock(store: ConfigStore) -> None:
    store.save(config())
    done = threading.Event()

    def edit() -> None:
        store.apply(SetAgentModels("own", ("haiku",)))
        done.set()

    with file_lock(store.lock_path):
        worker = threading.Thread(target=edit)
        worker.start()
        assert not done.wait(0.3)
    worker.join(10)
    assert done.is_set() and store.load().agent("own").model == ["haiku"]


def test_lock_timeout_is_a_store_error(store: ConfigStore) -> None:
    with file_lock(store.lock_path), pytest.raises(StoreError), file_lock(store.lock_path, timeout_s=0.1):
        pass


def test_threads_lose_no_update(store: ConfigStore) -> None:
    store.save(Config())

    def add(prefix: str) -> None:
        for i in range(15):
            store.apply(AddItem("agents", Agent(id=f"{prefix}{i}", name=prefix)))

    threads = [threading.Thread(target=add, args=(p,)) for p in "abcd"]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(store.load().agents) == 60


def test_stale_temp_files_are_cleaned_on_the_next_write(store: ConfigStore, path: Path) -> None:
    store.save(config())
    litter = path.parent / ".config.json.abcd1234.tmp"
    litter.write_text("{half")
    other = path.parent / ".other.json.abcd1234.tmp"
    other.write_text("x")
    store.apply(SetAgentModels("own", ("haiku",)))
    assert not litter.exists() and other.exists()


def test_unusable_paths_are_store_errors(tmp_path: Path) -> None:
    folder_as_file = tmp_path / "not-a-folder"
    folder_as_file.write_text("")
    store = ConfigStore(folder_as_file / "config.json")
    with pytest.raises(StoreError):
        store.apply(SetSetting(("default_agent_model",), "x"))
    (tmp_path / "dir.json").mkdir()
    with pytest.raises(StoreError):
        ConfigStore(tmp_path / "dir.json").load()


# --- policy ----------------------------------------------------------------------------


def test_policy_file(store: ConfigStore) -> None:
    write_json(store.policy_path, POLICY)
    policy = store.load_policy()
    assert policy is not None and policy.default_agent_model == "corp-model"
    store.policy_path.write_text('{"models": [}')
    with pytest.raises(ConfigError) as caught:
        store.load_policy()
    assert "organization policy" in caught.value.message and str(store.policy_path) in caught.value.message
    assert "line 1, column 13" in caught.value.message
    write_json(store.policy_path, {"schema_version": 3})
    with pytest.raises(ConfigTooNewError):
        store.load_policy()
    write_json(store.policy_path, {"agents": []})
    with pytest.raises(ConfigError, match="agents: unknown field"):
        store.load_policy()


# --- paths and places ---------------------------------------------------------------


def test_paths(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert config_path(str(tmp_path / "x.json")) == tmp_path / "x.json"
    monkeypatch.setenv("MODELDESK_CONFIG", str(tmp_path / "env.json"))
    assert config_path() == tmp_path / "env.json"
    monkeypatch.delenv("MODELDESK_CONFIG")
    assert config_path() == Path(os.environ["XDG_CONFIG_HOME"]) / "modeldesk" / "config.json"
    monkeypatch.delenv("MODELDESK_POLICY")
    assert policy_path().name == "policy.json" and "modeldesk" in policy_path().parts
    monkeypatch.setenv("MODELDESK_POLICY", "~/p.json")
    assert policy_path() == Path(os.environ["HOME"]) / "p.json"
    assert ConfigStore(tmp_path / "c.json").policy_path == Path(os.environ["HOME"]) / "p.json"


def test_error_place_notation() -> None:
    data = {"settings": {"fallback": {"retries": "x"}}, "agents": [{}, {}, {}, {"model": 5}]}
    assert error_place(("settings", "fallback", "retries"), data) == "settings.fallback.retries"
    assert error_place(("agents", 3, "model", "str"), data) == "agents[3].model"
    assert error_place(("agents", 3, "model", "list[str]"), data) == "agents[3].model"
    assert error_place((), data) == "(top level)"
    assert error_place(("agents", 0, "name")) == "agents[0].name"


def test_squad_and_agent_edits_round_trip(store: ConfigStore) -> None:
    store.save(config())
    result = store.apply(
        AddItem("agents", Agent(id="new", name="New", model="haiku")),
        PutItem("squads", Squad(id="team", name="Team", agents=["own", "new"])),
    )
    assert result.squad("team").agents == ["own", "new"]
    assert store.load().agent("new").model == "haiku"


def test_a_linked_config_stays_linked(tmp_path: Path) -> None:
    real = write_json(tmp_path / "dotfiles" / "modeldesk.json", WORLD)
    link = tmp_path / "config.json"
    link.symlink_to(real)
    ConfigStore(link).apply(SetAgentModels("own", ("haiku",)))
    assert link.is_symlink()
    assert json.loads(real.read_text())["agents"][0]["model"] == ["haiku"]
    assert mode(real) == 0o600


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(configs())
def test_what_is_saved_reads_back_the_same(tmp_path: Path, world_and_policy: tuple[Config, object]) -> None:
    store = ConfigStore(tmp_path / "roundtrip.json")
    cfg, _ = world_and_policy
    store.save(cfg)
    loaded = store.load()
    assert loaded == cfg
    assert config_text(loaded) == (tmp_path / "roundtrip.json").read_text(encoding="utf-8")


def test_task_model_edits_are_worked_out_under_the_lock(store: ConfigStore) -> None:
    from modeldesk.core.edits import SetTaskModel

    store.save(config())
    other = ConfigStore(store.path)
    other.apply(SetTaskModel("settings", "summary", ("haiku",)))
    result = store.apply(SetTaskModel("settings", "title", ("claude",), chat="claude"))
    assert result.settings.task_models == {
        "title": {"gpt-4o": "haiku", "*": "mini", "claude": "claude"},
        "summary": {"*": "haiku"},
    }
    result = store.apply(SetTaskModel("projects", "summary", (), owner_id="support"))
    assert result.project("support").task_models == {"title": {"claude": "mini"}}
