"""Export and import: moving agents, squads and projects between config files.

An **export** is a self-contained JSON document: the chosen agents, squads and projects,
plus everything they need to resolve the same way elsewhere: the agents of chosen squads
and projects, each agent's project, every model their lists name (the config's or the
organization policy's) and those models' providers, and the Settings defaults
(``default_agent_model``, ``task_models``) the agents may inherit. No secret value is ever
in it: a provider's ``api_key`` is a reference (an environment variable or keyring entry
name) and is kept as such; credentials written into a ``base_url`` are removed.

An **import** is planned first (:func:`plan_import`): each item of the document is
``add`` (its id is new), ``same`` (identical already), or a *conflict* (the id exists with
other content), which the chosen ``on_conflict`` turns into ``replace`` or ``keep``; with
``"fail"`` conflicts stop the import. The plan's :attr:`ImportPlan.edit` applies it as one
step (one undo entry, one save) and re-plans against the file as it is when applied, so a
change made meanwhile by someone else is not overwritten blindly.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .edits import AddItem, Batch, Collection, Edit, PutItem, SetSetting, SetTaskModel, apply_edit
from .errors import ConfigError, EditError
from .schema import (
    Agent,
    Config,
    Model,
    ModelValue,
    Policy,
    Project,
    Provider,
    Squad,
    TaskModelMap,
    model_list,
)
from .validation_text import schema_problems

EXPORT_FORMAT = 1
OnConflict = Literal["fail", "replace", "keep"]
Action = Literal["add", "replace", "keep", "same"]
COLLECTIONS: tuple[Collection, ...] = ("providers", "models", "projects", "agents", "squads")


class ImportConflictError(EditError):
    """The document cannot be imported as asked (conflicts with ``on_conflict="fail"``)."""

    code = "import_conflict"


class ImportKeyHostError(EditError):
    """The document would send a key the config already uses to a host it never went to,
    and that was not allowed."""

    code = "import_new_key_host"


class BundleSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    default_agent_model: ModelValue | None = None
    task_models: dict[str, TaskModelMap] = Field(default_factory=dict)


class Bundle(BaseModel):
    """An export document."""

    model_config = ConfigDict(extra="forbid")

    modeldesk_export: Literal[1] = 1
    exported_at: str | None = None
    providers: list[Provider] = Field(default_factory=list)
    models: list[Model] = Field(default_factory=list)
    projects: list[Project] = Field(default_factory=list)
    agents: list[Agent] = Field(default_factory=list)
    squads: list[Squad] = Field(default_factory=list)
    settings: BundleSettings = Field(default_factory=BundleSettings)

    def to_json(self) -> dict[str, Any]:
        """The document as written: items in the config file's own form."""
        from .schema import dump_config

        out: dict[str, Any] = {"modeldesk_export": EXPORT_FORMAT, "exported_at": self.exported_at}
        for name in COLLECTIONS:
            out[name] = [dump_config(item) for item in getattr(self, name)]
        settings: dict[str, Any] = {}
        if self.settings.default_agent_model is not None:
            settings["default_agent_model"] = self.settings.default_agent_model
        if self.settings.task_models:
            settings["task_models"] = self.settings.task_models
        out["settings"] = settings
        return out


# --- export -------------------------------------------------------------------------


@dataclass(frozen=True)
class Export:
    bundle: Bundle
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return self.bundle.to_json()

    def text(self) -> str:
        return json.dumps(self.to_json(), indent=2, ensure_ascii=False) + "\n"


def export_bundle(
    config: Config,
    policy: Policy | None = None,
    *,
    agents: Iterable[str] | None = None,
    squads: Iterable[str] | None = None,
    projects: Iterable[str] | None = None,
) -> Export:
    """The export of the chosen items (every agent, squad and project when nothing is
    chosen). Unknown ids are an :class:`EditError` naming them."""
    chosen_agents = list(agents or [])
    chosen_squads = list(squads or [])
    chosen_projects = list(projects or [])
    everything = not (chosen_agents or chosen_squads or chosen_projects)
    unknown = [f"agent '{a}'" for a in chosen_agents if config.agent(a) is None]
    unknown += [f"squad '{s}'" for s in chosen_squads if config.squad(s) is None]
    unknown += [f"project '{p}'" for p in chosen_projects if config.project(p) is None]
    if unknown:
        raise EditError("Cannot export: there is no " + ", ".join(unknown) + ".")
    warnings: list[str] = []

    if everything:
        squad_items = list(config.squads)
        project_ids = [p.id for p in config.projects]
        agent_ids = [a.id for a in config.agents]
    else:
        squad_items = [s for s in config.squads if s.id in set(chosen_squads)]
        project_ids = list(chosen_projects)
        agent_ids = list(chosen_agents)
        for squad in squad_items:
            agent_ids += squad.agents
        agent_ids += [a.id for a in config.agents if a.project is not None and a.project in set(chosen_projects)]
    agent_set = set(agent_ids)
    agent_items = [a for a in config.agents if a.id in agent_set]
    warnings.extend(
        f"squad '{squad.id}' lists an unknown agent '{member}' (exported as written)"
        for squad in squad_items
        for member in squad.agents
        if config.agent(member) is None
    )
    for agent in agent_items:
        if agent.project and agent.project not in project_ids:
            if config.project(agent.project) is not None:
                project_ids.append(agent.project)
            else:
                warnings.append(f"agent '{agent.id}' names an unknown project '{agent.project}'")
    project_set = set(project_ids)
    project_items = [p for p in config.projects if p.id in project_set]

    settings = BundleSettings(
        default_agent_model=config.settings.default_agent_model,
        task_models={task: dict(entries) for task, entries in config.settings.task_models.items()},
    )

    # Every model id the exported lists name, in first-seen order.
    named: dict[str, None] = {}
    for agent in agent_items:
        _note(named, agent.model)
        for value in agent.task_models.values():
            _note(named, value)
    for project in project_items:
        _note(named, project.default_model)
        for entries in project.task_models.values():
            for value in entries.values():
                _note(named, value)
    _note(named, settings.default_agent_model)
    for entries in settings.task_models.values():
        for value in entries.values():
            _note(named, value)

    registry: dict[str, Model] = {}
    providers: dict[str, Provider] = {}
    if policy is not None:
        registry.update((m.id, m) for m in policy.models)
        providers.update((p.id, p) for p in policy.providers)
    registry.update((m.id, m) for m in config.models)
    providers.update((p.id, p) for p in config.providers)

    model_items: list[Model] = []
    provider_ids: dict[str, None] = {}
    for model_id in named:
        model = registry.get(model_id)
        if model is None:
            if model_id.casefold() != "default":
                warnings.append(f"model '{model_id}' is not in the registry (exported in the lists only)")
            continue
        model_items.append(model)
        provider_ids.setdefault(model.provider, None)
    provider_items: list[Provider] = []
    for provider_id in provider_ids:
        provider = providers.get(provider_id)
        if provider is None:
            warnings.append(f"provider '{provider_id}' is not defined (its models are exported without it)")
            continue
        clean, removed = _without_credentials(provider)
        if removed:
            warnings.append(f"provider '{provider_id}': credentials in base_url were left out of the export")
        provider_items.append(clean)

    bundle = Bundle(
        exported_at=datetime.now(UTC).replace(microsecond=0).isoformat(),
        providers=provider_items,
        models=model_items,
        projects=project_items,
        agents=agent_items,
        squads=squad_items,
        settings=settings,
    )
    return Export(bundle, warnings)


def _note(named: dict[str, None], value: ModelValue | None) -> None:
    for entry in model_list(value):
        if entry.strip():
            named.setdefault(entry.strip(), None)


def _without_credentials(provider: Provider) -> tuple[Provider, bool]:
    parts = urlsplit(provider.base_url)
    if parts.username is None and parts.password is None:
        return provider, False
    host = parts.hostname or ""
    if parts.port is not None:
        host += f":{parts.port}"
    url = urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))
    return provider.model_copy(update={"base_url": url}), True


# --- reading a document -------------------------------------------------------------


def read_bundle(data: Any, where: str = "the import file") -> tuple[Bundle, list[str]]:
    """A document to import: an export, or a whole config file (its agents, squads,
    projects, registry and Settings model defaults). Problems are a :class:`ConfigError`
    naming each place."""
    warnings: list[str] = []
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: expected a JSON object at the top", ["expected a JSON object"])
    if "modeldesk_export" not in data and "schema_version" in data:
        try:
            config = Config.model_validate(data)
        except ValidationError as exc:
            problems = schema_problems(exc, data)
            raise ConfigError(f"{where} is not a valid ModelDesk config:\n" + "\n".join(problems), problems) from None
        if config.settings.fallback.model_fields_set:
            warnings.append("the file's fallback settings are not imported (only models, agents, squads, projects)")
        bundle = Bundle(
            providers=config.providers,
            models=config.models,
            projects=config.projects,
            agents=config.agents,
            squads=config.squads,
            settings=BundleSettings(
                default_agent_model=config.settings.default_agent_model, task_models=config.settings.task_models
            ),
        )
        return bundle, warnings
    try:
        bundle = Bundle.model_validate(data)
    except ValidationError as exc:
        problems = schema_problems(exc, data)
        raise ConfigError(f"{where} is not a valid ModelDesk export:\n" + "\n".join(problems), problems) from None
    for name in COLLECTIONS:
        seen: set[str] = set()
        for item in getattr(bundle, name):
            if item.id in seen:
                raise ConfigError(f"{where}: {name} lists '{item.id}' twice", [f"{name}: '{item.id}' repeats"])
            seen.add(item.id)
    return bundle, warnings


# --- planning -----------------------------------------------------------------------


@dataclass(frozen=True)
class ImportItem:
    """One item of an import: what the target has (``before``) and what the document
    holds (``after``), as JSON data, and what the import does with it."""

    kind: str  # "provider", "model", "project", "agent", "squad", "setting"
    id: str
    action: Action
    before: Any = None
    after: Any = None

    @property
    def conflict(self) -> bool:
        return self.action in ("replace", "keep")

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "id": self.id, "action": self.action, "before": self.before, "after": self.after}


@dataclass(frozen=True)
class KeyHostChange:
    """A key the config already uses that the import would send to a new host: the
    provider that would send it, the key's reference, the new host, and the hosts the key
    goes to today. A hostile file re-points a key this way: a new provider naming the
    user's ``{"env": "OPENAI_API_KEY"}``, or a replaced provider with another base_url."""

    provider: str
    key: str  # "environment variable OPENAI_API_KEY" or "keyring entry 'openai'"
    host: str
    base_url: str
    known_hosts: tuple[str, ...]

    def text(self) -> str:
        return (
            f"provider '{self.provider}' would send the key in {self.key} to {self.host} ({self.base_url}); "
            f"today that key goes only to {', '.join(self.known_hosts)}"
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "provider": self.provider,
            "key": self.key,
            "host": self.host,
            "base_url": self.base_url,
            "known_hosts": list(self.known_hosts),
        }


@dataclass(frozen=True)
class ImportPlan:
    items: list[ImportItem]
    on_conflict: OnConflict
    edit: Edit
    warnings: list[str] = field(default_factory=list)
    # Keys the import would send to new hosts (see KeyHostChange), and whether that was allowed.
    key_hosts: list[KeyHostChange] = field(default_factory=list)
    allow_new_key_hosts: bool = False

    def ids(self, *actions: Action) -> list[str]:
        return [f"{item.kind} {item.id}" for item in self.items if item.action in actions]

    @property
    def added(self) -> list[str]:
        return self.ids("add")

    @property
    def changed(self) -> list[str]:
        """Existing ids the import overwrites (conflicts resolved by ``replace``)."""
        return self.ids("replace")

    @property
    def conflicting(self) -> list[str]:
        """Every id that exists in the target with other content, whatever is done with it."""
        return [f"{item.kind} {item.id}" for item in self.items if item.conflict]

    @property
    def unchanged(self) -> list[str]:
        return self.ids("same")

    @property
    def blocked_by_conflicts(self) -> bool:
        """True when conflicts stop the import (``on_conflict="fail"``)."""
        return self.on_conflict == "fail" and bool(self.conflicting)

    @property
    def blocked_by_key_hosts(self) -> bool:
        """True when a key would go to a new host and that was not allowed: the whole
        import stops (nothing of a file that tries this is taken on trust)."""
        return bool(self.key_hosts) and not self.allow_new_key_hosts

    @property
    def blocked(self) -> bool:
        """True when the import stops: conflicts, or a key going to a new host."""
        return self.blocked_by_conflicts or self.blocked_by_key_hosts

    @property
    def writes(self) -> int:
        return sum(1 for item in self.items if item.action in ("add", "replace"))

    def to_json(self) -> dict[str, Any]:
        return {
            "on_conflict": self.on_conflict,
            "added": self.added,
            "changed": self.changed,
            "conflicting": self.conflicting,
            "unchanged": self.unchanged,
            "blocked": self.blocked,
            "new_key_hosts": [change.to_json() for change in self.key_hosts],
            "new_key_hosts_allowed": self.allow_new_key_hosts,
            "items": [item.to_json() for item in self.items],
            "warnings": list(self.warnings),
        }


def plan_import(
    config: Config,
    bundle: Bundle,
    on_conflict: OnConflict = "fail",
    warnings: Iterable[str] = (),
    *,
    allow_new_key_hosts: bool = False,
) -> ImportPlan:
    """What importing ``bundle`` into ``config`` does (nothing is changed here)."""
    items, _ = _plan(config, bundle, on_conflict)
    edit = ImportBundle(bundle, on_conflict, allow_new_key_hosts=allow_new_key_hosts)
    return ImportPlan(
        items,
        on_conflict,
        edit,
        list(warnings),
        key_hosts=key_host_changes(config, items),
        allow_new_key_hosts=allow_new_key_hosts,
    )


def host_of(base_url: str) -> str:
    """Where a request goes: scheme, host and port (``https://api.openai.com``); a path
    on the same host is the same place, plain http to it is not."""
    parts = urlsplit(base_url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower().rstrip(".")
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    default = {"http": 80, "https": 443}.get(scheme)
    return f"{scheme}://{host}" + (f":{port}" if port is not None and port != default else "")


def key_ref_text(api_key: Any) -> str | None:
    if not isinstance(api_key, dict):
        return None
    if api_key.get("env"):
        return f"environment variable {api_key['env']}"
    if api_key.get("keyring"):
        return f"keyring entry '{api_key['keyring']}'"
    return None


def key_host_changes(config: Config, items: Iterable[ImportItem]) -> list[KeyHostChange]:
    """Each provider the import adds or replaces that would send a key the config already
    uses to a host that key does not go to today."""
    hosts: dict[str, list[str]] = {}
    for provider in config.providers:
        key = key_ref_text(provider.api_key.model_dump(mode="json") if provider.api_key else None)
        if key is not None:
            hosts.setdefault(key, [])
            if host_of(provider.base_url) not in hosts[key]:
                hosts[key].append(host_of(provider.base_url))
    changes: list[KeyHostChange] = []
    for item in items:
        if item.kind != "provider" or item.action not in ("add", "replace") or not isinstance(item.after, dict):
            continue
        key = key_ref_text(item.after.get("api_key"))
        base_url = str(item.after.get("base_url", ""))
        if key is None or key not in hosts or host_of(base_url) in hosts[key]:
            continue
        changes.append(KeyHostChange(item.id, key, host_of(base_url), base_url, tuple(hosts[key])))
    return changes


def _plan(config: Config, bundle: Bundle, on_conflict: OnConflict) -> tuple[list[ImportItem], list[Edit]]:
    items: list[ImportItem] = []
    edits: list[Edit] = []

    def decide(kind: str, item_id: str, before: Any, after: Any) -> Action:
        if before is None:
            action: Action = "add"
        elif before == after:
            action = "same"
        else:
            action = "keep" if on_conflict == "keep" else "replace"
        items.append(ImportItem(kind, item_id, action, before, after))
        return action

    for collection in COLLECTIONS:
        existing = {item.id: item for item in getattr(config, collection)}
        for item in getattr(bundle, collection):
            old = existing.get(item.id)
            action = decide(
                collection[:-1],
                item.id,
                None if old is None else old.model_dump(mode="json"),
                item.model_dump(mode="json"),
            )
            if action == "add":
                edits.append(AddItem(collection, item))
            elif action == "replace":
                edits.append(PutItem(collection, item))

    target = config.settings
    if bundle.settings.default_agent_model is not None:
        before = target.default_agent_model
        after = bundle.settings.default_agent_model
        action = decide(
            "setting",
            "default_agent_model",
            None if before is None else model_list(before),
            model_list(after),
        )
        if action in ("add", "replace"):
            edits.append(SetSetting(("default_agent_model",), after))
    for task, entries in bundle.settings.task_models.items():
        for chat, value in entries.items():
            current = target.task_models.get(task, {}).get(chat)
            action = decide(
                "setting",
                f"task_models.{task}[{chat}]",
                None if current is None else model_list(current),
                model_list(value),
            )
            if action in ("add", "replace"):
                edits.append(SetTaskModel("settings", task, tuple(model_list(value)), chat=chat))
    return items, edits


@dataclass(frozen=True)
class ImportBundle(Edit):
    """Import a document as one step. Planned again against the config it is applied to;
    with ``on_conflict="fail"`` any conflict raises :class:`ImportConflictError` and nothing
    changes."""

    bundle: Bundle
    on_conflict: OnConflict = "fail"
    label: str = "Import"
    allow_new_key_hosts: bool = False

    def _apply(self, config: Config) -> Edit:
        items, edits = _plan(config, self.bundle, self.on_conflict)
        conflicts = [f"{i.kind} {i.id}" for i in items if i.conflict]
        if self.on_conflict == "fail" and conflicts:
            raise ImportConflictError(
                f"{len(conflicts)} id(s) already exist with other content: {', '.join(conflicts)}. "
                "Choose to replace them or keep the existing ones."
            )
        changes = key_host_changes(config, items)
        if changes and not self.allow_new_key_hosts:
            raise ImportKeyHostError(key_hosts_message(changes))
        return apply_edit(config, Batch(tuple(edits), label=self.label))


def key_hosts_message(changes: list[KeyHostChange]) -> str:
    """Why an import stopped: each key that would go to a new host."""
    lines = "\n".join(f"  - {change.text()}" for change in changes)
    return (
        f"This import would send {'a key' if len(changes) == 1 else 'keys'} you already use to "
        f"{'a host' if len(changes) == 1 else 'hosts'} {'it' if len(changes) == 1 else 'they'} "
        f"never went to:\n{lines}\n"
        "Nothing was imported. If you trust the file and these hosts, import it again with "
        "--allow-new-key-hosts; otherwise edit the file's providers."
    )
