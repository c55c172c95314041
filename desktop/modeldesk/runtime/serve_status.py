"""Where a running gateway (`modeldesk serve`) says that it runs, and how others find it.

While a gateway serves a config file it keeps a small JSON file in the state folder, one
per config file (:func:`status_path`): ``{"pid", "url", "host", "port", "config",
"started_at"}``, written atomically with mode 0600 once it is ready and removed when it
stops cleanly. The app and other programs read it with :func:`read_status`, which also
answers ``None`` when the file is left over from a gateway that died (its pid is gone).

Qt-free and small: the app imports this module without the server stack.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from modeldesk.core import limits
from modeldesk.core.errors import ModelDeskError
from modeldesk.core.safe_files import atomic_write

from .cooldown import config_scope, state_dir

# Where `modeldesk serve` listens unless told otherwise.
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8642

STATUS_DIR = "serve"
# A status file is a few hundred bytes; anything larger is not ours.
MAX_STATUS_BYTES = 64 << 10


@dataclass(frozen=True)
class ServeStatus:
    pid: int
    url: str
    host: str
    port: int
    config: str  # the config file's absolute, resolved path
    started_at: float  # Unix time

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def status_path(config_path: str | os.PathLike[str]) -> Path:
    """The status file of the gateway serving ``config_path`` (one per config file)."""
    scope = config_scope(config_path)
    digest = hashlib.sha256(scope.encode("utf-8", errors="surrogateescape")).hexdigest()[:16]
    return state_dir() / STATUS_DIR / f"{digest}.json"


def write_status(config_path: str | os.PathLike[str], *, url: str, host: str, port: int) -> ServeStatus:
    """Record that this process serves ``config_path`` at ``url`` (atomic, 0600)."""
    status = ServeStatus(
        pid=os.getpid(),
        url=url,
        host=host,
        port=port,
        config=config_scope(config_path),
        started_at=time.time(),
    )
    atomic_write(status_path(config_path), (json.dumps(status.to_json(), indent=2) + "\n").encode("utf-8"), 0o600)
    return status


def remove_status(config_path: str | os.PathLike[str]) -> None:
    """Remove the status file, if it is this process's own."""
    path = status_path(config_path)
    current = _read(path)
    if current is None or current.pid == os.getpid():
        with contextlib.suppress(OSError):
            path.unlink()


def read_status(config_path: str | os.PathLike[str]) -> ServeStatus | None:
    """The gateway serving ``config_path`` now, or ``None`` when none runs (no file, a file
    that cannot be read, or one whose process is gone)."""
    status = _read(status_path(config_path))
    if status is None or not pid_alive(status.pid):
        return None
    return status


def _read(path: Path) -> ServeStatus | None:
    try:
        # The file's limits, and a regular file only (a FIFO put there would hang a reader).
        data = limits.parse_json(limits.read_file(path, str(path), MAX_STATUS_BYTES), str(path))
    except (OSError, ModelDeskError):
        return None
    if not isinstance(data, dict):
        return None
    try:
        fields = (data["pid"], data["url"], data["host"], data["port"], data["config"], data["started_at"])
    except KeyError:
        return None
    pid, url, host, port, config, started_at = fields
    if not (
        isinstance(pid, int)
        and not isinstance(pid, bool)
        and pid > 0
        and isinstance(url, str)
        and isinstance(host, str)
        and isinstance(port, int)
        and isinstance(config, str)
        and isinstance(started_at, int | float)
    ):
        return None
    return ServeStatus(pid, url, host, port, config, float(started_at))


def pid_alive(pid: int) -> bool:
    """Whether a process with this id exists (on Windows: whether it can be opened)."""
    if pid <= 0:
        return False
    if os.name == "nt":  # pragma: no cover - Windows
        import ctypes

        kernel = ctypes.windll.kernel32  # type: ignore[attr-defined]
        handle = kernel.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
        if not handle:
            return False
        kernel.CloseHandle(handle)
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    except OSError:
        return False
    # A process that exited but was not yet reaped by its parent (a zombie) is gone too.
    with contextlib.suppress(OSError, IndexError):
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rpartition(")")[2].split()[0] != "Z"
    return True
