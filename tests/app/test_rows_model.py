"""The shared table-model base says a changed list as row-level changes: removed and
inserted runs of rows, cells updated in place; only reordered rows reset the model."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtTest import QSignalSpy

from modeldesk.app.document import Document
from modeldesk.app.models.rows import RowsTableModel
from modeldesk.app.views.squads_page import SquadsPage
from modeldesk.core.edits import AddItem, RemoveItem
from modeldesk.core.schema import Squad
from tests.app.helpers import show_active


class Words(RowsTableModel[str]):
    COLUMNS = ("Word",)

    def cell(self, row: str, column: int, role: int) -> Any:
        return row if role == Qt.ItemDataRole.DisplayRole else None


def spies(model: Words) -> dict[str, QSignalSpy]:
    return {
        name: QSignalSpy(getattr(model, name)) for name in ("rowsInserted", "rowsRemoved", "modelReset", "dataChanged")
    }


def test_removed_and_inserted_rows_are_said_row_by_row(qtmodeltester: Any) -> None:
    model = Words()
    model.set_rows(["a", "b", "c", "d", "e"])
    qtmodeltester.check(model, force_py=True)
    seen = spies(model)
    model.update_rows(["a", "x", "y", "c", "e", "z"])  # b and d go; x, y and z come
    assert seen["modelReset"].count() == 0
    assert [(args[1], args[2]) for args in (seen["rowsRemoved"].at(i) for i in range(2))] == [(3, 3), (1, 1)]
    assert [(args[1], args[2]) for args in (seen["rowsInserted"].at(i) for i in range(2))] == [(1, 2), (5, 5)]
    assert model.rows() == ["a", "x", "y", "c", "e", "z"]
    qtmodeltester.check(model, force_py=True)


def test_reordered_rows_reset_the_model() -> None:
    model = Words()
    model.set_rows(["a", "b", "c"])
    seen = spies(model)
    model.update_rows(["c", "a", "b"])
    assert seen["modelReset"].count() == 1 and seen["rowsRemoved"].count() == 0
    assert model.rows() == ["c", "a", "b"]


def test_squads_table_keeps_its_selection_when_another_squad_comes_and_goes(qtbot: Any, document: Document) -> None:
    page = show_active(qtbot, SquadsPage(document), (1100, 760))
    page.select_squad("support-desk")
    resets = QSignalSpy(page.squads_model.modelReset)
    inserted = QSignalSpy(page.squads_model.rowsInserted)
    document.perform(AddItem("squads", Squad(id="a-team", name="A team")))
    document.perform(RemoveItem("squads", "research-team"))
    assert resets.count() == 0 and inserted.count() == 1
    current = page.current_squad()
    assert current is not None and current.id == "support-desk"
