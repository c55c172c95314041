"""Hostile files: every file ModelDesk reads (config, import, cooldown store) gets the same
limits, only regular files are read, and a config reached through a symlink is still one
file with one lock."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from modeldesk.core import limits
from modeldesk.core.errors import ConfigError
from modeldesk.core.store import ConfigStore
from tests.core.helpers import REPO, WORLD, Cli, write_json

EXPORT = {"schema_version": 1, "agents": [{"id": "new-agent", "name": "New"}]}


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> Any:
    runner = Cli(capsys)
    config = write_json(tmp_path / "config.json", WORLD)

    def run(*args: str) -> tuple[int, str, str]:
        return runner("--config", str(config), *args)

    return run


def _bounded_memory() -> None:
    # An unbounded read fails here with MemoryError instead of taking the machine's memory.
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))


MEMORY_CAP = 3 << 30


def _modeldesk(*args: str, stdin: Any = subprocess.DEVNULL, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    """The real CLI in a process of its own, with its memory capped."""
    env = {**os.environ, "PYTHONPATH": f"{REPO / 'desktop'}{os.pathsep}{REPO}"}
    return subprocess.run(
        [sys.executable, "-m", "modeldesk", *args],
        stdin=stdin,
        preexec_fn=_bounded_memory,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        cwd=REPO,
    )


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are POSIX")
def test_importing_a_fifo_is_refused_at_once_not_waited_on(tmp_path: Path) -> None:
    fifo = tmp_path / "export.json"
    os.mkfifo(fifo)  # no writer ever opens it: reading would wait forever
    config = write_json(tmp_path / "config.json", WORLD)
    done = _modeldesk("--config", str(config), "import", str(fifo))
    assert done.returncode == 1
    assert "not a regular file (a FIFO)" in done.stderr and "Traceback" not in done.stderr


def test_importing_a_device_is_refused(tmp_path: Path) -> None:
    config = write_json(tmp_path / "config.json", WORLD)
    done = _modeldesk("--config", str(config), "import", "/dev/zero")
    assert done.returncode == 1
    assert "not a regular file (a device)" in done.stderr and "Traceback" not in done.stderr


def test_endless_standard_input_is_read_only_up_to_the_limit(tmp_path: Path) -> None:
    config = write_json(tmp_path / "config.json", WORLD)
    with open("/dev/zero", "rb") as zero:  # as `yes | modeldesk import -` would: it never ends
        done = _modeldesk("--config", str(config), "import", "-", stdin=zero, timeout=60)
    assert done.returncode == 1
    assert "over the limit of 32.0 MiB" in done.stderr and "Traceback" not in done.stderr


def test_an_import_file_over_the_size_limit_is_refused(
    cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(limits, "MAX_CONFIG_BYTES", 4096)
    big = write_json(tmp_path / "big.json", {**EXPORT, "agents": [{"id": f"a{i}", "name": "x"} for i in range(500)]})
    code, _, err = cli("import", str(big))
    assert code == 1 and "over the limit" in err


@pytest.mark.parametrize("depth", [100, 5000])
def test_a_deeply_nested_import_names_the_nesting_limit(cli: Any, tmp_path: Path, depth: int) -> None:
    deep = tmp_path / "deep.json"
    deep.write_text('{"agents": [{"id": "x", "name": ' + "[" * depth + "]" * depth + "}]}")
    code, _, err = cli("import", str(deep))
    assert code == 1
    assert f"nested more than {limits.MAX_NESTING} levels deep" in err and "Traceback" not in err


def test_an_import_with_a_huge_number_names_the_digit_limit(cli: Any, tmp_path: Path) -> None:
    huge = tmp_path / "huge.json"
    huge.write_text('{"agents": [{"id": "x", "name": "x", "n": ' + "9" * 10_000 + "}]}")
    code, _, err = cli("import", str(huge))
    assert code == 1 and "digits" in err


def test_the_app_reads_import_files_within_the_same_limits(tmp_path: Path) -> None:
    from modeldesk.app.views.dialogs.import_dialog import read_import_file

    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100 + "]" * 100)
    with pytest.raises(ConfigError, match="nested more than 64 levels"):
        read_import_file(deep)
    fifo = tmp_path / "fifo.json"
    os.mkfifo(fifo)
    with pytest.raises(ConfigError, match="not a regular file"):
        read_import_file(fifo)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are POSIX")
def test_a_config_that_is_a_fifo_is_refused(tmp_path: Path) -> None:
    fifo = tmp_path / "config.json"
    os.mkfifo(fifo)
    with pytest.raises(ConfigError, match="not a regular file"):
        ConfigStore(fifo, policy_path=tmp_path / "none.json").load()


def test_a_config_reached_through_a_symlink_shares_the_lock_of_its_real_path(tmp_path: Path) -> None:
    real = write_json(tmp_path / "real" / "config.json", WORLD)
    link = tmp_path / "linked.json"
    link.symlink_to(real)
    assert ConfigStore(link).lock_path == ConfigStore(real).lock_path


def test_two_processes_editing_one_config_through_a_link_and_its_path_lose_nothing(tmp_path: Path) -> None:
    real = write_json(tmp_path / "real" / "config.json", WORLD)
    link = tmp_path / "linked.json"
    link.symlink_to(real)
    script = (
        "import sys\n"
        "from modeldesk.cli.main import main\n"
        "path, prefix = sys.argv[1], sys.argv[2]\n"
        "for i in range(15):\n"
        "    assert main(['--config', path, 'agents', 'add', f'{prefix}{i}', '--name', f'{prefix} {i}']) == 0\n"
    )
    env = {**os.environ, "PYTHONPATH": f"{REPO / 'desktop'}{os.pathsep}{REPO}"}
    writers = [
        subprocess.Popen([sys.executable, "-c", script, str(path), prefix], env=env, stdout=subprocess.DEVNULL)
        for path, prefix in ((link, "via-link-"), (real, "via-path-"))
    ]
    assert [w.wait(timeout=120) for w in writers] == [0, 0]
    ids = {a["id"] for a in json.loads(real.read_text())["agents"]}
    assert {f"{p}{i}" for p in ("via-link-", "via-path-") for i in range(15)} <= ids
    assert link.is_symlink()


def test_export_to_a_symlink_writes_through_it(cli: Any, tmp_path: Path) -> None:
    target = tmp_path / "dotfiles" / "team.json"
    target.parent.mkdir()
    target.write_text("{}")
    link = tmp_path / "team.json"
    link.symlink_to(target)
    code, _, err = cli("export", "-o", str(link), "--agents", "own")
    assert code == 0, err
    assert link.is_symlink() and json.loads(target.read_text())["agents"][0]["id"] == "own"


@pytest.mark.parametrize(
    "args",
    [("run", "--agent", "own", "-"), ("agents", "set-instruction", "own", "-")],
    ids=["run prompt", "instruction"],
)
def test_endless_standard_input_as_text_is_bounded(tmp_path: Path, args: tuple[str, ...]) -> None:
    config = write_json(tmp_path / "config.json", WORLD)
    with open("/dev/zero", "rb") as zero:
        done = _modeldesk("--config", str(config), *args, stdin=zero, timeout=60)
    assert done.returncode != 0 and "over the limit of 32.0 MiB" in done.stderr and "Traceback" not in done.stderr


def test_an_instruction_file_that_never_ends_is_bounded(tmp_path: Path) -> None:
    config = write_json(tmp_path / "config.json", WORLD)
    done = _modeldesk("--config", str(config), "agents", "set-instruction", "own", "--file", "/dev/zero")
    assert done.returncode != 0 and "over the limit" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are POSIX")
@pytest.mark.parametrize("how", ["fifo", "deep"])
def test_a_hostile_gateway_status_file_is_ignored(tmp_path: Path, how: str) -> None:
    from modeldesk.runtime import serve_status

    config = write_json(tmp_path / "config.json", WORLD)
    path = serve_status.status_path(config)
    path.parent.mkdir(parents=True, exist_ok=True)
    if how == "fifo":
        os.mkfifo(path)
    else:
        path.write_text("[" * 20_000 + "]" * 20_000)
    assert serve_status.read_status(config) is None
