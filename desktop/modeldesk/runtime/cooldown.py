"""Cooldowns (SPEC §4 "Cooldown"): which models an agent skips for a while, and why.

When a model fails with a rate limit, a refused key, an unknown model or an exhausted
quota and a later model answers, runs of that agent skip the failed model until its
cooldown ends (``cooldown_s``; ``quota_cooldown_s`` for quota). A success on a model
clears its cooldown.

One entry per **config file + agent + model**: an agent of the same id in another config
file is not affected, and nor is another model of the same agent.

Where entries live:

- by default in ONE file, ``cooldowns.json`` in the platform's state folder
  (``platformdirs.user_state_dir("modeldesk")``), changed under an OS lock
  (:func:`modeldesk.core.store.file_lock`) and written with the store's
  :func:`~modeldesk.core.store.atomic_write`, so processes writing at once lose nothing
  and a reader never sees a torn file; expired entries are dropped on every write;
- or in Redis when ``settings.fallback.state`` names a server
  (``{"redis": "redis://host:6379/0"}``): hosts that share the server share cooldowns and
  the failure counts behind them. Keys expire with their cooldown. If Redis cannot be
  reached the tracker warns once (:attr:`CooldownTracker.warning`) and keeps to the local
  file; a run never fails for it.

Times are wall-clock epoch seconds, so they mean the same to every process and host.
A missing or unreadable store simply means "no cooldowns" (state, not configuration).
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple, Protocol
from urllib.parse import quote

import platformdirs

from modeldesk.core.errors import ModelDeskError
from modeldesk.core.paths import APP_NAME
from modeldesk.core.schema import FallbackState
from modeldesk.core.store import atomic_write, file_lock

log = logging.getLogger(__name__)

COOLDOWN_FILE = "cooldowns.json"
STORE_VERSION = 1
REDIS_PREFIX = "modeldesk:cooldown:"
# A Redis that does not answer within this long counts as down (the run must not wait).
REDIS_TIMEOUT_S = 0.5
# After Redis failed, the local file is used; Redis is tried again after this long.
REDIS_RETRY_S = 30.0


def state_dir() -> Path:
    """The platform's state folder for ModelDesk (``~/.local/state/modeldesk`` on Linux)."""
    return Path(platformdirs.user_state_dir(APP_NAME))


def default_cooldown_path(config_path: str | os.PathLike[str] | None = None) -> Path:
    """The one local cooldown store. ``config_path`` is accepted for older callers; the
    store is shared by every config file (entries carry their file)."""
    return state_dir() / COOLDOWN_FILE


def config_scope(config_path: str | os.PathLike[str]) -> str:
    """The key a config file's entries carry: its absolute, resolved path."""
    return str(Path(config_path).expanduser().resolve())


class ActiveCooldown(NamedTuple):
    """One cooling model. ``model_id`` is the model runs start at instead when one is known
    (the fallback that answered), else the cooling model itself."""

    agent_id: str
    model_id: str
    seconds_left: float
    cooling: str = ""  # the model being skipped
    reason: str = ""  # its error class: rate_limit, quota, auth, not_found
    config: str = ""  # the config file (scope) of the entry
    failures: int = 1  # how many times in a row this model started a cooldown

    def to_json(self) -> dict[str, Any]:
        return {
            "config": self.config,
            "agent": self.agent_id,
            "model": self.cooling,
            "starts_at": self.model_id if self.model_id != self.cooling else None,
            "reason": self.reason,
            "seconds_left": round(self.seconds_left, 1),
            "failures": self.failures,
        }


@dataclass
class Entry:
    scope: str
    agent: str
    model: str
    until: float
    reason: str = "rate_limit"
    replaced_by: str | None = None
    failures: int = 1

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.scope, self.agent, self.model)

    def to_json(self) -> dict[str, Any]:
        return {
            "config": self.scope,
            "agent": self.agent,
            "model": self.model,
            "until": self.until,
            "reason": self.reason,
            "replaced_by": self.replaced_by,
            "failures": self.failures,
        }

    @classmethod
    def from_json(cls, item: dict[str, Any]) -> Entry:
        return cls(
            scope=str(item.get("config", "")),
            agent=str(item["agent"]),
            model=str(item["model"]),
            until=float(item["until"]),
            reason=str(item.get("reason") or "rate_limit"),
            replaced_by=item.get("replaced_by") if isinstance(item.get("replaced_by"), str) else None,
            failures=int(item.get("failures") or 1),
        )


class Backend(Protocol):
    def load(self, scope: str, now: float) -> list[Entry]: ...

    def put(self, entries: Sequence[Entry], now: float) -> None: ...

    def remove(self, scope: str, agent: str | None, model: str | None, now: float) -> int: ...


class FileBackend:
    """Every config file's entries in one JSON file, changed under an OS lock."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @property
    def lock_path(self) -> Path:
        return self.path.with_name(self.path.name + ".lock")

    def _read(self) -> list[Entry]:
        try:
            data = json.loads(self.path.read_bytes())
            items = data.get("cooldowns", []) if isinstance(data, dict) else []
        except (OSError, ValueError):
            return []
        entries = []
        for item in items if isinstance(items, list) else []:
            try:
                entries.append(Entry.from_json(item))
            except (KeyError, TypeError, ValueError, AttributeError):
                continue  # one bad entry does not hide the others
        return entries

    def _write(self, entries: Iterable[Entry]) -> None:
        ordered = sorted(entries, key=lambda e: e.key)
        data = {"version": STORE_VERSION, "cooldowns": [e.to_json() for e in ordered]}
        atomic_write(self.path, (json.dumps(data, indent=2) + "\n").encode("utf-8"))

    def load(self, scope: str, now: float) -> list[Entry]:
        return [e for e in self._read() if e.scope == scope and e.until > now]

    def _change(self, change: Callable[[dict[tuple[str, str, str], Entry]], int], now: float) -> int:
        try:
            with file_lock(self.lock_path):
                current = {e.key: e for e in self._read() if e.until > now}  # expired ones pruned
                changed = change(current)
                self._write(current.values())
                return changed
        except (OSError, ModelDeskError) as exc:
            # Losing a cooldown only means a later run tries that model again.
            log.warning("cannot update the cooldown store %s: %s", self.path, exc)
            return 0

    def put(self, entries: Sequence[Entry], now: float) -> None:
        def change(current: dict[tuple[str, str, str], Entry]) -> int:
            for entry in entries:
                before = current.get(entry.key)
                if before is not None:
                    entry.failures = before.failures + 1
                current[entry.key] = entry
            return len(entries)

        self._change(change, now)

    def remove(self, scope: str, agent: str | None, model: str | None, now: float) -> int:
        def change(current: dict[tuple[str, str, str], Entry]) -> int:
            doomed = [
                k
                for k in current
                if k[0] == scope and (agent is None or k[1] == agent) and (model is None or k[2] == model)
            ]
            for key in doomed:
                del current[key]
            return len(doomed)

        return self._change(change, now)


class RedisBackend:
    """Entries as Redis hashes that expire with their cooldown; shared by every host."""

    def __init__(self, url: str) -> None:
        import redis  # imported late: only teams that share state need it loaded

        self._errors: tuple[type[BaseException], ...] = (redis.RedisError, OSError)
        self.client = redis.Redis.from_url(
            url, socket_timeout=REDIS_TIMEOUT_S, socket_connect_timeout=REDIS_TIMEOUT_S, decode_responses=True
        )
        self.url = url

    @staticmethod
    def _key(scope: str, agent: str, model: str) -> str:
        # "|" never occurs in an id; the scope is quoted so it cannot contain one either.
        return f"{REDIS_PREFIX}{quote(scope, safe='')}|{agent}|{model}"

    def _keys(self, scope: str) -> list[str]:
        pattern = f"{REDIS_PREFIX}{quote(scope, safe='')}|*"
        return list(self.client.scan_iter(match=pattern, count=500))

    def load(self, scope: str, now: float) -> list[Entry]:
        keys = self._keys(scope)
        if not keys:
            return []
        pipe = self.client.pipeline(transaction=False)
        for key in keys:
            pipe.hgetall(key)
        entries = []
        for fields in pipe.execute():
            try:
                entry = Entry(
                    scope=scope,
                    agent=fields["agent"],
                    model=fields["model"],
                    until=float(fields["until"]),
                    reason=fields.get("reason") or "rate_limit",
                    replaced_by=fields.get("replaced_by") or None,
                    failures=int(fields.get("failures") or 1),
                )
            except (KeyError, TypeError, ValueError):
                continue
            if entry.until > now:
                entries.append(entry)
        return entries

    def put(self, entries: Sequence[Entry], now: float) -> None:
        pipe = self.client.pipeline(transaction=True)
        for entry in entries:
            key = self._key(entry.scope, entry.agent, entry.model)
            pipe.hset(
                key,
                mapping={
                    "agent": entry.agent,
                    "model": entry.model,
                    "until": repr(entry.until),
                    "reason": entry.reason,
                    "replaced_by": entry.replaced_by or "",
                },
            )
            # The failure count survives a cooldown that is renewed before it ends.
            pipe.hincrby(key, "failures", 1)
            pipe.pexpireat(key, int(entry.until * 1000) + 1)
        pipe.execute()

    def remove(self, scope: str, agent: str | None, model: str | None, now: float) -> int:
        if agent is not None and model is not None:
            return int(self.client.delete(self._key(scope, agent, model)))
        doomed = [k for k in self._keys(scope) if agent is None or k.split("|")[1] == agent]
        return int(self.client.delete(*doomed)) if doomed else 0


class CooldownTracker:
    """Thread-safe access to the cooldowns of one config file (its ``scope``).

    ``CooldownTracker.for_config(path, state)`` is what the CLI and the app use.
    ``CooldownTracker(path)`` keeps entries in the file ``path`` under scope ``scope``;
    with neither a path nor Redis the entries live in memory (tests, embedding).
    """

    def __init__(
        self,
        path: str | os.PathLike[str] | None = None,
        *,
        scope: str = "",
        redis_url: str | None = None,
        redis_scope: str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.path = Path(path) if path is not None else None
        self.scope = scope
        self.redis_scope = redis_scope if redis_scope is not None else scope
        self._clock = clock
        self._lock = threading.Lock()
        self._memory: dict[tuple[str, str, str], Entry] = {}
        self._local: Backend | None = FileBackend(self.path) if self.path is not None else None
        self._redis: RedisBackend | None = None
        self._redis_failed_at: float | None = None
        self.warning: str | None = None
        if redis_url:
            try:
                self._redis = RedisBackend(redis_url)
            except ImportError:
                self._note_redis_failure("the 'redis' package is not installed")

    @classmethod
    def for_config(
        cls, config_path: str | os.PathLike[str], state: FallbackState | None = None, **kwargs: Any
    ) -> CooldownTracker:
        """The tracker for a config file: the local store in the state folder, or Redis."""
        redis_url = state.redis if state is not None else None
        redis_scope = (state.scope if state is not None else None) or Path(config_path).name
        return cls(
            default_cooldown_path(),
            scope=config_scope(config_path),
            redis_url=redis_url,
            redis_scope=redis_scope,
            **kwargs,
        )

    # -- the store in use -------------------------------------------------------------------

    @property
    def shared(self) -> bool:
        """Whether entries currently go to Redis."""
        return self._redis is not None and self._redis_failed_at is None

    def _note_redis_failure(self, why: str) -> None:
        self._redis_failed_at = time.monotonic()
        where = self._redis.url if self._redis is not None else "Redis"
        self.warning = f"cooldowns are kept on this machine only: cannot use {_safe_url(where)} ({why})"
        log.warning("%s", self.warning)

    def _call(self, name: str, *args: Any) -> Any:
        """Run a backend operation (``load``, ``put`` or ``remove``, whose first argument is
        the scope or the entries) on Redis when it is up, else on the local store."""
        if self._redis is not None:
            if self._redis_failed_at is not None and time.monotonic() - self._redis_failed_at > REDIS_RETRY_S:
                self._redis_failed_at = None
            if self._redis_failed_at is None:
                first = args[0]
                if name == "put":  # entries carry the Redis scope there
                    first = [Entry(self.redis_scope, e.agent, e.model, e.until, e.reason, e.replaced_by) for e in first]
                else:
                    first = self.redis_scope
                try:
                    return getattr(self._redis, name)(first, *args[1:])
                except self._redis._errors as exc:
                    self._note_redis_failure(type(exc).__name__ + (f": {exc}" if str(exc) else ""))
        if self._local is not None:
            return getattr(self._local, name)(*args)
        return getattr(self, f"_memory_{name}")(*args)

    def _memory_load(self, scope: str, now: float) -> list[Entry]:
        return [e for e in self._memory.values() if e.scope == scope and e.until > now]

    def _memory_put(self, entries: Sequence[Entry], now: float) -> None:
        for entry in entries:
            before = self._memory.get(entry.key)
            if before is not None and before.until > now:
                entry.failures = before.failures + 1
            self._memory[entry.key] = entry

    def _memory_remove(self, scope: str, agent: str | None, model: str | None, now: float) -> int:
        doomed = [k for k in self._memory if k[0] == scope and agent in (None, k[1]) and model in (None, k[2])]
        for key in doomed:
            del self._memory[key]
        return len(doomed)

    # -- public API -------------------------------------------------------------------------

    def now(self) -> float:
        """The tracker's clock (wall-clock epoch seconds unless a test gave another)."""
        return self._clock()

    def entries(self, agent_id: str | None = None) -> list[Entry]:
        now = self._clock()
        with self._lock:
            found = self._call("load", self.scope, now)
        return [e for e in found if agent_id is None or e.agent == agent_id]

    def cooling(self, agent_id: str, models: Sequence[str]) -> dict[str, Entry]:
        """The models of ``models`` that ``agent_id`` skips now, with their entries."""
        wanted = set(models)
        return {e.model: e for e in self.entries(agent_id) if e.model in wanted}

    def cool(
        self,
        agent_id: str,
        model_ids: Sequence[str],
        seconds: float,
        *,
        reason: str = "rate_limit",
        replaced_by: str | None = None,
    ) -> None:
        """``agent_id`` skips each of ``model_ids`` for ``seconds`` from now."""
        if seconds <= 0 or not model_ids:
            return
        now = self._clock()
        entries = [Entry(self.scope, agent_id, m, now + seconds, reason, replaced_by) for m in model_ids]
        with self._lock:
            self._call("put", entries, now)

    def start(self, agent_id: str, model_id: str, until: float, *, primary: str | None = None) -> None:
        """Older form: runs of ``agent_id`` start at ``model_id`` because ``primary`` (or, when
        not given, ``model_id`` itself) cools down until ``until``."""
        now = self._clock()
        entry = Entry(self.scope, agent_id, primary or model_id, until, "rate_limit", model_id if primary else None)
        with self._lock:
            self._call("put", [entry], now)

    def active(self, agent_id: str | None = None) -> list[ActiveCooldown]:
        """Cooldowns still running in this config file, soonest to end first."""
        now = self._clock()
        items = [
            ActiveCooldown(e.agent, e.replaced_by or e.model, e.until - now, e.model, e.reason, e.scope, e.failures)
            for e in self.entries(agent_id)
        ]
        return sorted(items, key=lambda item: (item.seconds_left, item.agent_id, item.cooling))

    def clear(self, agent_id: str | None = None, model_id: str | None = None) -> int:
        """End one agent's cooldowns (or one model's of it), or every cooldown of this file.
        Returns how many ended."""
        now = self._clock()
        with self._lock:
            return int(self._call("remove", self.scope, agent_id, model_id, now) or 0)

    def start_index(self, agent_id: str, models: Sequence[str]) -> tuple[int, float]:
        """Where a run over ``models`` would start (the first model not cooling down) and the
        seconds left on the cooldown of the model before it; ``(0, 0.0)`` when none applies."""
        cooling = self.cooling(agent_id, models)
        index = 0
        while index < len(models) and models[index] in cooling:
            index += 1
        if index == 0 or index == len(models):
            return 0, 0.0
        return index, min(cooling[m].until for m in models[:index]) - self._clock()


def _safe_url(url: str) -> str:
    """A Redis URL without its password, for messages."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.rsplit('@', 1)[1]}"
    return url
