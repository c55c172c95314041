"""Edits that change an id or remove an item others refer to, keeping references whole.

* :class:`RenameItem` gives an agent, squad or project a new id (and optionally a new
  display name) and updates every place that names it: squads' member lists for an agent,
  agents' ``project`` for a project.
* :class:`RemoveProject` removes a project and says what happens to its agents: they are
  refused (the default: nothing is removed while agents belong to it), detached (they
  inherit from Settings), moved to another project, or removed with it.
* :class:`RemoveProvider` removes a provider, refusing while models use it unless those
  models go too.

Like every edit they are worked out against the config as it is when applied (so the
store's re-read under its lock sees them right) and return their inverse for undo.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from .edits import Batch, Edit, RemoveAgent, RemoveItem, UpdateItem, apply_edit
from .errors import EditError
from .schema import Config

Renamable = Literal["agents", "squads", "projects"]
AgentsOfRemovedProject = Literal["refuse", "detach", "move", "remove"]


@dataclass(frozen=True)
class RenameItem(Edit):
    """Change an item's id (``new_id``) and/or its display ``name``, in place."""

    collection: Renamable
    item_id: str
    new_id: str
    name: str | None = None
    label: str = ""

    def __post_init__(self) -> None:
        if not self.label:
            object.__setattr__(self, "label", f"Rename {self.collection[:-1]} {self.item_id}")

    def _apply(self, config: Config) -> Edit:
        kind = self.collection[:-1]
        items = getattr(config, self.collection)
        index = next((i for i, item in enumerate(items) if item.id == self.item_id), None)
        if index is None:
            raise EditError(f"there is no {kind} '{self.item_id}'")
        old = items[index]
        new_id = self.new_id.strip()
        if new_id != self.item_id and any(item.id == new_id for item in items):
            raise EditError(f"there is already {'an' if kind[0] in 'aeiou' else 'a'} {kind} '{new_id}'")
        data = old.model_dump(exclude_unset=True) | {"id": new_id}
        if self.name is not None:
            data["name"] = self.name
        replacement = type(old).model_validate(data)
        items[index] = replacement
        if new_id != self.item_id:
            if self.collection == "agents":
                for position, squad in enumerate(config.squads):
                    if self.item_id in squad.agents:
                        members = [new_id if a == self.item_id else a for a in squad.agents]
                        config.squads[position] = squad.model_copy(update={"agents": members})
            elif self.collection == "projects":
                for position, agent in enumerate(config.agents):
                    if agent.project == self.item_id:
                        config.agents[position] = agent.model_copy(update={"project": new_id})
        return RenameItem(self.collection, new_id, self.item_id, old.name, label=self.label)


@dataclass(frozen=True)
class RemoveProject(Edit):
    """Remove a project; ``agents`` says what happens to the agents that belong to it
    (``move`` needs ``move_to``, an existing project)."""

    project_id: str
    agents: AgentsOfRemovedProject = "refuse"
    move_to: str | None = None
    label: str = ""

    def __post_init__(self) -> None:
        if not self.label:
            object.__setattr__(self, "label", f"Remove project {self.project_id}")

    def _apply(self, config: Config) -> Edit:
        if config.project(self.project_id) is None:
            raise EditError(f"there is no project '{self.project_id}'")
        members = [a.id for a in config.agents if a.project == self.project_id]
        parts: list[Edit] = [RemoveItem("projects", self.project_id)]
        if members:
            if self.agents == "refuse":
                raise EditError(
                    f"project '{self.project_id}' has {len(members)} agent(s) ({', '.join(members[:5])}"
                    f"{', ...' if len(members) > 5 else ''}); say whether to detach, move or remove them"
                )
            target_missing = not self.move_to or config.project(self.move_to) is None or self.move_to == self.project_id
            if self.agents == "move" and target_missing:
                raise EditError(f"cannot move the agents to project '{self.move_to}': there is no such project")
            for agent_id in members:
                if self.agents == "remove":
                    parts.append(RemoveAgent(agent_id))
                else:
                    target = self.move_to if self.agents == "move" else None
                    parts.append(UpdateItem("agents", agent_id, {"project": target}))
        return apply_edit(config, Batch(tuple(parts), label=self.label))


@dataclass(frozen=True)
class RemoveProvider(Edit):
    """Remove a provider; refused while models use it unless ``with_models``."""

    provider_id: str
    with_models: bool = False
    label: str = ""

    def __post_init__(self) -> None:
        if not self.label:
            object.__setattr__(self, "label", f"Remove provider {self.provider_id}")

    def _apply(self, config: Config) -> Edit:
        if config.provider(self.provider_id) is None:
            raise EditError(f"there is no provider '{self.provider_id}'")
        using = [m.id for m in config.models if m.provider == self.provider_id]
        if using and not self.with_models:
            raise EditError(
                f"provider '{self.provider_id}' serves {len(using)} model(s) ({', '.join(using[:5])}"
                f"{', ...' if len(using) > 5 else ''}); remove them too, or remove them first"
            )
        parts: list[Edit] = [RemoveItem("models", m) for m in using]
        parts.append(RemoveItem("providers", self.provider_id))
        return apply_edit(config, Batch(tuple(parts), label=self.label))


@dataclass(frozen=True)
class ChangeSquadMembers(Edit):
    """Add members to a squad (each once; at the end, or at ``positions``, one index per
    added agent) and/or remove members, worked out against the squad as it is when
    applied, so members another program added or removed meanwhile are left as they are.
    Added agents must exist; removing one that is no member is no change. Its inverse is
    the opposite change (removed members go back to their places), not the old list, so an
    undo keeps others' changes too."""

    squad_id: str
    add: tuple[str, ...] = ()
    remove: tuple[str, ...] = ()
    positions: tuple[int, ...] = ()
    label: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "add", tuple(self.add))
        object.__setattr__(self, "remove", tuple(self.remove))
        object.__setattr__(self, "positions", tuple(self.positions))
        if not self.label:
            object.__setattr__(self, "label", f"Change members of squad {self.squad_id}")

    def _apply(self, config: Config) -> Edit:
        squad = config.squad(self.squad_id)
        if squad is None:
            raise EditError(f"there is no squad '{self.squad_id}'")
        missing = [a for a in self.add if config.agent(a) is None]
        if missing:
            raise EditError(f"{self.label}: unknown agent(s): {', '.join(missing)}")
        # Removing one that is no member is nothing to do (another program may have taken it
        # out already): the intent, "not a member", holds. Commands check names first.
        leaving = set(self.remove)
        removed = [(index, a) for index, a in enumerate(squad.agents) if a in leaving]
        members = [a for a in squad.agents if a not in leaving]
        added: list[str] = []
        for number, agent_id in enumerate(dict.fromkeys(self.add)):
            if agent_id in members:
                continue
            place = self.positions[number] if number < len(self.positions) else len(members)
            members.insert(max(0, min(place, len(members))), agent_id)
            added.append(agent_id)
        UpdateItem("squads", self.squad_id, {"agents": members}, label=self.label)._apply(config)
        return ChangeSquadMembers(
            self.squad_id,
            add=tuple(a for _, a in removed),
            positions=tuple(index for index, _ in removed),
            remove=tuple(added),
            label=self.label,
        )
