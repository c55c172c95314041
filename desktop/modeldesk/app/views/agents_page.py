"""The Agents page: every agent with its effective model, filterable, and beside the
list the selected agent's Editor, Resolution preview and Test run."""

from __future__ import annotations

from PySide6.QtCore import QItemSelection, QItemSelectionModel, QSignalBlocker, Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from modeldesk.core.edits import Batch, Edit, PutItem, RemoveAgent
from modeldesk.core.ids import readable_id
from modeldesk.core.schema import Agent

from ..document import Document
from ..models.agents_filter_model import AgentsFilterModel
from ..models.agents_model import EFFECTIVE, NAME, PREFERRED, PROJECT, AgentIdRole, AgentsTableModel
from ..text import counted
from ..widgets.actions import widget_action
from ..widgets.table_section import perform_or_warn
from ..widgets.tables import ExactRepaintTable
from ..widgets.when_shown import EVERY_COLLECTION, follow_edits
from .agent_editor import AgentEditor
from .model_combo import LazyCombo, referenced_models
from .resolution_view import ResolutionPreview
from .test_run_panel import TestRunPanel

ANY_MODEL = "Any model"


def new_agent_id(name: str, taken: set[str]) -> str:
    """A readable, unique id from a display name: 'Code Reviewer' -> 'code-reviewer'."""
    return readable_id(name, taken, "agent")


class AgentsPage(QWidget):
    def __init__(self, document: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._document = document

        self.filter_edit = QLineEdit(self)
        self.filter_edit.setPlaceholderText("Filter agents by name, id, project or model…")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.setAccessibleName("Filter agents")
        self.model_filter = ModelFilterCombo(document, self)
        self.model_filter.setAccessibleName("Only agents using model")
        self.model_filter.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.model_filter.setMinimumContentsLength(16)

        self.model = AgentsTableModel(document, self)
        self.proxy = AgentsFilterModel(self.model, self)
        self.table = ExactRepaintTable(self)
        self.table.setObjectName("agents_table")
        self.table.setModel(self.proxy)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        # Tab leaves the table (arrows move inside): walking cell by cell would load agents.
        self.table.setTabKeyNavigation(False)
        # Config order until a header is clicked (no indicator, so enabling sorts nothing).
        self.table.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.table.setSortingEnabled(True)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setVisible(False)
        # Fixed row heights and interactive columns: nothing is measured per row, which
        # keeps 10,000 agents instant.
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 10)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for column, width in ((NAME, 130), (PROJECT, 80), (PREFERRED, 190), (EFFECTIVE, 150)):
            self.table.setColumnWidth(column, width)

        self.add_button = QPushButton("Add agent…", self)
        self.remove_button = QPushButton("Remove", self)
        self.bulk_button = QPushButton("Change models…", self)
        self.bulk_button.setToolTip("Change the preferred models of the selected agents in one step")
        self.count_label = QLabel(self)

        # The tabs before their pages: Tab reaches the Editor/Resolution/Test run tabs
        # first, then the fields of the page shown (focus follows creation order).
        self.tabs = QTabWidget(self)
        self.editor = AgentEditor(document, self)
        self.resolution = ResolutionPreview(document, self)
        self.test_run = TestRunPanel(document, self)
        self.test_run.cooldowns_changed.connect(self.model.set_cooling)
        self.test_run.refresh_cooldowns()  # cooldowns left by earlier runs (this app or the CLI)
        self.tabs.addTab(self.editor, "Editor")
        self.tabs.addTab(self.resolution, "Resolution")
        self.tabs.addTab(self.test_run, "Test run")

        filters = QHBoxLayout()
        filters.addWidget(self.filter_edit, 1)
        filters.addWidget(self.model_filter)
        buttons = QHBoxLayout()
        for button in (self.add_button, self.remove_button, self.bulk_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.count_label)
        left = QWidget(self)
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addLayout(filters)
        left_layout.addWidget(self.table, 1)
        left_layout.addLayout(buttons)
        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.addWidget(left)
        self.splitter.addWidget(self.tabs)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setSizes([720, 600])
        self.splitter.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.addWidget(self.splitter)

        self.filter_edit.textChanged.connect(self._apply_filters)
        self.model_filter.currentIndexChanged.connect(self._apply_filters)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        # Keyboard: Delete removes the selected agents (Ctrl+N and Ctrl+F are the window's
        # Edit menu, so they work wherever the focus is); Down in the filter goes to the list.
        widget_action(self.table, "Remove", QKeySequence(QKeySequence.StandardKey.Delete), self.remove_selected)
        widget_action(self.filter_edit, "Go to the list", QKeySequence(Qt.Key.Key_Down), self.focus_list)
        self.add_button.clicked.connect(self.add_agent)
        self.remove_button.clicked.connect(self.remove_selected)
        self.bulk_button.clicked.connect(self.change_models)
        self.model.modelAboutToBeReset.connect(self._remember_selection)
        self.model.modelReset.connect(self._restore_selection)
        self._remembered: list[str] = []
        # The count follows every edit that adds or removes agents (an import, an undo),
        # shown or not, and every agent a change hides or shows, not only the filter and
        # the selection.
        for signal in (
            self.model.rowsInserted,
            self.model.rowsRemoved,
            self.model.modelReset,
            self.proxy.rowsInserted,
            self.proxy.rowsRemoved,
        ):
            signal.connect(self._recount)
        # A filter change is one layout change, which keeps the selection of the rows still
        # shown but says nothing of those it hid: the side panels follow when it hid some.
        self._selected_before = 0
        self._all_selected: set[str] | None = None
        self.proxy.layoutAboutToBeChanged.connect(self._note_selection)
        self.proxy.layoutChanged.connect(self._after_layout_change)
        self._selection_changed()
        if self.proxy.rowCount():
            self.select_agent(self.proxy.index(0, 0).data(AgentIdRole))

    # --- selection --------------------------------------------------------------------

    def _selected_rows(self) -> list[int]:
        # From the selection's ranges, not selectedRows(): that walks every cell of every
        # row, which takes seconds when thousands of agents are selected.
        rows: set[int] = set()
        selection = self.table.selectionModel().selection()
        for selected in (selection.at(i) for i in range(selection.count())):
            rows.update(range(selected.top(), selected.bottom() + 1))
        return sorted(rows)

    def selected_ids(self) -> list[str]:
        return [str(self.proxy.index(row, 0).data(AgentIdRole)) for row in self._selected_rows()]

    def select_agent(self, agent_id: str) -> None:
        row = self.model.row_of(agent_id)
        if row < 0:
            return
        index = self.proxy.mapFromSource(self.model.index(row, 0))
        if index.isValid():
            # Not selectRow(): it honours held-down keyboard modifiers (Ctrl adds to the
            # selection); selecting an agent from code must replace the selection.
            flags = QItemSelectionModel.SelectionFlag
            self.table.selectionModel().setCurrentIndex(index, flags.ClearAndSelect | flags.Rows)
            self.table.scrollTo(index)

    def _selection_changed(self, *_: QItemSelection) -> None:
        rows = self._selected_rows()
        current = str(self.proxy.index(rows[0], 0).data(AgentIdRole)) if len(rows) == 1 else None
        editable = not self._document.paused
        self.remove_button.setEnabled(bool(rows) and editable)
        self.bulk_button.setEnabled(bool(rows) and editable)
        self.editor.set_agent(current)
        self.resolution.set_agent(current)
        self.test_run.set_agent(current)
        self._update_count(len(rows))

    def _note_selection(self, *_: object) -> None:
        selected = self._selected_rows()
        self._selected_before = len(selected)
        # Qt's selection model keeps a selection of the whole table (over 1,000 cells) as
        # "everything" and drops it when a layout change alters the row count: remember
        # which agents it was, to select those still shown.
        every = bool(selected) and len(selected) == self.proxy.rowCount()
        self._all_selected = {agent.id for agent in self.proxy.shown_agents()} if every else None

    def _after_layout_change(self, *_: object) -> None:
        if self._all_selected is not None:
            kept = [row for row, agent in enumerate(self.proxy.shown_agents()) if agent.id in self._all_selected]
            self._all_selected = None
            if len(self._selected_rows()) != len(kept):
                self._select_rows(kept)
        selected = len(self._selected_rows())
        if selected != self._selected_before:
            self._selection_changed()
        else:
            self._update_count(selected)

    def _remember_selection(self) -> None:
        self._remembered = self.selected_ids()

    def _restore_selection(self) -> None:
        # A reset (any edit) clears the selection; put it back so editing flows on.
        rows: list[int] = []
        for agent_id in self._remembered:
            source_row = self.model.row_of(agent_id)
            index = self.proxy.mapFromSource(self.model.index(source_row, 0)) if source_row >= 0 else None
            if index is not None and index.isValid():
                rows.append(index.row())
        self._select_rows(sorted(rows))
        self._selection_changed()

    def _select_rows(self, rows: list[int]) -> None:
        """Add the table's ``rows`` (ascending) to the selection, quietly. Rows next to each
        other become one range: selecting 10,000 single rows is slow."""
        flags = QItemSelectionModel.SelectionFlag
        selection = QItemSelection()
        last_column = self.proxy.columnCount() - 1
        start = 0
        for i in range(1, len(rows) + 1):
            if i == len(rows) or rows[i] != rows[i - 1] + 1:
                selection.select(self.proxy.index(rows[start], 0), self.proxy.index(rows[i - 1], last_column))
                start = i
        model = self.table.selectionModel()
        with QSignalBlocker(model):
            model.select(selection, flags.Select)
            if rows:
                model.setCurrentIndex(self.proxy.index(rows[-1], 0), flags.NoUpdate)

    # --- filters ----------------------------------------------------------------------

    def set_model_filter(self, model_id: str | None) -> None:
        self.model_filter.setCurrentIndex(max(0, self.model_filter.findData(model_id)))

    def _apply_filters(self, *_: object) -> None:
        self.proxy.set_filters(self.filter_edit.text(), self.model_filter.currentData())
        self._update_count(len(self._selected_rows()))

    def set_paused(self, paused: bool) -> None:
        """While the file on disk cannot be read: the list stays browsable and filterable,
        but the editor and the buttons that change agents take nothing."""
        self.add_button.setEnabled(not paused)
        for tab in range(self.tabs.count()):
            page = self.tabs.widget(tab)
            if page is not None and page is not self.test_run:  # a test run changes nothing in the file
                page.setEnabled(not paused)
        self._selection_changed()

    def _recount(self, *_: object) -> None:
        self._update_count(len(self.table.selectionModel().selectedRows()))

    def _update_count(self, selected: int) -> None:
        shown, total = self.proxy.rowCount(), self.model.rowCount()
        text = counted(total, "agent") if shown == total else f"{shown:,} of {counted(total, 'agent')}"
        self.count_label.setText(text + (f", {selected} selected" if selected > 1 else ""))

    # --- actions ----------------------------------------------------------------------

    def focus_filter(self) -> None:
        self.filter_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.filter_edit.selectAll()

    def focus_list(self) -> None:
        """Move to the agents list, on the first shown agent if none is selected."""
        self.table.setFocus(Qt.FocusReason.ShortcutFocusReason)
        if not self.table.selectionModel().hasSelection() and self.proxy.rowCount():
            flags = QItemSelectionModel.SelectionFlag
            self.table.selectionModel().setCurrentIndex(self.proxy.index(0, 0), flags.ClearAndSelect | flags.Rows)

    def add_agent(self) -> None:
        name, ok = QInputDialog.getText(self, "New agent", "Name of the new agent:")
        name = name.strip()
        if not ok or not name:
            return
        agent_id = new_agent_id(name, {a.id for a in self._document.config.agents})
        if not self._perform(PutItem("agents", Agent(id=agent_id, name=name), label=f"Add agent {agent_id}")):
            return
        # A new agent is the one to edit next: clear filters that would hide it.
        self.filter_edit.clear()
        self.set_model_filter(None)
        self.select_agent(agent_id)
        self.tabs.setCurrentWidget(self.editor)
        self.editor.name_edit.setFocus()

    def remove_selected(self) -> None:
        ids = self.selected_ids()
        if not ids:
            return
        what = f"the agent “{ids[0]}”" if len(ids) == 1 else counted(len(ids), "agent")
        answer = QMessageBox.question(
            self, "Remove agents", f"Remove {what}? Squads that list them drop them too. You can undo this."
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        # Each agent leaves the squads that list it as they are when saved (RemoveAgent), so
        # a member another program added meanwhile stays.
        label = f"Remove agent {ids[0]}" if len(ids) == 1 else f"Remove {counted(len(ids), 'agent')}"
        self._perform(Batch(tuple(RemoveAgent(agent_id) for agent_id in ids), label=label))

    def change_models(self) -> None:
        ids = self.selected_ids()
        if not ids:
            return
        # Loaded on first use: the window opens without the bulk machinery.
        from modeldesk.core.bulk import AgentsScope

        from .dialogs.bulk_change_dialog import BulkChangeDialog

        dialog = BulkChangeDialog(self._document, initial_scope=AgentsScope(tuple(ids)), parent=self)
        try:
            dialog.exec()
        finally:
            dialog.deleteLater()

    def _perform(self, edit: Edit) -> bool:
        return perform_or_warn(self, self._document, edit, "Cannot change agents")


class ModelFilterCombo(LazyCombo):
    """ "Only agents using": any model, or one of the known models plus the ids only some
    list still names (deleted ones), flagged. Rebuilt lazily (see LazyCombo)."""

    def __init__(self, document: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._document = document
        self.addItem(ANY_MODEL, None)
        # Its items name models any list refers to: every collection counts.
        follow_edits(self, document, EVERY_COLLECTION, self.mark_stale)

    def fill(self) -> None:
        current = self.currentData()
        with QSignalBlocker(self):
            self.clear()
            self.addItem(ANY_MODEL, None)
            resolver = self._document.resolver
            ids = set(resolver.models) | set(referenced_models(self._document.config))
            for model_id in sorted(ids):
                problem = resolver.model_problem(model_id)
                self.addItem(f"{model_id} ⚠ {problem}" if problem else model_id, model_id)
            self.setCurrentIndex(max(0, QComboBox.findData(self, current)))
