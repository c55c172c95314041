"""Bulk model changes: pick a scope of agents, describe a change, preview, apply as one step.

Shared by the CLI (`squads set-model`, `models replace`) and the app's bulk dialog, so a
preview in either shows exactly what applying will do.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from .edits import Edit, check_model_list, note_changes
from .errors import EditError
from .resolver import Resolver, is_placeholder
from .schema import Agent, Config, ModelValue, Policy, as_model_value, model_list

# --- scopes -------------------------------------------------------------------------


@dataclass(frozen=True)
class SquadScope:
    squad_id: str

    def describe(self) -> str:
        return f"squad {self.squad_id}"


@dataclass(frozen=True)
class AgentsScope:
    agent_ids: tuple[str, ...]

    def describe(self) -> str:
        return f"{len(self.agent_ids)} selected agent(s)"


@dataclass(frozen=True)
class UsingModelScope:
    """Every agent whose preferred list contains ``model_id``."""

    model_id: str

    def describe(self) -> str:
        return f"every agent using {self.model_id}"


@dataclass(frozen=True)
class AllAgentsScope:
    def describe(self) -> str:
        return "every agent"


Scope = SquadScope | AgentsScope | UsingModelScope | AllAgentsScope


def agents_in_scope(config: Config, scope: Scope, by_id: dict[str, Agent] | None = None) -> list[str]:
    """Agent ids in the scope, in config order (squad order for a squad); ``by_id`` is
    an index of the config's agents when the caller has one."""
    known = by_id if by_id is not None else {a.id: a for a in config.agents}
    if isinstance(scope, SquadScope):
        squad = config.squad(scope.squad_id)
        if squad is None:
            raise EditError(f"there is no squad '{scope.squad_id}'")
        missing = [a for a in squad.agents if a not in known]
        if missing:
            raise EditError(f"squad '{squad.id}' lists unknown agent(s): {', '.join(missing)}")
        return list(dict.fromkeys(squad.agents))
    if isinstance(scope, AgentsScope):
        missing = [a for a in scope.agent_ids if a not in known]
        if missing:
            raise EditError(f"unknown agent(s): {', '.join(missing)}")
        return list(dict.fromkeys(scope.agent_ids))
    if isinstance(scope, UsingModelScope):
        # Spaces around a hand-written id do not hide it (the resolver ignores them too).
        return [a.id for a in config.agents if scope.model_id in (_key(m) for m in model_list(a.model))]
    return [a.id for a in config.agents]


# --- changes ------------------------------------------------------------------------


@dataclass(frozen=True)
class SetList:
    """Replace the whole list (empty = inherit)."""

    models: tuple[str, ...]

    def describe(self) -> str:
        return "set models to " + (", ".join(self.models) or "(inherit)")


@dataclass(frozen=True)
class ReplaceModel:
    """Put ``new`` where ``old`` was; if ``new`` is already listed, just drop ``old``."""

    old: str
    new: str

    def describe(self) -> str:
        return f"replace {self.old} with {self.new}"


@dataclass(frozen=True)
class AddFallback:
    """Append a fallback model to lists that do not have it yet."""

    model: str

    def describe(self) -> str:
        return f"add fallback {self.model}"


@dataclass(frozen=True)
class RemoveModel:
    model: str

    def describe(self) -> str:
        return f"remove {self.model}"


Change = SetList | ReplaceModel | AddFallback | RemoveModel


def sentence(text: str) -> str:
    """``text`` with its first letter upper-cased; unlike ``str.capitalize`` the model ids
    in it keep their case."""
    return text[:1].upper() + text[1:]


# --- planning -----------------------------------------------------------------------

InheritedChoice = Literal["skip", "copy"]
"""What a change does to an agent without a list of its own: leave it inheriting
(``skip``), or first copy the list it inherits into its own and change that (``copy``)."""

SKIP: InheritedChoice = "skip"
COPY: InheritedChoice = "copy"


@dataclass(frozen=True, slots=True)
class PlannedChange:
    """One row of a plan: an agent's own list before and after, as written in the file.

    ``before`` / ``after`` are the entries (empty = the agent inherits); ``note`` says how
    the result differs from what the change's name suggests ("" when it does exactly
    that). ``value_before`` / ``value_after`` are the raw values (string or list), so
    applying keeps the form the file uses and can check nothing changed meanwhile.
    """

    agent_id: str
    before: tuple[str, ...]
    after: tuple[str, ...]
    note: str = ""
    value_before: ModelValue | None = None
    value_after: ModelValue | None = None

    @property
    def changed(self) -> bool:
        return self.before != self.after


class _Inherited:
    """What agents without a list of their own inherit, worked out once per project."""

    def __init__(self, resolver: Resolver) -> None:
        self.resolver = resolver
        self.config = resolver.config
        self._by_project: dict[str | None, tuple[tuple[str, ...], str]] = {}

    def of(self, agent: Agent) -> tuple[tuple[str, ...], str]:
        """The list the agent would inherit without its own, and where it comes from
        (``((), "")`` when nothing is inherited). The same layers and skipping rules as
        the resolver: the project's default, Settings, the organization policy."""
        key = agent.project
        if key not in self._by_project:
            project = self.config.project(key) if key else None
            layers: list[tuple[str, ModelValue | None]] = [
                (f"project {key}", project.default_model if project else None),
                ("Settings", self.config.settings.default_agent_model),
                ("the organization policy", self.resolver.policy.default_agent_model if self.resolver.policy else None),
            ]
            found: tuple[tuple[str, ...], str] = ((), "")
            for source, value in layers:
                usable = self._usable(value)
                if usable:
                    found = (usable, source)
                    break
            self._by_project[key] = found
        return self._by_project[key]

    def _usable(self, value: ModelValue | None) -> tuple[str, ...]:
        ids = (_key(e) for e in model_list(value))
        unique = dict.fromkeys(m for m in ids if m and not is_placeholder(m))
        return tuple(m for m in unique if self.resolver.model_problem(m) is None)

    def text(self, agent: Agent) -> str:
        models, source = self.of(agent)
        return f"{', '.join(models)} from {source}" if models else "no model (none is set anywhere)"


def shared_inheritance(resolver: Resolver, agents: Iterable[Agent]) -> tuple[tuple[str, ...], str]:
    """What ``agents`` would inherit without lists of their own, and where it comes from,
    when it is the same for all of them; ``((), "")`` when it differs or nothing is
    inherited. The layers and skipping rules of ``inherited="copy"``."""
    lookup = _Inherited(resolver)
    found: set[tuple[tuple[str, ...], str]] = set()
    for agent in agents:
        found.add(lookup.of(agent))
        if len(found) > 1:
            return (), ""
    return found.pop() if found else ((), "")


def _has_own_list(entries: list[str]) -> bool:
    """True unless the entries are all blanks or the placeholder (the resolver then skips
    the agent's layer, so the agent inherits). Usually the first entry decides."""
    for entry in entries:
        key = entry.strip()
        if key and not is_placeholder(key):
            return True
    return False


def _key(entry: str) -> str:
    """An entry as the resolver reads it (spaces around an id do not count)."""
    return entry.strip()


def _transform(change: Change, before: list[str]) -> tuple[list[str], str]:
    """``before`` changed, with a note when the result is not what the change's name
    says. Entries the change is not about are kept exactly as written."""
    if isinstance(change, SetList):
        return list(change.models), ""
    keys = [_key(e) for e in before]
    if isinstance(change, ReplaceModel):
        if change.old not in keys:
            return before, f"does not list {change.old}"
        if change.old == change.new:
            return before, "the replacement is the same model"
        if change.new in keys:
            # The replacement keeps the better of the two places: the old model's, when it
            # came first ("replace fast with slow" in fast, qwen, slow gives slow, qwen).
            old_at, new_at = keys.index(change.old), keys.index(change.new)
            kept = [e for e, k in zip(before, keys, strict=True) if k not in (change.old, change.new)]
            if new_at < old_at:
                kept.insert(new_at, before[new_at])
                return kept, f"{change.new} was already listed: {change.old} removed, no duplicate"
            kept.insert(old_at, before[new_at])
            return kept, f"{change.new} was already listed: it moves up to {change.old}'s place, no duplicate"
        first = keys.index(change.old)
        after = [
            change.new if i == first else e
            for i, (e, k) in enumerate(zip(before, keys, strict=True))
            if i == first or k != change.old
        ]
        note = f"{change.old} was listed twice: one {change.new} kept" if keys.count(change.old) > 1 else ""
        return after, note
    if isinstance(change, AddFallback):
        if change.model in keys:
            return before, f"already lists {change.model}"
        return [*before, change.model], ""
    if change.model not in keys:
        return before, f"does not list {change.model}"
    return [e for e, k in zip(before, keys, strict=True) if k != change.model], ""


def plan_bulk_change(
    config: Config,
    scope: Scope,
    change: Change,
    *,
    inherited: InheritedChoice = SKIP,
    resolver: Resolver | None = None,
    policy: Policy | None = None,
) -> list[PlannedChange]:
    """Every agent in scope with its list before and after (unchanged ones included).

    The one planner behind the app's bulk dialog and the CLI's ``models replace`` /
    ``squads set-model``: what a preview shows is what :func:`plan_edit` applies.
    ``resolver`` (else one built over ``config`` and ``policy``) says what agents
    without a list inherit, for notes and for ``inherited="copy"``.
    """
    sets_list = isinstance(change, SetList)
    if isinstance(change, SetList):
        check_model_list(list(change.models), "new model list")
    by_id = {a.id: a for a in config.agents}
    if isinstance(change, SetList) and change.models:
        return _plan_new_list([by_id[a] for a in agents_in_scope(config, scope, by_id)], change.models)
    lookup = _Inherited(resolver if resolver is not None else Resolver(config, policy))
    plan: list[PlannedChange] = []
    for agent_id in agents_in_scope(config, scope, by_id):
        agent = by_id[agent_id]
        value_before = agent.model
        before = model_list(value_before)
        note = ""
        # A new list is set whatever the agent had: whether it has its own does not matter.
        if sets_list or _has_own_list(before):
            after, note = _transform(change, before)
        elif inherited == SKIP:
            after, note = before, f"inherits {lookup.text(agent)}: skipped"
        else:
            models, source = lookup.of(agent)
            if not models:
                after, note = before, "inherits no model: nothing to copy, skipped"
            else:
                after, why = _transform(change, list(models))
                inherited_text = f"{', '.join(models)} from {source}"
                if after == list(models):
                    # The copy would not change: leave the agent inheriting.
                    after, note = before, f"inherits {inherited_text}, which {why or 'would not change'}: unchanged"
                elif not after:
                    after, note = before, f"inherits {inherited_text}; nothing would be left: unchanged"
                else:
                    note = f"copied {', '.join(models)} inherited from {source}" + (f"; {why}" if why else "")
        if before and not after:
            note = f"list emptied: will inherit {lookup.text(agent)}"
        value_after = value_before if after == before else as_model_value(after, like=value_before)
        if value_after == value_before and not note:
            note = "no change"
        plan.append(PlannedChange(agent_id, tuple(before), tuple(after), note, value_before, value_after))
    return plan


def _plan_new_list(agents: list[Agent], models: tuple[str, ...]) -> list[PlannedChange]:
    """:func:`plan_bulk_change` for a new list that is not empty: every agent gets it,
    whether it had a list or inherited, and no note but "no change" applies; the loop
    kept to that (a preview of every agent plans 10,000 rows)."""
    after, after_entries = list(models), tuple(models)
    plan: list[PlannedChange] = []
    for agent in agents:
        value_before = agent.model
        before = model_list(value_before)
        value_after = value_before if after == before else as_model_value(after, like=value_before)
        note = "no change" if value_after == value_before else ""
        plan.append(PlannedChange(agent.id, tuple(before), after_entries, note, value_before, value_after))
    return plan


def target_problems(resolver: Resolver, change: Change) -> list[str]:
    """Why the models this change brings into lists cannot be used ("id: reason"), empty
    when they all can. The app refuses to apply while any is listed."""
    if isinstance(change, SetList):
        targets = list(change.models)
    elif isinstance(change, ReplaceModel):
        targets = [change.new]
    elif isinstance(change, AddFallback):
        targets = [change.model]
    else:
        targets = []
    return [f"{m}: {problem}" for m in targets if m and (problem := resolver.model_problem(m))]


@dataclass(frozen=True)
class SetAgentLists(Edit):
    """Set many agents' preferred lists in one step, exactly as planned.

    Each entry is (agent id, the value it had when planned, the new value). Applying
    refuses, changing nothing, when an agent is gone or its list is no longer the one
    planned from, so what was previewed is what is written, and another process's
    change to the same agent is never overwritten. Its inverse is the same edit reversed.
    """

    lists: tuple[tuple[str, ModelValue | None, ModelValue | None], ...]
    label: str = "Change models of many agents"

    reports_changes = True

    def _apply(self, config: Config) -> Edit:
        # One index for the whole edit: thousands of look-ups through Config.find cost more.
        agents = config.agents
        index = {agent.id: position for position, agent in enumerate(agents)}
        positions: list[int] = []
        for agent_id, expected, _new in self.lists:
            position = index.get(agent_id)
            if position is None:
                raise EditError(f"{self.label}: agent '{agent_id}' no longer exists; review the change again")
            if agents[position].model != expected:
                raise EditError(
                    f"{self.label}: the models of agent '{agent_id}' changed since this was planned; "
                    "review the change again"
                )
            positions.append(position)
        for position, (_agent_id, _expected, new) in zip(positions, self.lists, strict=True):
            agents[position] = _with_model(agents[position], new)
        # Views update just these rows (the app's incremental models read this).
        note_changes("agents", (agent_id for agent_id, _expected, _new in self.lists), "updated")
        return SetAgentLists(tuple((a, new, old) for a, old, new in self.lists), label=self.label)


def _with_model(agent: Agent, value: ModelValue | None) -> Agent:
    """``agent.model_copy(update={"model": value})`` without its per-call overhead: the
    same shallow copy pydantic's ``__copy__`` makes (fields, extra, fields set), with
    ``model`` replaced and marked as set, built with dict methods instead of
    ``copy.copy`` per part (half of the copy's cost at 10,000 agents). Like
    ``model_copy``, the planned value is not re-validated."""
    cls = type(agent)
    if cls.__private_attributes__:  # private attributes are copied as pydantic does
        copied = agent.__copy__()
        copied.__dict__["model"] = value
        copied.__pydantic_fields_set__.add("model")
        return copied
    copied = cls.__new__(cls)
    fields = agent.__dict__.copy()
    fields["model"] = value
    extra = agent.__pydantic_extra__
    _set_attribute(copied, "__dict__", fields)
    _set_attribute(copied, "__pydantic_extra__", None if extra is None else extra.copy())
    _set_attribute(copied, "__pydantic_fields_set__", agent.__pydantic_fields_set__ | _MODEL_SET)
    _set_attribute(copied, "__pydantic_private__", None)
    return copied


_set_attribute = object.__setattr__
_MODEL_SET = frozenset({"model"})


def plan_edit(plan: Iterable[PlannedChange], label: str) -> SetAgentLists:
    """One edit that applies every real change of a plan, and nothing else."""
    return SetAgentLists(tuple((c.agent_id, c.value_before, c.value_after) for c in plan if c.changed), label=label)


def batch_for(plan: Iterable[PlannedChange], label: str) -> SetAgentLists:
    """The edit of a plan (older name of :func:`plan_edit`)."""
    return plan_edit(plan, label)


@dataclass(frozen=True)
class BulkChange(Edit):
    """A bulk change as an edit that plans itself when applied.

    The store applies edits to the file as it is under the lock, so planning there (rather
    than applying a plan made from an older read) keeps changes another process made to
    the same agents meanwhile.
    """

    scope: Scope
    change: Change
    label: str = ""
    inherited: InheritedChoice = SKIP

    def __post_init__(self) -> None:
        if not self.label:
            object.__setattr__(self, "label", f"{sentence(self.change.describe())} ({self.scope.describe()})")

    def _apply(self, config: Config) -> Edit:
        plan = plan_bulk_change(config, self.scope, self.change, inherited=self.inherited)
        return plan_edit(plan, self.label)._apply(config)
