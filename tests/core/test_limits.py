"""Huge input in the config file (a 5,000-digit number, 200,000 nested arrays, a file over
the size limit) gives an error naming the limit, never a traceback; a broken copy is kept
where the file could be read."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from modeldesk.core import limits
from modeldesk.core.errors import ConfigError
from modeldesk.core.schema import Config
from modeldesk.core.store import ConfigStore
from tests.core.helpers import REPO, WORLD, write_json

HUGE_NUMBER = '{"schema_version": 1, "agents": [{"id": "a", "name": "A", "x": ' + "9" * 5000 + "}]}"
DEEP = '{"schema_version": 1,\n "agents": ' + "[" * 200_000 + "]" * 200_000 + "}"


def store(tmp_path: Path, text: str) -> ConfigStore:
    path = tmp_path / "config.json"
    path.write_text(text)
    return ConfigStore(path, policy_path=tmp_path / "none.json")


def broken_copies(tmp_path: Path) -> list[Path]:
    return sorted(tmp_path.glob("config.json.broken-*"))


def test_a_number_of_5000_digits_names_the_limit_and_keeps_a_copy(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        store(tmp_path, HUGE_NUMBER).load()
    message = caught.value.message
    assert "a number of 5,000 digits" in message and f"limited to {limits.MAX_INT_DIGITS:,} digits" in message
    assert "line 1, column 64" in message
    assert [p.read_text() for p in broken_copies(tmp_path)] == [HUGE_NUMBER]


def test_200000_nested_arrays_name_the_limit_and_keep_a_copy(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        store(tmp_path, DEEP).load()
    message = caught.value.message
    assert f"nested more than {limits.MAX_NESTING} levels deep, the limit" in message
    assert "line 2, column" in message
    assert len(broken_copies(tmp_path)) == 1


@pytest.mark.parametrize("depth", [500, 990])
def test_nesting_the_parser_accepts_but_later_steps_cannot_follow_names_the_limit(tmp_path: Path, depth: int) -> None:
    # No schema_version: the file is upgraded, which copies the data (recursively).
    text = '{"agents": ' + "[" * depth + "]" * depth + "}"
    with pytest.raises(ConfigError) as caught:
        store(tmp_path, text).load()
    assert f"line 1, column {11 + limits.MAX_NESTING}: nested more than {limits.MAX_NESTING} levels" in (
        caught.value.message
    )
    assert len(broken_copies(tmp_path)) == 1


def test_nesting_within_the_limit_is_an_ordinary_schema_problem(tmp_path: Path) -> None:
    text = '{"agents": [{"id": "a", "name": ' + "[" * 40 + "]" * 40 + "}]}"
    with pytest.raises(ConfigError) as caught:
        store(tmp_path, text).load()
    assert "agents[0].name" in caught.value.message


@pytest.mark.parametrize("depth", [62, 100, 200])
def test_nesting_past_the_documented_limit_names_the_limit_not_the_schema(tmp_path: Path, depth: int) -> None:
    # Three levels ({, [, {) come before the name's own arrays.
    text = '{"agents": [{"id": "a", "name": ' + "[" * depth + "]" * depth + "}]}"
    with pytest.raises(ConfigError) as caught:
        store(tmp_path, text).load()
    assert f"nested more than {limits.MAX_NESTING} levels deep, the limit" in caught.value.message
    assert "agents[0].name" not in caught.value.message


def test_the_depth_check_ignores_brackets_inside_strings() -> None:
    text = json.dumps({"a": "[" * 100 + "\\", "b": '\\"' + "{" * 100, "c": ["]]"]})
    assert text.count("[") > 100  # brackets, backslashes and escaped quotes inside strings
    assert not limits.deeper_than(text, 2)
    assert limits.deeper_than("[" * 3 + "]" * 3, 2)


def test_a_file_over_the_size_limit_is_not_read_and_not_copied(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "MAX_CONFIG_BYTES", 4096)
    data = dict(WORLD, agents=[{"id": f"a{i}", "name": f"Agent {i}"} for i in range(200)])
    path = write_json(tmp_path / "config.json", data)
    assert path.stat().st_size > 4096
    config_store = ConfigStore(path, policy_path=tmp_path / "none.json")
    with pytest.raises(ConfigError) as caught:
        config_store.load()
    assert "over the limit of 0.0 MiB for a config; it is left untouched" in caught.value.message
    assert broken_copies(tmp_path) == []
    before = path.read_bytes()
    with pytest.raises(ConfigError):
        config_store.save(Config())
    assert path.read_bytes() == before


def run_cli(path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO / "desktop"), str(REPO)])}
    return subprocess.run(
        [sys.executable, "-m", "modeldesk", "--config", str(path), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


@pytest.mark.parametrize(("text", "expected"), [(HUGE_NUMBER, "5,000 digits"), (DEEP, "levels deep")])
def test_the_cli_reports_the_limit_without_a_traceback(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "config.json"
    path.write_text(text)
    for args in (["config", "validate"], ["resolve", "--agent", "a"], ["agents", "set-model", "a", "m"]):
        done = run_cli(path, *args)
        assert done.returncode == 1, (args, done.stderr[-1500:])
        assert expected in done.stderr + done.stdout, args
        assert "Traceback" not in done.stderr, args
    assert path.read_text() == text


def test_the_cli_refuses_a_200_mb_config_at_once(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    with open(path, "wb") as handle:  # sparse: 200 MB on paper, nothing on disk
        handle.truncate(200 * 1024 * 1024)
    done = run_cli(path, "config", "validate")
    assert done.returncode == 1 and "over the limit of 32.0 MiB" in done.stdout + done.stderr, done.stderr[-1500:]
    assert "Traceback" not in done.stderr
    assert broken_copies(tmp_path) == []
