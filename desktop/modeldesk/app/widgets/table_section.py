"""A table of config items with Add…/Edit…/Remove buttons beside it — the shape shared by
the Settings sections (providers, model registry, task rules) — and the two ways the app
tells the user an edit was refused (a message box, or an inline error line)."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any, cast

from PySide6.QtCore import QModelIndex
from PySide6.QtWidgets import QHBoxLayout, QLabel, QMessageBox, QPushButton, QVBoxLayout, QWidget

from modeldesk.core.edits import Edit
from modeldesk.core.errors import EditError

from ..document import Document
from ..models.rows import RowsTableModel
from .tables import ExactRepaintTable, setup_compact_table
from .when_shown import EVERY_COLLECTION, follow_when_shown


def perform_or_warn(parent: QWidget, document: Document, edit: Edit, title: str) -> bool:
    """Perform ``edit``; if it does not fit, say why in a message box. True if applied."""
    try:
        document.perform(edit)
    except EditError as exc:
        QMessageBox.warning(parent, title, exc.message)
        return False
    return True


def perform_or_show(document: Document, edit: Edit, label: QLabel) -> bool:
    """Perform ``edit``; if it does not fit, say why in ``label`` (an inline error line,
    hidden again after a good edit). On False the caller puts its form back."""
    try:
        document.perform(edit)
    except EditError as exc:
        label.setText(exc.message)
        label.setVisible(True)
        return False
    label.setVisible(False)
    return True


class TableSection(QWidget):
    """Subclasses give the model, ``rows()`` from the document, and the three actions;
    the table, its buttons, selection keeping and button states live here."""

    error_title = "Cannot change the config"
    # What the rows show: edits of other collections leave the table alone.
    follows: tuple[str, ...] = EVERY_COLLECTION

    def __init__(
        self,
        document: Document,
        model: RowsTableModel[Any],
        parent: QWidget | None = None,
        *,
        name: str,
        min_rows: int = 2,
        extra_buttons: Sequence[tuple[str, str]] = (),
    ) -> None:
        super().__init__(parent)
        self._document = document
        self.model = model
        self.table = ExactRepaintTable(self)
        self.table.setObjectName(name)
        self.table.setModel(model)
        setup_compact_table(self.table, min_rows=min_rows)
        self.add_button = QPushButton("Add…", self)
        self.edit_button = QPushButton("Edit…", self)
        self.remove_button = QPushButton("Remove", self)
        self.extra_buttons: dict[str, QPushButton] = {}
        buttons = QVBoxLayout()
        for button in (self.add_button, self.edit_button, self.remove_button):
            buttons.addWidget(button)
        for key, text in extra_buttons:
            self.extra_buttons[key] = QPushButton(text, self)
            buttons.addWidget(self.extra_buttons[key])
        buttons.addStretch(1)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)

        self.add_button.clicked.connect(self.add_item)
        self.edit_button.clicked.connect(self.edit_item)
        self.remove_button.clicked.connect(self.remove_item)
        self.table.doubleClicked.connect(self._double_clicked)
        self.table.selectionModel().selectionChanged.connect(self.update_buttons)
        self.model.modelReset.connect(self.update_buttons)
        follow_when_shown(self, document, self.follows, self.refresh)

    # --- for subclasses ---------------------------------------------------------------

    def rows(self) -> list[Any]:
        raise NotImplementedError

    def key(self, row: Any) -> Hashable:
        return cast(Hashable, row.id)

    def add_item(self) -> None:
        raise NotImplementedError

    def edit_item(self) -> None:
        raise NotImplementedError

    def remove_item(self) -> None:
        raise NotImplementedError

    def update_buttons(self, *_: object) -> None:
        selected = self.current() is not None
        self.edit_button.setEnabled(selected)
        self.remove_button.setEnabled(selected)

    # --- shared -----------------------------------------------------------------------

    def refresh(self) -> None:
        """Show the document's rows, keeping the selected item selected."""
        selected = self.current()
        self.model.set_rows(self.rows())
        if selected is not None:
            self.select(self.key(selected))

    def current(self) -> Any | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.row_value(rows[0].row()) if rows else None

    def select(self, key: Hashable) -> None:
        for row, value in enumerate(self.model.rows()):
            if self.key(value) == key:
                self.table.selectRow(row)
                return

    def perform(self, edit: Edit) -> bool:
        return perform_or_warn(self, self._document, edit, self.error_title)

    def _double_clicked(self, index: QModelIndex) -> None:
        self.edit_item()
