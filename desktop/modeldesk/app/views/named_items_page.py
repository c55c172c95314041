"""What the Squads and Projects pages share: named items listed on the left (added by
name, renamed in place, removed), the selected one edited on the right, and one message
line that says why an action did not happen."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Literal

from PySide6.QtWidgets import QLabel, QLineEdit, QTableView, QWidget

from modeldesk.core.edits import AddItem, Collection, Edit
from modeldesk.core.errors import ModelDeskError
from modeldesk.core.schema import Config, Project, Squad

from ..document import Document


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
