"""`install-service` / `uninstall-service` as real processes against a temporary
XDG_CONFIG_HOME. systemd itself does not run here, so the unit is checked by what it says:
its ExecStart, unquoted the way systemd reads it, really starts the gateway; and where
`systemd-analyze` is installed, it verifies the file without a warning."""

from __future__ import annotations

import json
import os
import re
import selectors
import shlex
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.core.helpers import WORLD, run_module, write_json

UNIT = "systemd/user/modeldesk-serve.service"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "XDG_CONFIG_HOME": str(tmp_path / "xdg"),
        "MODELDESK_HISTORY": str(tmp_path / "state" / "history.sqlite3"),
    }


def unit_values(text: str) -> dict[str, str]:
    values: dict[str, str] = {}
    for line in text.splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, value = line.split("=", 1)
            values[key] = value
    return values


def exec_argv(exec_start: str) -> list[str]:
    """ExecStart split into words as systemd does for these words: double quotes with
    backslash escapes, then ``%%`` -> ``%`` and ``$$`` -> ``$``."""
    return [word.replace("%%", "%").replace("$$", "$") for word in shlex.split(exec_start)]


def verify_with_systemd(unit: Path, tmp_path: Path) -> None:
    if not shutil.which("systemd-analyze"):
        return
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700, exist_ok=True)
    check = subprocess.run(
        ["systemd-analyze", "verify", "--user", str(unit)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "XDG_RUNTIME_DIR": str(runtime), "XDG_CONFIG_HOME": str(unit.parents[2])},
    )
    # verify exits 0 on an unknown key or a bad value too; its warnings are what tell.
    assert check.returncode == 0 and not check.stdout.strip() and not check.stderr.strip(), check.stderr


def ready_line(process: subprocess.Popen[str], timeout: float = 60) -> str:
    """The gateway's first stdout line naming a URL ("" if it ended or took too long)."""
    assert process.stdout is not None
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        if selector.select(timeout=0.5):
            line = process.stdout.readline()
            if "http://" in line:
                return line
    return ""


def test_dry_run_prints_the_unit_and_writes_nothing(tmp_path: Path, env: dict[str, str]) -> None:
    config = write_json(tmp_path / "config.json", WORLD)
    result = run_module("--config", str(config), "install-service", "--dry-run", "--port", "0", env=env)
    assert result.returncode == 0, result.stderr
    assert "[Service]" in result.stdout and "WantedBy=default.target" in result.stdout
    assert str(tmp_path / "xdg" / UNIT) in result.stdout
    assert not (tmp_path / "xdg").exists()
    as_json = run_module("--config", str(config), "install-service", "--dry-run", "--json", env=env)
    data = json.loads(as_json.stdout)
    assert data["written"] is False and data["path"] == str(tmp_path / "xdg" / UNIT)
    assert not (tmp_path / "xdg").exists()


def test_the_unit_runs_the_gateway_for_the_chosen_config(tmp_path: Path, env: dict[str, str]) -> None:
    # A folder name with a space, a percent sign and a dollar: each needs its own escape.
    folder = tmp_path / "my configs %n $5"
    config = write_json(folder / "config.json", WORLD)
    result = run_module("--config", str(config), "install-service", "--port", "0", env=env)
    assert result.returncode == 0, result.stderr
    unit = tmp_path / "xdg" / UNIT
    assert f"Wrote {unit}" in result.stdout
    assert "systemctl --user enable --now modeldesk-serve.service" in result.stdout
    text = unit.read_text()
    values = unit_values(text)
    argv = exec_argv(values["ExecStart"])
    assert argv == [sys.executable, "-m", "modeldesk", "--config", str(config), "serve", "--port", "0"]
    assert values["EnvironmentFile"] == "-" + str(folder / "serve.env").replace("%", "%%")
    assert exec_argv(values["Environment"]) == [f"MODELDESK_HISTORY={env['MODELDESK_HISTORY']}"]
    assert oct(unit.stat().st_mode & 0o777) == "0o644"
    verify_with_systemd(unit, tmp_path)

    # What systemd would start really serves (the ready line names its URL) and stops
    # cleanly on the SIGTERM systemd sends.
    with subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env) as process:
        line = ready_line(process)
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=30)
        problem = process.stderr.read() if process.stderr else ""
    assert re.search(r"http://127\.0\.0\.1:\d+", line), (line, problem)
    assert code == 0


def test_uninstall_removes_the_unit_and_its_enable_link(tmp_path: Path, env: dict[str, str]) -> None:
    config = write_json(tmp_path / "config.json", WORLD)
    token = tmp_path / "token"
    token.write_text("secret-token\n")
    result = run_module(
        "--config", str(config), "install-service", "--host", "0.0.0.0", "--token-file", str(token), env=env
    )
    assert result.returncode == 0, result.stderr
    unit = tmp_path / "xdg" / UNIT
    argv = exec_argv(unit_values(unit.read_text())["ExecStart"])
    assert argv[-5:] == ["serve", "--host", "0.0.0.0", "--token-file", str(token)]
    assert "secret-token" not in unit.read_text()  # the unit names the file, never the token
    verify_with_systemd(unit, tmp_path)
    # What `systemctl --user enable` leaves behind.
    wants = unit.parent / "default.target.wants"
    wants.mkdir()
    (wants / unit.name).symlink_to(unit)

    dry = run_module("uninstall-service", "--dry-run", env=env)
    assert dry.returncode == 0 and f"Would remove {unit}" in dry.stdout and unit.exists()
    removed = run_module("uninstall-service", "--json", env=env)
    assert removed.returncode == 0, removed.stderr
    assert sorted(json.loads(removed.stdout)["removed"]) == sorted([str(unit), str(wants / unit.name)])
    assert not unit.exists() and not (wants / unit.name).is_symlink()
    again = run_module("uninstall-service", env=env)
    assert again.returncode == 0 and "nothing to remove" in again.stdout


def test_refuses_what_a_unit_cannot_hold(tmp_path: Path, env: dict[str, str]) -> None:
    config = write_json(tmp_path / "config.json", WORLD)
    missing = run_module("--config", str(config), "install-service", "--token-file", str(tmp_path / "nope"), env=env)
    assert missing.returncode == 1 and "token file" in missing.stderr and "does not exist" in missing.stderr
    broken = run_module("--config", str(tmp_path / "a\nb.json"), "install-service", env=env)
    assert broken.returncode == 1 and "line break" in broken.stderr
    assert "Traceback" not in broken.stderr
    assert not (tmp_path / "xdg").exists()
