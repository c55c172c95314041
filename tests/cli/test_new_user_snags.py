"""Snags a new user hit on the command line, each through a real `modeldesk` process:
Ctrl+C while it starts, `modeldesk-app` on a server, `--config` after the command, the
`simulated` kind without a URL, library wording, input that was silently ignored, and a
key sent over plain http."""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.core.helpers import REPO, WORLD, run_module, write_json

SIMULATED: dict[str, Any] = {
    "schema_version": 1,
    "providers": [{"id": "demo", "kind": "simulated"}],  # no base_url: it needs none
    "models": [
        {"id": "hangs", "provider": "demo", "name": "fail-timeout"},
        {"id": "steady", "provider": "demo", "name": "steady"},
    ],
    "agents": [{"id": "a", "name": "A", "model": ["hangs"]}, {"id": "b", "name": "B", "model": "steady"}],
}

# The console script's own steps (import the entry point, call main), with a line on
# stderr once it is past Python's start-up (Ctrl+C during the interpreter's own start is
# Python's to report). On a busy machine Ctrl+C can land between that line and the call:
# then the script exits 99 and the test tries again. A KeyboardInterrupt escaping main
# itself is a traceback, as for the real script.
ENTRY = """
import sys
from modeldesk.__main__ import main
code = None
try:
    sys.stderr.write("ready\\n"); sys.stderr.flush()
    code = main(sys.argv[1:])
except KeyboardInterrupt:
    if code is not None or sys.exc_info()[2].tb_next is not None:
        raise
    sys.exit(99)
sys.exit(code)
"""


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {**os.environ, "XDG_STATE_HOME": str(tmp_path / "state"), **extra}


def _interrupted(tmp_path: Path, after_s: float, *args: str) -> tuple[int, str, str]:
    for _ in range(5):
        process = subprocess.Popen(
            [sys.executable, "-c", ENTRY, *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=REPO,
            env=_env(tmp_path),
        )
        assert process.stderr is not None and process.stderr.readline() == "ready\n"
        time.sleep(after_s)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
        if process.returncode != 99:
            return process.returncode, out, err
    pytest.fail("Ctrl+C never reached the command")


@pytest.mark.parametrize("after_s", [0.02, 0.05, 0.1, 0.2, 0.3, 0.45])
def test_ctrl_c_while_run_starts_prints_no_traceback_and_json_still_comes(tmp_path: Path, after_s: float) -> None:
    # The model never answers, so whenever Ctrl+C lands (modules loading, the config being
    # read, the request under way) the run is interrupted.
    path = write_json(tmp_path / "c.json", SIMULATED)
    code, out, err = _interrupted(tmp_path, after_s, "--config", str(path), "run", "--agent", "a", "--json", "Hi")
    assert "Traceback" not in err, err
    assert code == 130, err
    data = json.loads(out)
    assert data["error"]["code"] == "cancelled" and isinstance(data["attempts"], list)


@pytest.mark.parametrize("after_s", [0.02, 0.1])
def test_ctrl_c_while_any_command_starts_is_a_line_not_a_traceback(tmp_path: Path, after_s: float) -> None:
    path = write_json(tmp_path / "c.json", SIMULATED)
    code, _out, err = _interrupted(tmp_path, after_s, "--config", str(path), "run", "--agent", "a", "Hi")
    assert "Traceback" not in err and code == 130, err


def _headless(**extra: str) -> dict[str, str]:
    gone = ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")
    return {k: v for k, v in os.environ.items() if k not in gone} | extra


def _app_entry(code: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=REPO, env=env)


def test_modeldesk_app_without_a_display_says_so_instead_of_dumping_core() -> None:
    done = _app_entry("import sys; from modeldesk.__main__ import app_main; sys.exit(app_main([]))", _headless())
    assert done.returncode == 1, done.stderr
    assert "no display" in done.stderr and "Traceback" not in done.stderr


def test_modeldesk_app_without_qt_gives_a_message_not_a_traceback() -> None:
    code = (
        "import sys; sys.modules['PySide6'] = None\n"  # as if PySide6 were not installed
        "from modeldesk.__main__ import app_main; sys.exit(app_main([]))"
    )
    done = _app_entry(code, _headless())
    assert done.returncode == 1
    assert "needs PySide6" in done.stderr and "Traceback" not in done.stderr


def test_config_may_come_after_the_command(tmp_path: Path) -> None:
    path = write_json(tmp_path / "c.json", WORLD)
    listed = run_module("agents", "list", "--config", str(path), "--json")
    assert listed.returncode == 0, listed.stderr
    assert [a["id"] for a in json.loads(listed.stdout)["agents"]] == [a["id"] for a in WORLD["agents"]]
    between = run_module("agents", "--config", str(path), "show", "own")
    assert between.returncode == 0 and "Own" in between.stdout
    missing = run_module("--config", str(path), "agents", "list", "--config", str(tmp_path / "typo.json"))
    assert missing.returncode == 1 and "typo.json" in missing.stderr  # the later one counts


def test_a_simulated_provider_needs_no_base_url(tmp_path: Path) -> None:
    path = write_json(tmp_path / "c.json", SIMULATED)
    assert run_module("--config", str(path), "config", "validate").returncode == 0
    answered = run_module("--config", str(path), "run", "--agent", "b", "--json", "Hi", env=_env(tmp_path))
    assert json.loads(answered.stdout)["model"] == "steady"
    fresh = tmp_path / "fresh.json"
    added = run_module("--config", str(fresh), "providers", "add", "sim", "--kind", "simulated", "--json")
    assert added.returncode == 0, added.stderr
    assert json.loads(fresh.read_text())["providers"] == [{"id": "sim", "kind": "simulated"}]
    refused = run_module("--config", str(fresh), "providers", "add", "web", "--kind", "openai")
    assert refused.returncode == 1 and "needs --base-url" in refused.stderr
    broken = write_json(tmp_path / "b.json", {"schema_version": 1, "providers": [{"id": "o", "kind": "openai"}]})
    checked = run_module("--config", str(broken), "config", "validate")
    assert "providers[0].base_url: a base URL is required for a provider of kind openai" in checked.stdout


def test_file_problems_are_told_in_the_projects_words(tmp_path: Path) -> None:
    data = {
        "schema_version": 1,
        "providers": [{"id": "o", "kind": "openai", "base_url": "https://x.example/v1", "api_key": "sk-pasted"}],
        "models": [{"id": "m", "provider": "o", "name": "m", "context_window": "bad"}],
        "settings": {"fallback": {"retries": 99}},
    }
    path = write_json(tmp_path / "c.json", data)
    checked = run_module("--config", str(path), "config", "validate")
    text = checked.stdout + checked.stderr
    assert 'providers[0].api_key: expected {"env": "VARIABLE"} or {"keyring": "ENTRY"}' in text
    assert "models[0].context_window: expected a whole number" in text
    assert "settings.fallback.retries: must be 20 or less" in text
    assert "Input should" not in text and "instance of" not in text and "sk-pasted" not in text


def test_a_bad_detect_port_is_told_in_words(tmp_path: Path) -> None:
    done = run_module("providers", "detect", env={**os.environ, "MODELDESK_DETECT_PORTS": "ollama=bad"})
    assert done.returncode == 1
    assert "invalid literal" not in done.stderr
    assert "MODELDESK_DETECT_PORTS: 'ollama=bad' does not end in a port number from 1 to 65535" in done.stderr


def test_set_key_with_no_keyring_says_what_to_do_not_the_librarys_text(tmp_path: Path) -> None:
    path = write_json(tmp_path / "c.json", WORLD)
    done = subprocess.run(
        [sys.executable, "-m", "modeldesk", "--config", str(path), "providers", "set-key", "openai"],
        input="sk-test-NOT-SHOWN-1234\n",
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
        env=_env(tmp_path, PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring"),
    )
    assert done.returncode == 1
    assert "There is no OS keyring on this computer" in done.stderr
    assert "modeldesk providers set openai --key-env VAR" in done.stderr
    assert "recommended backend" not in done.stderr and "NoKeyringError" not in done.stderr
    assert "NOT-SHOWN" not in done.stdout + done.stderr


@pytest.mark.parametrize("timeout", ["-1", "0", "nan", "1e9"])
def test_a_timeout_that_would_find_nothing_is_refused(timeout: str) -> None:
    done = run_module("providers", "detect", "--timeout", timeout)
    assert done.returncode == 2
    assert f"argument --timeout: '{timeout}' is not a number of seconds above 0" in done.stderr


def test_simulating_an_unknown_model_is_refused_and_an_idle_one_is_warned(tmp_path: Path) -> None:
    path = write_json(tmp_path / "c.json", SIMULATED)
    unknown = run_module(
        "--config", str(path), "run", "--agent", "b", "--simulate", "nosuch=429", "--json", "Hi", env=_env(tmp_path)
    )
    assert unknown.returncode == 1
    error = json.loads(unknown.stdout)["error"]
    assert error["code"] == "usage" and "no model or provider 'nosuch'" in error["message"]
    idle = run_module("--config", str(path), "run", "--agent", "b", "--simulate", "hangs=429", "Hi", env=_env(tmp_path))
    assert idle.returncode == 0
    assert "warning: --simulate hangs: this run does not try it (models: steady)" in idle.stderr


def test_the_placeholder_cannot_be_added_as_a_model(tmp_path: Path) -> None:
    path = write_json(tmp_path / "c.json", WORLD)
    done = run_module("--config", str(path), "models", "add", "DEFAULT", "--provider", "openai")
    assert done.returncode == 1
    assert "'DEFAULT' cannot be a model id: in a model list 'default' means 'inherit'" in done.stderr
    assert json.loads(path.read_text()) == WORLD


def test_providers_add_warns_of_a_key_over_plain_http(tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    args = ("--config", str(path), "providers", "add")
    remote = run_module(*args, "far", "--kind", "openai", "--base-url", "http://llm.example/v1", "--key-env", "K")
    assert remote.returncode == 0
    assert "warning: provider 'far' sends its API key over plain http to llm.example" in remote.stderr
    local = run_module(*args, "near", "--kind", "openai", "--base-url", "http://127.0.0.1:8080/v1", "--key-env", "K")
    assert local.returncode == 0 and "warning" not in local.stderr
    changed = run_module(
        "--config", str(path), "providers", "set", "near", "--base-url", "http://10.0.0.5/v1", "--json"
    )
    assert "plain http to 10.0.0.5" in json.loads(changed.stdout)["warnings"][0]


def _documented_commands(text: str) -> set[str]:
    """Every command path written as `modeldesk WORD WORD...` in the text, with `a|b`
    alternatives spelled out: "modeldesk providers enable|disable" gives both."""
    found: set[str] = set()
    for match in re.finditer(r"modeldesk((?: [a-z][a-z-]*(?:\|[a-z][a-z-]*)*)+)", text):
        paths: list[list[str]] = [[]]
        for word in match.group(1).split():
            paths = [[*path, alt] for path in paths for alt in word.split("|")]
        found.update(" ".join(path[:n]) for path in paths for n in range(1, len(path) + 1))
    return found


def _commands(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()) -> Iterator[tuple[str, Any]]:
    if path:
        yield " ".join(path), parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _commands(sub, (*path, name))


def test_every_command_and_option_is_in_the_cli_guide() -> None:
    from modeldesk.cli.main import build_parser

    guide = (REPO / "docs" / "cli.md").read_text()
    documented = _documented_commands(guide)
    commands = dict(_commands(build_parser()))
    assert {"cooldowns list", "cooldowns clear", "run"} <= set(commands)
    assert sorted(set(commands) - documented) == []
    undocumented = [
        f"{name} {action.option_strings[-1]}"
        for name, parser in commands.items()
        for action in parser._actions
        if action.option_strings
        and not {"--help", "--config"} & set(action.option_strings)
        and not any(re.search(rf"(?<![\w-]){re.escape(o)}(?![\w-])", guide) for o in action.option_strings)
    ]
    assert undocumented == []


def test_removing_a_squad_member_that_is_none_is_refused_by_name(tmp_path: Path) -> None:
    path = write_json(tmp_path / "c.json", WORLD)
    done = run_module("--config", str(path), "squads", "remove-member", "team", "lone")
    assert done.returncode == 1 and "not a member: lone" in done.stderr
    assert json.loads(path.read_text()) == WORLD
