"""Bulk model changes: pick a scope of agents, describe a change, preview, apply as one step.

Shared by the CLI (`squads set-model`, `models replace`) and the app's bulk dialog, so a
preview in either shows exactly what applying will do.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .edits import AgentChange, Batch, Edit, SetAgentModels, check_model_list, model_value_list
from .errors import EditError
from .schema import Config

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


def agents_in_scope(config: Config, scope: Scope) -> list[str]:
    """Agent ids in the scope, in config order (squad order for a squad)."""
    if isinstance(scope, SquadScope):
        squad = config.squad(scope.squad_id)
        if squad is None:
            raise EditError(f"there is no squad '{scope.squad_id}'")
        known = {a.id for a in config.agents}
        missing = [a for a in squad.agents if a not in known]
        if missing:
            raise EditError(f"squad '{squad.id}' lists unknown agent(s): {', '.join(missing)}")
        return list(dict.fromkeys(squad.agents))
    if isinstance(scope, AgentsScope):
        known = {a.id for a in config.agents}
        missing = [a for a in scope.agent_ids if a not in known]
        if missing:
            raise EditError(f"unknown agent(s): {', '.join(missing)}")
        return list(dict.fromkeys(scope.agent_ids))
    if isinstance(scope, UsingModelScope):
        return [a.id for a in config.agents if scope.model_id in model_value_list(a.model)]
    return [a.id for a in config.agents]


# --- changes ------------------------------------------------------------------------


@dataclass(frozen=True)
class SetList:
    """Replace the whole list (empty = inherit)."""

    models: tuple[str, ...]

    def transform(self, before: list[str]) -> list[str]:
        return list(self.models)

    def describe(self) -> str:
        return "set models to " + (", ".join(self.models) or "(inherit)")


@dataclass(frozen=True)
class ReplaceModel:
    """Put ``new`` where ``old`` was; if ``new`` is already listed, just drop ``old``."""

    old: str
    new: str

    def transform(self, before: list[str]) -> list[str]:
        if self.old not in before or self.old == self.new:
            return before
        if self.new in before:
            return [m for m in before if m != self.old]
        return [self.new if m == self.old else m for m in before]

    def describe(self) -> str:
        return f"replace {self.old} with {self.new}"


@dataclass(frozen=True)
class AddFallback:
    """Append a fallback model to lists that do not have it yet."""

    model: str

    def transform(self, before: list[str]) -> list[str]:
        return before if self.model in before else [*before, self.model]

    def describe(self) -> str:
        return f"add fallback {self.model}"


@dataclass(frozen=True)
class RemoveModel:
    model: str

    def transform(self, before: list[str]) -> list[str]:
        return [m for m in before if m != self.model]

    def describe(self) -> str:
        return f"remove {self.model}"


Change = SetList | ReplaceModel | AddFallback | RemoveModel


def sentence(text: str) -> str:
    """``text`` with its first letter upper-cased; unlike ``str.capitalize`` the model ids
    in it keep their case."""
    return text[:1].upper() + text[1:]


def plan_bulk_change(config: Config, scope: Scope, change: Change) -> list[AgentChange]:
    """Every agent in scope with its list before and after (unchanged ones included)."""
    if isinstance(change, SetList):
        check_model_list(list(change.models), "new model list")
    plan: list[AgentChange] = []
    by_id = {a.id: a for a in config.agents}
    for agent_id in agents_in_scope(config, scope):
        agent = by_id[agent_id]
        before = list(model_value_list(agent.model))
        after = change.transform(list(before))
        note = "" if after != before else "no change"
        if before and not after:
            note = "will inherit"
        plan.append(AgentChange(agent_id, tuple(before), tuple(after), note))
    return plan


def batch_for(plan: Iterable[AgentChange], label: str) -> Batch:
    """One edit that applies every real change of a plan."""
    return Batch(tuple(SetAgentModels(c.agent_id, c.after) for c in plan if c.changed), label=label)


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

    def __post_init__(self) -> None:
        if not self.label:
            object.__setattr__(self, "label", f"{sentence(self.change.describe())} ({self.scope.describe()})")

    def _apply(self, config: Config) -> Edit:
        return batch_for(plan_bulk_change(config, self.scope, self.change), self.label)._apply(config)
