"""A searchable model picker: every known model grouped by provider, with capability
badges and context window; filter as you type; usable from the keyboard alone
(type, Down to the list, Enter to pick; Escape cancels)."""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import QEvent, QModelIndex, QObject, QSortFilterProxyModel, Qt
from PySide6.QtGui import QBrush, QKeyEvent, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from modeldesk.core.schema import Model

from ..colours import quiet_text_colour
from ..document import Document
from ..services.history_records import model_records
from ..text import context_text, model_badges
from .settings_hint import settings_hint

ModelIdRole = Qt.ItemDataRole.UserRole + 1
COLUMNS = ("Model", "Capabilities", "Context", "Note", "Success · median")
UsableRole = Qt.ItemDataRole.UserRole + 2


class ModelPickerDialog(QDialog):
    def __init__(
        self,
        document: Document,
        parent: QWidget | None = None,
        *,
        listed: Iterable[str] = (),
        hint_field: str | None = "default_agent_model",
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Add a model")
        self.setObjectName("model_picker")
        self.resize(760, 480)
        self._document = document
        self._listed = set(listed)

        self.filter_edit = QLineEdit(self)
        self.filter_edit.setPlaceholderText("Filter by name, id, provider or capability…")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.setAccessibleName("Filter models")

        self.source = QStandardItemModel(self)
        self.source.setHorizontalHeaderLabels(list(COLUMNS))
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.source)
        self.proxy.setRecursiveFilteringEnabled(True)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.proxy.setFilterKeyColumn(-1)

        self.tree = QTreeView(self)
        self.tree.setModel(self.proxy)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.tree.setAlternatingRowColors(True)
        self.tree.setUniformRowHeights(True)
        self.tree.setAccessibleName("Models by provider")

        self.empty_label = QLabel("No model matches the filter.", self)
        self.empty_label.setWordWrap(True)
        self.empty_label.setVisible(False)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Add")
        # Every picker points at the setting that applies when nothing is picked (SPEC 3.3).
        self.hint_label = settings_hint(self)
        self.hint_label.setVisible(hint_field is not None)
        self._hint_field = hint_field or "default_agent_model"

        layout = QVBoxLayout(self)
        layout.addWidget(self.filter_edit)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.empty_label)
        layout.addWidget(self.hint_label)
        layout.addWidget(self.buttons)

        self._fill()
        self.tree.expandAll()
        for column in range(1, len(COLUMNS)):
            self.tree.resizeColumnToContents(column)
        self.tree.setColumnWidth(0, 300)

        self.filter_edit.textChanged.connect(self._apply_filter)
        self.filter_edit.installEventFilter(self)
        self.tree.selectionModel().currentChanged.connect(self._update_ok)
        self.tree.doubleClicked.connect(self._pick_index)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.hint_label.linkActivated.connect(self._open_settings)
        self._select_first()
        self.filter_edit.setFocus()

    # --- result -----------------------------------------------------------------------

    def selected_model(self) -> str | None:
        index = self.tree.currentIndex()
        if not index.isValid():
            return None
        value = index.siblingAtColumn(0).data(ModelIdRole)
        return str(value) if value else None

    # --- building ---------------------------------------------------------------------

    def _fill(self) -> None:
        resolver = self._document.resolver
        providers = resolver.providers
        groups: dict[str, list[Model]] = {}
        for model in resolver.models.values():
            groups.setdefault(model.provider, []).append(model)
        for provider_id in sorted(groups, key=lambda p: (p not in providers, p)):
            provider = providers.get(provider_id)
            title = provider.label or provider.id if provider else provider_id
            if provider is None:
                title += "  (provider missing)"
            elif not provider.enabled:
                title += "  (disabled)"
            group = QStandardItem(title)
            group.setSelectable(False)
            group.setToolTip(provider.base_url if provider else "Not in the provider list")
            row = [group, *(_plain("") for _ in COLUMNS[1:])]
            for model in sorted(groups[provider_id], key=lambda m: m.display_name.casefold()):
                group.appendRow(self._model_row(model))
            self.source.appendRow(row)

    def _model_row(self, model: Model) -> list[QStandardItem]:
        problem = self._document.resolver.model_problem(model.id)
        text = model.display_name if model.display_name == model.id else f"{model.display_name} ({model.id})"
        notes = []
        if model.id in self._listed:
            notes.append("already in the list")
        if problem:
            notes.append(problem)
        name = _plain(text)
        name.setData(model.id, ModelIdRole)
        name.setData(not notes, UsableRole)
        name.setToolTip(f"{model.id} → sent as '{model.name}'" + (f"\nNot usable: {problem}" if problem else ""))
        row = [
            name,
            _plain(model_badges(model, self._document.resolver.providers.get(model.provider))),
            _plain(context_text(model.context_window)),
            _plain(", ".join(notes)),
            _plain(
                model_records().text(model.id, self._document.store.path)
            ),  # success and latency in this file's runs
        ]
        if notes:
            # Quieter than a row that can be picked, still readable (the disabled-text grey
            # was about 1.8:1 on white).
            dimmed = QBrush(quiet_text_colour())
            for item in row:
                item.setForeground(dimmed)
        return row

    # --- behaviour --------------------------------------------------------------------

    def _apply_filter(self, text: str) -> None:
        self.proxy.setFilterFixedString(text.strip())
        self.tree.expandAll()
        self._select_first()

    def _select_first(self) -> None:
        first = self._first_leaf(QModelIndex())
        if first is None:
            # An empty registry is not a filter that matches nothing: say where models come from.
            self.empty_label.setText(
                "No model matches the filter."
                if self._document.config.models
                else "There are no models yet: add a provider and fetch its models in Settings → Models."
            )
        self.empty_label.setVisible(first is None)
        if first is not None:
            self.tree.setCurrentIndex(first)
        else:
            self.tree.setCurrentIndex(QModelIndex())
        self._update_ok()

    def _first_leaf(self, parent: QModelIndex) -> QModelIndex | None:
        """The first match to preselect: a usable model not listed yet, else any match."""
        leaves = self._leaves(parent)
        return next((leaf for leaf in leaves if leaf.data(UsableRole)), leaves[0] if leaves else None)

    def _leaves(self, parent: QModelIndex) -> list[QModelIndex]:
        out: list[QModelIndex] = []
        for row in range(self.proxy.rowCount(parent)):
            index = self.proxy.index(row, 0, parent)
            out.extend([index] if index.data(ModelIdRole) else self._leaves(index))
        return out

    def _update_ok(self, *_: object) -> None:
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(self.selected_model() is not None)

    def _pick_index(self, index: QModelIndex) -> None:
        if index.siblingAtColumn(0).data(ModelIdRole):
            self.accept()

    def accept(self) -> None:
        if self.selected_model() is not None:
            super().accept()

    def _open_settings(self, _link: str) -> None:
        # Leave the picker (nothing added) and go to the setting.
        self.reject()
        self._document.request_open_settings(self._hint_field)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # From the filter box: Down/Up move into the list (the first match is already
        # current), Enter picks the current model. The tree handles keys from then on.
        if watched is self.filter_edit and isinstance(event, QKeyEvent) and event.type() == QEvent.Type.KeyPress:
            if event.key() in (Qt.Key.Key_Down, Qt.Key.Key_Up):
                if not self.tree.currentIndex().isValid():
                    self._select_first()
                self.tree.setFocus()
                return True
            if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self.accept()
                return True
        return super().eventFilter(watched, event)


def _plain(text: str) -> QStandardItem:
    item = QStandardItem(text)
    item.setEditable(False)
    return item
