"""The Serve page's aliases: model names (or globs) a tool sends that the gateway answers
with an agent — ``settings.serve.aliases``, e.g. ``claude-*haiku*`` → ``quick`` for the
names Claude Code uses for background work.

A request's model is an agent id first; the aliases are tried after, in the order listed,
first match wins. Each Add or Remove is one undoable edit of the whole list (what
``modeldesk settings set-alias`` writes too). An alias naming an agent that does not
exist is kept and shown in red: its requests get 404 until there is one.

The box follows the edits that set the aliases or add or remove agents (renaming one
changes nothing shown here); an agent arriving or leaving re-reads only the rows that
name it.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QStringListModel, Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from modeldesk.core.edits import Change, SetSetting

from ..colours import problem_colour
from ..document import Document
from ..models.rows import RowsTableModel, collection_changes
from ..widgets.actions import widget_action
from ..widgets.search_combo import searchable
from ..widgets.style import note_label, set_text_colour
from ..widgets.table_section import perform_or_show
from ..widgets.tables import make_table, setup_compact_table
from ..widgets.when_shown import follow_changes_when_shown


def sets_aliases(change: Change) -> bool:
    """True if ``change`` set the gateway's settings (the aliases among them)."""
    return any(path == "serve" or path.startswith("serve.") for path in change.settings)


def agents_come_or_gone(change: Change) -> set[str]:
    """The ids of the agents ``change`` added or removed."""
    inserted, removed, _updated = collection_changes(change, "agents")
    return {*inserted, *removed}


def concerns_aliases(change: Change) -> bool:
    """True if ``change`` may change the aliases shown or the agents to choose from."""
    return sets_aliases(change) or bool(agents_come_or_gone(change))


class AliasesModel(RowsTableModel[tuple[str, str, bool]]):
    """(pattern, agent id, whether the agent exists), in the order they are tried."""

    COLUMNS = ("Model name or glob", "Answered by agent")
    PATTERN, AGENT = range(2)

    def row_key(self, row: tuple[str, str, bool]) -> object:
        return row[0]

    def cell(self, row: tuple[str, str, bool], column: int, role: int) -> Any:
        pattern, agent, known = row
        if role == Qt.ItemDataRole.DisplayRole:
            return pattern if column == self.PATTERN else agent
        if role == Qt.ItemDataRole.ForegroundRole and column == self.AGENT and not known:
            return problem_colour()
        if role == Qt.ItemDataRole.ToolTipRole and column == self.AGENT and not known:
            return f"There is no agent '{agent}': requests for {pattern} get 404 until there is."
        return None


class AliasesBox(QGroupBox):
    def __init__(self, document: Document, parent: QWidget | None = None) -> None:
        super().__init__("Model name aliases", parent)
        self.document = document
        self.model = AliasesModel(self)
        self.table = make_table(self.model, "serve_aliases", "Model names the gateway answers with an agent", self)
        setup_compact_table(self.table, min_rows=2, max_rows=6)
        self.pattern_edit = QLineEdit(self)
        self.pattern_edit.setObjectName("serve_alias_pattern")
        self.pattern_edit.setPlaceholderText("claude-*haiku*")
        self.pattern_edit.setAccessibleName("Model name or glob")
        self.agent_combo = QComboBox(self)
        self.agent_combo.setObjectName("serve_alias_agent")
        searchable(self.agent_combo)
        self.agent_combo.setAccessibleName("Agent that answers it")
        self.agent_combo.setMinimumContentsLength(14)
        self.agent_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.add_button = QPushButton("A&dd alias", self)
        self.remove_button = QPushButton("Remo&ve alias", self)
        self.error_label = QLabel(self)
        self.error_label.setTextFormat(Qt.TextFormat.PlainText)
        self.error_label.setWordWrap(True)
        set_text_colour(self.error_label, "problem")
        self.error_label.hide()
        note = note_label(
            "A request naming an agent goes to that agent; other names are tried against these, "
            "in this order, and the first match answers.",
            self,
        )

        row = QHBoxLayout()
        row.addWidget(self.pattern_edit, 1)
        row.addWidget(QLabel("→", self))
        row.addWidget(self.agent_combo, 1)
        row.addWidget(self.add_button)
        row.addWidget(self.remove_button)
        layout = QVBoxLayout(self)
        layout.addWidget(note)
        layout.addWidget(self.table)
        layout.addLayout(row)
        layout.addWidget(self.error_label)
        layout.addStretch(1)

        self.add_button.clicked.connect(self.add)
        self.remove_button.clicked.connect(self.remove_selected)
        self.pattern_edit.returnPressed.connect(self.add)
        widget_action(self.table, "Remove alias", QKeySequence(QKeySequence.StandardKey.Delete), self.remove_selected)
        self.table.selectionModel().selectionChanged.connect(self._update_buttons)
        follow_changes_when_shown(self, document, concerns_aliases, self.refresh)
        document.paused_changed.connect(self._set_paused)
        self.refresh()
        self._set_paused(document.paused)

    def aliases(self) -> dict[str, str]:
        return dict(self.document.config.settings.serve.aliases)

    def refresh(self, change: Change | None = None) -> None:
        """Show the aliases and the agents to choose from: all read again without a
        ``change`` (a reload, or edits made while hidden that are not one record), else
        what it concerns."""
        config = self.document.config
        aliases = self.aliases()

        def row(pattern: object) -> tuple[str, str, bool]:
            agent = aliases[str(pattern)]
            return (str(pattern), agent, config.agent(agent) is not None)

        come_or_gone = None if change is None or change.whole else agents_come_or_gone(change)
        if change is not None and come_or_gone is not None and not sets_aliases(change):
            # Only agents came or went: the rows naming them change colour, no other.
            named = [pattern for pattern, agent in aliases.items() if agent in come_or_gone]
            self.model.change_rows(list(aliases), row, updated=named)
        else:
            self.model.update_rows([row(pattern) for pattern in aliases])
        if come_or_gone is None or come_or_gone:
            self._fill_agent_choices()
        self._update_buttons()

    def _fill_agent_choices(self) -> None:
        ids = [agent.id for agent in self.document.config.agents]
        model = self.agent_combo.model()
        if isinstance(model, QStringListModel) and model.stringList() != ids:
            typed = self.agent_combo.currentText()
            model.setStringList(ids)
            self.agent_combo.setEditText(typed)

    def add(self) -> None:
        """Map the typed pattern onto the chosen agent (replacing the agent of a pattern
        already listed, in its place)."""
        pattern = self.pattern_edit.text().strip()
        agent = self.agent_combo.currentText().strip()
        if not pattern or not agent:
            self.error_label.setText("Type a model name or glob, and the agent that answers it.")
            self.error_label.show()
            return
        aliases = self.aliases()
        verb = "Change" if pattern in aliases else "Add"
        aliases[pattern] = agent
        if perform_or_show(
            self.document, SetSetting(("serve", "aliases"), aliases, label=f"{verb} alias {pattern}"), self.error_label
        ):
            self.pattern_edit.clear()  # the edit refreshed the table (it follows the aliases)

    def remove_selected(self) -> None:
        index = self.table.currentIndex()
        if not index.isValid():
            return
        pattern = self.model.row_value(index.row())[0]
        aliases = self.aliases()
        aliases.pop(pattern, None)
        edit = SetSetting(("serve", "aliases"), aliases or None, label=f"Remove alias {pattern}")
        perform_or_show(self.document, edit, self.error_label)

    def _update_buttons(self, *_: object) -> None:
        self.remove_button.setEnabled(self.table.currentIndex().isValid() and not self.document.paused)

    def _set_paused(self, problem: str) -> None:
        # A broken file on disk pauses editing everywhere; the aliases are part of it.
        for widget in (self.pattern_edit, self.agent_combo, self.add_button):
            widget.setEnabled(not problem)
        self._update_buttons()
