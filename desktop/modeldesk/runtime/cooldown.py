"""Sticky fallback (SPEC §4 "Cooldown").

When an agent's primary model failed with a rate limit or another non-retryable error
and a fallback answered, later runs of that agent start at the fallback until the
cooldown ends. A success on the primary clears it.

Cooldowns are keyed by agent and remember which primary they stand in for: a run whose
list starts with a different primary (``--model`` given on the command line, say) is
not affected.

Persistence: with a ``path`` the tracker keeps its entries in a small JSON file and
re-reads it on every call, so consecutive CLI runs and the app share one state. The
default file is ``cooldowns.json`` beside the config file. Times in the file are wall
clock (epoch seconds) because they must mean the same thing to another process. A
missing or unreadable file simply means "no cooldowns" (state, not configuration).
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

COOLDOWN_FILE = "cooldowns.json"


def default_cooldown_path(config_path: str | os.PathLike[str]) -> Path:
    """``cooldowns.json`` in the folder of the config file."""
    return Path(config_path).parent / COOLDOWN_FILE


class ActiveCooldown(NamedTuple):
    agent_id: str
    model_id: str
    seconds_left: float


@dataclass
class _Entry:
    model_id: str
    primary: str | None
    until: float


class CooldownTracker:
    """Thread-safe record of which agent currently starts at which fallback."""

    def __init__(self, path: str | os.PathLike[str] | None = None, *, clock: Callable[[], float] = time.time) -> None:
        self.path = Path(path) if path is not None else None
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: dict[str, _Entry] = {}

    # -- public API ---------------------------------------------------------------------

    def now(self) -> float:
        """The tracker's clock (wall-clock epoch seconds unless a test gave another)."""
        return self._clock()

    def start(self, agent_id: str, model_id: str, until: float, *, primary: str | None = None) -> None:
        """From now until ``until`` (clock time), runs of ``agent_id`` whose list starts with
        ``primary`` (any list when ``None``) begin at ``model_id``."""
        with self._locked() as entries:
            entries[agent_id] = _Entry(model_id, primary, until)

    def active(self) -> list[ActiveCooldown]:
        """Cooldowns still running, soonest to end first."""
        now = self._clock()
        with self._locked(write=False) as entries:
            items = [ActiveCooldown(agent, e.model_id, e.until - now) for agent, e in entries.items() if e.until > now]
        return sorted(items, key=lambda item: item.seconds_left)

    def clear(self, agent_id: str | None = None) -> None:
        """End one agent's cooldown, or every cooldown."""
        with self._locked() as entries:
            if agent_id is None:
                entries.clear()
            else:
                entries.pop(agent_id, None)

    def start_index(self, agent_id: str, models: Sequence[str]) -> tuple[int, float]:
        """Where a run of ``agent_id`` over ``models`` should start, and the seconds left.

        ``(0, 0.0)`` when no cooldown applies (none, expired, another primary, or the
        fallback is no longer in the list).
        """
        now = self._clock()
        with self._locked(write=False) as entries:
            entry = entries.get(agent_id)
        if entry is None or entry.until <= now or not models:
            return 0, 0.0
        if entry.primary is not None and models[0] != entry.primary:
            return 0, 0.0
        try:
            index = list(models).index(entry.model_id)
        except ValueError:
            return 0, 0.0
        return index, entry.until - now

    # -- storage --------------------------------------------------------------------------

    @contextlib.contextmanager
    def _locked(self, write: bool = True):  # type: ignore[no-untyped-def]
        with self._lock:
            if self.path is not None:
                self._entries = self._read()
            now = self._clock()
            # Expired entries are dropped whenever we look: the file never grows unbounded.
            self._entries = {a: e for a, e in self._entries.items() if e.until > now}
            yield self._entries
            if write and self.path is not None:
                self._write(self._entries)

    def _read(self) -> dict[str, _Entry]:
        assert self.path is not None
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            return {
                str(agent): _Entry(str(item["model"]), item.get("primary"), float(item["until"]))
                for agent, item in data.get("cooldowns", {}).items()
            }
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return {}

    def _write(self, entries: dict[str, _Entry]) -> None:
        assert self.path is not None
        data = {
            "cooldowns": {
                agent: {"model": e.model_id, "primary": e.primary, "until": e.until}
                for agent, e in sorted(entries.items())
            }
        }
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".cooldowns.", suffix=".tmp", dir=self.path.parent)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(data, handle, indent=2)
                handle.write("\n")
            os.replace(tmp, self.path)
        except OSError:
            # Losing a cooldown only means the next run tries the primary again.
            with contextlib.suppress(OSError, UnboundLocalError):
                os.unlink(tmp)
