"""Reading a config file that validated before, without validating it again or importing
pydantic: the read-only commands' fast path (`modeldesk resolve`).

Importing pydantic and building the schema's classes costs a command several times what
reading the file does, and validating 10,000 agents as much again. So when a read-only
command has read and fully validated a file (:meth:`ConfigStore.load_for_reading`), it
leaves a *note* in the state folder (``valid/<digest of the config's path>.json``, 0600):

* the SHA-256 and size of the exact bytes that validated, and the same for the
  organization policy (or that there was none);
* that the plain reading below gives, for every field the resolver reads, exactly what
  validation gave (checked item by item when the note is written; a file that validation
  had to coerce, ``"enabled": "false"``, gets no note and always takes the full path);
* the code that validated: ModelDesk's version, package folder and Python environment,
  and the size and time of the schema's modules and pydantic's.

The next read-only command reads the config once (within the limits of every file, see
:mod:`.limits`), and only when those bytes hash to the note's, with the same policy and
the same code, parses the same bytes with orjson into the light objects below, which
the resolver reads like the schema's. Anything else (no note, an edited file, another
policy, an upgraded ModelDesk, a note that is damaged or not shaped as written) takes the
full path, which writes a new note; a bad note is never an error.

Writing a note also tidies the folder, a few files at a time (:data:`PRUNE_LOOK_AT`, from
a random place in it, so a write costs the same however many notes there are): a file
there not written for :data:`NOTE_MAX_AGE_S` (a note, or a temporary file a crash left),
and a note whose config file no longer exists, are removed. A note removed while its file
is still used costs that file's next command one full validation, which notes it again.

The note holds no config data (hashes, sizes and paths only). The light objects carry
only what resolving reads: ids, model lists, projects, task maps and enabled switches; a
Redis URL in the settings is remembered for redaction as validating it would.
"""

from __future__ import annotations

import hashlib
import logging
import os
import stat
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import orjson
import platformdirs

from . import limits
from .errors import ConfigError, ModelDeskError
from .model_values import ModelValue
from .redaction import remember_url_password
from .resolver import Resolver

if TYPE_CHECKING:
    from .schema import Config, Policy

log = logging.getLogger(__name__)

NOTE_FORMAT = 1
NOTE_FOLDER = "valid"
NOTE_LIMIT = 64 * 1024  # a note is a few hundred bytes; anything bigger is not read
NOTE_MAX_AGE_S = 30 * 24 * 3600  # a file in the folder not written for this long is removed
PRUNE_LOOK_AT = 16  # files in the folder looked at each time a note is written
_BOM = b"\xef\xbb\xbf"

# The modules whose code decides what validates (beside ModelDesk's version). A change to
# any of them (an upgrade, an edit in a checkout) makes every note stale.
_CODE_MODULES = (
    "modeldesk.core.schema",
    "modeldesk.core.fast_read",
    "modeldesk.core.model_values",
    "modeldesk.core.ids",
    "modeldesk.core.urls",
    "modeldesk.core.key_value",
    "pydantic.version",
    "pydantic_core._pydantic_core",
)


# --- the light objects the resolver reads ---------------------------------------------


class ProviderView:
    __slots__ = ("enabled", "id")

    def __init__(self, id: str, enabled: bool) -> None:
        self.id = id
        self.enabled = enabled


class ModelView:
    __slots__ = ("enabled", "id", "provider")

    def __init__(self, id: str, provider: str, enabled: bool) -> None:
        self.id = id
        self.provider = provider
        self.enabled = enabled


class ProjectView:
    __slots__ = ("default_model", "id", "task_models")

    def __init__(
        self, id: str, default_model: ModelValue | None, task_models: dict[str, dict[str, ModelValue]]
    ) -> None:
        self.id = id
        self.default_model = default_model
        self.task_models = task_models


class AgentView:
    __slots__ = ("id", "model", "project", "task_models")

    def __init__(
        self,
        id: str,
        project: str | None,
        model: ModelValue | None,
        task_models: dict[str, ModelValue],
    ) -> None:
        self.id = id
        self.project = project
        self.model = model
        self.task_models = task_models


class SettingsView:
    __slots__ = ("default_agent_model", "task_models")

    def __init__(self, default_agent_model: ModelValue | None, task_models: dict[str, dict[str, ModelValue]]) -> None:
        self.default_agent_model = default_agent_model
        self.task_models = task_models


class ConfigView:
    """The parts of a config the resolver reads. An agent becomes an object only when
    looked up: a command resolves one agent of thousands."""

    def __init__(
        self,
        providers: list[ProviderView],
        models: list[ModelView],
        projects: list[ProjectView],
        settings: SettingsView,
        agents: list[dict[str, Any]],
    ) -> None:
        self.providers = providers
        self.models = models
        self.projects = projects
        self.settings = settings
        self._agents = agents
        self._positions = {agent["id"]: index for index, agent in enumerate(agents)}

    def find(self, collection: str, item_id: str) -> tuple[int, AgentView] | None:
        """Like ``Config.find``, for agents (the one collection the resolver finds in)."""
        if collection != "agents":
            raise ValueError(f"a config read for resolving finds agents only, not {collection}")
        position = self._positions.get(item_id)
        if position is None:
            return None
        try:
            return position, _agent(self._agents[position])
        except (_NotAsNoted, KeyError) as exc:
            # Only a forged note gets here: the bytes it vouches for never validated.
            raise ConfigError(
                f"agents[{position}] does not read as a validated config ({exc}); "
                "check the file with `modeldesk config validate`"
            ) from None


class PolicyView:
    def __init__(
        self,
        providers: list[ProviderView],
        models: list[ModelView],
        default_agent_model: ModelValue | None,
        task_models: dict[str, dict[str, ModelValue]],
    ) -> None:
        self.providers = providers
        self.models = models
        self.default_agent_model = default_agent_model
        self.task_models = task_models


# --- the plain reading of a file's data, and its check against validation --------------
# Each reader takes the parsed JSON of an item as written; defaults are the schema's. The
# bytes were validated when the note was written, so they hold nothing else; still, each
# value read is checked to be of a type validation allows, so that a forged note cannot
# hand the resolver anything it was not written for.


class _NotAsNoted(ValueError):
    """The data is not shaped as a validated config's: the note cannot be right."""


def _text(value: Any) -> str:
    if type(value) is not str:
        raise _NotAsNoted(f"not a text: {type(value).__name__}")
    return value


def _optional_text(value: Any) -> str | None:
    return None if value is None else _text(value)


def _switch(value: Any) -> bool:
    if type(value) is not bool:
        raise _NotAsNoted(f"not true or false: {type(value).__name__}")
    return value


def _model_value(value: Any) -> ModelValue | None:
    if value is None or type(value) is str:
        return value
    if type(value) is list and all(type(entry) is str for entry in value):
        return value
    raise _NotAsNoted(f"not a model list: {type(value).__name__}")


def _task_map(value: Any) -> dict[str, ModelValue]:
    if type(value) is not dict or any(type(key) is not str or entry is None for key, entry in value.items()):
        raise _NotAsNoted("not a task map")
    for entry in value.values():
        _model_value(entry)
    return value


def _task_maps(value: Any) -> dict[str, dict[str, ModelValue]]:
    if type(value) is not dict:
        raise _NotAsNoted("not a map of task maps")
    for key, entry in value.items():
        _text(key)
        _task_map(entry)
    return value


def _object(value: Any) -> dict[str, Any]:
    if type(value) is not dict:
        raise _NotAsNoted(f"not an object: {type(value).__name__}")
    return value


def _objects(value: Any) -> list[dict[str, Any]]:
    if type(value) is not list:
        raise _NotAsNoted(f"not a list: {type(value).__name__}")
    return [_object(item) for item in value]


def _provider(data: dict[str, Any]) -> ProviderView:
    return ProviderView(_text(data["id"]), _switch(data.get("enabled", True)))


def _model(data: dict[str, Any]) -> ModelView:
    return ModelView(_text(data["id"]), _text(data["provider"]), _switch(data.get("enabled", True)))


def _project(data: dict[str, Any]) -> ProjectView:
    return ProjectView(
        _text(data["id"]), _model_value(data.get("default_model")), _task_maps(data.get("task_models", {}))
    )


def _agent(data: dict[str, Any]) -> AgentView:
    return AgentView(
        _text(data["id"]),
        _optional_text(data.get("project")),
        _model_value(data.get("model")),
        _task_map(data.get("task_models", {})),
    )


def _settings(data: dict[str, Any]) -> SettingsView:
    return SettingsView(_model_value(data.get("default_agent_model")), _task_maps(data.get("task_models", {})))


def _redis_url(settings: dict[str, Any]) -> Any:
    state = _object(settings.get("fallback", {})).get("state")
    return None if state is None else _optional_text(_object(state).get("redis"))


def _config_view(data: Any) -> ConfigView:
    data = _object(data)
    settings = _object(data.get("settings", {}))
    redis = _redis_url(settings)
    if redis is not None:
        remember_url_password(redis)  # what validating the URL does (core/schema.py)
    return ConfigView(
        [_provider(p) for p in _objects(data.get("providers", []))],
        [_model(m) for m in _objects(data.get("models", []))],
        [_project(p) for p in _objects(data.get("projects", []))],
        _settings(settings),
        _objects(data.get("agents", [])),
    )


def _policy_view(data: Any) -> PolicyView:
    data = _object(data)
    return PolicyView(
        [_provider(p) for p in _objects(data.get("providers", []))],
        [_model(m) for m in _objects(data.get("models", []))],
        _model_value(data.get("default_agent_model")),
        _task_maps(data.get("task_models", {})),
    )


def _plain_config(config: Any) -> tuple[Any, ...]:
    settings = config.settings
    return (
        [(p.id, p.enabled) for p in config.providers],
        [(m.id, m.provider, m.enabled) for m in config.models],
        [(p.id, p.default_model, p.task_models) for p in config.projects],
        (settings.default_agent_model, settings.task_models),
    )


def _plain_policy(policy: Any) -> tuple[Any, ...]:
    return (
        [(p.id, p.enabled) for p in policy.providers],
        [(m.id, m.provider, m.enabled) for m in policy.models],
        policy.default_agent_model,
        policy.task_models,
    )


def _parse(raw: bytes) -> Any:
    return orjson.loads(raw.removeprefix(_BOM))


def _reads_as_validated(raw: bytes, config: Config) -> bool:
    """Whether the plain reading of ``raw`` gives what validating it gave (``config``)."""
    # Plain equality is exact here: the plain reading takes only the very types validation
    # gives (str, bool, list, dict), so `1 == True` cannot pass for `"enabled": 1`. An
    # agent has no switch, and validation turns no other type into a text, a list or a map,
    # so the 10,000 agents are compared as written, without a light object each.
    data = _parse(raw)
    if _plain_config(_config_view(data)) != _plain_config(config):
        return False
    written = [
        (a["id"], a.get("project"), a.get("model"), a.get("task_models", {})) for a in _objects(data.get("agents", []))
    ]
    if written != [(a.id, a.project, a.model, a.task_models) for a in config.agents]:
        return False
    state = config.settings.fallback.state
    return bool(_redis_url(_object(data.get("settings", {}))) == (None if state is None else state.redis))


def _policy_reads_as_validated(raw: bytes, policy: Policy) -> bool:
    return bool(_plain_policy(_policy_view(_parse(raw))) == _plain_policy(policy))


# --- the note -----------------------------------------------------------------------


def note_path(config_path: Path) -> Path:
    """Where the note about ``config_path`` is kept (one per config file)."""
    real = os.path.realpath(config_path)
    digest = hashlib.sha256(os.fsencode(real)).hexdigest()[:32]
    return Path(platformdirs.user_state_dir("modeldesk", appauthor=False)) / NOTE_FOLDER / f"{digest}.json"


def _file_facts(path: Path, raw: bytes | None) -> list[Any]:
    real = os.path.realpath(path)
    if raw is None:
        return [real, None, None]
    return [real, len(raw), hashlib.sha256(raw).hexdigest()]


def _where_from() -> list[Any]:
    """This process's ModelDesk: its version, its package folder and its Python
    environment (two checkouts or two virtual environments sharing one state folder must
    not take each other's notes)."""
    import sys

    import modeldesk

    return [modeldesk.__version__, os.path.dirname(modeldesk.__file__ or ""), sys.prefix]


def _code_facts() -> list[list[Any]] | None:
    """Where this ModelDesk runs from, then each validating module's file, size and time;
    ``None`` when one of them has no file to look at (then no note is written)."""
    import sys

    facts: list[list[Any]] = [_where_from()]
    for name in _CODE_MODULES:
        module = sys.modules.get(name)
        where = getattr(module, "__file__", None)
        if not where:
            return None
        try:
            status = os.stat(where)
        except OSError:
            return None
        facts.append([where, status.st_size, status.st_mtime_ns])
    return facts


def _code_unchanged(facts: Any) -> bool:
    if not (isinstance(facts, list) and len(facts) == len(_CODE_MODULES) + 1 and facts[0] == _where_from()):
        return False
    for fact in facts[1:]:
        if not (isinstance(fact, list) and len(fact) == 3 and isinstance(fact[0], str)):
            return False
        try:
            status = os.stat(fact[0])
        except OSError:
            return False
        if [status.st_size, status.st_mtime_ns] != fact[1:]:
            return False
    return True


def remember_valid(
    config_path: Path, raw: bytes, config: Config, policy_path: Path, policy_raw: bytes | None, policy: Policy | None
) -> bool:
    """After ``raw`` validated as ``config`` (and ``policy_raw`` as ``policy``, or there is
    no policy file): write the note, if the plain reading gives the same. Returns whether
    a note was written. Never raises for a note that cannot be written: it only makes the
    next command slower."""
    try:
        code = _code_facts()
        if code is None or not _reads_as_validated(raw, config):
            return False
        if policy is not None and (policy_raw is None or not _policy_reads_as_validated(policy_raw, policy)):
            return False
        note = {
            "format": NOTE_FORMAT,
            "code": code,
            "config": _file_facts(config_path, raw),
            "policy": _file_facts(policy_path, policy_raw if policy is not None else None),
        }
        from .safe_files import atomic_write

        target = note_path(config_path)
        target.parent.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        target.parent.mkdir(mode=0o700, exist_ok=True)
        atomic_write(target, orjson.dumps(note), mode=0o600)
    except (OSError, ValueError, TypeError, KeyError, AttributeError, RecursionError) as exc:
        log.info("config note for %s not written: %s", config_path, exc)
        return False
    prune_notes(target.parent)  # the note just written is young and its file exists: kept
    return True


def prune_notes(folder: Path) -> int:
    """Remove, among at most :data:`PRUNE_LOOK_AT` files of ``folder`` (the notes' folder),
    those not written for :data:`NOTE_MAX_AGE_S` and the notes whose config file is gone.
    Returns how many were removed; never raises."""
    try:
        names = os.listdir(folder)
    except OSError:
        return 0
    if len(names) > PRUNE_LOOK_AT:
        start = int.from_bytes(os.urandom(4), "little") % len(names)
        names = (names[start:] + names[:start])[:PRUNE_LOOK_AT]
    oldest = time.time() - NOTE_MAX_AGE_S
    removed = 0
    for name in names:
        path = folder / name
        try:
            status = os.lstat(path)
            if not stat.S_ISREG(status.st_mode):
                continue  # nothing ModelDesk writes here: leave it
            if status.st_mtime < oldest or (name.endswith(".json") and _noted_file_gone(path)):
                path.unlink()
                removed += 1
        except OSError as exc:
            log.info("config note %s not tidied: %s", path, exc)
    return removed


def _noted_file_gone(note_path: Path) -> bool:
    """Whether the note at ``note_path`` is about a config file that no longer exists (a
    note that cannot be read says nothing: only its age removes it)."""
    try:
        note = orjson.loads(limits.read_file(note_path, f"the config note {note_path}", limit=NOTE_LIMIT))
    except (OSError, ValueError, ModelDeskError):
        return False
    fact = note.get("config") if isinstance(note, dict) else None
    return isinstance(fact, list) and bool(fact) and isinstance(fact[0], str) and not os.path.exists(fact[0])


def _read_note(config_path: Path) -> dict[str, Any] | None:
    path = note_path(config_path)
    try:
        note = orjson.loads(limits.read_file(path, f"the config note {path}", limit=NOTE_LIMIT))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, ModelDeskError) as exc:  # orjson's errors are ValueErrors
        log.info("config note %s not used: %s", path, exc)
        return None
    if not isinstance(note, dict) or note.get("format") != NOTE_FORMAT:
        log.info("config note %s not used: not a note of this version", path)
        return None
    return note


def _read_if_noted(path: Path, fact: Any) -> tuple[bool, bytes | None]:
    """``(True, bytes)`` when the file at ``path`` is the one ``fact`` describes (``None``
    for a file noted as absent and still absent), else ``(False, None)``."""
    if not (isinstance(fact, list) and len(fact) == 3 and fact[0] == os.path.realpath(path)):
        return False, None
    try:
        raw = limits.read_file(path, str(path))
    except FileNotFoundError:
        return fact[1] is None, None
    except (OSError, ModelDeskError):
        return False, None
    if fact[1] != len(raw) or fact[2] != hashlib.sha256(raw).hexdigest():
        return False, None
    return True, raw


def read_noted(config_path: Path, policy_path: Path) -> tuple[ConfigView, PolicyView | None] | None:
    """The config at ``config_path`` (and the policy), read plainly, when a note says these
    exact bytes validated with this code; else ``None`` (read it in full then)."""
    note = _read_note(config_path)
    if note is None or not _code_unchanged(note.get("code")):
        return None
    same, raw = _read_if_noted(config_path, note.get("config"))
    if not same or raw is None:
        return None
    same, policy_raw = _read_if_noted(policy_path, note.get("policy"))
    if not same:
        return None
    try:
        config = _config_view(_parse(raw))
        policy = None if policy_raw is None else _policy_view(_parse(policy_raw))
    except (ValueError, TypeError, KeyError, AttributeError, RecursionError) as exc:
        log.info("config note for %s not used: %s", config_path, exc)
        return None
    return config, policy


def fast_resolver(config_path: Path, policy_path: Path) -> Resolver | None:
    """A resolver over the noted config (:func:`read_noted`), or ``None``.

    The resolver reads only the attributes the light objects carry; what it hands back
    for them (``agent()``, ``models``) are those objects, which is all `resolve` uses."""
    found = read_noted(config_path, policy_path)
    if found is None:
        return None
    config, policy = found
    return Resolver(cast("Config", config), cast("Policy | None", policy))
