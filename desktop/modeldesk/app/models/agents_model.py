"""All agents as a table, with each agent's *effective* model and where it comes from.

The rows are the config's agent list itself (no copy). Effective models are resolved
lazily — only for rows that are painted, sorted or filtered on — and cached until the
document changes, so 10,000 agents load at once and scroll smoothly.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, QSortFilterProxyModel, Qt
from PySide6.QtGui import QBrush

from modeldesk.core.errors import ResolutionError
from modeldesk.core.schema import Agent, model_list

from ..document import Document
from ..widgets.style import problem_colour
from .trace_model import layer_label

Index = QModelIndex | QPersistentModelIndex

AgentIdRole = Qt.ItemDataRole.UserRole + 1
ModelsRole = Qt.ItemDataRole.UserRole + 2  # every model id the row mentions (preferred + effective)
ProblemRole = Qt.ItemDataRole.UserRole + 3  # why the cell is flagged, or None

NAME, PROJECT, PREFERRED, EFFECTIVE, SOURCE = range(5)
HEADERS = ("Agent", "Project", "Preferred models", "Effective model", "Source")


@dataclass(frozen=True)
class Effective:
    models: tuple[str, ...]
    source: str  # "" when resolution failed
    problem: str | None  # the resolution error, or warnings about dropped models


class AgentsTableModel(QAbstractTableModel):
    """Rows are the config's agents, in config order or sorted by a column.

    Sorting happens here, with one key per row (Python's sort), rather than in a proxy,
    which would ask ``data()`` twice per comparison — seconds for 10,000 agents.
    """

    def __init__(self, document: Document, parent: object | None = None) -> None:
        super().__init__(parent)  # type: ignore[arg-type]
        self._document = document
        self._effective: dict[str, Effective] = {}
        self._rows_by_id: dict[str, int] | None = None
        self._sort_column = -1
        self._sort_order = Qt.SortOrder.AscendingOrder
        self._agents: list[Agent] = self._sorted(document.config.agents)
        document.changed.connect(self._reload)

    def _reload(self) -> None:
        self.beginResetModel()
        self._effective.clear()
        self._agents = self._sorted(self._document.config.agents)
        self._rows_by_id = None
        self.endResetModel()

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
        column = self._sort_column
        rows.sort(
            key=lambda a: self._cell(a, column)[0].casefold(), reverse=self._sort_order == Qt.SortOrder.DescendingOrder
        )
        return rows

    # --- lookups ----------------------------------------------------------------------

    def agent_at(self, row: int) -> Agent:
        return self._agents[row]

    def row_of(self, agent_id: str) -> int:
        if self._rows_by_id is None:
            self._rows_by_id = {a.id: i for i, a in enumerate(self._agents)}
        return self._rows_by_id.get(agent_id, -1)

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
        if not index.isValid() or not 0 <= index.row() < len(self._agents):
            return None
        agent = self._agents[index.row()]
        column = index.column()
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
                    return " → ".join(self.effective(agent).models)
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
            return effective.models[0] + (f"  +{extra}" if extra else ""), None
        return (layer_label(effective.source) if effective.source else ""), None


class AgentsFilterProxy(QSortFilterProxyModel):
    """Filters by free text (name, id, project, model ids) and by one model id (rows whose
    preferred or effective list contains it)."""

    def __init__(self, parent: object | None = None) -> None:
        super().__init__(parent)  # type: ignore[arg-type]
        self._text = ""
        self._model_id: str | None = None
        self.setSortCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)

    def set_text(self, text: str) -> None:
        self.beginFilterChange()
        self._text = text.strip().casefold()
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def set_model_filter(self, model_id: str | None) -> None:
        self.beginFilterChange()
        self._model_id = model_id or None
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        # The source sorts itself (see AgentsTableModel); this proxy only filters.
        source = self.sourceModel()
        if source is not None:
            source.sort(column, order)

    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:
        source = self.sourceModel()
        if not isinstance(source, AgentsTableModel):
            return True
        agent = source.agent_at(source_row)
        if self._text:
            haystack = " ".join([agent.id, agent.name, agent.project or "", *model_list(agent.model)]).casefold()
            if self._text not in haystack:
                return False
        if self._model_id is None:
            return True
        return self._model_id in model_list(agent.model) or self._model_id in source.effective(agent).models
