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
  (:func:`modeldesk.core.safe_files.file_lock`) and written with
  :func:`~modeldesk.core.safe_files.atomic_write`, so processes writing at once lose nothing
  and a reader never sees a torn file; expired entries are dropped on every write. A
  tracker keeps its last read and reads the file again only when its identity (device,
  inode, size, mtime, ctime) changed, so another process's write is seen at the next look-up;
- or in Redis when ``settings.fallback.state`` names a server
  (``{"redis": "redis://host:6379/0"}``): hosts that use the same ``state.scope`` share
  cooldowns and the failure counts behind them (without a scope, a file's entries are its
  own: this host and this path). One hash per scope, changed by one atomic script; the
  hash expires with its last cooldown. If Redis is down, slow or answers anything odd
  (:mod:`.redis_client` bounds every call) the tracker warns once
  (:attr:`CooldownTracker.warning`) and keeps to the local file; a run never fails for it.

A cooldown never shrinks: a later, shorter one keeps the later deadline of the two.
Times are wall-clock epoch seconds, so they mean the same to every process and host, and
a restart keeps the time left. A missing store means "no cooldowns"; a damaged one the
same, with a warning (state, not configuration).
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import os
import socket
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, NamedTuple, Protocol
from urllib.parse import quote, unquote

import platformdirs

from modeldesk.core import limits
from modeldesk.core.errors import ModelDeskError
from modeldesk.core.paths import APP_NAME
from modeldesk.core.safe_files import atomic_write, file_lock, remove_stale_temps
from modeldesk.core.schema import FallbackState
from modeldesk.core.text import clean_text

from .redis_client import BoundedRedis, RedisFault

log = logging.getLogger(__name__)

COOLDOWN_FILE = "cooldowns.json"
STORE_VERSION = 1
REDIS_PREFIX = "modeldesk:cooldowns:"
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


def default_redis_scope(config_path: str | os.PathLike[str]) -> str:
    """The Redis scope of a config file when ``state.scope`` names none: this host and the
    file's resolved path. A file's name alone (every host's ``config.json``) would mix
    unrelated configs on one server; hosts that mean to share cooldowns name a scope."""
    return f"{socket.gethostname()}:{config_scope(config_path)}"


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


def _renewed(before: Entry | None, entry: Entry, now: float) -> Entry:
    """``entry`` as stored over ``before``: a cooldown never shrinks (the later deadline of
    the two is kept) and the failures in a row are counted while one is running."""
    if before is None or before.until <= now:
        return entry
    entry.failures = before.failures + 1
    entry.until = max(entry.until, before.until)
    return entry


class Backend(Protocol):
    def load(self, scope: str, now: float) -> list[Entry]: ...

    def put(self, entries: Sequence[Entry], now: float) -> None: ...

    def remove(self, scope: str, agent: str | None, model: str | None, now: float) -> int: ...


class FileBackend:
    """Every config file's entries in one JSON file, changed under an OS lock."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.problem: str | None = None  # why the file could not be read, at the last read
        # The entries of the last good read and the identity of the file they came from:
        # a look-up (two per run) reads and parses the file only when it changed.
        self._cached: tuple[tuple[int, ...], list[Entry]] | None = None

    @property
    def lock_path(self) -> Path:
        return self.path.with_name(self.path.name + ".lock")

    def _read(self) -> list[Entry]:
        """The entries in the file; a missing file has none, and a damaged one (not JSON,
        too big or deep, not a regular file) none either, with a warning: a lost cooldown
        only means a model is tried again. ``problem`` says what the last read found."""
        self.problem = None
        try:
            identity = _identity(os.stat(self.path))
        except FileNotFoundError:
            self._cached = None
            return []
        except OSError:
            identity = None  # the read below says what is wrong
        if self._cached is not None and self._cached[0] == identity:
            return list(self._cached[1])  # entries are never changed in place here
        self._cached = None
        try:
            data = limits.parse_json(limits.read_file(self.path, str(self.path)), str(self.path))
        except FileNotFoundError:
            return []
        except (OSError, ModelDeskError) as exc:
            self._damaged(exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc))
            return []
        items = data.get("cooldowns") if isinstance(data, dict) else None
        if not isinstance(items, list):
            self._damaged("it holds no list of cooldowns")
            return []
        entries = []
        for item in items:
            try:
                entry = Entry.from_json(item)
            except (KeyError, TypeError, ValueError, AttributeError, OverflowError):
                continue  # one bad entry does not hide the others
            if math.isfinite(entry.until):
                entries.append(entry)
        if identity is not None:
            # Stated before the read: a file replaced in between holds newer entries than
            # the identity kept, and the next look-up reads it again.
            self._cached = (identity, list(entries))
        return entries

    def _damaged(self, why: str) -> None:
        self.problem = (
            f"the cooldown store {self.path} is damaged and was ignored ({clean_text(why, keep_newlines=False)})"
        )
        log.warning("%s", self.problem)

    def _write(self, entries: Iterable[Entry]) -> None:
        ordered = sorted(entries, key=lambda e: e.key)
        data = {"version": STORE_VERSION, "cooldowns": [e.to_json() for e in ordered]}
        self._cached = None
        atomic_write(self.path, (json.dumps(data, indent=2) + "\n").encode("utf-8"))
        # Under the store's lock no other writer can have replaced it since.
        with contextlib.suppress(OSError):
            self._cached = (_identity(os.stat(self.path)), ordered)

    def load(self, scope: str, now: float) -> list[Entry]:
        # Copies: the caller may change what it is given; the cached read must stay as read.
        return [replace(e) for e in self._read() if e.scope == scope and e.until > now]

    def _change(self, change: Callable[[dict[tuple[str, str, str], Entry]], int], now: float) -> int:
        try:
            with file_lock(self.lock_path):
                remove_stale_temps(self.path)  # left by a writer killed mid-save
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
                current[entry.key] = _renewed(current.get(entry.key), entry, now)
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


def _identity(status: os.stat_result) -> tuple[int, ...]:
    """What changes whenever the file is replaced or rewritten: an atomic write makes a new
    inode, and an inode number used again still differs in its times or size (ctime too,
    should two writes ever share a size and an mtime)."""
    return (status.st_dev, status.st_ino, status.st_size, status.st_mtime_ns, status.st_ctime_ns)


# Adds entries to a scope's hash, each keeping the later deadline of the old entry (if
# still running) and the new one, counting failures in a row; drops expired entries and
# lets the whole hash expire with its last cooldown. Atomic: Redis runs a script alone.
# KEYS[1] the hash; ARGV[1] now; then per entry: field, until, reason, replaced_by.
_PUT_SCRIPT = """
local now = tonumber(ARGV[1])
for i = 2, #ARGV, 4 do
  local untilv = tonumber(ARGV[i + 1])
  local failures = 1
  local old = redis.call('HGET', KEYS[1], ARGV[i])
  if old then
    local old_until, old_failures = string.match(old, '^([^|]*)|([^|]*)|')
    old_until = tonumber(old_until)
    if old_until and old_until > now then
      failures = (tonumber(old_failures) or 1) + 1
      if old_until > untilv then untilv = old_until end
    end
  end
  redis.call('HSET', KEYS[1], ARGV[i], string.format('%.3f|%d|%s|%s', untilv, failures, ARGV[i + 2], ARGV[i + 3]))
end
local last = 0
local all = redis.call('HGETALL', KEYS[1])
for j = 1, #all, 2 do
  local untilv = tonumber(string.match(all[j + 1], '^([^|]*)|'))
  if not untilv or untilv <= now then
    redis.call('HDEL', KEYS[1], all[j])
  elseif untilv > last then
    last = untilv
  end
end
if last > 0 then redis.call('PEXPIREAT', KEYS[1], math.floor(last * 1000) + 1) end
return 1
"""
# Removes the running entries whose field starts with ARGV[2] ('' = all); returns how many.
_REMOVE_SCRIPT = """
local now = tonumber(ARGV[1])
local removed = 0
local all = redis.call('HGETALL', KEYS[1])
for j = 1, #all, 2 do
  if string.sub(all[j], 1, #ARGV[2]) == ARGV[2] then
    redis.call('HDEL', KEYS[1], all[j])
    local untilv = tonumber(string.match(all[j + 1], '^([^|]*)|'))
    if untilv and untilv > now then removed = removed + 1 end
  end
end
return removed
"""


class RedisBackend:
    """One Redis hash per scope (``modeldesk:cooldowns:<scope>``), one field per agent and
    model; shared by every host. Each operation is one keyed command within
    :data:`REDIS_TIMEOUT_S` (see :mod:`.redis_client`): no key is ever searched for, so a
    big shared keyspace costs nothing."""

    def __init__(self, url: str, password: str | None = None) -> None:
        self.client = BoundedRedis(url, timeout_s=REDIS_TIMEOUT_S, password=password)
        self.url = url

    @staticmethod
    def _key(scope: str) -> str:
        return f"{REDIS_PREFIX}{quote(scope, safe='')}"

    @staticmethod
    def _field(agent: str, model: str = "") -> str:
        # Quoted, so neither part can hold the "|" between them.
        return f"{quote(agent, safe='')}|{quote(model, safe='')}"

    def load(self, scope: str, now: float) -> list[Entry]:
        reply = self.client.call("HGETALL", self._key(scope))
        if not isinstance(reply, list) or len(reply) % 2:
            raise RedisFault("unexpected answer to HGETALL")
        entries = []
        for field, value in zip(reply[::2], reply[1::2], strict=True):
            entry = _entry_from_redis(scope, field, value)
            if entry is not None and entry.until > now:
                entries.append(entry)
        return entries

    def put(self, entries: Sequence[Entry], now: float) -> None:
        by_scope: dict[str, list[Entry]] = {}
        for entry in entries:
            by_scope.setdefault(entry.scope, []).append(entry)
        for scope, group in by_scope.items():
            args: list[str] = []
            for e in group:
                args += [
                    self._field(e.agent, e.model),
                    repr(e.until),
                    quote(e.reason, safe=""),
                    quote(e.replaced_by or "", safe=""),
                ]
            self.client.call("EVAL", _PUT_SCRIPT, 1, self._key(scope), repr(now), *args)

    def remove(self, scope: str, agent: str | None, model: str | None, now: float) -> int:
        if agent is not None and model is not None:
            prefix = self._field(agent, model)
        elif agent is not None:
            prefix = self._field(agent)
        else:
            prefix = ""
        if agent is not None and model is not None:
            before = [e for e in self.load(scope, now) if e.agent == agent and e.model == model]
            self.client.call("HDEL", self._key(scope), prefix)
            return len(before)
        reply = self.client.call("EVAL", _REMOVE_SCRIPT, 1, self._key(scope), repr(now), prefix)
        return reply if isinstance(reply, int) else 0


def _entry_from_redis(scope: str, field: object, value: object) -> Entry | None:
    """An entry from its hash field and value; None for anything malformed."""
    if not isinstance(field, str) or not isinstance(value, str):
        return None
    agent, sep, model = field.partition("|")
    parts = value.split("|")
    if not sep or len(parts) != 4:
        return None
    try:
        until, failures = float(parts[0]), int(parts[1])
    except ValueError:
        return None
    if not math.isfinite(until) or failures < 1:
        return None
    return Entry(
        scope=scope,
        agent=unquote(agent),
        model=unquote(model),
        until=until,
        reason=unquote(parts[2]) or "rate_limit",
        replaced_by=unquote(parts[3]) or None,
        failures=failures,
    )


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
        self._redis_warning: str | None = None
        self._redis_url = redis_url or ""
        if redis_url:
            try:
                self._redis = RedisBackend(redis_url)
            except RedisFault as exc:
                self._note_redis_failure(str(exc))

    @classmethod
    def for_config(
        cls, config_path: str | os.PathLike[str], state: FallbackState | None = None, **kwargs: Any
    ) -> CooldownTracker:
        """The tracker for a config file: the local store in the state folder, or Redis."""
        redis_url = state.redis if state is not None else None
        redis_scope = (state.scope if state is not None else None) or default_redis_scope(config_path)
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
        where = self._redis_url or "Redis"
        self._redis_warning = f"cooldowns are kept on this machine only: cannot use {_safe_url(where)} ({why})"
        log.warning("%s", self._redis_warning)

    @property
    def warning(self) -> str | None:
        """What the user should know about where cooldowns are kept: Redis could not be
        used, or the local store was damaged (and ignored). None when all is well."""
        problem = self._local.problem if isinstance(self._local, FileBackend) else None
        found = [w for w in (self._redis_warning, problem) if w]
        return "; ".join(found) or None

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
                except (RedisFault, OSError, ValueError) as exc:
                    # Down, slow or not Redis at all: this run uses the local store.
                    self._note_redis_failure(str(exc) or type(exc).__name__)
        if self._local is not None:
            return getattr(self._local, name)(*args)
        return getattr(self, f"_memory_{name}")(*args)

    def close(self) -> None:
        """Drop the connection to Redis, if one is open."""
        if self._redis is not None:
            self._redis.client.close()

    def _memory_load(self, scope: str, now: float) -> list[Entry]:
        return [e for e in self._memory.values() if e.scope == scope and e.until > now]

    def _memory_put(self, entries: Sequence[Entry], now: float) -> None:
        for entry in entries:
            self._memory[entry.key] = _renewed(self._memory.get(entry.key), entry, now)

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
