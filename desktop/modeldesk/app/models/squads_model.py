"""Item models of the Squads page.

* :class:`SquadsModel` lists the squads; a name edited in place (F2 or double-click) is
  one undoable rename through ``document.perform``.
* :class:`MembersModel` lists one squad's member agents with their preferred list and
  what they actually run on (the resolver's answer and the layer it came from).

Both read the document's config; they never change it except through ``perform``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QBrush

from modeldesk.core.errors import ResolutionError
from modeldesk.core.resolution_text import layer_label
from modeldesk.core.resolver import Resolver
from modeldesk.core.schema import Config, Squad, model_list

from ..colours import problem_colour
from ..text import counted
from .named_items_model import NamedItemsModel
from .rows import RowsTableModel, added_and_gone, changed_ids, collection_changes, dim_brush, found

if TYPE_CHECKING:
    from modeldesk.app.document import Document
    from modeldesk.core.edits import Change


class SquadsModel(NamedItemsModel[Squad]):
    """One row per squad: name (editable) and member count."""

    COLUMNS = ("Squad", "Members")
    NAME, MEMBERS = range(2)
    COLLECTION = "squads"

    def __init__(self, document: Document, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.refresh()

    def refresh(self, change: Change | None = None) -> None:
        """Re-read the squads: those ``change`` names, or all (compared by id) without one."""
        config = self.document.config
        if change is None or change.whole:
            self.update_rows(config.squads)
            return
        inserted, removed, updated = collection_changes(change, "squads")
        if inserted or removed or updated:
            self.change_rows(
                [squad.id for squad in config.squads],
                lambda squad_id: found(config.squad(str(squad_id))),
                inserted=inserted,
                removed=removed,
                updated=updated,
            )

    def row_key(self, squad: Squad) -> object:
        return squad.id

    def cell(self, squad: Squad, column: int, role: int) -> Any:
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            return squad.name if column == self.NAME else len(squad.agents)
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{squad.name} (id: {squad.id}) — {counted(len(squad.agents), 'member')}"
        return None

    def named(self, row: Squad) -> Squad:
        return row


@dataclass(frozen=True)
class MemberRow:
    """A squad member as the page shows it."""

    agent_id: str
    name: str
    preferred: tuple[str, ...]
    effective: tuple[str, ...]  # empty when resolution failed
    source: str  # resolver layer, "" when resolution failed
    problem: str = ""  # why it cannot run (unknown agent, no model configured, ...)
    unusable: tuple[tuple[str, str], ...] = ()  # (model id, why) for listed models that cannot run

    @property
    def exists(self) -> bool:
        return self.problem != UNKNOWN_AGENT


UNKNOWN_AGENT = "unknown agent (not in the config)"


def member_rows(config: Config, resolver: Resolver, squad_id: str | None) -> list[MemberRow]:
    squad = config.squad(squad_id) if squad_id else None
    if squad is None:
        return []
    return [member_row(config, resolver, agent_id) for agent_id in squad.agents]


def member_row(config: Config, resolver: Resolver, agent_id: str) -> MemberRow:
    agent = config.agent(agent_id)
    if agent is None:
        # Dangling references stay visible and flagged, never silently dropped.
        return MemberRow(agent_id, agent_id, (), (), "", UNKNOWN_AGENT)
    preferred = tuple(model_list(agent.model))
    # Disabled or deleted models stay in the list as written, flagged.
    unusable = tuple((m, why) for m in preferred if (why := resolver.model_problem(m.strip())))
    try:
        resolution = resolver.chat(agent_id)
    except ResolutionError as exc:
        return MemberRow(agent_id, agent.name, preferred, (), "", exc.message, unusable)
    return MemberRow(agent_id, agent.name, preferred, tuple(resolution.models), resolution.source, "", unusable)


class MembersModel(RowsTableModel[MemberRow]):
    """The selected squad's members: agent, preferred models, effective models, source."""

    COLUMNS = ("Agent", "Preferred models", "Runs on", "From")
    AGENT, PREFERRED, EFFECTIVE, SOURCE = range(4)

    def __init__(self, document: Document, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.squad_id: str | None = None

    def set_squad(self, squad_id: str | None, change: Change | None = None) -> None:
        """Show ``squad_id``'s members; after ``change`` (the same squad still shown) only
        the rows it concerns are read again."""
        same = squad_id == self.squad_id
        self.squad_id = squad_id
        self.refresh(change if same else None)

    def refresh(self, change: Change | None = None) -> None:
        """Re-read the members: every row without a ``change`` (or when it may change what
        any member runs on), else the members it added, removed or edited."""
        config, resolver = self.document.config, self.document.resolver
        if change is None or any(change.touches(c) for c in ("models", "providers", "projects", "settings")):
            self.update_rows(member_rows(config, resolver, self.squad_id))
            return
        squad = config.squad(self.squad_id) if self.squad_id else None
        members = list(squad.agents) if squad is not None else []
        shown = [row.agent_id for row in self._rows]
        joined, left = added_and_gone(shown, members) if members != shown else ([], [])
        self.change_rows(
            members,
            lambda agent_id: member_row(config, resolver, str(agent_id)),
            inserted=joined,
            removed=left,
            # An agent added, removed or edited changes its member row (an id the squad
            # names with no agent behind it is shown flagged).
            updated=changed_ids(change, "agents"),
        )

    def row_key(self, member: MemberRow) -> object:
        return member.agent_id

    def cell(self, member: MemberRow, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            if column == self.AGENT:
                return member.name if member.name == member.agent_id else f"{member.name} ({member.agent_id})"
            if column == self.PREFERRED:
                flagged = dict(member.unusable)
                return ", ".join(f"⚠ {m}" if m in flagged else m for m in member.preferred) or "(inherits)"
            if column == self.EFFECTIVE:
                if not member.exists:
                    return "unknown agent"
                return ", ".join(member.effective) or "no usable model"
            return layer_label(member.source) if member.source else "—"
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == self.PREFERRED and member.unusable:
                return "\n".join(f"{m}: {why}" for m, why in member.unusable)
            return member.problem or f"{member.agent_id} runs on {', '.join(member.effective)}"
        if role == Qt.ItemDataRole.ForegroundRole:
            if member.problem:
                return QBrush(problem_colour())
            if column == self.PREFERRED and not member.preferred:
                return dim_brush()
        return None
