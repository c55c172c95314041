"""Packaging: the desktop entry, the AppStream metadata, the icons and the entry points."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RESOURCES = ROOT / "resources"


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        # `./dev test` installs these; a run without them must not pass quietly in CI.
        if os.environ.get("CI"):
            pytest.fail(f"{name} is not installed (the README's test command installs it)")
        pytest.skip(f"{name} is not installed")
    return path


def test_metainfo_is_valid_appstream() -> None:
    result = subprocess.run(
        [_tool("appstreamcli"), "validate", "--no-net", str(RESOURCES / "io.modeldesk.ModelDesk.metainfo.xml")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_desktop_file_is_valid() -> None:
    result = subprocess.run(
        [_tool("desktop-file-validate"), str(RESOURCES / "io.modeldesk.ModelDesk.desktop")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "error" not in result.stdout.lower()


def test_icons_exist_as_svg_and_png_sizes() -> None:
    icons = RESOURCES / "icons"
    assert (icons / "modeldesk.svg").read_text().lstrip().startswith("<svg")
    for size in (16, 32, 48, 64, 128, 256, 512):
        data = (icons / f"modeldesk-{size}.png").read_bytes()
        assert data.startswith(b"\x89PNG\r\n\x1a\n")
        width = int.from_bytes(data[16:20], "big")
        height = int.from_bytes(data[20:24], "big")
        assert (width, height) == (size, size)


def test_the_package_list_names_every_folder_and_maps_resources() -> None:
    """pyproject.toml lists the packages (resources/ is mapped from outside desktop/, which
    setuptools cannot discover): every folder of the package is in the list, and every
    file in resources/ matches its package data."""
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert setuptools["package-dir"] == {"": "desktop", "modeldesk.resources": "resources"}
    folders = {
        ".".join(path.relative_to(ROOT / "desktop").parts)
        for path in (ROOT / "desktop" / "modeldesk").rglob("*")
        if path.is_dir() and "__pycache__" not in path.parts
    }
    folders |= {"modeldesk", "modeldesk.resources", "modeldesk.resources.icons"}
    assert sorted(setuptools["packages"]) == sorted(folders)
    data = setuptools["package-data"]
    for path in RESOURCES.rglob("*"):
        if not path.is_file() or path.suffix == ".py" or "__pycache__" in path.parts:
            continue
        package = ".".join(("modeldesk", *path.relative_to(ROOT).parent.parts))
        assert any(path.match(pattern) for pattern in data.get(package, [])), path
    old_place = ROOT / "desktop" / "modeldesk" / "resources"
    assert not [p for p in old_place.rglob("*") if p.is_file() and "__pycache__" not in p.parts]


def test_a_checkout_reads_the_top_level_resources_folder() -> None:
    from modeldesk.resource_files import DESKTOP_FILE, icon_paths, resource_path

    assert resource_path(DESKTOP_FILE) == RESOURCES / DESKTOP_FILE
    assert [p.name for p in icon_paths()][-1] == "modeldesk.svg" and len(icon_paths()) == 8


def test_console_and_gui_entry_points_are_declared() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    # The command line prints on every OS; the app has its own GUI entry point.
    assert project["scripts"]["modeldesk"] == "modeldesk.__main__:main"
    assert project["gui-scripts"]["modeldesk-app"] == "modeldesk.__main__:app_main"
    assert project["license-files"] == ["LICENSE"]
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")


@pytest.mark.bundle
@pytest.mark.timeout(900)
def test_pyinstaller_bundle_runs_the_command_line(tmp_path: Path) -> None:
    pytest.importorskip("PyInstaller")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "PyInstaller",
            "--noconfirm",
            "--log-level",
            "WARN",
            "--distpath",
            str(tmp_path / "dist"),
            "--workpath",
            str(tmp_path / "build"),
            str(ROOT / "packaging" / "modeldesk.spec"),
        ],
        check=True,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    bundle = tmp_path / "dist" / "modeldesk"
    exe = bundle / "modeldesk"
    assert exe.is_file()
    config = tmp_path / "config.json"
    config.write_text(
        '{"schema_version": 1, "providers": [{"id": "p", "kind": "openai", "base_url": "http://127.0.0.1:9/v1"}],'
        ' "models": [{"id": "m", "provider": "p", "name": "m"}],'
        ' "settings": {"default_agent_model": "m"}, "agents": [{"id": "a", "name": "A"}]}'
    )
    result = subprocess.run(
        [str(exe), "--config", str(config), "resolve", "--agent", "a", "--json"],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert '"source": "settings"' in result.stdout
    # The Qt platform plugins the app needs travel with the bundle, and so do the resources.
    assert list(bundle.rglob("libqxcb.so")), "the xcb platform plugin is missing from the bundle"
    assert list(bundle.rglob("modeldesk.svg")), "resources/ is missing from the bundle"
