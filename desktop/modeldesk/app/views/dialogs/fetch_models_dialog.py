"""Choose which of a provider's models to import (Fetch models): a filter, a ticked list,
Select all / Select none over what the filter shows. Nothing is ticked at first when the
list is long, so a provider with hundreds of models does not flood the registry."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from modeldesk.core.schema import Model

# Up to this many new models are ticked at first; more are left for the user to pick.
TICK_ALL_UP_TO = 20


class FetchModelsDialog(QDialog):
    def __init__(self, provider_id: str, models: list[Model], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Import models from {provider_id}")
        self.setMinimumSize(520, 440)
        self._models = models
        intro = QLabel(f"{provider_id} lists {len(models)} model(s) that are not in the registry yet.", self)
        intro.setWordWrap(True)
        self.filter_edit = QLineEdit(self)
        self.filter_edit.setPlaceholderText("Filter by name…")
        self.filter_edit.setClearButtonEnabled(True)
        self.list = QListWidget(self)
        self.list.setObjectName("fetched_models")
        tick = Qt.CheckState.Checked if len(models) <= TICK_ALL_UP_TO else Qt.CheckState.Unchecked
        for model in models:
            text = model.id if model.name == model.id else f"{model.id}  ({model.name})"
            if model.label:
                text += f" — {model.label}"
            item = QListWidgetItem(text)  # plain text: names come from the provider
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(tick)
            self.list.addItem(item)
        self.select_all_button = QPushButton("Select &all", self)
        self.select_none_button = QPushButton("Select &none", self)
        self.count_label = QLabel(self)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.import_button = self.buttons.addButton("&Import", QDialogButtonBox.ButtonRole.AcceptRole)

        row = QHBoxLayout()
        row.addWidget(self.select_all_button)
        row.addWidget(self.select_none_button)
        row.addStretch(1)
        row.addWidget(self.count_label)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.filter_edit)
        layout.addWidget(self.list, 1)
        layout.addLayout(row)
        layout.addWidget(self.buttons)

        self.filter_edit.textChanged.connect(self._filter)
        self.select_all_button.clicked.connect(lambda: self._tick_visible(Qt.CheckState.Checked))
        self.select_none_button.clicked.connect(lambda: self._tick_visible(Qt.CheckState.Unchecked))
        self.list.itemChanged.connect(self._update_count)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self._update_count()
        self.filter_edit.setFocus()

    def selected(self) -> list[Model]:
        return [m for i, m in enumerate(self._models) if self.list.item(i).checkState() == Qt.CheckState.Checked]

    def _filter(self, text: str) -> None:
        words = text.lower().split()
        for index in range(self.list.count()):
            item = self.list.item(index)
            item.setHidden(not all(w in item.text().lower() for w in words))

    def _tick_visible(self, state: Qt.CheckState) -> None:
        # Only what the filter shows: "filter 'llama', Select all" imports just those.
        self.list.blockSignals(True)
        for index in range(self.list.count()):
            item = self.list.item(index)
            if not item.isHidden():
                item.setCheckState(state)
        self.list.blockSignals(False)
        self._update_count()

    def _update_count(self, *_: object) -> None:
        chosen = self.selected()
        hidden = sum(1 for i, m in enumerate(self._models) if self.list.item(i).isHidden() and m in chosen)
        # Ticked models the filter hides are imported too: say so.
        self.count_label.setText(f"{len(chosen)} selected" + (f" ({hidden} hidden by the filter)" if hidden else ""))
        count = len(chosen)
        self.import_button.setEnabled(count > 0)
