"""All agents as a table, with each agent's *effective* model and where it comes from.

The rows are the config's agents (the objects, not copies). Effective models are resolved
lazily — only for rows that are painted, sorted or filtered on — and cached, so 10,000
agents load at once and scroll smoothly.

An edit updates only what it touched (``Document.edited``): an agent added or removed is
one inserted or removed row, a changed agent one changed row. A change to the registry,
the settings or a project can change any agent's effective model: the cache is dropped
and the views repaint what they show, still without a reset. Only a whole reload resets.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush

from modeldesk.core.edits import Change
from modeldesk.core.errors import ResolutionError
from modeldesk.core.resolution_text import layer_label
from modeldesk.core.schema import Agent, model_list

from ..colours import problem_colour
from ..document import Document

Index = QModelIndex | QPersistentModelIndex

AgentIdRole = Qt.ItemDataRole.UserRole + 1
ModelsRole = Qt.ItemDataRole.UserRole + 2  # every model id the row mentions (preferred + effective)
ProblemRole = Qt.ItemDataRole.UserRole + 3  # why the cell is flagged, or None

# The roles data() answers, as plain numbers (a view's role arrives as one).
ANSWERED_ROLES = frozenset(
    int(role)
    for role in (
        AgentIdRole,
        ModelsRole,
        ProblemRole,
        Qt.ItemDataRole.DisplayRole,
        Qt.ItemDataRole.ToolTipRole,
        Qt.ItemDataRole.ForegroundRole,
    )
)

NAME, PROJECT, PREFERRED, EFFECTIVE, SOURCE = range(5)
HEADERS = ("Agent", "Project", "Preferred models", "Effective model", "Source")
# Before the effective model of an agent in a cooldown: a pause sign that common fonts draw
# (DejaVu Sans, the usual Linux font, has no ⏸ and showed an empty box).
COOLING_MARK = "‖"

# Beyond this many rows added or removed by one edit, one reset is cheaper than row signals.
INCREMENTAL_LIMIT = 200


@dataclass(frozen=True)
class Effective:
    models: tuple[str, ...]
    source: str  # "" when resolution failed
    problem: str | None  # the resolution error, or warnings about dropped models


class AgentsTableModel(QAbstractTableModel):
    """Rows are the config's agents, in config order or sorted by a column.

    Sorting happens here, with one key per row (Python's sort), rather than in a sorting
    proxy, which would ask ``data()`` twice per comparison — seconds for 10,000 agents.
    The page's filter (``AgentsFilterModel``) shows some of these rows, in this order.
    """

    def __init__(self, document: Document, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._document = document
        self._effective: dict[str, Effective] = {}
        # What the filter searches, per agent id, with the agent object it was made from.
        self._search: dict[str, tuple[Agent, str]] = {}
        self._rows_by_id: dict[str, int] | None = None
        self._sort_column = -1
        self._sort_order = Qt.SortOrder.AscendingOrder
        self._agents: list[Agent] = self._sorted(document.config.agents)
        # Agents whose runs start further down their list for now (a cooldown), with the
        # sentence that says so: marked in the Effective column.
        self._cooling: dict[str, str] = {}
        document.reloaded.connect(self._reload)
        document.edited.connect(self.apply_change)

    def set_cooling(self, cooling: dict[str, str]) -> None:
        """Mark the agents in ``cooling`` (agent id -> what its cooldown does) and unmark the
        others; only the rows whose mark changes repaint."""
        if cooling == self._cooling:
            return
        touched = set(cooling) ^ set(self._cooling) | {a for a in cooling if cooling[a] != self._cooling.get(a)}
        self._cooling = dict(cooling)
        for agent_id in touched:
            row = self.row_of(agent_id)
            if row >= 0:
                index = self.index(row, EFFECTIVE)
                self.dataChanged.emit(index, index)

    def _reload(self) -> None:
        self.beginResetModel()
        self._effective.clear()
        self._search.clear()
        self._agents = self._sorted(self._document.config.agents)
        self._rows_by_id = None
        self.endResetModel()

    def apply_change(self, change: Change) -> None:
        """Follow one edit row by row (see the module docstring)."""
        config = self._document.config
        inserted = change.inserted.get("agents", [])
        removed = change.removed.get("agents", [])
        if change.whole or len(inserted) + len(removed) > INCREMENTAL_LIMIT:
            self._reload()
            return
        for agent_id in removed:
            row = self.row_of(agent_id)
            if row < 0:
                continue
            self.beginRemoveRows(QModelIndex(), row, row)
            del self._agents[row]
            self._rows_by_id = None
            self._effective.pop(agent_id, None)
            self.endRemoveRows()
        for agent_id in inserted:
            found = config.find("agents", agent_id)
            if found is None or self.row_of(agent_id) >= 0:
                continue
            row = self._insertion_row(found[0], found[1])
            self.beginInsertRows(QModelIndex(), row, row)
            self._agents.insert(row, found[1])
            self._rows_by_id = None
            self.endInsertRows()
        last = len(HEADERS) - 1
        updated = change.updated.get("agents", [])
        if len(updated) > INCREMENTAL_LIMIT:
            self._replace_many(updated)
        for agent_id in updated if len(updated) <= INCREMENTAL_LIMIT else ():
            row, agent = self.row_of(agent_id), config.agent(agent_id)
            if row < 0 or agent is None:
                continue
            self._effective.pop(agent_id, None)
            self._replace_row(row, agent)
        if len(self._agents) != len(config.agents):  # never show a list that disagrees
            self._reload()
            return
        if any(change.touches(name) for name in ("settings", "models", "providers", "projects")) and self._agents:
            # Any agent's effective model may differ now: drop the cache; the views ask
            # again for the rows they show.
            self._effective.clear()
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._agents) - 1, last))

    def _replace_many(self, agent_ids: list[str]) -> None:
        """Many rows changed at once (a bulk edit): one signal for the span, and one re-sort
        keeping the selection, instead of a signal and a move per row."""
        current = {agent.id: agent for agent in self._document.config.agents}  # one pass, not 10,000 look-ups
        rows_by_id = self._row_index()
        shown, effective, search = self._agents, self._effective, self._search
        rows: list[int] = []
        for agent_id in agent_ids:
            row, agent = rows_by_id.get(agent_id, -1), current.get(agent_id)
            if row < 0 or agent is None:
                continue
            effective.pop(agent_id, None)
            search.pop(agent_id, None)
            shown[row] = agent
            rows.append(row)
        if not rows:
            return
        self.dataChanged.emit(self.index(min(rows), 0), self.index(max(rows), len(HEADERS) - 1))
        if not 0 <= self._sort_column < len(HEADERS):
            return
        self.layoutAboutToBeChanged.emit()
        persistent = self.persistentIndexList()
        held = [(index, self._agents[index.row()].id) for index in persistent if 0 <= index.row() < len(self._agents)]
        self._agents = self._sorted(self._agents)
        self._rows_by_id = None
        self.changePersistentIndexList(
            [index for index, _ in held],
            [self.index(self.row_of(agent_id), index.column()) for index, agent_id in held],
        )
        self.layoutChanged.emit()

    def _replace_row(self, row: int, agent: Agent) -> None:
        """Show the new version of a row's agent; when sorted, move it where it sorts now."""
        if 0 <= self._sort_column < len(HEADERS):
            del self._agents[row]
            target = self._insertion_row(row, agent)
            self._agents.insert(row, agent)
            if target != row:
                # Qt's destination is a position in the list before the move.
                self.beginMoveRows(QModelIndex(), row, row, QModelIndex(), target if target < row else target + 1)
                del self._agents[row]
                self._agents.insert(target, agent)
                self._rows_by_id = None
                self.endMoveRows()
                row = target
        self._agents[row] = agent
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(HEADERS) - 1))

    def _insertion_row(self, config_position: int, agent: Agent) -> int:
        if not 0 <= self._sort_column < len(HEADERS):
            return min(config_position, len(self._agents))  # rows are in config order
        keys = [self._sort_key(a) for a in self._agents]
        key = self._sort_key(agent)
        if self._sort_order == Qt.SortOrder.DescendingOrder:
            return len(keys) - bisect.bisect_right(keys[::-1], key)
        return bisect.bisect_right(keys, key)

    def _sort_key(self, agent: Agent) -> str:
        return self._cell(agent, self._sort_column)[0].casefold()

    def search_text(self, agent: Agent) -> str:
        """What the text filter looks in (id, name, project, preferred models), folded;
        made once per agent version, not per keystroke."""
        cached = self._search.get(agent.id)
        if cached is not None and cached[0] is agent:
            return cached[1]
        text = " ".join([agent.id, agent.name, agent.project or "", *model_list(agent.model)]).casefold()
        self._search[agent.id] = (agent, text)
        return text

    # --- sorting ----------------------------------------------------------------------

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self._sort_column, self._sort_order = column, order
        self.layoutAboutToBeChanged.emit()
        persistent = self.persistentIndexList()
        moved = [(self._agents[i.row()].id, i.column()) for i in persistent]
        self._agents = self._sorted(self._agents)
        self._rows_by_id = None
        self.changePersistentIndexList(persistent, [self.index(self.row_of(a), c) for a, c in moved])
        self.layoutChanged.emit()

    def _sorted(self, agents: list[Agent]) -> list[Agent]:
        rows = list(agents)  # never reorder the config's own list
        if not 0 <= self._sort_column < len(HEADERS):
            return rows
        rows.sort(key=self._sort_key, reverse=self._sort_order == Qt.SortOrder.DescendingOrder)
        return rows

    # --- lookups ----------------------------------------------------------------------

    def agent_at(self, row: int) -> Agent:
        return self._agents[row]

    def agents(self) -> list[Agent]:
        """The agents in row order (read-only: the model owns the list)."""
        return self._agents

    def row_of(self, agent_id: str) -> int:
        return self._row_index().get(agent_id, -1)

    def _row_index(self) -> dict[str, int]:
        if self._rows_by_id is None:
            self._rows_by_id = {a.id: i for i, a in enumerate(self._agents)}
        return self._rows_by_id

    def effective(self, agent: Agent) -> Effective:
        cached = self._effective.get(agent.id)
        if cached is None:
            try:
                result = self._document.resolver.chat(agent.id)
            except ResolutionError as exc:
                cached = Effective((), "", exc.message)
            else:
                problem = "\n".join(result.warnings) or None
                cached = Effective(tuple(result.models), result.source, problem)
            self._effective[agent.id] = cached
        return cached

    # --- Qt API -----------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._agents)

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if (
            orientation == Qt.Orientation.Horizontal
            and role == Qt.ItemDataRole.DisplayRole
            and 0 <= section < len(HEADERS)
        ):
            return HEADERS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        return self.cell_data(index.row(), index.column(), role)

    def cell_data(self, row: int, column: int, role: int) -> object:
        """``data()`` by row and column: the filter asks this way, without making an index
        per cell it paints."""
        # Most roles a view asks for (font, alignment, decoration, ...) are none of ours:
        # answered by one set look-up.
        if role not in ANSWERED_ROLES or not 0 <= row < len(self._agents):
            return None
        agent = self._agents[row]
        if role == AgentIdRole:
            return agent.id
        if role == ModelsRole:
            return [*model_list(agent.model), *self.effective(agent).models]
        if role in (
            Qt.ItemDataRole.DisplayRole,
            Qt.ItemDataRole.ToolTipRole,
            ProblemRole,
            Qt.ItemDataRole.ForegroundRole,
        ):
            text, problem = self._cell(agent, column)
            if role == Qt.ItemDataRole.DisplayRole:
                return text
            if role == ProblemRole:
                return problem
            if role == Qt.ItemDataRole.ToolTipRole:
                if problem:
                    return problem
                if column == EFFECTIVE:
                    chain = " → ".join(self.effective(agent).models)
                    cooling = self._cooling.get(agent.id)
                    return f"{cooling}\n{chain}" if cooling else chain
                return text if column == PREFERRED else None
            return QBrush(problem_colour()) if problem else None
        return None

    def _cell(self, agent: Agent, column: int) -> tuple[str, str | None]:
        if column == NAME:
            return agent.name, None
        if column == PROJECT:
            if agent.project and self._document.config.project(agent.project) is None:
                return f"⚠ {agent.project}", f"There is no project '{agent.project}'."
            return agent.project or "", None
        if column == PREFERRED:
            models = model_list(agent.model)
            if not models:
                return "(inherits)", None
            problem = self._document.resolver.model_problem
            flagged = [f"{m}: {problem(m)}" for m in models if problem(m)]
            text = ", ".join(f"⚠ {m}" if problem(m) else m for m in models)
            return text, ("Not usable:\n" + "\n".join(flagged)) if flagged else None
        effective = self.effective(agent)
        if column == EFFECTIVE:
            if not effective.models:
                return "⚠ no usable model", effective.problem
            # The primary, and how many fallbacks stand behind it; the tooltip lists them.
            extra = len(effective.models) - 1
            mark = COOLING_MARK + " " if agent.id in self._cooling else ""  # runs start further down
            return mark + effective.models[0] + (f"  +{extra}" if extra else ""), None
        return (layer_label(effective.source) if effective.source else ""), None
