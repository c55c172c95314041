"""The files ModelDesk ships: the icons (SVG and PNG sizes), the `.desktop` entry and the
AppStream metainfo.

They live in the project's top-level ``resources/`` folder. A wheel installs that folder as
the package ``modeldesk.resources`` (pyproject.toml maps it), and the PyInstaller bundle
puts it at the same place, ``modeldesk/resources``; a checkout reads the folder itself.
:func:`resource` finds them in that order, through :mod:`importlib.resources`, so a wheel,
an editable checkout and a bundle are served alike.
"""

from __future__ import annotations

import functools
from importlib.resources import as_file, files
from importlib.resources.abc import Traversable
from pathlib import Path

APP_ID = "io.modeldesk.ModelDesk"
DESKTOP_FILE = f"{APP_ID}.desktop"
METAINFO_FILE = f"{APP_ID}.metainfo.xml"
PNG_SIZES = (16, 32, 48, 64, 128, 256, 512)

# The checkout's folder: desktop/modeldesk/resource_files.py -> the project root.
CHECKOUT_RESOURCES = Path(__file__).resolve().parents[2] / "resources"


@functools.cache
def resources_root() -> Traversable:
    """Where the shipped files are: ``modeldesk/resources`` inside the installed package
    or the bundle, else the checkout's ``resources/`` folder."""
    installed = files("modeldesk") / "resources"
    if (installed / DESKTOP_FILE).is_file():
        return installed
    return CHECKOUT_RESOURCES


def resource(name: str) -> Traversable:
    """A shipped file, e.g. ``resource("icons/modeldesk.svg")``."""
    node = resources_root()
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
