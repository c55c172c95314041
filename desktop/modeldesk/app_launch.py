"""Can the desktop app start here? Checked before Qt is asked to open a window.

Without a display Qt's xcb platform aborts the process (a core dump, exit 134) and
without PySide6 the import fails with a traceback; both are a poor answer to a user who
typed `modeldesk` on a server. :func:`app_start_problem` says why the app cannot start,
in words, so the caller prints it and exits cleanly. It imports nothing of Qt unless Qt
is installed, and never opens a window.
"""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path

# Platforms that need no display server.
_HEADLESS_PLATFORMS = ("offscreen", "minimal", "vnc", "eglfs", "linuxfb", "vkkhrdisplay")


def app_start_problem() -> str | None:
    """``None`` when the app can start, else a message saying why not and what to do."""
    try:
        import PySide6.QtWidgets  # noqa: F401  (the widgets module is what the app needs)
    except ImportError as exc:
        return (
            f"the desktop app needs PySide6, which cannot be loaded ({exc}). Install it "
            "(pip install 'PySide6-Essentials<6.12'), or use a command: modeldesk --help"
        )
    return display_problem()


def display_problem(environ: dict[str, str] | None = None, platform: str = sys.platform) -> str | None:
    """On Linux and other X11/Wayland systems: ``None`` when a display can be reached (or
    ``QT_QPA_PLATFORM`` names one that needs none), else why the app cannot open."""
    env = os.environ if environ is None else environ
    if platform in ("win32", "darwin"):
        return None
    requested = env.get("QT_QPA_PLATFORM", "").split(":", 1)[0].strip().lower()
    if requested in _HEADLESS_PLATFORMS:
        return None
    advice = "Run a command instead (modeldesk --help), or start the app inside a desktop session."
    wayland = env.get("WAYLAND_DISPLAY", "").strip()
    display = env.get("DISPLAY", "").strip()
    if requested.startswith("wayland") or (wayland and not display):
        if wayland and _wayland_reachable(wayland, env):
            return None
        if not wayland:
            return f"no display: QT_QPA_PLATFORM is {requested} but WAYLAND_DISPLAY is not set. {advice}"
        return f"cannot reach the Wayland display '{wayland}'. {advice}"
    if not display and not wayland:
        return f"no display (neither DISPLAY nor WAYLAND_DISPLAY is set), so the desktop app cannot open. {advice}"
    if display and not _x11_reachable(display):
        if wayland and _wayland_reachable(wayland, env):
            return None
        return f"cannot reach the X display '{display}'. {advice}"
    return None


def _x11_reachable(display: str) -> bool:
    """Whether an X server answers at ``display`` (``:0``, ``host:1.0``, ``unix:0``)."""
    host, _, rest = display.rpartition(":")
    number_text = rest.split(".", 1)[0]
    if not number_text.isdigit():
        return True  # a form we do not know: let Qt decide
    number = int(number_text)
    if host in ("", "unix") or host.startswith("/"):
        if host.startswith("/"):  # launchd-style socket paths (XQuartz)
            return Path(display).exists() or Path(host).exists()
        return _unix_socket_answers(f"/tmp/.X11-unix/X{number}") or _abstract_socket_answers(
            f"/tmp/.X11-unix/X{number}"
        )
    try:
        with socket.create_connection((host, 6000 + number), timeout=1.0):
            return True
    except OSError:
        return False


def _wayland_reachable(name: str, env: dict[str, str] | os._Environ[str]) -> bool:
    path = Path(name) if name.startswith("/") else Path(env.get("XDG_RUNTIME_DIR", "")) / name
    return _unix_socket_answers(str(path))


def _unix_socket_answers(path: str) -> bool:
    if not hasattr(socket, "AF_UNIX"):
        return True
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(1.0)
            sock.connect(path)
            return True
    except OSError:
        return False


def _abstract_socket_answers(path: str) -> bool:
    # Linux X servers also listen on an abstract socket of the same name.
    if not sys.platform.startswith("linux"):
        return False
    return _unix_socket_answers("\0" + path)
