"""What the Squads and Projects pages share: named items listed on the left (added by
name, renamed in place, removed), the selected one edited on the right, one message line
that says why an action did not happen, selections moved by the page itself, and the tab
order through a priority-list editor."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from itertools import pairwise
from typing import Any, Literal

from PySide6.QtCore import QItemSelectionModel, QModelIndex, Qt
from PySide6.QtWidgets import QLabel, QLineEdit, QSplitter, QTableView, QVBoxLayout, QWidget

from modeldesk.core.edits import AddItem, Change, Collection, Edit
from modeldesk.core.errors import ModelDeskError
from modeldesk.core.schema import Config, Project, Squad

from ..document import Document
from ..models.named_items_model import NamedItemsModel
from ..widgets.model_list_editor import ModelListEditor
from ..widgets.style import set_text_colour


class NamedItemsPage(QWidget):
    """The base of a page over one collection of named items (``squads``, ``projects``)."""

    document: Document
    message_label: QLabel
    # True while the page itself moves a selection, to show the result once after.
    _selecting = False

    @contextmanager
    def _selecting_here(self) -> Iterator[None]:
        """Selections moved inside are shown once by the caller, not by each signal (at
        10,000 agents showing a squad twice made the page's first open twice as slow)."""
        outer, self._selecting = self._selecting, True
        try:
            yield
        finally:
            self._selecting = outer

    def _lay_out(self, items: QWidget, editor: QWidget, editor_stretch: int) -> None:
        """The items (left) beside the selected one's editor (right, ``editor_stretch``
        to the items' 2), over the message line."""
        self.message_label = QLabel(self)
        self.message_label.setObjectName("message_label")
        self.message_label.setWordWrap(True)
        set_text_colour(self.message_label, "problem")
        # Its line stays reserved while hidden: a message appearing must not shift the
        # page (buttons under the pointer, a just-added row out of view).
        policy = self.message_label.sizePolicy()
        policy.setRetainSizeWhenHidden(True)
        self.message_label.setSizePolicy(policy)
        self.message_label.setVisible(False)
        split = QSplitter(Qt.Orientation.Horizontal, self)
        split.addWidget(items)
        split.addWidget(editor)
        split.setStretchFactor(0, 2)
        split.setStretchFactor(1, editor_stretch)
        split.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.addWidget(split, 1)
        layout.addWidget(self.message_label)

    def _refresh_items(
        self,
        model: NamedItemsModel[Any],
        view: QTableView,
        change: Change | None,
        shown: str | None,
        select: Callable[[str], None],
    ) -> None:
        """Re-read the items (those ``change`` names; all without one) keeping ``shown``
        selected, or the first item if it is gone; the caller shows the selected one once."""
        with self._selecting_here():
            model.refresh(change)
            row = model.row_of(shown) if shown else -1
            if row >= 0:
                if view.currentIndex().row() != row:
                    select(str(shown))
            elif model.rowCount():
                select(model.named(model.row_value(0)).id)

    @staticmethod
    def _tab_through(chain: Sequence[QWidget]) -> None:
        """Tab follows ``chain``, the screen's order."""
        for first, second in pairwise(chain):
            QWidget.setTabOrder(first, second)

    @staticmethod
    def _editor_chain(editor: ModelListEditor) -> list[QWidget]:
        """A priority-list editor's stops, in the order Tab takes them."""
        return [
            editor.view,
            editor.add_button,
            editor.remove_button,
            editor.up_button,
            editor.down_button,
            editor.hint_label,
        ]

    @staticmethod
    def _select(view: QTableView, row: int) -> None:
        """Make ``row`` of ``view`` current and selected (none: ``row`` < 0)."""
        if row < 0:
            view.setCurrentIndex(QModelIndex())
            return
        view.selectionModel().setCurrentIndex(
            view.model().index(row, 0),
            QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows,
        )

    def _perform_list(self, edit: Edit, editor: ModelListEditor, show_again: Callable[[], object]) -> None:
        """Perform the edit made in a priority-list editor; a refused one (a duplicate, a
        blank) is said in the editor, which shows the list as it really is again."""
        try:
            self.document.perform(edit)
        except ModelDeskError as exc:
            editor.show_message(exc.message)
            show_again()

    def show_message(self, text: str) -> None:
        self.message_label.setText(text)
        self.message_label.setVisible(bool(text))

    def _perform(self, edit: Edit) -> bool:
        try:
            self.document.perform(edit)
        except ModelDeskError as exc:
            self.show_message(exc.message)
            return False
        self.show_message("")
        return True

    def _add_named(
        self,
        what: Literal["squad", "project"],
        name_edit: QLineEdit,
        make: Callable[[str, Config], Squad | Project],
        select: Callable[[str], None],
    ) -> bool:
        """Add the item named in ``name_edit`` (``make``: the new item from the name) and
        select it; refuse a blank name or one another item of the kind already has."""
        name = name_edit.text().strip()
        if not name:
            self.show_message(f"Type a name for the new {what} first.")
            name_edit.setFocus()
            return False
        items: list[Squad] | list[Project] = (
            self.document.config.squads if what == "squad" else self.document.config.projects
        )
        same = next((item for item in items if item.name.casefold() == name.casefold()), None)
        if same is not None:
            # Two items of one name cannot be told apart in lists and pickers.
            self.show_message(f"There is already a {what} “{same.name}”: give the new one another name.")
            select(same.id)
            name_edit.setFocus()
            name_edit.selectAll()
            return False
        item = make(name, self.document.config)
        collection: Collection = "squads" if what == "squad" else "projects"
        if not self._perform(AddItem(collection, item, label=f"Add {what} {name}")):
            return False
        name_edit.clear()
        select(item.id)
        return True

    @staticmethod
    def _rename_in_place(view: QTableView, name_column: int) -> None:
        index = view.currentIndex()
        if index.isValid():
            view.setFocus()
            view.edit(index.siblingAtColumn(name_column))
