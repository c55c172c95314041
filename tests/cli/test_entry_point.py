"""`python -m modeldesk`: a command loads only its own module (resolve never imports httpx,
asyncio, the runtime or Qt), and no command means the app."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from modeldesk.cli.main import COMMANDS, command_name, main
from tests.core.helpers import REPO, WORLD, write_json

HEAVY = ("httpx", "asyncio", "anyio", "modeldesk.runtime", "PySide6", "shiboken6", "qasync", "keyring")


# `python -m modeldesk ARGS`, then the names of every module loaded, as JSON on stderr's last
# line. (Not -X importtime: it misses modules loaded by importlib.import_module.)
PROBE = """
import atexit, json, runpy, sys
atexit.register(lambda: print(json.dumps(sorted(sys.modules)), file=sys.stderr))
sys.argv = ["modeldesk", *sys.argv[1:]]
runpy.run_module("modeldesk", run_name="__main__", alter_sys=True)
"""


def imported_modules(*args: str) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """Run `python -m modeldesk ARGS` in a fresh process; the modules it imported, by name."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO / "desktop"), str(REPO)])}
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args], capture_output=True, text=True, timeout=60, env=env, cwd=REPO
    )
    return done, set(json.loads(done.stderr.strip().splitlines()[-1]))


def heavy_in(names: set[str]) -> list[str]:
    return sorted(n for n in names if any(n == h or n.startswith(h + ".") for h in HEAVY))


def test_resolve_imports_neither_httpx_nor_asyncio_nor_the_runtime(tmp_path: Path) -> None:
    path = write_json(tmp_path / "config.json", WORLD)
    done, names = imported_modules("--config", str(path), "resolve", "--agent", "own", "--json")
    assert done.returncode == 0, done.stderr[-2000:]
    assert '"source": "agent"' in done.stdout
    assert "modeldesk.cli.resolve" in names
    assert heavy_in(names) == []
    # Nor the log file's rotating handler (socket, pickle): resolve writes no log line.
    assert "logging.handlers" not in names and "modeldesk.logs" in names
    # Nor the other commands' modules.
    assert sorted(n for n in names if n.startswith("modeldesk.cli.") and n.split(".")[2] in COMMANDS) == [
        "modeldesk.cli.resolve"
    ]


def test_config_validate_stays_light_too(tmp_path: Path) -> None:
    path = write_json(tmp_path / "config.json", WORLD)
    done, names = imported_modules("--config", str(path), "config", "validate")
    assert done.returncode == 0, done.stderr[-2000:]
    assert heavy_in(names) == []


def test_help_lists_every_command_and_an_unknown_command_is_named(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["--help"])
    assert caught.value.code == 0
    out = capsys.readouterr().out
    assert all(name in out for name in COMMANDS)
    with pytest.raises(SystemExit) as caught:
        main(["resolv", "--agent", "a"])
    assert caught.value.code == 2
    err = capsys.readouterr().err
    assert "invalid choice: 'resolv'" in err and "resolve" in err


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        ([], None),
        (["--config", "resolve"], None),
        (["--config", "x.json", "resolve", "--agent", "a"], "resolve"),
        (["--config=x.json", "agents", "list"], "agents"),
        (["--conf", "x.json", "run"], "run"),
        (["-h"], None),
        (["--", "resolve"], "resolve"),
    ],
)
def test_command_name_skips_the_options_of_modeldesk_itself(argv: list[str], expected: str | None) -> None:
    assert command_name(argv) == expected


def test_without_a_command_the_cli_prints_usage_and_the_entry_point_opens_the_app(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main([]) == 2
    assert "give a command" in capsys.readouterr().err
    # `python -m modeldesk` with no command calls the app launcher with the --config given.
    script = (
        "import sys, modeldesk.__main__ as entry\n"
        "entry.launch_app = lambda path: print('app opened with', path) or 0\n"
        "code = entry.main(['--config', 'here.json'])\n"
        "print('qt loaded' if 'PySide6' in sys.modules else 'no qt', code)\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO / "desktop"), str(REPO)])}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, env=env)
    assert done.stdout.split("\n")[:2] == ["app opened with here.json", "no qt 0"], done.stderr


def test_listing_agents_does_not_load_the_runner_or_httpx(tmp_path: Path) -> None:
    """`agents list` needs the fallback policy's settings only; the runtime package loads a
    module when one of its names is first used, so the runner and httpx stay out."""
    path = write_json(tmp_path / "config.json", WORLD)
    done, names = imported_modules("--config", str(path), "agents", "list", "--json")
    assert done.returncode == 0, done.stderr[-2000:]
    assert not {"httpx", "modeldesk.runtime.runner", "modeldesk.runtime.providers"} & names
