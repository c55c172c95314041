"""The Squads page: squads, their member agents, and each member's preferred models.

Left, the squads (add, rename in place with F2, remove). Right, the selected squad's
members with what each one runs on and where that comes from; under them, the selected
member's preferred-model list in the same editor the agent editor uses, and the button
that opens the bulk model-change dialog for the whole squad.

Every change is one undoable edit through ``document.perform``; the page re-reads the
config when an edit touches what it shows (undo, redo, a reload from disk) and keeps the selection.
Everything is reachable by keyboard: Tab between the lists, the buttons and the editor;
F2 renames; Delete removes the selected squad or member from the list that has focus.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from modeldesk.core.bulk import SquadScope
from modeldesk.core.edits import Change, RemoveItem, SetAgentModels
from modeldesk.core.errors import ModelDeskError
from modeldesk.core.ids import agent_choice, agents_meant, readable_id
from modeldesk.core.item_edits import ChangeSquadMembers
from modeldesk.core.schema import Config, Squad, model_list

from ..document import Document
from ..models.choices_model import ChoicesModel
from ..models.squads_model import MembersModel, SquadsModel
from ..widgets.actions import widget_action
from ..widgets.elided import elide_combo, short
from ..widgets.model_list_editor import ModelListEditor
from ..widgets.named_items_box import named_items_box
from ..widgets.search_combo import searchable
from ..widgets.style import set_text_colour
from ..widgets.tables import make_table
from ..widgets.when_shown import follow_changes_when_shown
from .agent_editor import inherited_text
from .dialogs.bulk_change_dialog import BulkChangeDialog
from .named_items_page import NamedItemsPage
from .resolution_view import resolution_text


def squad_id_for(name: str, config: Config) -> str:
    """A readable, unused squad id made from ``name`` ("Research team" -> "research-team")."""
    return readable_id(name, {squad.id for squad in config.squads}, "squad")


class SquadsPage(NamedItemsPage):
    def __init__(self, document: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self._build_squads_side()
        self._build_members_side()

        self._lay_out(self.squads_box, self.members_box, 5)

        self._set_tab_order()
        self.squads_view.selectionModel().currentRowChanged.connect(self._on_squad_changed)
        self.members_view.selectionModel().currentRowChanged.connect(self._on_member_changed)
        self.squads_model.edit_failed.connect(self.show_message)
        # The squads and their members' names follow squads and agents; what the members
        # run on also follows the registry, projects and settings (only that table then).
        follow_changes_when_shown(self, document, ("squads", "agents"), self.refresh)
        follow_changes_when_shown(
            self, document, ("models", "providers", "projects", "settings"), self.members_model.refresh
        )
        self.refresh()  # selects the first squad and shows it, once

    # --- building -----------------------------------------------------------------------

    def _build_squads_side(self) -> None:
        self.squads_model = SquadsModel(self.document, self)
        built = named_items_box(
            self,
            noun="squad",
            model=self.squads_model,
            stretch=(SquadsModel.NAME,),
            remove_label="&Remove squad",
            remove_tip="Remove the selected squad (Delete); its agents stay",
            on_add=self.add_squad,
            on_rename=self.rename_squad,
            on_remove=self.remove_squad,
        )
        self.squads_box, self.squads_view, self.new_squad_edit = built.box, built.view, built.name_edit
        self.add_squad_button, self.rename_squad_button = built.add_button, built.rename_button
        self.remove_squad_button = built.remove_button

    def _build_members_side(self) -> None:
        self.members_box = QGroupBox("Members", self)
        self.members_model = MembersModel(self.document, self)
        self.members_view = make_table(
            self.members_model, "members_view", "Member agents and the models they run on", self
        )

        self.agent_combo = elide_combo(QComboBox(self))
        self.agent_combo.setObjectName("agent_combo")
        self.agent_choices = ChoicesModel(self.agent_combo)
        searchable(self.agent_combo, self.agent_choices)
        self.agent_combo.setAccessibleName("Agent to add to the squad")
        agent_line = self.agent_combo.lineEdit()
        assert agent_line is not None  # an editable combo box has one
        agent_line.setPlaceholderText("Agent to add")
        self.add_member_button = QPushButton("Add &member", self)
        self.remove_member_button = QPushButton("Remo&ve from squad", self)
        self.remove_member_button.setToolTip("Take the selected agent out of this squad (Delete); the agent stays")
        widget_action(
            self.members_view, "Remove from squad", QKeySequence(QKeySequence.StandardKey.Delete), self.remove_member
        )
        self.members_view.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        self.bulk_button = QPushButton("C&hange models for this squad…", self)
        self.bulk_button.setObjectName("bulk_button")

        self.member_box = QGroupBox("Preferred models", self)
        self.models_editor = ModelListEditorFor(self.document, self.member_box)
        member_layout = QVBoxLayout(self.member_box)
        member_layout.addWidget(self.models_editor)

        add_row = QHBoxLayout()
        add_row.addWidget(self.agent_combo, 1)
        add_row.addWidget(self.add_member_button)
        add_row.addWidget(self.remove_member_button)
        bulk_row = QHBoxLayout()
        bulk_row.addStretch(1)
        bulk_row.addWidget(self.bulk_button)
        layout = QVBoxLayout(self.members_box)
        layout.addWidget(self.members_view, 3)
        layout.addLayout(add_row)
        layout.addWidget(self.member_box, 4)
        layout.addLayout(bulk_row)

        agent_line.returnPressed.connect(self.add_member)
        self.add_member_button.clicked.connect(self.add_member)
        self.remove_member_button.clicked.connect(self.remove_member)
        self.bulk_button.clicked.connect(self.open_bulk_dialog)
        self.models_editor.editor.models_edited.connect(self._on_models_edited)

    def _set_tab_order(self) -> None:
        """Tab follows the screen: the squads and their buttons, then the members, the
        selected member's list editor, and the bulk button last."""
        self._tab_through(
            [
                self.squads_view,
                self.rename_squad_button,
                self.remove_squad_button,
                self.new_squad_edit,
                self.add_squad_button,
                self.members_view,
                self.agent_combo,
                self.add_member_button,
                self.remove_member_button,
                *self._editor_chain(self.models_editor.editor),
                self.bulk_button,
            ]
        )

    # --- reading ------------------------------------------------------------------------

    def current_squad(self) -> Squad | None:
        index = self.squads_view.currentIndex()
        if not index.isValid():
            return None
        return self.document.config.squad(self.squads_model.row_value(index.row()).id)

    def current_member(self) -> str | None:
        index = self.members_view.currentIndex()
        if not index.isValid() or index.row() >= self.members_model.rowCount():
            return None
        return self.members_model.row_value(index.row()).agent_id

    def select_squad(self, squad_id: str) -> None:
        self._select(self.squads_view, self.squads_model.row_of(squad_id))

    def select_member(self, agent_id: str) -> None:
        self._select(self.members_view, self.members_model.row_of(agent_id))

    # --- refreshing -----------------------------------------------------------------------

    def refresh(self, change: Change | None = None) -> None:
        """Re-read what ``change`` concerns (everything without one) from the document,
        keeping the selected squad and member."""
        squad = self.current_squad()
        # The squad shown so far, even if its row moved or vanished with this change.
        squad_id = squad.id if squad else self.members_model.squad_id
        member = self.current_member()
        self._refresh_items(self.squads_model, self.squads_view, change, squad_id, self.select_squad)
        self._show_squad(member, change)

    def _on_squad_changed(self, *_: object) -> None:
        if not self._selecting:
            self._show_squad(None)

    def _show_squad(self, member: str | None, change: Change | None = None) -> None:
        squad = self.current_squad()
        with self._selecting_here():
            self._show_members_of(squad, member, change)
        self._show_member()

    def _show_members_of(self, squad: Squad | None, member: str | None, change: Change | None) -> None:
        self.members_model.set_squad(squad.id if squad else None, change)
        has_squad = squad is not None
        self.members_box.setTitle(f"Members of {short(squad.name)}" if squad else "Members")
        for widget in (
            self.rename_squad_button,
            self.remove_squad_button,
            self.agent_combo,
            self.add_member_button,
            self.bulk_button,
        ):
            widget.setEnabled(has_squad)
        self.bulk_button.setEnabled(has_squad and bool(squad and squad.agents))
        self._fill_agent_combo(squad)
        if member is not None and self.members_model.row_of(member) >= 0:
            if self.current_member() != member:
                self.select_member(member)
        elif self.current_member() is None and self.members_model.rowCount():
            self.select_member(self.members_model.row_value(0).agent_id)

    def _fill_agent_combo(self, squad: Squad | None) -> None:
        completer = self.agent_combo.completer()
        popup = completer.popup() if completer is not None else None
        if popup is not None and popup.isVisible() and popup.currentIndex().isValid():
            # Enter in the completion popup added a member: the completer still holds an
            # index into this list and applies it once the key is handled. Rebuilt now, the
            # index would put another agent in the field; rebuild just after instead.
            QTimer.singleShot(0, lambda: self._fill_agent_combo(self.current_squad()))
            return
        typed = self.agent_combo.currentText()
        members = set(squad.agents) if squad else set()
        self.agent_combo.blockSignals(True)
        self.agent_choices.set_choices(
            [
                (agent_choice(agent.name, agent.id), agent.id)
                for agent in self.document.config.agents
                if agent.id not in members
            ]
        )
        self.agent_combo.setCurrentIndex(-1)
        self.agent_combo.setEditText(typed if typed and self.agent_combo.findText(typed) >= 0 else "")
        self.agent_combo.blockSignals(False)

    def _on_member_changed(self, *_: object) -> None:
        if not self._selecting:
            self._show_member()

    def _show_member(self) -> None:
        agent_id = self.current_member()
        agent = self.document.config.agent(agent_id) if agent_id else None
        self.remove_member_button.setEnabled(agent_id is not None)
        self.member_box.setEnabled(agent is not None)
        if agent is None:
            self.member_box.setTitle(
                "Preferred models" if agent_id is None else f"{short(agent_id)} is not in the config"
            )
            self.models_editor.show_agent(None)
            return
        self.member_box.setTitle(f"Preferred models of {short(agent.name)}, primary first")
        self.models_editor.show_agent(agent.id)

    # --- actions ----------------------------------------------------------------------------

    def add_squad(self) -> None:
        def make(name: str, config: Config) -> Squad:
            return Squad(id=squad_id_for(name, config), name=name, agents=[])

        if self._add_named("squad", self.new_squad_edit, make, self.select_squad):
            self.agent_combo.setFocus()

    def rename_squad(self) -> None:
        self._rename_in_place(self.squads_view, SquadsModel.NAME)

    def remove_squad(self) -> None:
        squad = self.current_squad()
        if squad is not None:
            # Undo brings it back, so no confirmation; the agents themselves stay.
            self._perform(RemoveItem("squads", squad.id, label=f"Remove squad {squad.name}"))

    def add_member(self) -> None:
        squad = self.current_squad()
        if squad is None:
            return
        agent_id = self._chosen_agent()
        if agent_id is None:
            typed = self.agent_combo.currentText().strip()
            several = len(self._matching_agents(typed))
            if several > 1:
                self.show_message(f"“{typed}” matches {several} agents: pick one from the list (↓, then Enter).")
                completer = self.agent_combo.completer()
                if completer is not None:
                    completer.complete()
            else:
                self.show_message(f"There is no agent “{typed}”." if typed else "Choose an agent to add.")
            return
        if agent_id in squad.agents:
            self.show_message(f"{agent_id} is already in {squad.name}.")
            return
        # The intent, worked out on the squad as it is when saved: a member another
        # program added meanwhile stays.
        label = f"Add {self._agent_name(agent_id)} to squad {squad.name}"
        edit = ChangeSquadMembers(squad.id, add=(agent_id,), label=label)
        if self._perform(edit):
            self.agent_combo.setEditText("")
            self.select_member(agent_id)

    def _agent_name(self, agent_id: str) -> str:
        """How an undo step names the agent: its name, or its id if it has none here."""
        agent = self.document.config.agent(agent_id)
        return agent.name if agent is not None and agent.name else agent_id

    def _chosen_agent(self) -> str | None:
        text = self.agent_combo.currentText().strip()
        if text and self.document.config.agent(text) is not None:
            return text  # a member already: add_member says so
        # What the completer offers for the typed text: one match is the user's pick.
        matches = self._matching_agents(text)
        return matches[0] if len(matches) == 1 else None

    def _matching_agents(self, text: str) -> list[str]:
        """The offered agents (those not in the squad) that ``text`` may mean."""
        squad = self.current_squad()
        members = set(squad.agents) if squad else set()
        return agents_meant([a for a in self.document.config.agents if a.id not in members], text)

    def remove_member(self) -> None:
        squad, agent_id = self.current_squad(), self.current_member()
        if squad is None or agent_id is None:
            return
        row = self.members_model.row_of(agent_id)
        label = f"Remove {self._agent_name(agent_id)} from squad {squad.name}"
        removal = ChangeSquadMembers(squad.id, remove=(agent_id,), label=label)
        if not self._perform(removal):
            return
        after = self.document.config.squad(squad.id)
        members = after.agents if after is not None else []
        if members:
            self.select_member(members[min(row, len(members) - 1)])

    def _on_models_edited(self, models: list[str]) -> None:
        agent_id = self.models_editor.agent_id
        agent = self.document.config.agent(agent_id) if agent_id else None
        if agent is None:
            return
        edit = SetAgentModels(agent.id, tuple(models), label=f"Set models of {agent.name}")
        self._perform_list(edit, self.models_editor.editor, lambda: self.models_editor.show_agent(agent.id))

    def open_bulk_dialog(self) -> BulkChangeDialog | None:
        squad = self.current_squad()
        if squad is None:
            return None
        dialog = BulkChangeDialog(self.document, SquadScope(squad.id), self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog


class ModelListEditorFor(QWidget):
    """The shared ModelListEditor bound to one agent: shows its list and what it would
    inherit with an empty list. The page turns the editor's edits into undoable edits."""

    def __init__(self, document: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.agent_id: str | None = None
        self.editor = ModelListEditor(document, self, hint_field="default_agent_model", show_hint=True)
        self.effective_label = QLabel(self)
        self.effective_label.setObjectName("effective_label")
        self.effective_label.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.editor, 1)
        layout.addWidget(self.effective_label)

    def show_agent(self, agent_id: str | None) -> None:
        self.agent_id = agent_id
        agent = self.document.config.agent(agent_id) if agent_id else None
        self.editor.set_models(model_list(agent.model) if agent else [])
        self.editor.set_inherited(inherited_text(self.document, agent.id) if agent else None)
        self._show_effective(agent.id if agent else None)

    def _show_effective(self, agent_id: str | None) -> None:
        """What the agent runs on, or (in the problem colour, picked again on a theme
        switch, so never an inline colour) why it cannot run."""
        try:
            text = resolution_text(self.document.resolver.chat(agent_id)) if agent_id else ""
        except ModelDeskError as exc:
            self.effective_label.setTextFormat(Qt.TextFormat.PlainText)
            self.effective_label.setText(exc.message)
            set_text_colour(self.effective_label, "problem")
            return
        self.effective_label.setTextFormat(Qt.TextFormat.RichText)
        self.effective_label.setText(text)
        set_text_colour(self.effective_label, None)
