"""`--version`, `install-desktop` / `uninstall-desktop` and `completion` as real processes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from modeldesk import __version__
from tests.core.helpers import run_module


def test_version() -> None:
    result = run_module("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"modeldesk {__version__}"


def test_install_and_uninstall_desktop(tmp_path: Path) -> None:
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "share")}
    result = run_module("install-desktop", "--json", env=env)
    assert result.returncode == 0, result.stderr
    installed = sorted(
        Path(p).relative_to(tmp_path / "share").as_posix() for p in json.loads(result.stdout)["installed"]
    )
    assert "applications/io.modeldesk.ModelDesk.desktop" in installed
    assert "metainfo/io.modeldesk.ModelDesk.metainfo.xml" in installed
    assert "icons/hicolor/scalable/apps/io.modeldesk.ModelDesk.svg" in installed
    assert "icons/hicolor/256x256/apps/io.modeldesk.ModelDesk.png" in installed
    entry = (tmp_path / "share/applications/io.modeldesk.ModelDesk.desktop").read_text()
    assert "Icon=io.modeldesk.ModelDesk" in entry
    exec_line = next(line for line in entry.splitlines() if line.startswith("Exec="))
    assert exec_line != "Exec=modeldesk" and ("modeldesk-app" in exec_line or "-m modeldesk" in exec_line)
    if shutil.which("desktop-file-validate"):
        check = subprocess.run(
            ["desktop-file-validate", str(tmp_path / "share/applications/io.modeldesk.ModelDesk.desktop")],
            capture_output=True,
            text=True,
        )
        assert check.returncode == 0, check.stdout + check.stderr
    removed = run_module("uninstall-desktop", env=env)
    assert removed.returncode == 0
    assert f"Removed {len(installed)} file(s)" in removed.stdout
    left = [p.name for p in (tmp_path / "share").rglob("*") if p.is_file()]
    assert set(left) <= {"mimeinfo.cache", "icon-theme.cache"}  # the desktop's own caches


@pytest.mark.skipif(not shutil.which("bash"), reason="needs bash")
def test_bash_completion_completes_commands_and_options(tmp_path: Path) -> None:
    script = tmp_path / "modeldesk.bash"
    result = run_module("completion", "bash")
    assert result.returncode == 0
    script.write_text(result.stdout)

    def complete(*words: str) -> list[str]:
        line = " ".join(f"'{w}'" for w in words)
        out = subprocess.run(
            [
                "bash",
                "-c",
                f'source "{script}"; COMP_WORDS=({line}); COMP_CWORD={len(words) - 1}; _modeldesk; '
                'printf "%s\\n" "${COMPREPLY[@]}"',
            ],
            capture_output=True,
            text=True,
        )
        return out.stdout.split()

    assert "doctor" in complete("modeldesk", "do")
    assert complete("modeldesk", "providers", "de") == ["detect"]
    assert "--add" in complete("modeldesk", "--config", "x.json", "providers", "detect", "--")
    assert complete("modeldesk", "models", "info", "--f") == ["--fill"]


def test_zsh_and_fish_scripts_name_every_command() -> None:
    zsh = run_module("completion", "zsh").stdout
    fish = run_module("completion", "fish").stdout
    assert zsh.startswith("#compdef modeldesk") and "bashcompinit" in zsh
    for command in ("resolve", "doctor", "providers", "install-desktop", "completion"):
        assert f"-a {command} " in fish
    assert "__fish_seen_subcommand_from providers" in fish and "-a detect" in fish
    for shell, text in (("zsh", zsh), ("fish", fish)):
        if shutil.which(shell):
            check = subprocess.run([shell, "-n" if shell == "zsh" else "--no-execute"], input=text, text=True)
            assert check.returncode == 0
