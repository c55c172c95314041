"""Start and stop a gateway (`modeldesk serve`) as a background process of its own.

The process is detached (a session of its own, no terminal, stdin closed), so it goes on
serving after the program that started it — the app — has closed. Whoever started it, the
app or a shell, the gateway's status file (:mod:`.serve_status`) says that it runs and
where, so stopping works the same for both. Its stderr goes to a log file beside the status
file, truncated at each start: when a start fails, its last lines say why.

Both calls block until the gateway is ready (or gone) and are meant for a worker thread.
Qt-free, no server stack imported.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from modeldesk.core.errors import ModelDeskError

from .serve_status import ServeStatus, pid_alive, read_status, status_path

START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 10.0
POLL_S = 0.05
# How much of the log a failed start quotes.
LOG_TAIL_BYTES = 2000
LOG_TAIL_LINES = 6


class ServeControlError(ModelDeskError):
    """The gateway could not be started or stopped; the message says why."""

    code = "serve_control"


@dataclass(frozen=True)
class ServeOptions:
    """The command line of a gateway: ``None`` leaves the gateway's default."""

    host: str | None = None
    port: int | None = None
    token_file: Path | None = None

    def arguments(self) -> list[str]:
        args: list[str] = []
        if self.host is not None:
            args += ["--host", self.host]
        if self.port is not None:
            args += ["--port", str(self.port)]
        if self.token_file is not None:
            args += ["--token-file", str(self.token_file)]
        return args


# Gateways this process started and has not reaped yet: a child that exits stays a zombie
# (its pid still "alive") until waited for.
_children: dict[int, subprocess.Popen[bytes]] = {}
_children_lock = threading.Lock()


def _reap() -> None:
    with _children_lock:
        for pid, child in list(_children.items()):
            if child.poll() is not None:
                del _children[pid]


def log_path(config_path: str | os.PathLike[str]) -> Path:
    """Where a gateway started from here writes its stderr."""
    return status_path(config_path).with_suffix(".log")


def current_status(config_path: str | os.PathLike[str]) -> ServeStatus | None:
    """The gateway serving ``config_path``, or ``None`` (our own exited children reaped
    first, so one that ended does not read as running)."""
    _reap()
    return read_status(config_path)


def gateway_command(
    config_path: str | os.PathLike[str], options: ServeOptions, *, python: str = sys.executable
) -> list[str]:
    """How a gateway for ``config_path`` is started, here and by a service unit."""
    return [python, "-m", "modeldesk", "--config", str(config_path), "serve", *options.arguments()]


def start_gateway(
    config_path: str | os.PathLike[str], options: ServeOptions, *, timeout_s: float = START_TIMEOUT_S
) -> ServeStatus:
    """Start a gateway for ``config_path`` and wait until it is ready; its status.
    A gateway already serving the file is not started twice."""
    running = current_status(config_path)
    if running is not None:
        raise ServeControlError(f"A gateway already serves this config at {running.url} (process {running.pid}).")
    log = log_path(config_path)
    try:
        log.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        handle = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    except OSError as exc:
        raise ServeControlError(f"Cannot write the gateway's log {log}: {exc.strerror or exc}") from None
    try:
        child = subprocess.Popen(
            gateway_command(config_path, options),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=handle,
            start_new_session=True,  # no terminal's Ctrl+C or hang-up reaches it
            close_fds=True,
        )
    except OSError as exc:
        raise ServeControlError(f"Cannot start the gateway: {exc.strerror or exc}") from None
    finally:
        os.close(handle)
    with _children_lock:
        _children[child.pid] = child
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        status = read_status(config_path)
        if status is not None and status.pid == child.pid:
            return status
        if child.poll() is not None:
            _reap()
            raise ServeControlError(f"The gateway did not start (exit {child.returncode}). {log_tail(log)}".strip())
        time.sleep(POLL_S)
    _end(child.pid, STOP_TIMEOUT_S)
    raise ServeControlError(f"The gateway was not ready after {timeout_s:.0f} s and was stopped. {log_tail(log)}")


def stop_gateway(config_path: str | os.PathLike[str], *, timeout_s: float = STOP_TIMEOUT_S) -> ServeStatus | None:
    """Stop the gateway serving ``config_path`` (SIGTERM: it ends its streams and exits
    cleanly); the status of the one stopped, ``None`` when none ran."""
    status = current_status(config_path)
    if status is None:
        return None
    if not _is_gateway(status.pid):
        raise ServeControlError(
            f"Process {status.pid} named in {status_path(config_path)} is not a ModelDesk gateway; not stopping it."
        )
    if not _end(status.pid, timeout_s):
        raise ServeControlError(f"The gateway (process {status.pid}) did not stop within {timeout_s:.0f} s.")
    return status


def _end(pid: int, timeout_s: float) -> bool:
    """SIGTERM, then wait; SIGKILL if it is still there after ``timeout_s``."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            _reap()
            return True
        except OSError as exc:
            raise ServeControlError(f"Cannot stop process {pid}: {exc.strerror or exc}") from None
        if _wait_gone(pid, timeout_s if sig == signal.SIGTERM else 5.0):
            return True
    return False


def _wait_gone(pid: int, timeout_s: float) -> bool:
    with _children_lock:
        child = _children.get(pid)
    if child is not None:
        try:
            child.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            return False
        _reap()
        return True
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not pid_alive(pid):
            return True
        time.sleep(POLL_S)
    return not pid_alive(pid)


def _is_gateway(pid: int) -> bool:
    """Whether ``pid`` runs `modeldesk ... serve` (a status file left by a gateway that
    died may name a pid the system has since given to another program). Where the
    command line cannot be read (not Linux), the status file is trusted."""
    cmdline = Path(f"/proc/{pid}/cmdline")
    try:
        words = cmdline.read_bytes()[:65536].split(b"\0")
    except FileNotFoundError:
        return not Path("/proc/self/cmdline").exists()
    except OSError:
        return True
    return b"serve" in words and any(b"modeldesk" in word for word in words)


def log_tail(log: Path) -> str:
    """The last lines of a gateway's log, as plain one-line-per-line text."""
    try:
        with log.open("rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            handle.seek(max(0, size - LOG_TAIL_BYTES))
            raw = handle.read()
    except OSError:
        return ""
    lines = [line.strip() for line in raw.decode("utf-8", "replace").splitlines() if line.strip()]
    text = "\n".join(lines[-LOG_TAIL_LINES:])
    return "".join(ch for ch in text if ch == "\n" or ch.isprintable())
