"""Files shipped inside the package: the icons (SVG and PNG sizes), the `.desktop` entry
and the AppStream metainfo. Found with :mod:`importlib.resources`, so a wheel install, an
editable checkout and a PyInstaller bundle all find them the same way."""

from __future__ import annotations

from importlib.resources import as_file, files
from importlib.resources.abc import Traversable
from pathlib import Path

APP_ID = "io.modeldesk.ModelDesk"
DESKTOP_FILE = f"{APP_ID}.desktop"
METAINFO_FILE = f"{APP_ID}.metainfo.xml"
PNG_SIZES = (16, 32, 48, 64, 128, 256, 512)


def resource(name: str) -> Traversable:
    """A shipped file, e.g. ``resource("icons/modeldesk.svg")``."""
    node = files(__name__)
    for part in name.split("/"):
        node = node / part
    return node


def resource_path(name: str) -> Path | None:
    """A real file path for a shipped file (None when it is missing). Wheels install as
    plain files, so the path stays valid after the context manager closes."""
    node = resource(name)
    if not node.is_file():
        return None
    with as_file(node) as path:
        return Path(path)


def icon_paths() -> list[Path]:
    """The PNG icons, smallest first, then the SVG; only those present."""
    names = [f"icons/modeldesk-{size}.png" for size in PNG_SIZES] + ["icons/modeldesk.svg"]
    return [p for p in (resource_path(n) for n in names) if p is not None]
