"""`modeldesk agents set-fallback`: an agent's own fallback options, laid over Settings."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from modeldesk.core.schema import FallbackOverride, FallbackSettings
from modeldesk.core.setting_fields import SwitchField, number_fields, setting_fields
from modeldesk.core.store import ConfigStore
from modeldesk.runtime import RunResult, run_agent
from modeldesk.runtime.policy import effective_options
from tests.core.helpers import Cli, write_json


def agent(path: Path, agent_id: str) -> dict[str, Any]:
    return next(a for a in json.loads(path.read_text())["agents"] if a["id"] == agent_id)


def test_set_writes_an_override_and_says_where_the_value_comes_from(cli: Any, path: Path) -> None:
    code, out, err = cli("agents", "set-fallback", "own", "retries", "5")
    assert (code, err) == (0, "")
    assert out == "own: retries = 5 (the agent's own; Settings: 2).\n"
    cli.json("agents", "set-fallback", "own", "cooldown_s", "0")
    assert agent(path, "own")["fallback"] == {"retries": 5, "cooldown_s": 0}
    assert isinstance(agent(path, "own")["fallback"]["retries"], int)
    assert "fallback" not in agent(path, "bare")  # other agents untouched


def test_reset_removes_one_override_then_the_object(cli: Any, path: Path) -> None:
    cli.json("agents", "set-fallback", "own", "retries", "5")
    cli.json("agents", "set-fallback", "own", "jitter", "0.5")
    code, out, _ = cli("agents", "set-fallback", "own", "retries", "--reset")
    assert code == 0 and out == "own: retries = 2 (from Settings; no override).\n"
    assert agent(path, "own")["fallback"] == {"jitter": 0.5}
    cli.json("agents", "set-fallback", "own", "jitter", "--reset")
    assert "fallback" not in agent(path, "own")
    # Resetting an option that has no override is harmless.
    assert cli.json("agents", "set-fallback", "own", "jitter", "--reset")["source"] == "settings"
    assert "fallback" not in agent(path, "own")


def test_json_shape(cli: Any) -> None:
    data = cli.json("agents", "set-fallback", "own", "max_total_s", "120")
    assert set(data) == {"agent", "option", "value", "source", "settings_value"}
    assert (data["option"], data["value"], data["source"], data["settings_value"]) == ("max_total_s", 120, "agent", 300)
    assert data["agent"]["id"] == "own" and data["agent"]["fallback"] == {"max_total_s": 120}
    assert data["agent"]["models"] == ["gpt-4o", "claude"]
    reset = cli.json("agents", "set-fallback", "own", "max_total_s", "--reset")
    assert (reset["value"], reset["source"], reset["agent"]["fallback"]) == (300, "settings", {})


def test_settings_changes_still_reach_options_the_agent_does_not_override(cli: Any) -> None:
    cli.json("agents", "set-fallback", "own", "retries", "7")
    cli.json("settings", "set-fallback", "retries", "1")
    cli.json("settings", "set-fallback", "jitter", "0.3")
    assert cli.json("agents", "set-fallback", "own", "jitter", "--reset")["value"] == 0.3
    shown = cli.json("agents", "show", "own")
    assert shown["fallback"] == {"retries": 7}


def test_show_lists_the_overrides(cli: Any) -> None:
    code, out, _ = cli("agents", "show", "own")
    assert code == 0 and "Fallback overrides: none (follows Settings)" in out
    assert cli.json("agents", "show", "own")["fallback"] == {}
    cli.json("agents", "set-fallback", "own", "retries", "0")
    cli.json("agents", "set-fallback", "own", "idle_timeout_s", "12.5")
    code, out, _ = cli("agents", "show", "own")
    assert "Fallback overrides: retries = 0, idle_timeout_s = 12.5" in out


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
        (("retries", "21"), "invalid_edit", ["agent own", "fallback.retries", "must be 20 or less"]),
        (("jitter", "1.5"), "invalid_edit", ["fallback.jitter", "must be 1 or less"]),
        (("connect_timeout_s", "0"), "invalid_edit", ["fallback.connect_timeout_s", "must be more than 0"]),
        (("cooldown_s", "-1"), "invalid_edit", ["fallback.cooldown_s", "must be 0 or more"]),
        (("retries", "2.5"), "invalid_edit", ["fallback.retries", "expected a whole number"]),
        (("retries", "many"), "invalid_edit", ["retries", "'many' is not a number"]),
        (("retries",), "usage", ["--reset"]),
        (("retries", "3", "--reset"), "usage", ["--reset"]),
    ],
)
def test_refusals_write_nothing(cli: Any, path: Path, args: tuple[str, ...], code: str, words: list[str]) -> None:
    before = path.read_text()
    error = cli.json("agents", "set-fallback", "own", *args, expect=1)["error"]
    assert error["code"] == code
    for word in words:
        assert word in error["message"]
    assert path.read_text() == before
    status, _, err = cli("agents", "set-fallback", "own", *args)
    assert status == 1 and err.startswith("modeldesk: ")


def test_unknown_agent_and_unknown_option(cli: Any, path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = path.read_text()
    error = cli.json("agents", "set-fallback", "ghost", "retries", "1", expect=1)["error"]
    assert error["code"] == "unknown_agent" and "ghost" in error["message"]
    with pytest.raises(SystemExit) as caught:  # argparse: bad usage
        cli("agents", "set-fallback", "own", "retrys", "1")
    assert caught.value.code == 2 and "invalid choice: 'retrys'" in capsys.readouterr().err
    assert path.read_text() == before


# --- the runtime sees the override -----------------------------------------------------

DEAD = {
    "schema_version": 1,
    # The discard port on this machine: nothing listens, every attempt is refused at once.
    "providers": [{"id": "dead", "kind": "openai", "base_url": "http://127.0.0.1:9/v1"}],
    "models": [{"id": "X", "provider": "dead", "name": "x"}],
    "settings": {"fallback": {"retries": 2, "backoff_base_s": 0.01, "jitter": 0, "connect_timeout_s": 2}},
    "agents": [{"id": "a", "name": "A", "model": "X"}, {"id": "b", "name": "B", "model": "X"}],
}


def _run(path: Path, agent_id: str) -> tuple[RunResult, list[float]]:
    config = ConfigStore(path).load()
    sleeps: list[float] = []

    async def no_wait(delay: float) -> None:
        sleeps.append(delay)

    return asyncio.run(run_agent(config, agent_id, "Hello?", stream=False, sleep=no_wait)), sleeps


def test_the_runner_uses_the_agents_override(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = write_json(tmp_path / "config.json", DEAD)
    cli = Cli(capsys)
    cli.json("--config", str(path), "agents", "set-fallback", "a", "retries", "0")
    cli.json("--config", str(path), "agents", "set-fallback", "a", "backoff_base_s", "0.5")

    config = ConfigStore(path).load()
    options = effective_options(config.settings, config.agent("a"))
    assert (options.retries, options.backoff_base_s, options.connect_timeout_s) == (0, 0.5, 2)
    assert effective_options(config.settings, config.agent("b")).retries == 2

    result, sleeps = _run(path, "a")
    assert not result.ok and [x.error_class for x in result.attempts] == ["connection"]
    assert sleeps == []
    result, sleeps = _run(path, "b")  # no override: Settings' two retries
    assert [x.error_class for x in result.attempts] == ["connection"] * 3
    assert sleeps == [0.01, 0.02]

    cli.json("--config", str(path), "agents", "set-fallback", "a", "retries", "--reset")
    result, sleeps = _run(path, "a")
    assert [x.error_class for x in result.attempts] == ["connection"] * 3
    assert sleeps == [0.5, 1.0]  # the remaining override still applies


def test_help_lists_every_option_with_its_declared_range_and_help(cli: Any, capsys: pytest.CaptureFixture[str]) -> None:
    for command in (("agents", "set-fallback"), ("settings", "set-fallback")):
        with pytest.raises(SystemExit):
            cli(*command, "--help")
        text = capsys.readouterr().out
        for name, field in number_fields(FallbackSettings).items():
            line = next(line for line in text.splitlines() if line.strip().startswith(name + " "))
            assert field.title in line and field.range_text() in line and f"default {field.default:g}" in line


def test_switches_are_overridden_by_their_words(cli: Any, path: Path) -> None:
    code, out, _ = cli("agents", "set-fallback", "own", "on_stream_break", "continue")
    assert code == 0 and out == "own: on_stream_break = continue (the agent's own; Settings: withdraw).\n"
    code, out, _ = cli("agents", "set-fallback", "own", "enabled", "FALSE")
    assert code == 0 and out == "own: enabled = false (the agent's own; Settings: true).\n"
    assert agent(path, "own")["fallback"] == {"enabled": False, "on_stream_break": "continue"}
    before = path.read_text()
    error = cli.json("agents", "set-fallback", "own", "enabled", "maybe", expect=1)["error"]
    assert error["code"] == "invalid_edit" and "'maybe' is not one of: true, false" in error["message"]
    assert path.read_text() == before


def test_help_lists_the_switches_with_their_choices(cli: Any, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli("agents", "set-fallback", "--help")
    text = capsys.readouterr().out
    for name, field in setting_fields(FallbackSettings).items():
        if isinstance(field, SwitchField) and name in FallbackOverride.model_fields:
            line = next(line for line in text.splitlines() if line.strip().startswith(name + " "))
            assert " or ".join(field.choices) in line and f"default {field.default}" in line


def test_refusal_failover_and_cost_options_are_set_per_agent_and_in_the_schema(cli: Any, path: Path) -> None:
    for name, word, default in (
        ("on_refusal", "stop", "fallback"),
        ("failover", "at_once", "after_retries"),
        ("cost", "not_more", "any"),
    ):
        code, out, _ = cli("agents", "set-fallback", "own", name, word)
        assert code == 0 and out == f"own: {name} = {word} (the agent's own; Settings: {default}).\n"
    assert agent(path, "own")["fallback"] == {"on_refusal": "stop", "failover": "at_once", "cost": "not_more"}
    error = cli.json("agents", "set-fallback", "own", "cost", "cheap", expect=1)["error"]
    assert "'cheap' is not one of: any, not_more, free_only" in error["message"]
    code, out, _ = cli("config", "schema")
    fallback = json.loads(out)["$defs"]["FallbackSettings"]["properties"]
    assert fallback["on_refusal"]["enum"] == ["fallback", "stop"]
    assert fallback["failover"]["enum"] == ["after_retries", "at_once"]
    assert fallback["cost"]["enum"] == ["any", "not_more", "free_only"]
