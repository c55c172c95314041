"""The Projects page: projects, each one's default-model list, task models and agents.

Left, the projects with the default model their agents inherit and how many agents they
have (add, rename in place with F2, delete). Right, the selected project: its default
model list in the same priority-list editor as everywhere (drag, Ctrl+Up/Down, Move
buttons, the Open settings hint), its task-model rules, and its agents (double-click or
Enter opens one on the Agents page).

Deleting a project that has agents asks where they go — no project, or another project —
and removes the project and moves the agents in one undoable step. Every change is one
Edit through ``document.perform``; the page re-reads the config after edits it shows.

Scale: member counts come from one pass over the agents per config version, and the
agents table lists only the selected project's agents, so 10,000 agents across 50
projects stay instant.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QStringListModel, Qt, Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QCompleter,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from modeldesk.core.edits import Change, Edit, SetTaskModel, UpdateItem
from modeldesk.core.ids import agents_meant, readable_id
from modeldesk.core.item_edits import AgentsOfRemovedProject, RemoveProject
from modeldesk.core.resolution_text import inherits_text
from modeldesk.core.schema import Config, Project, as_model_value, model_list

from ..document import Document
from ..models.projects_model import (
    ProjectAgentsModel,
    ProjectsModel,
    effective_default,
)
from ..models.task_rules_model import TaskRule
from ..text import counted
from ..widgets.actions import widget_action
from ..widgets.elided import ElidedLabel, elide_combo, short, uniform_rows
from ..widgets.model_list_editor import ModelListEditor
from ..widgets.named_items_box import named_items_box
from ..widgets.style import note_label, set_heading_font
from ..widgets.tables import make_table
from ..widgets.when_shown import follow_changes_when_shown
from .dialogs.forms import FormDialog
from .named_items_page import NamedItemsPage
from .settings.task_models_editor import TaskModelsEditor, rules_of


def project_id_for(name: str, config: Config) -> str:
    """A readable, unused project id made from ``name`` ("Web shop" -> "web-shop")."""
    return readable_id(name, {project.id for project in config.projects}, "project")


class ProjectTaskModels(TaskModelsEditor):
    """Settings' task-rule table, editing one project's ``task_models`` instead."""

    error_title = "Cannot change the project's task models"
    follows = ("projects", "models", "providers")

    def __init__(self, document: Document, parent: QWidget | None = None) -> None:
        super().__init__(document, parent)
        self.table.setObjectName("project_task_models_table")
        self.table.setAccessibleName("Task models of this project")
        self.project_id: str | None = None

    def set_project(self, project_id: str | None) -> None:
        self.project_id = project_id
        self.refresh()

    def _project(self) -> Project | None:
        project_id = getattr(self, "project_id", None)  # rows() runs once from the base __init__
        return self._document.config.project(project_id) if project_id else None

    def rows(self) -> list[TaskRule]:
        project = self._project()
        return rules_of(project.task_models) if project else []

    def task_edit(self, task: str, chat: str, models: tuple[str, ...], label: str) -> Edit:
        """One rule of this project's task map (set, or cleared with no models)."""
        project = self._project()
        name = project.name if project is not None else self.project_id
        return SetTaskModel("projects", task, models, owner_id=self.project_id, chat=chat, label=f"{label} of {name}")

    def _save(self, edit: Edit, label: str) -> bool:
        if self._project() is None:
            return False
        return self.perform(edit)


class DeleteProjectDialog(FormDialog):
    """Asks where the agents of a project being deleted go: no project, or another one."""

    def __init__(self, config: Config, project: Project, members: int, parent: QWidget | None = None) -> None:
        super().__init__(parent, f"Delete project {short(project.name)}")
        question = QLabel(
            f"{project.name} has {counted(members, 'agent')}. "
            f"What should happen to {'them' if members != 1 else 'it'}?",
            self,
        )
        question.setTextFormat(Qt.TextFormat.PlainText)  # the name is data, never markup
        question.setWordWrap(True)
        self.none_radio = QRadioButton("Leave them &without a project (they inherit Settings' default)", self)
        self.move_radio = QRadioButton("&Move them to:", self)
        self.group = QButtonGroup(self)
        self.group.addButton(self.none_radio)
        self.group.addButton(self.move_radio)
        self.target_combo = elide_combo(QComboBox(self))
        self.target_combo.setAccessibleName("Project to move the agents to")
        for other in config.projects:
            if other.id != project.id:
                self.target_combo.addItem(f"{other.name} ({other.id})", other.id)
        self.none_radio.setChecked(True)
        self.move_radio.setEnabled(self.target_combo.count() > 0)
        self.target_combo.setEnabled(False)
        self.move_radio.toggled.connect(self.target_combo.setEnabled)
        self.target_combo.activated.connect(lambda _i: self.move_radio.setChecked(True))
        move_row = QHBoxLayout()
        move_row.addWidget(self.move_radio)
        move_row.addWidget(self.target_combo, 1)
        note = note_label("The project and the agents' new project are one step: Edit → Undo puts both back.", self)
        self.buttons.button(self.buttons.StandardButton.Ok).setText("Delete project")
        self.finish_layout(question, self.none_radio, move_row, note)

    def target(self) -> str | None:
        """The project the agents move to, or ``None`` for no project."""
        if self.move_radio.isChecked():
            data = self.target_combo.currentData()
            return str(data) if data else None
        return None


def delete_project_edit(project: Project, target: str | None) -> Edit:
    """Remove ``project`` and give each of its agents ``target`` (``None``: no project): the
    core's RemoveProject, which finds the agents when it is saved (one another program put
    in the project meanwhile moves too)."""
    where = f"moving its agents to {target}" if target else "leaving its agents without a project"
    fate: AgentsOfRemovedProject = "move" if target else "detach"
    return RemoveProject(project.id, fate, target, label=f"Delete project {project.name}, {where}")


class ProjectsPage(NamedItemsPage):
    # An agent id, when the user asks to open one of the project's agents.
    open_agent_requested = Signal(str)

    def __init__(self, document: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self._build_projects_side()
        self._build_editor_side()

        self._lay_out(self.projects_box, self.editor_scroll, 3)

        self._set_tab_order()
        self.projects_view.selectionModel().currentRowChanged.connect(self._on_project_changed)
        self.projects_model.edit_failed.connect(self.show_message)
        # Squads are the one collection the page does not show (resolution ignores them).
        follow_changes_when_shown(
            self, document, ("projects", "agents", "models", "providers", "settings"), self.refresh
        )
        if self.projects_model.rowCount():
            self.select_project(self.projects_model.row_value(0).project.id)
        else:
            self._show_project()

    # --- building -----------------------------------------------------------------------

    def _build_projects_side(self) -> None:
        self.projects_model = ProjectsModel(self.document, self)
        built = named_items_box(
            self,
            noun="project",
            model=self.projects_model,
            stretch=(ProjectsModel.DEFAULT,),
            remove_label="De&lete project…",
            remove_tip="Delete the selected project (Delete); asks where its agents go",
            on_add=self.add_project,
            on_rename=self.rename_project,
            on_remove=self.delete_project,
            one_line=True,  # rows are not measured one by one after each change
        )
        self.projects_box, self.projects_view, self.new_project_edit = built.box, built.view, built.name_edit
        self.add_project_button, self.rename_project_button = built.add_button, built.rename_button
        self.delete_project_button = built.remove_button

    def _build_editor_side(self) -> None:
        self.editor_widget = QWidget(self)
        self.title = ElidedLabel("", self.editor_widget)
        self.title.setObjectName("project_title")
        set_heading_font(self.title)

        self.default_box = QGroupBox("Default model (primary first, then fallbacks)", self.editor_widget)
        self.models_editor = ModelListEditor(self.document, self.default_box, show_hint=True)
        self.models_editor.view.setAccessibleName("Default models of this project, primary first")
        caption = QLabel("Agents of this project that have no preferred models of their own run on this list.")
        caption.setWordWrap(True)
        default_layout = QVBoxLayout(self.default_box)
        default_layout.addWidget(caption)
        default_layout.addWidget(self.models_editor, 1)

        self.tasks_box = QGroupBox("Task models", self.editor_widget)
        self.task_models = ProjectTaskModels(self.document, self.tasks_box)
        tasks_caption = QLabel(
            "Background tasks (titles, summaries…) of this project's agents; these rules come before Settings'."
        )
        tasks_caption.setWordWrap(True)
        tasks_layout = QVBoxLayout(self.tasks_box)
        tasks_layout.addWidget(tasks_caption)
        tasks_layout.addWidget(self.task_models)

        self.agents_box = QGroupBox("Agents", self.editor_widget)
        self.agents_model = ProjectAgentsModel(self.document, self)
        # Fixed row heights and column widths: a project with thousands of agents is not
        # measured (nor resolved) row by row; only the rows painted are.
        self.agents_view = make_table(
            self.agents_model,
            "project_agents_view",
            "Agents of this project",
            self,
            stretch=(ProjectAgentsModel.RUNS_ON,),
            one_line=True,
            widths=((ProjectAgentsModel.AGENT, "x" * 30), (ProjectAgentsModel.SOURCE, "Agent's preferred models")),
        )
        self.agents_view.setMinimumHeight(120)
        self.open_agent_button = QPushButton("&Open agent", self)
        self.open_agent_button.setToolTip("Show the selected agent on the Agents page (Enter or double-click)")
        widget_action(self.agents_view, "Open agent", QKeySequence(Qt.Key.Key_Return), self.open_agent)
        self.agents_view.doubleClicked.connect(lambda _index: self.open_agent())
        self.remove_agent_button = QPushButton("Remo&ve from project", self)
        self.remove_agent_button.setToolTip("The selected agent keeps existing, without a project (Delete)")
        widget_action(
            self.agents_view, "Remove from project", QKeySequence(QKeySequence.StandardKey.Delete), self.remove_agent
        )
        self.agents_view.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        self.add_agent_edit = QLineEdit(self)
        self.add_agent_edit.setObjectName("add_agent_edit")
        self.add_agent_edit.setPlaceholderText("Agent to move into this project")
        self.add_agent_edit.setAccessibleName("Agent to move into this project")
        # The completer's list of every agent id is built when the field is first used,
        # not on every refresh (10,000 agents).
        self.agent_ids = QStringListModel(self)
        completer = QCompleter(self.agent_ids, self.add_agent_edit)
        uniform_rows(completer.popup())
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.add_agent_edit.setCompleter(completer)
        self._agent_ids_version = -1
        self.add_agent_edit.installEventFilter(self)
        self.add_agent_button = QPushButton("&Move here", self)
        self.add_agent_button.setToolTip("Make the typed agent a member of this project (it leaves its old one)")
        agents_buttons = QHBoxLayout()
        agents_buttons.addWidget(self.add_agent_edit, 1)
        agents_buttons.addWidget(self.add_agent_button)
        agents_buttons.addStretch(1)
        agents_buttons.addWidget(self.remove_agent_button)
        agents_buttons.addWidget(self.open_agent_button)
        agents_layout = QVBoxLayout(self.agents_box)
        agents_layout.addWidget(self.agents_view, 1)
        agents_layout.addLayout(agents_buttons)
        self.open_agent_button.clicked.connect(self.open_agent)
        self.remove_agent_button.clicked.connect(self.remove_agent)
        self.add_agent_button.clicked.connect(self.add_agent)
        self.add_agent_edit.returnPressed.connect(self.add_agent)

        self.empty_label = QLabel("Add a project, or select one to edit it.", self.editor_widget)
        layout = QVBoxLayout(self.editor_widget)
        layout.addWidget(self.empty_label)
        layout.addWidget(self.title)
        layout.addWidget(self.default_box, 2)
        layout.addWidget(self.tasks_box)
        layout.addWidget(self.agents_box, 3)
        self.editor_scroll = QScrollArea(self)
        self.editor_scroll.setWidgetResizable(True)
        self.editor_scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        self.editor_scroll.setWidget(self.editor_widget)

        self.models_editor.models_edited.connect(self._on_models_edited)

    def _set_tab_order(self) -> None:
        self._tab_through(
            [
                self.projects_view,
                self.rename_project_button,
                self.delete_project_button,
                self.new_project_edit,
                self.add_project_button,
                *self._editor_chain(self.models_editor),
                self.task_models.table,
                self.task_models.add_button,
                self.task_models.edit_button,
                self.task_models.remove_button,
                self.agents_view,
                self.add_agent_edit,
                self.add_agent_button,
                self.remove_agent_button,
                self.open_agent_button,
            ]
        )

    # --- reading ------------------------------------------------------------------------

    def current_project(self) -> Project | None:
        index = self.projects_view.currentIndex()
        if not index.isValid():
            return None
        return self.document.config.project(self.projects_model.row_value(index.row()).project.id)

    def select_project(self, project_id: str) -> None:
        row = self.projects_model.row_of(project_id)
        self._select(self.projects_view, row)
        if row >= 0:
            self.projects_view.scrollTo(self.projects_model.index(row, 0))

    def show_project(self, project_id: str) -> None:
        """Select ``project_id`` and put the keyboard focus on its default-model list (the
        agent editor's link lands here)."""
        self.select_project(project_id)
        self.models_editor.view.setFocus()

    # --- refreshing -----------------------------------------------------------------------

    def refresh(self, change: Change | None = None) -> None:
        """Re-read what ``change`` concerns (everything without one) from the document,
        keeping the selected project."""
        shown = self.agents_model.project_id
        self._refresh_items(self.projects_model, self.projects_view, change, shown, self.select_project)
        self._show_project(change)

    def _on_project_changed(self, *_: object) -> None:
        if not self._selecting:
            self._show_project()

    def _show_project(self, change: Change | None = None) -> None:
        project = self.current_project()
        has_project = project is not None
        for widget in (self.title, self.default_box, self.tasks_box, self.agents_box):
            widget.setVisible(has_project)
        self.empty_label.setVisible(not has_project)
        self.rename_project_button.setEnabled(has_project)
        self.delete_project_button.setEnabled(has_project)
        self.agents_model.set_project(project.id if project else None, change)
        self.task_models.set_project(project.id if project else None)
        if project is None:
            self.models_editor.set_models([])
            return
        self.title.setText(f"{project.name}  ({project.id})")
        self.models_editor.set_models(model_list(project.default_model))
        self.models_editor.set_inherited(self._inherited_text(project))
        count = self.agents_model.rowCount()
        self.agents_box.setTitle(f"Agents ({count})")
        self.open_agent_button.setEnabled(count > 0)
        self.remove_agent_button.setEnabled(count > 0)

    def _inherited_text(self, project: Project) -> str:
        empty = project.model_copy(update={"default_model": None})
        models, source = effective_default(self.document.resolver, self.document.config, self.document.policy, empty)
        if not models:
            return "Inherits nothing: no Default agent model is set, so its agents need lists of their own."
        return inherits_text(models, source)

    # --- actions ----------------------------------------------------------------------------

    def add_project(self) -> None:
        def make(name: str, config: Config) -> Project:
            return Project(id=project_id_for(name, config), name=name)

        if self._add_named("project", self.new_project_edit, make, self.select_project):
            self.models_editor.view.setFocus()

    def rename_project(self) -> None:
        self._rename_in_place(self.projects_view, ProjectsModel.NAME)

    def delete_project(self) -> DeleteProjectDialog | None:
        """Delete the selected project. With agents, a dialog asks where they go first
        (returned while it is open, for tests); without, it goes at once (Undo restores)."""
        project = self.current_project()
        if project is None:
            return None
        members = self.projects_model.row_value(self.projects_model.row_of(project.id)).members
        if members == 0:
            self._perform(delete_project_edit(project, None))
            return None
        dialog = DeleteProjectDialog(self.document.config, project, members, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self._delete_with_agents(project.id, dialog.target()))
        dialog.open()
        return dialog

    def _delete_with_agents(self, project_id: str, target: str | None) -> None:
        project = self.document.config.project(project_id)
        if project is None:
            return  # gone meanwhile (another program)
        self._perform(delete_project_edit(project, target))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.add_agent_edit and event.type() == QEvent.Type.FocusIn:
            self._fill_agent_ids()
        return super().eventFilter(watched, event)

    def _fill_agent_ids(self) -> None:
        if self._agent_ids_version != self.document.version:
            # Ids and names alike: the user may remember either.
            offered = dict.fromkeys(text for agent in self.document.config.agents for text in (agent.id, agent.name))
            self.agent_ids.setStringList(list(offered))
            self._agent_ids_version = self.document.version

    def add_agent(self) -> None:
        project = self.current_project()
        typed = self.add_agent_edit.text().strip()
        if project is None or not typed:
            return
        config = self.document.config
        matches = [agent for i in agents_meant(config.agents, typed) if (agent := config.agent(i)) is not None]
        if len(matches) != 1:
            if matches:
                self.show_message(f"“{typed}” matches {len(matches)} agents: pick one from the list (↓, then Enter).")
            else:
                self.show_message(f"There is no agent “{typed}”.")
            # The message takes room under the pages: keep the field being typed in on
            # screen, then offer the matches under it.
            for owner in (self, self.editor_widget):
                if (layout := owner.layout()) is not None:
                    layout.activate()
            self.editor_scroll.ensureWidgetVisible(self.add_agent_button)
            completer = self.add_agent_edit.completer()
            if matches and completer is not None:
                completer.complete()
            return
        agent = matches[0]
        if agent.project == project.id:
            self.show_message(f"{agent.name} is already in {project.name}.")
            return
        edit = UpdateItem(
            "agents", agent.id, {"project": project.id}, label=f"Move {agent.id} to project {project.name}"
        )
        if self._perform(edit):
            self.add_agent_edit.clear()
            self._select_agent_row(agent.id)

    def remove_agent(self) -> None:
        project = self.current_project()
        index = self.agents_view.currentIndex()
        if project is None or not index.isValid():
            return
        row = index.row()
        agent = self.agents_model.row_value(row)
        edit = UpdateItem("agents", agent.id, {"project": None}, label=f"Take {agent.id} out of project {project.name}")
        if self._perform(edit) and self.agents_model.rowCount():
            self._select_agent_row(self.agents_model.row_value(min(row, self.agents_model.rowCount() - 1)).id)

    def _select_agent_row(self, agent_id: str) -> None:
        row = self.agents_model.row_of(agent_id)
        if row >= 0:
            self.agents_view.selectRow(row)

    def open_agent(self) -> None:
        index = self.agents_view.currentIndex()
        if index.isValid():
            self.open_agent_requested.emit(self.agents_model.row_value(index.row()).id)

    def _on_models_edited(self, models: list[str]) -> None:
        project = self.current_project()
        if project is None or models == model_list(project.default_model):
            return
        value = as_model_value(models, like=project.default_model) if models else None
        edit = UpdateItem(
            "projects", project.id, {"default_model": value}, label=f"Set default model of {project.name}"
        )
        self._perform_list(
            edit, self.models_editor, lambda: self.models_editor.set_models(model_list(project.default_model))
        )
