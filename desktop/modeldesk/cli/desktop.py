"""`modeldesk install-desktop` / `uninstall-desktop`: a menu entry and icons for the current
user under the XDG data folder ($XDG_DATA_HOME, else ~/.local/share), from the files shipped
inside the package. Nothing outside that folder is touched; uninstall removes exactly what
install writes."""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from modeldesk.core.errors import ModelDeskError
from modeldesk.core.safe_files import remove_files
from modeldesk.resource_files import APP_ID, DESKTOP_FILE, METAINFO_FILE, PNG_SIZES, resource, resource_path

from .arguments import SubParsers, add_command
from .output import print_json, wants_json


def register(subparsers: SubParsers) -> None:
    for name, help_text, handler in (
        ("install-desktop", "Add ModelDesk to your desktop's application menu, with its icons.", run_install),
        ("uninstall-desktop", "Remove the menu entry and icons that install-desktop added.", run_uninstall),
    ):
        parser = add_command(subparsers, name, help_text, handler)
        parser.add_argument(
            "--data-dir",
            metavar="DIR",
            help="where to put them (default: $XDG_DATA_HOME, else ~/.local/share)",
        )


def data_dir(value: str | None) -> Path:
    if value:
        return Path(value).expanduser()
    env = os.environ.get("XDG_DATA_HOME", "").strip()
    return Path(env) if env else Path.home() / ".local" / "share"


def installed_files(base: Path) -> dict[str, Path]:
    """Shipped resource name -> where it goes under ``base``."""
    out = {
        DESKTOP_FILE: base / "applications" / DESKTOP_FILE,
        METAINFO_FILE: base / "metainfo" / METAINFO_FILE,
        "icons/modeldesk.svg": base / "icons" / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg",
    }
    for size in PNG_SIZES:
        out[f"icons/modeldesk-{size}.png"] = base / "icons" / "hicolor" / f"{size}x{size}" / "apps" / f"{APP_ID}.png"
    return out


def launch_command() -> str:
    """How the menu entry starts the app: the `modeldesk-app` script beside this Python when
    there is one (a venv, a user install), else this Python running the package."""
    script = Path(sys.executable).with_name("modeldesk-app")
    if script.is_file():
        return shlex.quote(str(script))
    found = shutil.which("modeldesk-app")
    if found:
        return shlex.quote(found)
    return f"{shlex.quote(sys.executable)} -m modeldesk"


def _desktop_entry() -> str:
    lines = resource(DESKTOP_FILE).read_text(encoding="utf-8").splitlines()
    # Exec names the real program: a menu does not see a venv's PATH.
    return "\n".join(f"Exec={launch_command()}" if line.startswith("Exec=") else line for line in lines) + "\n"


def _refresh_caches(base: Path) -> None:
    # Best effort: desktops also notice new files by themselves, just later.
    for command in (
        ["update-desktop-database", "-q", str(base / "applications")],
        ["gtk-update-icon-cache", "-q", "-t", str(base / "icons" / "hicolor")],
    ):
        if shutil.which(command[0]):
            subprocess.run(command, check=False, capture_output=True, timeout=30)


def run_install(args: argparse.Namespace) -> int:
    base = data_dir(args.data_dir)
    written: list[str] = []
    try:
        for name, target in installed_files(base).items():
            target.parent.mkdir(parents=True, exist_ok=True)
            if name == DESKTOP_FILE:
                target.write_text(_desktop_entry(), encoding="utf-8")
            else:
                source = resource_path(name)
                if source is None:
                    raise ModelDeskError(f"The package is missing its resource '{name}'; reinstall ModelDesk.")
                shutil.copyfile(source, target)
            written.append(str(target))
    except OSError as exc:
        raise ModelDeskError(f"Cannot write under {base}: {exc.strerror or exc}") from None
    _refresh_caches(base)
    if wants_json(args):
        print_json({"installed": written, "exec": launch_command()})
    else:
        print(f"Installed the menu entry and {len(written) - 2} icons under {base}.")
        print(f"The menu entry starts: {launch_command()}")
    return 0


def run_uninstall(args: argparse.Namespace) -> int:
    base = data_dir(args.data_dir)
    removed = [str(path) for path in remove_files(installed_files(base).values())]
    _refresh_caches(base)
    if wants_json(args):
        print_json({"removed": removed})
    else:
        print(f"Removed {len(removed)} file(s) from {base}." if removed else f"Nothing of ModelDesk's under {base}.")
    return 0
