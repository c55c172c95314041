"""Writing files so that a crash never leaves a torn one, and locking them against other
processes: the config store, the cooldown file, the gateway's status file and exports all
write through :func:`atomic_write`; :func:`file_lock` serialises writers across processes."""

from __future__ import annotations

import contextlib
import os
import re
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

from .errors import ModelDeskError, StoreError

FILE_MODE = 0o600
DIR_MODE = 0o700
LOCK_TIMEOUT_S = 30.0


def _fsync_dir(folder: Path) -> None:
    if sys.platform == "win32":  # pragma: no cover - directories cannot be opened there
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: Path, data: bytes, mode: int = FILE_MODE) -> None:
    """Write ``data`` to ``path`` so that readers see the old or the new file only.

    A symlink is written through (its target is replaced), not replaced by a file."""
    if path.is_symlink():
        path = path.resolve()
    folder = path.parent
    folder.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as handle:
            if hasattr(os, "fchmod"):  # mkstemp makes 0600 already; be explicit for other modes
                os.fchmod(handle.fileno(), mode)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    _fsync_dir(folder)


@contextlib.contextmanager
def file_lock(lock_path: Path, timeout_s: float = LOCK_TIMEOUT_S) -> Iterator[None]:
    """Hold an exclusive OS lock on ``lock_path`` (created if needed) for the block.

    The lock is advisory and tied to the open file, so it is released if the process
    dies; it never blocks readers, who rely on atomic replacement instead.
    """
    try:
        lock_path.parent.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, FILE_MODE)
    except OSError as exc:
        raise StoreError(f"Cannot open the lock file {lock_path}: {exc.strerror}") from None
    try:
        _lock(fd, lock_path, timeout_s)
        try:
            yield
        finally:
            _unlock(fd)
    finally:
        os.close(fd)


if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _lock(fd: int, lock_path: Path, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise StoreError(f"Another program has held {lock_path} for {timeout_s:g} s; try again.") from None
                time.sleep(0.02)

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _lock(fd: int, lock_path: Path, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        delay = 0.002
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise StoreError(f"Another program has held {lock_path} for {timeout_s:g} s; try again.") from None
                time.sleep(delay)
                delay = min(delay * 2, 0.05)

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)


def remove_stale_temps(path: Path) -> None:
    """Delete temp files left beside ``path`` by a writer killed mid-save. Only the lock
    holder writes the config, so under the lock no such file is in use."""
    pattern = re.compile(r"\." + re.escape(path.name) + r"\.[A-Za-z0-9_]{8}\.tmp")
    with contextlib.suppress(OSError):
        for entry in path.parent.iterdir():
            if pattern.fullmatch(entry.name):
                with contextlib.suppress(OSError):
                    entry.unlink()


def remove_files(paths: Iterable[Path], error: type[ModelDeskError] = ModelDeskError) -> list[Path]:
    """Remove each of ``paths`` that exists and return those removed; one that cannot be
    removed stops the rest with ``error`` naming it."""
    removed: list[Path] = []
    for path in paths:
        try:
            path.unlink()
        except FileNotFoundError:
            continue
        except OSError as exc:
            raise error(f"Cannot remove {path}: {exc.strerror or exc}") from None
        removed.append(path)
    return removed
