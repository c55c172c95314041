"""The read-only fast path (core/fast_read.py): a config that validated before is read
plainly, and resolves exactly as the validated one does; a note that is missing, stale,
damaged or forged is never believed."""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

import modeldesk
from bench.workspace import messy_10k, workspace_10k
from modeldesk.core import fast_read
from modeldesk.core.errors import ConfigError, ModelDeskError
from modeldesk.core.redaction import redact
from modeldesk.core.resolver import Resolver
from modeldesk.core.samples import sample_config
from modeldesk.core.schema import Config, Policy
from modeldesk.core.store import ConfigStore, config_text
from tests.core.helpers import POLICY, WORLD, configs, policy_file, set_agent, world, write_json

CHAT_CASES: list[dict[str, Any]] = [
    {},
    {"call": ["ghost", "mini"]},
    {"delegated": True, "parent": "haiku"},
    {"request": ["retired", "default", ""]},
    {"project": "support"},
    {"project": "gone"},
    {"strict": True},
]
TASKS = ["title", "summary", "other"]


def _outcome(resolver: Resolver, agent_id: str, task: str | None, case: dict[str, Any]) -> Any:
    try:
        if task is None:
            return resolver.chat(agent_id, **case).to_json()
        return resolver.task(agent_id, task, **case).to_json()
    except ModelDeskError as exc:
        trace = [step.to_json() for step in getattr(exc, "trace", [])]
        return type(exc).__name__, exc.message, trace, list(getattr(exc, "warnings", []))


def _assert_same_resolutions(full: Resolver, fast: Resolver, agent_ids: list[str], cases: list[dict[str, Any]]) -> int:
    compared = 0
    for agent_id in agent_ids:
        for case in cases:
            for task in (None, *TASKS):
                got = _outcome(fast, agent_id, task, case)
                assert got == _outcome(full, agent_id, task, case), (agent_id, case, task)
            compared += 1
    assert _outcome(fast, "nobody", None, {}) == _outcome(full, "nobody", None, {})
    return compared


def _both(path: Path, policy_path: Path) -> tuple[Resolver, Resolver]:
    """The resolver over the file validated in full (which writes the note), and the one
    over the file read plainly because of the note."""
    config, policy = ConfigStore(path, policy_path).load_for_reading()
    fast = fast_read.fast_resolver(path, policy_path)
    assert fast is not None, "the note was not written or not believed"
    return Resolver(config, policy), fast


def _write(path: Path, config: Config | Policy) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(config_text(config), encoding="utf-8")
    return path


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(configs())
def test_any_valid_config_resolves_the_same_read_plainly(drawn: tuple[Config, Policy | None]) -> None:
    config, policy = drawn
    with tempfile.TemporaryDirectory() as folder:
        path = _write(Path(folder) / "config.json", config)
        policy_path = Path(folder) / "policy.json"
        if policy is not None:
            _write(policy_path, policy)
        full, fast = _both(path, policy_path)
        _assert_same_resolutions(full, fast, [a.id for a in config.agents], CHAT_CASES)


def test_the_test_world_and_its_policy_resolve_the_same(tmp_path: Path) -> None:
    path = write_json(tmp_path / "config.json", WORLD)
    write_json(policy_file(), POLICY)
    full, fast = _both(path, policy_file())
    assert _assert_same_resolutions(full, fast, [a["id"] for a in WORLD["agents"]], CHAT_CASES) == 35


def test_the_sample_workspace_resolves_the_same(tmp_path: Path) -> None:
    config = sample_config()
    full, fast = _both(_write(tmp_path / "config.json", config), policy_file())
    _assert_same_resolutions(full, fast, [a.id for a in config.agents], CHAT_CASES)


@pytest.mark.parametrize("messy", [False, True], ids=["as-generated", "messy"])
def test_the_10k_workspace_resolves_the_same(tmp_path: Path, messy: bool) -> None:
    data = messy_10k(workspace_10k()) if messy else workspace_10k()
    full, fast = _both(write_json(tmp_path / "config.json", data), policy_file())
    ids = [a["id"] for a in data["agents"]]
    _assert_same_resolutions(full, fast, ids, [{}])  # every agent, plain runs and tasks
    _assert_same_resolutions(full, fast, ids[:200], CHAT_CASES)


def test_the_note_is_private_and_holds_no_config_data(tmp_path: Path) -> None:
    path = write_json(tmp_path / "config.json", WORLD)
    _both(path, policy_file())
    note = fast_read.note_path(path)
    assert note.stat().st_mode & 0o777 == 0o600
    assert note.parent.stat().st_mode & 0o777 == 0o700
    text = note.read_text()
    for item in ("own", "gpt-4o", "support", "OPENAI_API_KEY", "anthropic"):
        assert f'"{item}"' not in text and item not in text.replace(str(tmp_path), ""), item
    assert json.loads(text)["config"][2] == __import__("hashlib").sha256(path.read_bytes()).hexdigest()


def test_a_file_validation_had_to_coerce_gets_no_note(tmp_path: Path) -> None:
    data = world()
    data["models"][0]["enabled"] = "false"  # validated as False; read plainly it would be a text
    path = write_json(tmp_path / "config.json", data)
    config, _ = ConfigStore(path, policy_file()).load_for_reading()
    assert config.models[0].enabled is False
    assert not fast_read.note_path(path).exists()
    assert fast_read.fast_resolver(path, policy_file()) is None


DIFFERENT: dict[str, dict[str, Any]] = {
    "an agent's models": set_agent(world(), "lone", model=["mini"]),
    "an agent's project": set_agent(world(), "lone", project="support"),
    "an agent's task models": set_agent(world(), "own", task_models={"title": "mini"}),
    "an agent more": world(agents=[*WORLD["agents"], {"id": "extra", "name": "Extra"}]),
    "a model switched off": world(models=[{**WORLD["models"][0], "enabled": False}, *WORLD["models"][1:]]),
    "a provider switched off": world(providers=[{**WORLD["providers"][0], "enabled": False}, *WORLD["providers"][1:]]),
    "a project's default": world(projects=[{**WORLD["projects"][0], "default_model": "haiku"}]),
    "the settings' default": world(settings__default_agent_model="haiku"),
    "a Redis URL": world(settings__fallback={"state": {"redis": "redis://127.0.0.1:6379/1"}}),
}


@pytest.mark.parametrize("other", DIFFERENT.values(), ids=DIFFERENT.keys())
def test_the_note_check_tells_a_config_from_another(other: dict[str, Any]) -> None:
    raw = json.dumps(WORLD).encode()
    assert fast_read._reads_as_validated(raw, Config.model_validate(WORLD))
    assert not fast_read._reads_as_validated(raw, Config.model_validate(other))


def test_an_older_version_gets_no_note(tmp_path: Path) -> None:
    path = write_json(tmp_path / "config.json", {"agents": [{"id": "a", "name": "A"}]})  # no schema_version: 0
    ConfigStore(path, policy_file()).load_for_reading()
    assert fast_read.fast_resolver(path, policy_file()) is None


def test_an_edit_keeping_size_time_and_inode_is_seen(tmp_path: Path) -> None:
    path = write_json(tmp_path / "config.json", set_agent(world(), "lone", model="mini"))
    _both(path, policy_file())
    before = path.stat()
    raw = path.read_bytes()
    edited = raw.replace(b'"model": "mini"', b'"model": "haik"')  # the same length
    assert edited != raw and len(edited) == len(raw)
    with open(path, "r+b") as handle:  # in place: the same inode
        handle.write(edited)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = path.stat()
    assert (after.st_ino, after.st_size, after.st_mtime_ns) == (before.st_ino, before.st_size, before.st_mtime_ns)
    assert fast_read.fast_resolver(path, policy_file()) is None
    full, fast = _both(path, policy_file())  # validated again, noted again
    assert fast.chat("lone").models == full.chat("lone").models == ["claude", "gpt-4o"]  # "haik" is unknown


def test_a_policy_that_appears_changes_or_goes_makes_the_note_stale(tmp_path: Path) -> None:
    path = write_json(tmp_path / "config.json", WORLD)
    _both(path, policy_file())
    write_json(policy_file(), POLICY)
    assert fast_read.fast_resolver(path, policy_file()) is None
    _both(path, policy_file())
    write_json(policy_file(), POLICY | {"default_agent_model": "corp-model "})
    assert fast_read.fast_resolver(path, policy_file()) is None
    _both(path, policy_file())
    policy_file().unlink()
    assert fast_read.fast_resolver(path, policy_file()) is None
    assert fast_read.fast_resolver(path, tmp_path / "another-policy.json") is None


def test_another_version_of_modeldesk_does_not_believe_the_note(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_json(tmp_path / "config.json", WORLD)
    _both(path, policy_file())
    monkeypatch.setattr(modeldesk, "__version__", "99.0")
    assert fast_read.fast_resolver(path, policy_file()) is None


def _noted_world(tmp_path: Path) -> tuple[Path, Path, dict[str, Any]]:
    """The test world's file, validated in full: its path, its note's and the note."""
    path = write_json(tmp_path / "config.json", WORLD)
    _both(path, policy_file())
    note = fast_read.note_path(path)
    return path, note, json.loads(note.read_text())


def test_a_changed_validating_module_makes_the_note_stale(tmp_path: Path) -> None:
    path, note, data = _noted_world(tmp_path)
    schema_fact = next(fact for fact in data["code"] if str(fact[0]).endswith("schema.py"))
    schema_fact[2] += 1  # as if schema.py had been edited since
    note.write_text(json.dumps(data))
    assert fast_read.fast_resolver(path, policy_file()) is None


def test_a_note_from_another_checkout_or_environment_is_not_believed(tmp_path: Path) -> None:
    path, note, written = _noted_world(tmp_path)
    for place in (1, 2):  # the package folder, the Python environment
        data = json.loads(json.dumps(written))
        data["code"][0][place] = str(tmp_path / "elsewhere")
        note.write_text(json.dumps(data))
        assert fast_read.fast_resolver(path, policy_file()) is None
    data = json.loads(json.dumps(written))
    data["code"] = data["code"][:1]  # a note naming no validating module
    note.write_text(json.dumps(data))
    assert fast_read.fast_resolver(path, policy_file()) is None
    note.write_text(json.dumps(written))
    assert fast_read.fast_resolver(path, policy_file()) is not None


def test_a_note_for_another_file_is_not_believed(tmp_path: Path) -> None:
    first = write_json(tmp_path / "a.json", WORLD)
    second = write_json(tmp_path / "b.json", WORLD)  # the same bytes
    _both(first, policy_file())
    fast_read.note_path(second).parent.mkdir(parents=True, exist_ok=True)
    fast_read.note_path(second).write_bytes(fast_read.note_path(first).read_bytes())
    assert fast_read.fast_resolver(second, policy_file()) is None


DAMAGED: dict[str, bytes] = {
    "empty": b"",
    "garbage": b"\x00\xff not json",
    "truncated": b'{"format": 1, "code": [["0.1.0", null',
    "a list": b"[1, 2, 3]",
    "another format": b'{"format": 2}',
    "code of another shape": b'{"format": 1, "code": {"a": 1}, "config": [], "policy": []}',
    "over the size limit": b'{"format": 1, "pad": "' + b"x" * (fast_read.NOTE_LIMIT + 10) + b'"}',
    "deep": b"[" * 100_000 + b"]" * 100_000,
}


@pytest.mark.parametrize("content", DAMAGED.values(), ids=DAMAGED.keys())
def test_a_damaged_note_is_passed_over_and_replaced(tmp_path: Path, content: bytes) -> None:
    path = write_json(tmp_path / "config.json", WORLD)
    _both(path, policy_file())
    note = fast_read.note_path(path)
    note.write_bytes(content)
    assert fast_read.fast_resolver(path, policy_file()) is None
    _both(path, policy_file())  # the full read writes a good note again
    assert fast_read.fast_resolver(path, policy_file()) is not None


def test_a_note_that_is_not_a_file_is_passed_over(tmp_path: Path) -> None:
    path = write_json(tmp_path / "config.json", WORLD)
    note = fast_read.note_path(path)
    note.parent.mkdir(parents=True)
    os.mkfifo(note)  # reading a FIFO would wait for a writer forever
    assert fast_read.fast_resolver(path, policy_file()) is None
    note.unlink()
    note.mkdir()
    assert fast_read.fast_resolver(path, policy_file()) is None
    ConfigStore(path, policy_file()).load_for_reading()  # cannot write over a folder: no error


def _forge(path: Path, good: Path) -> None:
    """A note vouching for ``path``'s bytes, made from a real note about ``good``."""
    import hashlib

    data = json.loads(fast_read.note_path(good).read_text())
    raw = path.read_bytes()
    data["config"] = [os.path.realpath(path), len(raw), hashlib.sha256(raw).hexdigest()]
    fast_read.note_path(path).write_text(json.dumps(data))


def test_a_forged_note_for_a_file_that_never_validated_is_not_believed(tmp_path: Path) -> None:
    good = write_json(tmp_path / "good.json", WORLD)
    _both(good, policy_file())
    bad = tmp_path / "bad.json"
    for broken in (
        world(models=[{"id": "gpt-4o", "provider": "openai", "name": "x", "enabled": "no"}]),
        world(settings={"default_agent_model": {"a": 1}}),
        world(projects=[{"id": ["x"], "name": "P"}]),
        world(agents=[{"name": "no id"}]),
        [1, 2],
    ):
        write_json(bad, broken)
        _forge(bad, good)
        assert fast_read.fast_resolver(bad, policy_file()) is None, broken


def test_a_forged_note_for_a_bad_agent_gives_an_error_not_a_crash(tmp_path: Path) -> None:
    good = write_json(tmp_path / "good.json", WORLD)
    _both(good, policy_file())
    bad = write_json(tmp_path / "bad.json", set_agent(world(), "own", model=5))
    _forge(bad, good)
    resolver = fast_read.fast_resolver(bad, policy_file())
    assert resolver is not None  # agents are read when looked up: this one refuses then
    assert resolver.chat("lone").source == "settings"
    with pytest.raises(ConfigError, match=r"agents\[0\] does not read as a validated config"):
        resolver.chat("own")


def test_a_redis_password_is_redacted_after_a_plain_read(tmp_path: Path) -> None:
    password = "n0t-in-any-output-7731"
    data = world(settings__fallback={"state": {"redis": f"redis://:{password}@127.0.0.1:6379/0"}})
    path = write_json(tmp_path / "config.json", data)
    ConfigStore(path, policy_file()).load_for_reading()
    from modeldesk.core.redaction import forget_all

    forget_all()  # as a new process would start
    assert password in redact(password)
    assert fast_read.fast_resolver(path, policy_file()) is not None
    assert password not in redact(f"x {password} y")


# --- tidying the notes' folder --------------------------------------------------------

MONTH_AND_A_DAY_AGO = time.time() - fast_read.NOTE_MAX_AGE_S - 24 * 3600


def _note_for(tmp_path: Path, name: str) -> tuple[Path, Path]:
    """A config file validated in full (so noted): its path and its note's."""
    path = write_json(tmp_path / name, WORLD)
    ConfigStore(path, policy_file()).load_for_reading()
    return path, fast_read.note_path(path)


def test_writing_a_note_removes_old_files_and_notes_of_files_gone(tmp_path: Path) -> None:
    _kept_config, kept = _note_for(tmp_path, "kept.json")
    gone_config, gone = _note_for(tmp_path, "gone.json")
    _old_config, old = _note_for(tmp_path, "old.json")
    gone_config.unlink()  # its note is of no use to anyone now
    os.utime(old, (MONTH_AND_A_DAY_AGO, MONTH_AND_A_DAY_AGO))
    folder = kept.parent
    crashed = folder / ".0123.json.abcd.tmp"  # a temporary file a crash left a month ago
    crashed.write_bytes(b"{")
    os.utime(crashed, (MONTH_AND_A_DAY_AGO, MONTH_AND_A_DAY_AGO))
    writing = folder / ".4567.json.efgh.tmp"  # another process writing a note now
    writing.write_bytes(b"{")
    damaged = folder / ("f" * 32 + ".json")  # unreadable, but young: only its age removes it
    damaged.write_bytes(b"\x00not json")
    (folder / "not-a-file").mkdir()
    assert gone.exists() and old.exists()
    assert len(os.listdir(folder)) <= fast_read.PRUNE_LOOK_AT  # every one is looked at

    path, note = _note_for(tmp_path, "config.json")

    assert sorted(os.listdir(folder)) == sorted([kept.name, note.name, writing.name, damaged.name, "not-a-file"])
    assert fast_read.fast_resolver(path, policy_file()) is not None  # the note just written stays


def test_a_note_written_looks_at_a_bounded_number_of_files(tmp_path: Path) -> None:
    """A folder of many stale notes empties a few at a time: each write removes at most
    PRUNE_LOOK_AT of them (and at least one fewer: its own note may be among those it
    looks at)."""
    path, note = _note_for(tmp_path, "config.json")
    gone = tmp_path / "gone.json"
    stale = 3 * fast_read.PRUNE_LOOK_AT + 5
    for number in range(stale):
        data = json.loads(note.read_text())
        data["config"][0] = str(gone)
        (note.parent / f"{number:032x}.json").write_text(json.dumps(data))
    left = [stale]
    while left[-1]:
        ConfigStore(path, policy_file()).load_for_reading()  # validates in full: a note is written
        left.append(len(os.listdir(note.parent)) - 1)
        removed = left[-2] - left[-1]
        assert min(fast_read.PRUNE_LOOK_AT - 1, left[-2]) <= removed <= fast_read.PRUNE_LOOK_AT, left
    assert os.listdir(note.parent) == [note.name]
