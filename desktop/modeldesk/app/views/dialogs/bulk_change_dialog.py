"""The bulk model-change dialog: change the preferred models of many agents in one step.

The user picks *which agents* (a squad, the agents selected on the Agents page, every
agent whose list contains a model, or every agent) and *what change* (set the whole
list, replace one model with another, add a fallback, remove a model) and, for agents
without a list of their own, whether to skip them or copy what they inherit first. The
preview below lists every agent in scope with its list before and after and a note on every
row whose result is not what the change's name says; it is planned by the core's
``plan_bulk_change`` (the same planner as the CLI's ``models replace``), re-planned a moment
after the user stops typing, so it shows exactly what Apply will do.

Apply stays disabled while the change would bring in a model that is unknown or disabled,
and says why beside the button. Nothing changes until Apply, which performs the plan as ONE
edit (one undo step) that writes exactly the previewed rows. Cancel, Escape or closing the
window leaves the config as it was.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QRadioButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from modeldesk.core.bulk import (
    COPY,
    SKIP,
    AddFallback,
    AgentsScope,
    AllAgentsScope,
    Change,
    InheritedChoice,
    PlannedChange,
    RemoveModel,
    ReplaceModel,
    Scope,
    SetList,
    SquadScope,
    UsingModelScope,
    agents_in_scope,
    plan_bulk_change,
    plan_edit,
    shared_inheritance,
    target_problems,
)
from modeldesk.core.edits import Change as EditRecord
from modeldesk.core.errors import ModelDeskError
from modeldesk.core.schema import model_list

from ...document import Document
from ...models.bulk_preview_model import BulkPreviewModel
from ...models.rows import changed_ids
from ...text import counted
from ...widgets.elided import elide_combo
from ...widgets.model_list_editor import ModelListEditor
from ...widgets.settings_hint import settings_hint
from ...widgets.style import set_text_colour
from ...widgets.tables import make_table
from ...widgets.when_shown import follow_changes
from ..model_combo import ModelCombo


def change_label(scope: Scope, change: Change) -> str:
    """The undo-menu text of a bulk change."""
    return f"Change models of {scope.describe()}: {change.describe()}"


# How long the preview waits after the last keystroke before re-planning: long enough
# that typing a model id plans once, short enough to feel immediate.
PREVIEW_DELAY_MS = 150


class BulkChangeDialog(QDialog):
    SCOPES = ("squad", "selected", "using", "all")
    CHANGES = ("set", "replace", "add", "remove")

    def __init__(self, document: Document, initial_scope: Scope | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Change models for many agents")
        self.setObjectName("bulk_change_dialog")
        self.resize(980, 680)
        self.document = document
        self._plan: list[PlannedChange] = []
        self._changing: list[PlannedChange] = []  # the rows of the plan that change
        self._error = ""
        self._blockers: list[str] = []
        self._names: dict[str, str] = {}
        self._names_version = -1
        # The list "Set the list" was filled in with when the agents in scope all inherit
        # it, and the sentence saying so (shown while the list is still that one).
        self._prefilled: list[str] = []
        self._prefilled_text = ""
        self._preview_timer = QTimer(self)
        self._preview_timer.setSingleShot(True)
        self._preview_timer.setInterval(PREVIEW_DELAY_MS)
        self._preview_timer.timeout.connect(self.update_preview)
        # The agents selected when the dialog was opened (the Agents page's selection).
        self._selected: tuple[str, ...] = initial_scope.agent_ids if isinstance(initial_scope, AgentsScope) else ()

        self._build_scope_box()
        self._build_change_box()
        self._build_preview_box()

        self.hint_label = settings_hint(self)
        self.hint_label.linkActivated.connect(lambda _link: document.request_open_settings("default_agent_model"))

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.apply_button = QPushButton("Apply", self)
        self.apply_button.setObjectName("apply_button")
        self.buttons.addButton(self.apply_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.accepted.connect(self._apply)
        self.buttons.rejected.connect(self.reject)
        # Why Apply is disabled, right where the user looks for the button.
        self.blocker_label = QLabel(self)
        self.blocker_label.setObjectName("blocker_label")
        self.blocker_label.setWordWrap(True)
        set_text_colour(self.blocker_label, "problem")
        self.blocker_label.setVisible(False)
        bottom = QHBoxLayout()
        bottom.addWidget(self.blocker_label, 1)
        bottom.addWidget(self.buttons)

        top = QHBoxLayout()
        top.addWidget(self.scope_box, 2)
        top.addWidget(self.change_box, 3)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.preview_box, 1)
        layout.addWidget(self.hint_label)
        layout.addLayout(bottom)

        self._set_initial_scope(initial_scope)
        self._prefill_change()
        for signal in (
            self.scope_group.idToggled,
            self.change_group.idToggled,
            self.inherited_group.idToggled,
            self.squad_combo.currentIndexChanged,
            self.using_combo.model_changed,
            self.list_editor.models_edited,
            self.replace_old.model_changed,
            self.replace_new.model_changed,
            self.add_combo.model_changed,
            self.remove_combo.model_changed,
        ):
            signal.connect(self.schedule_preview)
        # A change made elsewhere (undo, another process, the file watcher) shows up at
        # once, if it touches what the dialog shows (see plan_concerned).
        self._following = True
        follow_changes(self, document, self.plan_concerned, self._on_document_changed)
        self.update_preview()

    # --- building -----------------------------------------------------------------------

    def _radio(self, group: QButtonGroup, text: str, key: str, keys: tuple[str, ...]) -> QRadioButton:
        button = QRadioButton(text, self)
        button.setObjectName(f"{key}_radio")
        group.addButton(button, keys.index(key))
        return button

    def _build_scope_box(self) -> None:
        self.scope_box = QGroupBox("Which agents", self)
        self.scope_group = QButtonGroup(self)
        self.squad_radio = self._radio(self.scope_group, "&Squad", "squad", self.SCOPES)
        self.selected_radio = self._radio(self.scope_group, "Se&lected agents", "selected", self.SCOPES)
        self.using_radio = self._radio(self.scope_group, "Every agent &using", "using", self.SCOPES)
        self.all_radio = self._radio(self.scope_group, "&Every agent", "all", self.SCOPES)

        self.squad_combo = elide_combo(QComboBox(self))
        self.squad_combo.setAccessibleName("Squad")
        self._fill_squads()
        self.selected_label = QLabel(", ".join(self._selected) or "(none selected)", self)
        self.selected_label.setWordWrap(True)
        self.using_combo = ModelCombo(self.document, self)
        self.using_combo.setAccessibleName("Model the agents use")

        has_squads = self.squad_combo.count() > 0
        self.squad_radio.setEnabled(has_squads)
        self.squad_combo.setEnabled(has_squads)
        self.selected_radio.setEnabled(bool(self._selected))
        self.selected_radio.setVisible(bool(self._selected))
        self.selected_label.setVisible(bool(self._selected))
        # Choosing a value picks its scope too, so the keyboard never needs two stops.
        self.squad_combo.activated.connect(lambda: self.squad_radio.setChecked(True))
        self.using_combo.model_changed.connect(self._on_using_model)

        grid = QGridLayout(self.scope_box)
        grid.addWidget(self.squad_radio, 0, 0)
        grid.addWidget(self.squad_combo, 0, 1)
        grid.addWidget(self.selected_radio, 1, 0)
        grid.addWidget(self.selected_label, 1, 1)
        grid.addWidget(self.using_radio, 2, 0)
        grid.addWidget(self.using_combo, 2, 1)
        grid.addWidget(self.all_radio, 3, 0, 1, 2)
        grid.setColumnStretch(1, 1)
        grid.setRowStretch(4, 1)

    def _build_change_box(self) -> None:
        self.change_box = QGroupBox("Change", self)
        self.change_group = QButtonGroup(self)
        self.set_radio = self._radio(self.change_group, "Set the lis&t", "set", self.CHANGES)
        self.replace_radio = self._radio(self.change_group, "&Replace a model", "replace", self.CHANGES)
        self.add_radio = self._radio(self.change_group, "Add a &fallback", "add", self.CHANGES)
        self.remove_radio = self._radio(self.change_group, "Re&move a model", "remove", self.CHANGES)

        self.pages = QStackedWidget(self)
        # The new list; its own hint is off because the dialog shows one for every change.
        self.list_editor = ModelListEditor(self.document, self, show_hint=False)
        self.list_editor.set_inherited("An empty list makes every agent in scope inherit its model.")
        self.replace_old = ModelCombo(self.document, self, placeholder="Model to replace")
        self.replace_new = ModelCombo(self.document, self, placeholder="Replacement model")
        self.add_combo = ModelCombo(self.document, self, placeholder="Fallback to add at the end")
        self.remove_combo = ModelCombo(self.document, self, placeholder="Model to remove")
        self.replace_old.setAccessibleName("Model to replace")
        self.replace_new.setAccessibleName("Replacement model")
        self.add_combo.setAccessibleName("Fallback model to add")
        self.remove_combo.setAccessibleName("Model to remove")

        self.replace_page = QWidget(self)
        grid = QGridLayout(self.replace_page)
        # Side by side: the list of matches opening under one field never covers the other.
        grid.addWidget(QLabel("Replace", self), 0, 0)
        grid.addWidget(self.replace_old, 0, 1)
        grid.addWidget(QLabel("with", self), 0, 2)
        grid.addWidget(self.replace_new, 0, 3)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(3, 1)
        grid.setRowStretch(1, 1)
        self.add_page = self._single_page("Add", self.add_combo, "at the end of each list that lacks it.")
        self.remove_page = self._single_page("Remove", self.remove_combo, "from every list in scope.")
        for page in (self.list_editor, self.replace_page, self.add_page, self.remove_page):
            self.pages.addWidget(page)
        self.change_group.idToggled.connect(self._on_change_kind)

        # Agents without a list of their own: a change to "their list" has nothing to work
        # on, so the user decides (never silently giving them a list of one fallback).
        self.inherited_box = QWidget(self)
        self.inherited_group = QButtonGroup(self)
        self.skip_inherited_radio = QRadioButton("S&kip them", self)
        self.skip_inherited_radio.setObjectName("skip_inherited_radio")
        self.copy_inherited_radio = QRadioButton("C&opy what they inherit, then change it", self)
        self.copy_inherited_radio.setObjectName("copy_inherited_radio")
        self.inherited_group.addButton(self.skip_inherited_radio, 0)
        self.inherited_group.addButton(self.copy_inherited_radio, 1)
        self.skip_inherited_radio.setChecked(True)
        inherited_row = QHBoxLayout(self.inherited_box)
        inherited_row.setContentsMargins(0, 0, 0, 0)
        inherited_row.addWidget(QLabel("Agents that inherit their models:", self))
        inherited_row.addWidget(self.skip_inherited_radio)
        inherited_row.addWidget(self.copy_inherited_radio)
        inherited_row.addStretch(1)

        self.problem_label = QLabel(self)
        self.problem_label.setObjectName("problem_label")
        self.problem_label.setWordWrap(True)
        set_text_colour(self.problem_label, "problem")

        radios = QHBoxLayout()
        for button in (self.set_radio, self.replace_radio, self.add_radio, self.remove_radio):
            radios.addWidget(button)
        radios.addStretch(1)
        # One height for every kind of change, so the preview below stays where it is when
        # another is chosen: the pages as tall as the tallest (the list editor), the
        # inherit choice's row kept while hidden.
        pages = (self.list_editor, self.replace_page, self.add_page, self.remove_page)
        self.pages.setFixedHeight(max(page.sizeHint().height() for page in pages))
        retained = self.inherited_box.sizePolicy()
        retained.setRetainSizeWhenHidden(True)
        self.inherited_box.setSizePolicy(retained)
        layout = QVBoxLayout(self.change_box)
        layout.addLayout(radios)
        layout.addWidget(self.pages, 1)
        layout.addWidget(self.inherited_box)
        layout.addWidget(self.problem_label)

    def _on_using_model(self, model_id: str) -> None:
        if model_id:
            self.using_radio.setChecked(True)

    def _on_change_kind(self, index: int, on: bool) -> None:
        if on:
            self.pages.setCurrentIndex(index)
            # Setting the whole list gives every agent that list: the choice does not apply.
            self.inherited_box.setVisible(self.CHANGES[index] != "set")

    def _single_page(self, verb: str, combo: ModelCombo, rest: str) -> QWidget:
        page = QWidget(self)
        grid = QGridLayout(page)
        grid.addWidget(QLabel(verb, self), 0, 0)
        grid.addWidget(combo, 0, 1)
        note = QLabel(rest, self)
        note.setWordWrap(True)
        grid.addWidget(note, 1, 1)
        grid.setRowStretch(2, 1)
        return page

    def _build_preview_box(self) -> None:
        self.preview_box = QGroupBox("Preview", self)
        self.preview_model = BulkPreviewModel(self)
        self.preview = make_table(
            self.preview_model,
            "preview",
            "Preview of the change, one row per agent",
            self,
            # The note gets the width left: it is what explains a surprising row.
            stretch=(BulkPreviewModel.NOTE,),
            # Thousands of rows: one line each and widths that do not depend on the text.
            one_line=True,
            widths=((BulkPreviewModel.AGENT, 190), (BulkPreviewModel.BEFORE, 190), (BulkPreviewModel.AFTER, 230)),
        )
        self.preview.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.summary_label = QLabel(self)
        self.summary_label.setObjectName("summary_label")
        self.summary_label.setWordWrap(True)
        layout = QVBoxLayout(self.preview_box)
        layout.addWidget(self.preview, 1)
        layout.addWidget(self.summary_label)

    def _fill_squads(self) -> None:
        """The squads with their member counts, keeping the chosen one."""
        chosen = self.squad_combo.currentData()
        self.squad_combo.blockSignals(True)
        self.squad_combo.clear()
        for squad in self.document.config.squads:
            self.squad_combo.addItem(f"{squad.name} ({len(squad.agents)})", squad.id)
        self.squad_combo.setCurrentIndex(max(0, self.squad_combo.findData(chosen)))
        self.squad_combo.blockSignals(False)

    def _set_initial_scope(self, scope: Scope | None) -> None:
        if isinstance(scope, SquadScope):
            self.squad_combo.setCurrentIndex(max(0, self.squad_combo.findData(scope.squad_id)))
            self.squad_radio.setChecked(True)
        elif isinstance(scope, AgentsScope) and self._selected:
            self.selected_radio.setChecked(True)
        elif isinstance(scope, UsingModelScope):
            self.using_combo.set_model_id(scope.model_id)
            self.using_radio.setChecked(True)
        elif isinstance(scope, AllAgentsScope) or not self.squad_combo.count():
            self.all_radio.setChecked(True)
        else:
            self.squad_radio.setChecked(True)

    def _prefill_change(self) -> None:
        """Start from a change that wipes no list: when every agent in scope shares one
        list, "set the list" pre-filled with it (when they all inherit, with what they
        inherit, said as such: never an empty list, which would clear the lists of every
        agent the scope is widened to); otherwise "replace a model" (pre-filled with X for
        "every agent using X"), which does nothing until filled in."""
        scope = self.scope()
        if isinstance(scope, UsingModelScope):
            for combo in (self.replace_old, self.remove_combo):
                combo.set_model_id(scope.model_id)
        by_id = {agent.id: agent for agent in self.document.config.agents}
        try:
            ids = agents_in_scope(self.document.config, scope, by_id)
        except ModelDeskError:
            ids = []
        lists: set[tuple[str, ...]] = set()
        for agent_id in ids:
            lists.add(tuple(model_list(by_id[agent_id].model)))
            if len(lists) > 1:
                break
        shared = list(lists.pop()) if len(lists) == 1 and not isinstance(scope, UsingModelScope) else None
        if shared == []:
            agents = [by_id[agent_id] for agent_id in ids]
            models, source = shared_inheritance(self.document.resolver, agents)
            if models:
                shared = self._prefilled = list(models)
                who = (agents[0].name or agents[0].id) if len(agents) == 1 else f"these {len(agents):,} agents"
                verb = "inherits" if len(agents) == 1 else "inherit"
                self._prefilled_text = (
                    f"The list starts as what {who} {verb} now ({', '.join(models)} from {source}); "
                    "applying it makes it a list of their own."
                )
            else:
                shared = None
        if shared:
            self.list_editor.set_models(shared)
            self.set_radio.setChecked(True)
        else:
            self.replace_radio.setChecked(True)

    # --- reading the form -----------------------------------------------------------------

    def scope(self) -> Scope:
        key = self.SCOPES[max(0, self.scope_group.checkedId())]
        if key == "squad":
            return SquadScope(str(self.squad_combo.currentData() or ""))
        if key == "selected":
            return AgentsScope(self._selected)
        if key == "using":
            return UsingModelScope(self.using_combo.model_id())
        return AllAgentsScope()

    def change(self) -> Change:
        key = self.CHANGES[max(0, self.change_group.checkedId())]
        if key == "set":
            return SetList(tuple(self.list_editor.models()))
        if key == "replace":
            return ReplaceModel(self.replace_old.model_id(), self.replace_new.model_id())
        if key == "add":
            return AddFallback(self.add_combo.model_id())
        return RemoveModel(self.remove_combo.model_id())

    def inherited_choice(self) -> InheritedChoice:
        return COPY if self.copy_inherited_radio.isChecked() else SKIP

    def clears_lists(self) -> bool:
        """Whether the change is "set the list" to an empty one: every agent in scope
        loses its own list and inherits."""
        change = self.change()
        return isinstance(change, SetList) and not change.models

    def plan(self) -> list[PlannedChange]:
        return list(self._plan)

    def _missing_input(self, scope: Scope, change: Change) -> str:
        """What the user still has to fill in, in their words ("" when nothing)."""
        if isinstance(scope, UsingModelScope) and not scope.model_id:
            return "Choose the model whose agents should change."
        if isinstance(change, ReplaceModel):
            if not change.old or not change.new:
                return "Choose the model to replace and its replacement."
            if change.old == change.new:
                return "The replacement is the same model."
        if isinstance(change, AddFallback) and not change.model:
            return "Choose the fallback model to add."
        if isinstance(change, RemoveModel) and not change.model:
            return "Choose the model to remove."
        return ""

    # --- preview and apply ----------------------------------------------------------------

    def schedule_preview(self, *_: object) -> None:
        """Re-plan a moment after the last change to the form (typing a model id plans
        once, not per key)."""
        self._preview_timer.start()

    def preview_pending(self) -> bool:
        return self._preview_timer.isActive()

    def _agent_names(self) -> dict[str, str]:
        # Names change rarely: build the map once per document version, not per keystroke.
        version = getattr(self.document, "version", None)
        if version is None or version != self._names_version:
            self._names = {agent.id: agent.name for agent in self.document.config.agents}
            self._names_version = -1 if version is None else version
        return self._names

    def update_preview(self, *_: object) -> None:
        self._preview_timer.stop()
        scope, change = self.scope(), self.change()
        resolver = self.document.resolver
        self._plan, self._error = [], self._missing_input(scope, change)
        if not self._error:
            try:
                self._plan = plan_bulk_change(
                    self.document.config, scope, change, inherited=self.inherited_choice(), resolver=resolver
                )
            except ModelDeskError as exc:
                self._error = exc.message
        self.preview_model.set_plan(self._plan, self._agent_names(), resolver.model_problem)

        self._blockers = target_problems(resolver, change)
        self.problem_label.setText("Cannot be used: " + "; ".join(self._blockers) if self._blockers else "")
        self.problem_label.setVisible(bool(self._blockers))

        # One pass over the plan (10,000 rows for every agent); Apply uses the same rows.
        changing = self._changing = [c for c in self._plan if c.changed]
        changed = len(changing)
        noted = sum(1 for c in changing if c.note)
        if self._error:
            self.summary_label.setText(self._error)
            set_text_colour(self.summary_label, "problem")
        else:
            set_text_colour(self.summary_label, None)
            if not self._plan:
                self.summary_label.setText("No agent is in this scope.")
            elif changed and self.clears_lists():
                self.summary_label.setText(self._clear_text(changed))
            else:
                text = f"{changed:,} of {counted(len(self._plan), 'agent')} will change; dimmed rows stay as they are."
                if noted:
                    verb = "carries" if noted == 1 else "carry"
                    text += f" {counted(noted, 'changing row')} {verb} a note: read them before applying."
                if self._prefilled_text and self.set_radio.isChecked() and self.list_editor.models() == self._prefilled:
                    text = f"{self._prefilled_text} {text}"
                self.summary_label.setText(text)
        if self._blockers:
            self.blocker_label.setText(
                "Cannot apply: " + "; ".join(self._blockers) + ". Choose a known, enabled model (Settings → Models)."
            )
        self.blocker_label.setVisible(bool(self._blockers))
        self.apply_button.setEnabled(not self._error and not self._blockers and changed > 0)
        self.apply_button.setToolTip(self.blocker_label.text() if self._blockers else "")
        if changed and self.clears_lists():
            self.apply_button.setText(f"Clear the lists of {counted(changed, 'agent')}…")
        else:
            self.apply_button.setText(f"Apply to {counted(changed, 'agent')}" if changed else "Apply")

    def _cleared_inherit(self) -> str:
        """What the agents whose lists the plan clears will inherit, in a few words."""
        by_id = {agent.id: agent for agent in self.document.config.agents}
        cleared = (by_id[c.agent_id] for c in self._plan if c.changed and c.agent_id in by_id)
        models, source = shared_inheritance(self.document.resolver, cleared)
        if models:
            return f"{', '.join(models)} from {source}"
        return "their project's default, Settings' or the organization's (each row says which)"

    def _clear_text(self, changed: int) -> str:
        text = f"Clear the lists of {counted(changed, 'agent')}: they will inherit {self._cleared_inherit()}."
        unchanged = len(self._plan) - changed
        if unchanged:
            text += f" {counted(unchanged, 'agent')} in scope already {'inherits' if unchanged == 1 else 'inherit'}."
        return text

    def _apply(self) -> None:
        # Plan again if the form changed within the preview's delay (a click or Enter right
        # after typing); otherwise the preview on screen is the plan.
        if self.preview_pending():
            self.update_preview()
        if self._error or self._blockers or not self._changing:
            return
        if self.clears_lists() and not self._confirm_clear():
            return
        changed = len(self._changing)
        steps = self.document.undo_stack.index()
        try:
            self.document.perform(plan_edit(self._changing, change_label(self.scope(), self.change())))
        except ModelDeskError as exc:
            # Nothing was changed (perform applies all or nothing); say why and stay open.
            self._show_failure(exc.message)
            return
        if self.document.undo_stack.index() == steps:
            # The edit fitted but could not be saved; the document withdrew it.
            self._show_failure(self.document.save_state)
            return
        self.document.tell(f"Changed the models of {counted(changed, 'agent')} (Edit → Undo puts them back).")
        self.accept()

    def _confirm_clear(self) -> bool:
        """Ask before clearing lists, however few: the button that clears must be pressed
        (click, Space or its mnemonic); Enter and Escape keep the lists."""
        changed = len(self._changing)
        box = QMessageBox(self)
        box.setObjectName("confirm_clear_box")
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle("Clear model lists")
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setText(f"Clear the preferred-model lists of {counted(changed, 'agent')}?")
        box.setInformativeText(
            f"They will inherit {self._cleared_inherit()} instead of their own lists. Edit → Undo puts them back."
        )
        clear_button = box.addButton(f"C&lear {counted(changed, 'list')}", QMessageBox.ButtonRole.DestructiveRole)
        clear_button.setObjectName("clear_button")
        keep_button = box.addButton("&Keep the lists", QMessageBox.ButtonRole.RejectRole)
        keep_button.setObjectName("keep_button")
        box.setDefaultButton(keep_button)
        box.setEscapeButton(keep_button)
        box.exec()
        return box.clickedButton() is clear_button

    def _show_failure(self, text: str) -> None:
        self.summary_label.setText(text)
        set_text_colour(self.summary_label, "problem")

    def keyPressEvent(self, event: QKeyEvent) -> None:
        # Enter confirms what was typed in a field; it presses no button (QDialog would
        # press a default one: Apply changes every agent in scope, Cancel loses the form).
        # A focused button still takes Enter and Space.
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not isinstance(self.focusWidget(), QPushButton):
            event.accept()
            return
        super().keyPressEvent(event)

    def done(self, result: int) -> None:
        # A closed dialog no longer follows the document (it may live on until deleted).
        self._preview_timer.stop()
        self._following = False
        super().done(result)

    def plan_concerned(self, change: EditRecord) -> bool:
        """Whether an edit may change what the dialog shows: the squads (the squad list),
        the registry, projects or settings (what agents inherit and which models can be
        used), or an agent in the scope (for a squad or a selection, only their agents;
        any agent may enter the other scopes)."""
        if change.settings or any(change.touches(c) for c in ("squads", "models", "providers", "projects")):
            return True
        agents = changed_ids(change, "agents")
        if not agents:
            return False
        scope = self.scope()
        if isinstance(scope, SquadScope):
            squad = self.document.config.squad(scope.squad_id)
            in_scope = set(squad.agents) if squad is not None else set()
        elif isinstance(scope, AgentsScope):
            in_scope = set(scope.agent_ids)
        else:
            return True
        return not agents.isdisjoint(in_scope | {planned.agent_id for planned in self._plan})

    def _on_document_changed(self) -> None:
        if not self._following:
            return
        self._fill_squads()
        self.schedule_preview()
