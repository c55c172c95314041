"""Edits: small, replayable changes to a Config.

Every change the app or the CLI makes is an :class:`Edit`. An edit is a value: it can be
applied to the in-memory config, replayed on a freshly read file under the store's lock
(so two processes editing at once lose nothing), and inverted for undo.

``apply_edit(config, edit)`` applies an edit and returns the edit that undoes it;
``apply_tracked`` also returns a :class:`Change`: which items of which collections were
inserted, removed or updated and which settings were set, so a view can update just
those rows. A :class:`Batch` applies as one step: if any part fails, the parts already
applied are rolled back and the config is left as it was.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ValidationError

from .errors import EditError
from .schema import (
    Agent,
    Config,
    FallbackOverride,
    Model,
    ModelValue,
    Project,
    Provider,
    Squad,
    as_model_value,
    model_list,
)
from .validation_text import first_problem

Collection = Literal["providers", "models", "projects", "agents", "squads"]
# An item of one of those collections: each has an ``id``.
ConfigItem = Provider | Model | Project | Agent | Squad
ITEM_TYPES: dict[str, type[ConfigItem]] = {
    "providers": Provider,
    "models": Model,
    "projects": Project,
    "agents": Agent,
    "squads": Squad,
}


class Edit:
    """Base class. Subclasses are frozen dataclasses with a ``label`` for undo menus.

    An edit built from the edits below (or only calling them) reports what it touched to
    :func:`apply_tracked` by itself; set ``reports_changes`` so that an edit that turned
    out to change nothing is not taken for one that does not report.
    """

    label: str
    reports_changes = False

    def _apply(self, config: Config) -> Edit:  # pragma: no cover - abstract
        raise NotImplementedError


@dataclass
class Change:
    """What one applied edit touched.

    ``inserted`` / ``removed`` / ``updated`` map a collection name to the ids concerned
    (net effect: an item added and then changed in one batch is only ``inserted``);
    ``settings`` holds the settings paths set (``"default_agent_model"``,
    ``"fallback.retries"``). ``whole`` is True when the change is not itemised (an edit
    type that does not report what it does): treat everything as changed.
    """

    inserted: dict[str, list[str]] = field(default_factory=dict)
    removed: dict[str, list[str]] = field(default_factory=dict)
    updated: dict[str, list[str]] = field(default_factory=dict)
    settings: list[str] = field(default_factory=list)
    whole: bool = False

    def touches(self, collection: str) -> bool:
        """True if anything in ``collection`` (or ``"settings"``) may have changed."""
        if self.whole:
            return True
        if collection == "settings":
            return bool(self.settings)
        return any(collection in part for part in (self.inserted, self.removed, self.updated))

    def concerns_agent(self, agent_id: str | None) -> bool:
        """True if what is shown about ``agent_id`` may have changed: the agent itself, or
        what it inherits from or names (settings, the registry, projects). Views of one
        agent skip edits of the other 9,999."""
        if self.whole or self.settings or any(self.touches(c) for c in ("models", "providers", "projects")):
            return True
        return agent_id is not None and any(
            agent_id in part.get("agents", ()) for part in (self.inserted, self.removed, self.updated)
        )

    @property
    def empty(self) -> bool:
        return not (self.whole or self.inserted or self.removed or self.updated or self.settings)

    # The same ids as sets, so noting stays O(1) per id (a bulk edit notes 10,000 agents).
    _seen: dict[tuple[str, str], set[str]] = field(default_factory=dict, repr=False, compare=False)

    def _ids(self, kind: Literal["inserted", "removed", "updated"], collection: str) -> tuple[list[str], set[str]]:
        part: dict[str, list[str]] = getattr(self, kind)
        listed = part.setdefault(collection, [])
        members = self._seen.get((kind, collection))
        if members is None:
            members = self._seen[(kind, collection)] = set(listed)
        return listed, members

    def note(self, collection: str, item_id: str, kind: Literal["inserted", "removed", "updated"]) -> None:
        inserted, in_inserted = self._ids("inserted", collection)
        removed, in_removed = self._ids("removed", collection)
        updated, in_updated = self._ids("updated", collection)

        def add(listed: list[str], members: set[str]) -> None:
            if item_id not in members:
                members.add(item_id)
                listed.append(item_id)

        def drop(listed: list[str], members: set[str]) -> None:
            if item_id in members:
                members.discard(item_id)
                listed.remove(item_id)

        if kind == "inserted":
            if item_id in in_removed:  # removed then put back: net, its content changed
                drop(removed, in_removed)
                add(updated, in_updated)
            else:
                add(inserted, in_inserted)
        elif kind == "removed":
            if item_id in in_inserted:  # added then removed within one step: nothing to show
                drop(inserted, in_inserted)
            else:
                drop(updated, in_updated)
                add(removed, in_removed)
        elif item_id not in in_inserted:
            add(updated, in_updated)
        for part in (self.inserted, self.removed, self.updated):
            if not part.get(collection):
                part.pop(collection, None)

    def note_all(
        self, collection: str, item_ids: Iterable[str], kind: Literal["inserted", "removed", "updated"]
    ) -> None:
        if kind != "updated":
            for item_id in item_ids:
                self.note(collection, item_id, kind)
            return
        # ``note`` for many updated ids, its look-ups done once (a bulk edit notes 10,000).
        _inserted, in_inserted = self._ids("inserted", collection)
        updated, in_updated = self._ids("updated", collection)
        for item_id in item_ids:
            if item_id not in in_inserted and item_id not in in_updated:
                in_updated.add(item_id)
                updated.append(item_id)
        for part in (self.inserted, self.updated):
            if not part.get(collection):
                part.pop(collection, None)

    def note_setting(self, path: str) -> None:
        if path not in self.settings:
            self.settings.append(path)


# The Change being recorded by the apply_tracked call in progress (None: not recording).
_recording: ContextVar[Change | None] = ContextVar("modeldesk_edit_change", default=None)


@contextmanager
def _record() -> Iterator[Change]:
    change = Change()
    token = _recording.set(change)
    try:
        yield change
    finally:
        _recording.reset(token)


def _note(collection: str, item_id: str, kind: Literal["inserted", "removed", "updated"]) -> None:
    change = _recording.get()
    if change is not None:
        change.note(collection, item_id, kind)


def note_changes(collection: str, item_ids: Iterable[str], kind: Literal["inserted", "removed", "updated"]) -> None:
    """Record many ids at once in the change being tracked, if any (for edits that touch
    thousands of items in one step, such as a bulk model change)."""
    change = _recording.get()
    if change is not None:
        change.note_all(collection, item_ids, kind)


def _note_setting(path: str) -> None:
    change = _recording.get()
    if change is not None:
        change.note_setting(path)


def apply_edit(config: Config, edit: Edit) -> Edit:
    """Apply ``edit`` to ``config`` in place and return its inverse.

    Raises :class:`EditError` (config unchanged) when the edit does not fit the config.
    """
    try:
        return edit._apply(config)
    except ValidationError as exc:
        raise EditError(f"{edit.label}: {first_problem(exc)}") from None


def apply_tracked(config: Config, edit: Edit) -> tuple[Edit, Change]:
    """Like :func:`apply_edit`, and also say what the edit touched."""
    with _record() as change:
        inverse = apply_edit(config, edit)
    if change.empty and not getattr(edit, "reports_changes", False):
        # An edit type that mutates the config without the primitives below.
        change.whole = True
    return inverse, change


def check_model_list(models: list[str], where: str) -> list[str]:
    """Strip ids and refuse blanks and duplicates (the app and CLI never write either)."""
    cleaned = [m.strip() for m in models]
    for index, model_id in enumerate(cleaned):
        if not model_id:
            raise EditError(f"{where}: model #{index + 1} is blank")
        if model_id in cleaned[:index]:
            raise EditError(f"{where}: '{model_id}' is listed twice")
    return cleaned


def _find(config: Config, collection: str, item_id: str) -> tuple[int, Any]:
    found = config.find(collection, item_id)
    if found is None:
        raise EditError(f"there is no {collection[:-1]} '{item_id}'")
    return found


@dataclass(frozen=True)
class UpdateItem(Edit):
    """Set some fields of one provider/model/project/agent/squad, found by id."""

    collection: Collection
    item_id: str
    changes: dict[str, Any]
    label: str = ""

    def __post_init__(self) -> None:
        if not self.label:
            object.__setattr__(self, "label", f"Edit {self.collection[:-1]} {self.item_id}")

    def _apply(self, config: Config) -> Edit:
        index, item = _find(config, self.collection, self.item_id)
        if "id" in self.changes and self.changes["id"] != self.item_id:
            raise EditError(f"{self.label}: an id cannot be changed")
        before = {name: getattr(item, name) for name in self.changes}
        was_set = {name for name in self.changes if name in item.model_fields_set}
        # None means "back to unset": the field takes its default (even one that cannot
        # be None, like an empty task map) and stays out of the file.
        unset = {n for n, v in self.changes.items() if v is None}
        data = item.model_dump(exclude_unset=True) | {n: v for n, v in self.changes.items() if v is not None}
        for name in unset:
            data.pop(name, None)
        replacement = type(item).model_validate(data)
        getattr(config, self.collection)[index] = replacement
        _note(self.collection, self.item_id, "updated")
        restore = {name: (before[name] if name in was_set else None) for name in self.changes}
        return UpdateItem(self.collection, self.item_id, restore, label=self.label)


def form_edit(collection: Collection, before: ConfigItem, after: ConfigItem, label: str = "") -> Edit | None:
    """What a form changed in an item, as one :class:`UpdateItem` of just those fields (None
    when nothing changed): a field the user left alone keeps whatever another program set
    meanwhile, where replacing the whole item would write the form's copy back."""
    if before.id != after.id:
        return PutItem(collection, after, label=label)
    changes = {
        name: getattr(after, name)
        for name in type(after).model_fields
        if name != "id" and getattr(after, name) != getattr(before, name)
    }
    return UpdateItem(collection, before.id, changes, label=label) if changes else None


@dataclass(frozen=True)
class PutItem(Edit):
    """Add an item, or replace the one with the same id (kept in its place)."""

    collection: Collection
    item: ConfigItem
    index: int | None = None
    label: str = ""

    def __post_init__(self) -> None:
        if not self.label:
            object.__setattr__(self, "label", f"Save {self.collection[:-1]} {self.item.id}")

    def _apply(self, config: Config) -> Edit:
        items = getattr(config, self.collection)
        item = ITEM_TYPES[self.collection].model_validate(self.item.model_dump(exclude_unset=True))
        try:
            index, old = _find(config, self.collection, item.id)
        except EditError:
            position = len(items) if self.index is None else max(0, min(self.index, len(items)))
            items.insert(position, item)
            if position != len(items) - 1:
                config.forget_ids(self.collection)
            _note(self.collection, item.id, "inserted")
            return RemoveItem(self.collection, item.id, label=self.label)
        items[index] = item
        _note(self.collection, old.id, "updated")
        return PutItem(self.collection, old, index, label=self.label)


@dataclass(frozen=True)
class AddItem(Edit):
    """Add a new item; unlike :class:`PutItem` it refuses an id that is already taken
    (checked when applied, so a concurrent add of the same id is caught under the lock)."""

    collection: Collection
    item: ConfigItem
    label: str = ""

    def __post_init__(self) -> None:
        if not self.label:
            object.__setattr__(self, "label", f"Add {self.collection[:-1]} {self.item.id}")

    def _apply(self, config: Config) -> Edit:
        item_id = self.item.id
        if config.find(self.collection, item_id) is not None:
            kind = self.collection[:-1]
            raise EditError(f"there is already {'an' if kind[0] in 'aeiou' else 'a'} {kind} '{item_id}'")
        return PutItem(self.collection, self.item, label=self.label)._apply(config)


@dataclass(frozen=True)
class RemoveItem(Edit):
    """Remove an item by id. References to it elsewhere are left as they are (and flagged)."""

    collection: Collection
    item_id: str
    label: str = ""

    def __post_init__(self) -> None:
        if not self.label:
            object.__setattr__(self, "label", f"Remove {self.collection[:-1]} {self.item_id}")

    def _apply(self, config: Config) -> Edit:
        index, old = _find(config, self.collection, self.item_id)
        del getattr(config, self.collection)[index]
        config.forget_ids(self.collection)
        _note(self.collection, self.item_id, "removed")
        return PutItem(self.collection, old, index, label=self.label)


@dataclass(frozen=True)
class RemoveAgent(Edit):
    """Remove an agent and take it out of every squad that lists it (one step)."""

    agent_id: str
    label: str = ""

    def __post_init__(self) -> None:
        if not self.label:
            object.__setattr__(self, "label", f"Remove agent {self.agent_id}")

    def _apply(self, config: Config) -> Edit:
        # item_edits builds on this module, hence the import here.
        from .item_edits import ChangeSquadMembers

        # The squads first: undone in reverse, the agent is back before it rejoins them,
        # each in its old place and beside members others added meanwhile.
        parts: list[Edit] = [
            ChangeSquadMembers(squad.id, remove=(self.agent_id,))
            for squad in config.squads
            if self.agent_id in squad.agents
        ]
        parts.append(RemoveItem("agents", self.agent_id))
        return Batch(tuple(parts), label=self.label)._apply(config)


@dataclass(frozen=True)
class SetAgentModels(Edit):
    """Set an agent's preferred-model list (empty = inherit). Keeps string/list form."""

    agent_id: str
    models: tuple[str, ...]
    label: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "models", tuple(self.models))
        if not self.label:
            object.__setattr__(self, "label", f"Set models of {self.agent_id}")

    def _apply(self, config: Config) -> Edit:
        _, agent = _find(config, "agents", self.agent_id)
        models = check_model_list(list(self.models), f"agent '{self.agent_id}'")
        value = as_model_value(models, like=agent.model)
        return UpdateItem("agents", self.agent_id, {"model": value}, label=self.label)._apply(config)


@dataclass(frozen=True)
class SetAgentFallback(Edit):
    """Set one of an agent's fallback overrides (``None`` removes it, so the agent follows
    Settings again). Worked out against the agent as it is when applied, so its other
    overrides changed meanwhile are kept; removing the last one unsets ``fallback``."""

    agent_id: str
    option: str
    value: Any
    label: str = ""

    def __post_init__(self) -> None:
        if not self.label:
            verb = "Reset" if self.value is None else "Set"
            object.__setattr__(self, "label", f"{verb} fallback {self.option} of agent {self.agent_id}")

    def _apply(self, config: Config) -> Edit:
        _, agent = _find(config, "agents", self.agent_id)
        if self.option not in FallbackOverride.model_fields:
            raise EditError(f"{self.label}: unknown fallback option '{self.option}'")
        overrides = agent.fallback.model_dump(exclude_none=True) if agent.fallback is not None else {}
        if self.value is None:
            overrides.pop(self.option, None)
        else:
            overrides[self.option] = self.value
        # No overrides left: the object is unset rather than written as {}.
        return UpdateItem("agents", self.agent_id, {"fallback": overrides or None}, label=self.label)._apply(config)


_SETTINGS_FIELDS = {"default_agent_model", "task_models"}


@dataclass(frozen=True)
class SetSetting(Edit):
    """Set one field of Settings: ``("default_agent_model",)``, ``("task_models",)`` or
    ``("fallback", "<option>")``. ``None`` resets to the default."""

    path: tuple[str, ...]
    value: Any
    label: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "path", tuple(self.path))
        if not self.label:
            object.__setattr__(self, "label", "Change " + ".".join(self.path).replace("_", " "))

    def _apply(self, config: Config) -> Edit:
        if len(self.path) == 1 and self.path[0] in _SETTINGS_FIELDS:
            target: BaseModel = config.settings
        elif len(self.path) == 2 and self.path[0] == "fallback":
            target = config.settings.fallback
        elif self.path == ("serve", "aliases"):
            target = config.settings.serve
        else:
            raise EditError(f"unknown setting {'.'.join(self.path)}")
        name = self.path[-1]
        if name not in type(target).model_fields:
            raise EditError(f"unknown setting {'.'.join(self.path)}")
        before = getattr(target, name) if name in target.model_fields_set else None
        value = self.value
        if name == "default_agent_model" and value is not None:
            value = as_model_value(check_model_list(model_list(value), "default agent model"), like=value)
        if value is None:
            default = type(target).model_fields[name].get_default(call_default_factory=True)
            setattr(target, name, default)
            target.__pydantic_fields_set__.discard(name)
        else:
            setattr(target, name, value)
        if target is config.settings.fallback and target.model_fields_set:
            config.settings.__pydantic_fields_set__.add("fallback")
        if target is config.settings.serve and target.model_fields_set:
            config.settings.__pydantic_fields_set__.add("serve")
        _note_setting(".".join(self.path))
        return SetSetting(self.path, before, label=self.label)


@dataclass(frozen=True)
class SetTaskModel(Edit):
    """Set or clear (empty ``models``) the models of one task, worked out against the
    config as it is when applied, so other tasks changed meanwhile are kept.

    ``owner`` is ``"settings"``, ``"projects"`` or ``"agents"`` (then ``owner_id`` names
    the item). Settings and projects map a chat model id (``chat``, ``"*"`` for any) to
    models; an agent's entry is a direct choice and takes no ``chat``.
    """

    owner: Literal["settings", "projects", "agents"]
    task: str
    models: tuple[str, ...]
    owner_id: str | None = None
    chat: str = "*"
    label: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "models", tuple(self.models))
        if not self.label:
            verb = "Set" if self.models else "Clear"
            object.__setattr__(self, "label", f"{verb} task model {self.task}")

    def _apply(self, config: Config) -> Edit:
        task = self.task.strip()
        if not task:
            raise EditError(f"{self.label}: the task name is blank")
        models = check_model_list(list(self.models), f"task model {task}")
        before = _task_entry(_task_table(config, self.owner, self.owner_id), task, self.chat, self.owner)
        value = as_model_value(models, like=before) if models else None
        entry = PutTaskEntry(self.owner, task, value, self.owner_id, self.chat, label=self.label)
        return entry._apply(config)


@dataclass(frozen=True)
class PutTaskEntry(Edit):
    """Put one task-model entry (``value``; None removes it) at its place in the map as it
    is when applied: what :class:`SetTaskModel` does once it knows the value, and its
    inverse, so an undo puts back only this entry (in its old place) and keeps the
    entries another program changed meanwhile. ``task_at``/``chat_at``: where a removed
    entry goes back (None: at the end)."""

    owner: Literal["settings", "projects", "agents"]
    task: str
    value: ModelValue | None
    owner_id: str | None = None
    chat: str = "*"
    task_at: int | None = None
    chat_at: int | None = None
    label: str = ""

    def _apply(self, config: Config) -> Edit:
        table = _task_table(config, self.owner, self.owner_id)
        tasks = list(table)
        old_task_at = tasks.index(self.task) if self.task in table else None
        old_value = _task_entry(table, self.task, self.chat, self.owner)
        old_chat_at: int | None = None
        if self.owner == "agents":
            table = _placed(table, self.task, self.value, self.task_at)
        else:
            entries: dict[str, Any] = dict(table.get(self.task) or {})
            old_chat_at = list(entries).index(self.chat) if self.chat in entries else None
            entries = _placed(entries, self.chat, self.value, self.chat_at)
            table = _placed(table, self.task, entries or None, self.task_at)
        inverse = PutTaskEntry(
            self.owner, self.task, old_value, self.owner_id, self.chat, old_task_at, old_chat_at, self.label
        )
        if self.owner == "settings":
            SetSetting(("task_models",), table or None, label=self.label)._apply(config)
        else:
            # An emptied map is unset rather than written as {}.
            UpdateItem(self.owner, self.owner_id or "", {"task_models": table or None}, label=self.label)._apply(config)
        return inverse


def _task_table(config: Config, owner: str, owner_id: str | None) -> dict[str, Any]:
    """A copy of the owner's task map (its per-chat maps copied too)."""
    if owner == "settings":
        current = config.settings.task_models
    else:
        _, item = _find(config, owner, owner_id or "")
        current = item.task_models
    return {name: (dict(v) if isinstance(v, dict) else v) for name, v in current.items()}


def _task_entry(table: dict[str, Any], task: str, chat: str, owner: str) -> Any:
    if owner == "agents":
        return table.get(task)
    return (table.get(task) or {}).get(chat)


def _placed(mapping: dict[str, Any], key: str, value: Any, at: int | None) -> dict[str, Any]:
    """``mapping`` with ``key`` set to ``value`` (removed when None): in its place when it is
    there, else at ``at`` (None: at the end)."""
    if value is None:
        return {k: v for k, v in mapping.items() if k != key}
    if key in mapping or at is None:
        return {**mapping, key: value}
    items = list(mapping.items())
    items.insert(max(0, min(at, len(items))), (key, value))
    return dict(items)


@dataclass(frozen=True)
class Batch(Edit):
    """Several edits applied as one step (one undo entry, one save)."""

    edits: tuple[Edit, ...]
    label: str = "Change several items"

    def __post_init__(self) -> None:
        object.__setattr__(self, "edits", tuple(self.edits))

    def _apply(self, config: Config) -> Edit:
        undo: list[Edit] = []
        try:
            # A loop, not a comprehension: on a failure `undo` must hold the inverses applied so far.
            for edit in self.edits:
                undo.append(apply_edit(config, edit))  # noqa: PERF401
        except Exception:
            for inverse in reversed(undo):
                apply_edit(config, inverse)
            raise
        return Batch(tuple(reversed(undo)), label=self.label)


@dataclass(frozen=True)
class AgentChange:
    """One line of a bulk preview: an agent's list before and after."""

    agent_id: str
    before: tuple[str, ...]
    after: tuple[str, ...]
    note: str = field(default="")

    @property
    def changed(self) -> bool:
        return self.before != self.after


def model_value_list(value: ModelValue | None) -> tuple[str, ...]:
    return tuple(model_list(value))


# The edits above all report what they touch (through the primitives that mutate).
for _edit_type in (
    UpdateItem,
    PutItem,
    AddItem,
    RemoveItem,
    RemoveAgent,
    SetAgentModels,
    SetAgentFallback,
    SetSetting,
    SetTaskModel,
    Batch,
):
    _edit_type.reports_changes = True
