"""The box both the Squads and the Projects page start with: a table of named items, Rename
and Remove/Delete buttons under it (Delete also on the table's keyboard and context menu),
and a "New … name" field with an Add button, so the two pages look and work alike."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QAbstractItemModel, Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from .actions import widget_action
from .tables import make_table


@dataclass(frozen=True)
class NamedItemsBox:
    box: QGroupBox
    view: QTableView
    name_edit: QLineEdit
    add_button: QPushButton
    rename_button: QPushButton
    remove_button: QPushButton


def named_items_box(
    parent: QWidget,
    *,
    noun: str,
    model: QAbstractItemModel,
    stretch: tuple[int, ...],
    remove_label: str,
    remove_tip: str,
    on_add: Callable[[], object],
    on_rename: Callable[[], object],
    on_remove: Callable[[], object],
    one_line: bool = False,
) -> NamedItemsBox:
    """Build the box for ``noun`` ("squad", "project"): the table (edited in place with F2
    or a double click; ``one_line`` as in :func:`make_table`) and its buttons, wired to the
    three callbacks."""
    plural = noun.capitalize() + "s"
    box = QGroupBox(plural, parent)
    view = make_table(model, f"{noun}s_view", plural, parent, stretch=stretch, one_line=one_line)
    view.setEditTriggers(QAbstractItemView.EditTrigger.EditKeyPressed | QAbstractItemView.EditTrigger.DoubleClicked)
    name_edit = QLineEdit(parent)
    name_edit.setObjectName(f"new_{noun}_edit")
    name_edit.setPlaceholderText(f"New {noun} name")
    name_edit.setAccessibleName(f"New {noun} name")
    add_button = QPushButton(f"A&dd {noun}", parent)
    rename_button = QPushButton("Re&name", parent)
    rename_button.setToolTip(f"Rename the selected {noun} (F2)")
    remove_button = QPushButton(remove_label, parent)
    remove_button.setToolTip(remove_tip)
    widget_action(view, remove_label.replace("&", ""), QKeySequence(QKeySequence.StandardKey.Delete), on_remove)
    view.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)

    add_row = QHBoxLayout()
    add_row.addWidget(name_edit, 1)
    add_row.addWidget(add_button)
    buttons = QHBoxLayout()
    buttons.addWidget(rename_button)
    buttons.addWidget(remove_button)
    buttons.addStretch(1)
    layout = QVBoxLayout(box)
    layout.addWidget(view, 1)
    layout.addLayout(buttons)
    layout.addLayout(add_row)

    name_edit.returnPressed.connect(on_add)
    add_button.clicked.connect(on_add)
    rename_button.clicked.connect(on_rename)
    remove_button.clicked.connect(on_remove)
    return NamedItemsBox(box, view, name_edit, add_button, rename_button, remove_button)
