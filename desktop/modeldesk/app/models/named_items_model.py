"""The table of squads or of projects: a named item per row whose Name cell renames it in
place (a name is required and must not be another item's of the kind)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from PySide6.QtCore import Qt, Signal

from modeldesk.core.edits import Change, Collection, UpdateItem
from modeldesk.core.errors import ModelDeskError
from modeldesk.core.schema import Project, Squad

from .rows import AnyIndex, RowsTableModel

if TYPE_CHECKING:
    from ..document import Document

Row = TypeVar("Row")


class NamedItemsModel(RowsTableModel[Row]):
    """Rows that each stand for a squad or a project (``named``), renamed in the NAME column."""

    COLLECTION: Collection
    NAME = 0
    # Why a rename was refused, for the page's message line.
    edit_failed = Signal(str)
    document: Document

    def named(self, row: Row) -> Squad | Project:
        raise NotImplementedError

    def refresh(self, change: Change | None = None) -> None:
        """Re-read the items ``change`` names (all without one)."""
        raise NotImplementedError

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        flags = super().flags(index)
        if index.isValid() and index.column() == self.NAME:
            flags |= Qt.ItemFlag.ItemIsEditable
        return flags

    def setData(self, index: AnyIndex, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.EditRole or not index.isValid() or index.column() != self.NAME:
            return False
        item = self.named(self._rows[index.row()])
        if not _rename(self.document, self.edit_failed.emit, self.COLLECTION, item.id, item.name, value):
            return False
        self.dataChanged.emit(index, index)
        return True


def _rename(
    document: Document, report: Callable[[str], object], collection: Collection, item_id: str, old_name: str, value: Any
) -> bool:
    """The rename typed into a name cell (Squads and Projects tables): a name is required,
    an unchanged name is no edit, and a refused edit is reported through ``report``."""
    noun = collection[:-1]
    name = str(value).strip()
    if not name:
        report(f"A {noun} needs a name.")
        return False
    if name == old_name:
        return True
    items = document.config.squads if collection == "squads" else document.config.projects
    taken = next((item for item in items if item.id != item_id and item.name.casefold() == name.casefold()), None)
    if taken is not None:
        # Two of one name cannot be told apart in lists and pickers.
        report(f"There is already a {noun} “{taken.name}”: choose another name.")
        return False
    try:
        document.perform(UpdateItem(collection, item_id, {"name": name}, label=f"Rename {noun} {old_name} to {name}"))
    except ModelDeskError as exc:
        report(exc.message)
        return False
    return True
