"""The command line's guard rails, each through a real `python -m modeldesk` process: a
mistyped --config is named, no folders appear for a wrong path, no display or no Qt gives
a message instead of a core dump or traceback, non-UTF-8 arguments are a usage error, and
options may follow list arguments."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from modeldesk.app_launch import display_problem
from modeldesk.core.text import clean_text
from tests.core.helpers import REPO, WORLD, run_module, write_json

READING_COMMANDS = [
    ["resolve", "--agent", "own"],
    ["run", "--agent", "own", "Hi"],
    ["agents", "list"],
    ["agents", "show", "own"],
    ["agents", "set-model", "own", "mini"],
    ["squads", "list"],
    ["projects", "list"],
    ["projects", "show", "support"],
    ["models", "list"],
    ["settings", "show"],
    ["providers", "check"],
    ["export"],
    ["config", "validate"],
]


@pytest.mark.parametrize("command", READING_COMMANDS, ids=lambda c: " ".join(c[:2]))
def test_a_mistyped_config_is_named(command: list[str], tmp_path: Path) -> None:
    typo = tmp_path / "typo.json"
    done = run_module("--config", str(typo), *command)
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"{typo}" in done.stderr and "does not exist" in done.stderr
    assert "Traceback" not in done.stderr
    assert not typo.exists()


def test_the_json_error_names_the_missing_file(tmp_path: Path) -> None:
    done = run_module("--config", str(tmp_path / "typo.json"), "resolve", "--agent", "x", "--json")
    error = json.loads(done.stdout)["error"]
    assert error["code"] == "config_not_found" and "typo.json" in error["message"]


def test_adding_to_a_path_in_a_missing_folder_creates_no_folders(tmp_path: Path) -> None:
    target = tmp_path / "nonexistent" / "dir" / "c.json"
    for command in (
        ["agents", "add", "a", "--name", "A"],
        ["projects", "add", "p", "--name", "P"],
        ["settings", "set-default-model", "m"],
    ):
        done = run_module("--config", str(target), *command)
        assert done.returncode == 1, done.stderr
        assert "does not exist" in done.stderr and str(target.parent) in done.stderr
    assert not (tmp_path / "nonexistent").exists()
    fresh = tmp_path / "c.json"
    assert run_module("--config", str(fresh), "agents", "add", "a", "--name", "A").returncode == 0
    assert fresh.exists()


def _headless_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}


def test_no_command_without_a_display_says_so_instead_of_dumping_core() -> None:
    done = run_module(env=_headless_env())
    assert done.returncode == 1
    assert done.returncode not in (134, -6)
    assert "no display" in done.stderr and "modeldesk --help" in done.stderr
    assert "Traceback" not in done.stderr


def test_no_command_with_an_unreachable_display(tmp_path: Path) -> None:
    done = run_module(env=_headless_env() | {"DISPLAY": ":187"})
    assert done.returncode == 1 and "cannot reach the X display ':187'" in done.stderr


def test_no_command_without_qt_gives_a_message_not_a_traceback() -> None:
    code = (
        "import sys; sys.modules['PySide6'] = None; "  # as if PySide6 were not installed
        "from modeldesk.__main__ import main; sys.exit(main([]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=REPO, env=_headless_env()
    )
    assert done.returncode == 1
    assert "needs PySide6" in done.stderr and "Traceback" not in done.stderr


def test_display_problem_rules() -> None:
    assert display_problem({}, "win32") is None
    assert display_problem({"QT_QPA_PLATFORM": "offscreen"}, "linux") is None
    assert "no display" in (display_problem({}, "linux") or "")
    assert "Wayland" in (
        display_problem({"WAYLAND_DISPLAY": "wayland-99", "XDG_RUNTIME_DIR": "/nonexistent"}, "linux") or ""
    )


def test_non_utf8_arguments_are_a_usage_error(tmp_path: Path) -> None:
    path = write_json(tmp_path / "c.json", WORLD)
    bad = b"caf\xe9"
    done = subprocess.run(
        [
            sys.executable.encode(),
            b"-m",
            b"modeldesk",
            b"--config",
            str(path).encode(),
            b"agents",
            b"add",
            bad,
            b"--name",
            b"X",
        ],
        capture_output=True,
        timeout=60,
        cwd=REPO,
    )
    err = done.stderr.decode("utf-8", "replace")
    assert done.returncode == 2, err
    assert "not valid UTF-8" in err and "caf\\xe9" in err and "Traceback" not in err
    assert json.loads(path.read_text()) == WORLD


def test_options_may_follow_list_arguments(tmp_path: Path) -> None:
    path = write_json(tmp_path / "c.json", WORLD)
    done = run_module("--config", str(path), "agents", "set-model", "lone", "--json", "mini", "claude")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["agent"]["preferred"] == ["mini", "claude"]
    done = run_module("--config", str(path), "squads", "set-model", "team", "--dry-run", "haiku", "--json", "mini")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["dry_run"] and all(c["after"] == ["haiku", "mini"] for c in data["changes"])
    done = run_module("--config", str(path), "resolve", "--json", "--agent", "own", "--model", "mini", "--strict")
    assert json.loads(done.stdout)["source"] == "call"


def test_a_double_dash_still_ends_the_options(tmp_path: Path) -> None:
    path = write_json(tmp_path / "c.json", WORLD)
    done = run_module(
        "--config", str(path), "run", "--agent", "own", "--model", "local", "--json", "--", "--not-an-option"
    )
    assert json.loads(done.stdout)["error"]["code"] != "usage" and "required" not in done.stderr
    done = run_module("--config", str(path), "agents", "set-model", "lone", "--json", "--", "mini")
    assert done.returncode == 0 and json.loads(done.stdout)["agent"]["preferred"] == ["mini"]


def test_resolve_task_json_names_the_chat_model(tmp_path: Path) -> None:
    path = write_json(tmp_path / "c.json", WORLD)
    done = run_module("--config", str(path), "resolve", "--agent", "own", "--task", "title", "--json")
    data = json.loads(done.stdout)
    assert data["chat_model"] == "gpt-4o" and data["chat"] == {"models": ["gpt-4o", "claude"], "source": "agent"}
    assert data["models"] == ["haiku"] and data["task"] == "title"


def test_clean_text_removes_controls_and_sequences() -> None:
    assert clean_text("a\x1b[2Jb\x1b]0;title\x07c\x9b31md\x00e\tf\ng") == "abcde\tf\ng"
    assert clean_text("x\ny\tz", keep_newlines=False) == "x y z"
    assert clean_text("\x1bP1;2|secret\x1b\\ok") == "ok"


def test_file_text_is_cleaned_in_tables(tmp_path: Path) -> None:
    data = json.loads(json.dumps(WORLD))
    data["agents"][0]["name"] = "Evil\x1b]0;pwned\x07\x1b[2J"
    path = write_json(tmp_path / "c.json", data)
    for command in (["agents", "list"], ["agents", "show", "own"], ["projects", "show", "support"]):
        done = run_module("--config", str(path), *command)
        assert done.returncode == 0 and "\x1b" not in done.stdout and "\x07" not in done.stdout
        assert "Evil" in done.stdout


def test_every_command_output_passes_the_terminal_guard(capsys: pytest.CaptureFixture[str]) -> None:
    # A handler that forgets to clean provider text still cannot emit an escape sequence.
    import argparse

    from modeldesk.cli.output import command

    @command
    def careless(args: argparse.Namespace) -> int:
        print("title\x1b]0;pwned\x07 and \x1b[2Jclear")
        print("err\x9b31m", file=sys.stderr)
        return 0

    assert careless(argparse.Namespace()) == 0
    out, err = capsys.readouterr()
    assert out == "title and clear\n" and err == "err\n"
