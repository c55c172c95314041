"""The Projects page's tables: the projects with their default models, and the agents of one project."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, Qt

from modeldesk.core.edits import Change
from modeldesk.core.errors import ModelDeskError
from modeldesk.core.resolution_text import INHERITED_FROM, layer_label
from modeldesk.core.resolver import PLACEHOLDER, Resolver
from modeldesk.core.schema import Agent, Config, ModelValue, Policy, Project, model_list

from ..colours import problem_colour
from ..document import Document
from ..text import counted
from .named_items_model import NamedItemsModel
from .rows import RowsTableModel, changed_ids, collection_changes, dim_brush, found


@dataclass(frozen=True)
class ProjectRow:
    project: Project
    models: tuple[str, ...]  # the effective default list
    source: str  # "project", "settings", "organization" or "" (nothing usable)
    members: int


class ProjectsModel(NamedItemsModel[ProjectRow]):
    """One row per project: name (editable), effective default model, agent count."""

    COLUMNS = ("Project", "Default model", "Agents")
    NAME, DEFAULT, MEMBERS = range(3)
    COLLECTION = "projects"

    def __init__(self, document: Document, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.refresh()

    def refresh(self, change: Change | None = None) -> None:
        """Re-read the projects: those ``change`` names (and those whose agent count it
        changed), or all without one or when every project's inherited default may differ."""
        document = self.document
        if change is None or change.settings or change.touches("models") or change.touches("providers"):
            self.update_rows(project_rows(document))
            return
        inserted, removed, updated = collection_changes(change, "projects")
        counts: Counter[str | None] | None = None
        if change.touches("agents"):
            # Which project an agent left or joined is not recorded: the counts tell.
            counts = member_counts(document.config)
            updated = updated + [row.project.id for row in self._rows if row.members != counts.get(row.project.id, 0)]
        if not (inserted or removed or updated):
            return
        config, resolver = document.config, document.resolver
        counted_now = counts if counts is not None else member_counts(config)

        def make_row(project_id: object) -> ProjectRow:
            project = found(config.project(str(project_id)))
            return project_row(resolver, config, document.policy, project, counted_now)

        self.change_rows(
            [project.id for project in config.projects], make_row, inserted=inserted, removed=removed, updated=updated
        )

    def row_key(self, row: ProjectRow) -> object:
        return row.project.id

    def cell(self, row: ProjectRow, column: int, role: int) -> Any:
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            if column == self.NAME:
                return row.project.name
            if column == self.MEMBERS:
                return row.members
            if not row.models:
                return "(no usable model)"
            text = ", ".join(row.models)
            return text if row.source == "project" else f"{text} (inherited)"
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == self.DEFAULT:
                if not row.source:
                    return "No usable default: its agents without a list of their own cannot run."
                return f"{', '.join(row.models)} — from {INHERITED_FROM[row.source]}"
            return f"{row.project.name} (id: {row.project.id}) — {counted(row.members, 'agent')}"
        if role == Qt.ItemDataRole.ForegroundRole and column == self.DEFAULT:
            if not row.source:
                return problem_colour()
            if row.source != "project":
                return dim_brush()
        if role == Qt.ItemDataRole.TextAlignmentRole and column == self.MEMBERS:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def named(self, row: ProjectRow) -> Project:
        return row.project


class ProjectAgentsModel(RowsTableModel[Agent]):
    """The agents of one project with what each runs on (resolved when painted)."""

    COLUMNS = ("Agent", "Runs on", "From")
    AGENT, RUNS_ON, SOURCE = range(3)

    def __init__(self, document: Document, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.project_id: str | None = None

    def set_project(self, project_id: str | None, change: Change | None = None) -> None:
        """Show ``project_id``'s agents; after ``change`` (the same project still shown)
        only the agents it concerns become row changes."""
        same = project_id == self.project_id
        self.project_id = project_id
        agents = [a for a in self.document.config.agents if project_id and a.project == project_id]
        if change is None or not same:
            self.update_rows(agents)
            return
        by_id = {agent.id: agent for agent in agents}
        shown = {agent.id for agent in self._rows}
        touched = changed_ids(change, "agents")
        self.change_rows(
            list(by_id),
            lambda agent_id: by_id[str(agent_id)],
            inserted=[i for i in touched if i in by_id and i not in shown],
            removed=[i for i in touched if i in shown and i not in by_id],
            updated=[i for i in touched if i in shown and i in by_id],
        )
        if any(change.touches(c) for c in ("models", "providers", "projects", "settings")):
            self.show_again()  # what every agent runs on is worked out when painted

    def row_key(self, agent: Agent) -> object:
        return agent.id

    def cell(self, agent: Agent, column: int, role: int) -> Any:
        if column == self.AGENT:
            if role == Qt.ItemDataRole.DisplayRole:
                return agent.id if agent.name == agent.id else f"{agent.name} ({agent.id})"
            return None
        if role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ForegroundRole):
            return None
        try:
            result = self.document.resolver.chat(agent.id)
        except ModelDeskError as exc:
            if role == Qt.ItemDataRole.ForegroundRole:
                return problem_colour()
            return exc.message if column == self.RUNS_ON else "—"
        if role == Qt.ItemDataRole.ForegroundRole:
            return None if result.source == "agent" else dim_brush()
        return ", ".join(result.models) if column == self.RUNS_ON else layer_label(result.source)


def usable_models(resolver: Resolver, value: ModelValue | None) -> tuple[str, ...]:
    """The models of ``value`` a run could use, in order (the resolver's skipping rules:
    blanks, the placeholder, repeats and unusable models are left out)."""
    usable: list[str] = []
    for entry in model_list(value):
        model_id = entry.strip()
        skipped = not model_id or model_id.casefold() == PLACEHOLDER or model_id in usable
        if not skipped and resolver.model_problem(model_id) is None:
            usable.append(model_id)
    return tuple(usable)


def effective_default(
    resolver: Resolver, config: Config, policy: Policy | None, project: Project
) -> tuple[tuple[str, ...], str]:
    """What an agent of ``project`` with no list of its own runs on, and the layer it
    comes from (``""`` when nothing is usable)."""
    layers: tuple[tuple[str, ModelValue | None], ...] = (
        ("project", project.default_model),
        ("settings", config.settings.default_agent_model),
        ("organization", policy.default_agent_model if policy else None),
    )
    for source, value in layers:
        models = usable_models(resolver, value)
        if models:
            return models, source
    return (), ""


def member_counts(config: Config) -> Counter[str | None]:
    """How many agents each project has: one pass over the agents for every project
    (10,000 agents, 50 projects)."""
    return Counter(agent.project for agent in config.agents)


def project_row(
    resolver: Resolver, config: Config, policy: Policy | None, project: Project, counts: Counter[str | None]
) -> ProjectRow:
    models, source = effective_default(resolver, config, policy, project)
    return ProjectRow(project, models, source, counts.get(project.id, 0))


def project_rows(document: Document) -> list[ProjectRow]:
    config, resolver = document.config, document.resolver
    counts = member_counts(config)
    return [project_row(resolver, config, document.policy, project, counts) for project in config.projects]
