"""The preferred-model priority list editor used everywhere a model list is chosen
(agent editor, Settings → Default agent model, squad configurator).

It edits a plain list of model ids and tells its owner through ``models_edited``; the
owner turns the list into an Edit. Reordering has three equivalent ways in — drag and
drop, Ctrl+Up/Ctrl+Down, and the Move buttons — and all of them call ``moveRows``.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QSize, Qt, Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QLabel,
    QListView,
    QPushButton,
    QSizePolicy,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from modeldesk.core.schema import Model

from ..document import Document
from ..models.model_list_model import ModelIdRole, ModelListModel, position_label
from .actions import widget_action
from .settings_hint import settings_hint
from .when_shown import follow_when_shown


class PositionDelegate(QStyledItemDelegate):
    """Shows each row's place in the list — "Primary" in bold, then "Fallback 1", … —
    computed from the row at paint time, so moves relabel every row for free."""

    def initStyleOption(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> None:
        super().initStyleOption(option, index)
        option.text = f"{position_label(index.row())}:  {option.text}"
        if index.row() == 0:
            option.font.setBold(True)

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:
        # A little air between rows makes them easier to grab and drag.
        size = super().sizeHint(option, index)
        return QSize(size.width(), size.height() + 8)


class ModelListEditor(QWidget):
    models_edited = Signal(list)

    def __init__(
        self,
        document: Document,
        parent: QWidget | None = None,
        *,
        hint_field: str = "default_agent_model",
        show_hint: bool = True,
    ) -> None:
        super().__init__(parent)
        self._document = document
        self._hint_field = hint_field
        self._inherited: str | None = None
        self._registry: tuple[int, dict[str, Model]] = (-1, {})  # (document version, models by id)

        self.model = ModelListModel(self._describe, self)
        self.view = QListView(self)
        self.view.setObjectName("model_list")
        self.view.setAccessibleName("Preferred models, primary first")
        self.view.setModel(self.model)
        self.view.setItemDelegate(PositionDelegate(self.view))
        self.view.setSpacing(1)
        # Long rows are elided, not scrolled: the tooltip has the whole text.
        self.view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.view.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.view.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.view.setDragEnabled(True)
        self.view.setAcceptDrops(True)
        self.view.setDropIndicatorShown(True)
        self.view.setMinimumHeight(96)
        self.view.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

        self.add_button = QPushButton("Add…", self)
        self.remove_button = QPushButton("Remove", self)
        self.up_button = QPushButton("Move up", self)
        self.down_button = QPushButton("Move down", self)
        self.up_button.setToolTip("Move the selected model up (Ctrl+Up)")
        self.down_button.setToolTip("Move the selected model down (Ctrl+Down)")
        self.remove_button.setToolTip("Remove the selected model (Delete)")

        # The same actions back the keyboard shortcuts and the context menu.
        ctrl_up = QKeySequence(Qt.Modifier.CTRL | Qt.Key.Key_Up)
        ctrl_down = QKeySequence(Qt.Modifier.CTRL | Qt.Key.Key_Down)
        self.up_action = widget_action(self.view, "Move up", ctrl_up, lambda: self._move(-1))
        self.down_action = widget_action(self.view, "Move down", ctrl_down, lambda: self._move(1))
        self.remove_action = widget_action(
            self.view, "Remove", QKeySequence(QKeySequence.StandardKey.Delete), self._remove
        )
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)

        self.inherited_label = QLabel(self)
        self.inherited_label.setObjectName("inherited_label")
        self.inherited_label.setWordWrap(True)
        self.inherited_label.setStyleSheet("font-style: italic;")
        self.message_label = QLabel(self)
        self.message_label.setObjectName("message_label")
        self.message_label.setWordWrap(True)
        self.message_label.setVisible(False)
        self.hint_label = settings_hint(self)
        self.hint_label.setVisible(show_hint)

        buttons = QVBoxLayout()
        for button in (self.add_button, self.remove_button, self.up_button, self.down_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        row = QHBoxLayout()
        row.addWidget(self.view, 1)
        row.addLayout(buttons)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row, 1)
        layout.addWidget(self.inherited_label)
        layout.addWidget(self.message_label)
        layout.addWidget(self.hint_label)

        self.add_button.clicked.connect(self._add)
        self.remove_button.clicked.connect(self._remove)
        self.up_button.clicked.connect(lambda: self._move(-1))
        self.down_button.clicked.connect(lambda: self._move(1))
        self.hint_label.linkActivated.connect(lambda _link: document.request_open_settings(self._hint_field))
        # Any row change made by the user (drag, keys, buttons) is an edit.
        self.model.rowsMoved.connect(self._emit_edited)
        self.model.rowsInserted.connect(self._emit_edited)
        self.model.rowsRemoved.connect(self._emit_edited)
        self.view.selectionModel().currentChanged.connect(self._update_buttons)
        self.model.modelReset.connect(self._update_buttons)
        self.model.rowsMoved.connect(self._update_buttons)
        self.model.rowsRemoved.connect(self._update_buttons)
        # Labels and problem flags come from the registry and its providers.
        follow_when_shown(self, document, ("models", "providers"), self.model.refresh)
        self._update_buttons()

    # --- API --------------------------------------------------------------------------

    def set_models(self, models: list[str]) -> None:
        """Show ``models`` (no signal). A list equal to the shown one is left alone, so
        the echo of the user's own edit keeps the selection where it is."""
        self.message_label.setVisible(False)
        if list(models) != self.model.items():
            current = self.view.currentIndex().data(ModelIdRole)
            self.model.set_items(models)
            if current in models:
                self.view.setCurrentIndex(self.model.index(models.index(current)))
        self._update_buttons()

    def models(self) -> list[str]:
        return self.model.items()

    def set_inherited(self, text: str | None) -> None:
        self._inherited = text
        self._update_buttons()

    def select_row(self, row: int) -> None:
        self.view.setCurrentIndex(self.model.index(row))

    def show_message(self, text: str) -> None:
        self.message_label.setText(text)
        self.message_label.setVisible(bool(text))

    # --- actions ----------------------------------------------------------------------

    def _current_row(self) -> int:
        index = self.view.currentIndex()
        return index.row() if index.isValid() else -1

    def _move(self, delta: int) -> None:
        row = self._current_row()
        if row >= 0 and self.model.move(row, delta):
            # beginMoveRows keeps the moved row current; make sure it stays visible.
            self.view.scrollTo(self.view.currentIndex())

    def _remove(self) -> None:
        row = self._current_row()
        if row < 0:
            return
        self.model.removeRow(row)
        if self.model.rowCount():
            self.select_row(min(row, self.model.rowCount() - 1))

    def _add(self) -> None:
        from .model_picker import ModelPickerDialog

        dialog = ModelPickerDialog(
            self._document,
            self,
            listed=self.model.items(),
            hint_field=self._hint_field if self.hint_label.isVisibleTo(self) else None,
        )
        try:
            if dialog.exec() != QDialog.DialogCode.Accepted:
                return
            model_id = dialog.selected_model()
        finally:
            dialog.deleteLater()
        if model_id:
            self.add_model(model_id)

    def add_model(self, model_id: str) -> bool:
        """Append ``model_id`` unless it is already listed (then say so and refuse)."""
        if model_id in self.model.items():
            self.show_message(f"“{model_id}” is already in the list; each model can appear only once.")
            return False
        self.show_message("")
        self.model.append(model_id)
        self.select_row(self.model.rowCount() - 1)
        return True

    # --- internals --------------------------------------------------------------------

    def _describe(self, model_id: str) -> tuple[str, str | None]:
        resolver = self._document.resolver
        if self._registry[0] != self._document.version:
            self._registry = (self._document.version, resolver.models)
        model = self._registry[1].get(model_id)
        label = model_id if model is None or model.display_name == model_id else f"{model.display_name} ({model_id})"
        return label, resolver.model_problem(model_id)

    def _emit_edited(self, *_: object) -> None:
        self.models_edited.emit(self.model.items())

    def _update_buttons(self, *_: object) -> None:
        row = self._current_row()
        count = self.model.rowCount()
        enabled = {self.remove_button: row >= 0, self.up_button: row > 0, self.down_button: 0 <= row < count - 1}
        for button, on in enabled.items():
            if not on and button.hasFocus():
                # A button that disables itself (Move up at the top) would push the focus
                # on to some other widget; keep it on the list, where the keys go on working.
                self.view.setFocus(Qt.FocusReason.OtherFocusReason)
            button.setEnabled(on)
        self.inherited_label.setText(self._inherited or "")
        self.inherited_label.setVisible(count == 0 and bool(self._inherited))
