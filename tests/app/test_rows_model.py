"""The shared table-model base says a changed list as row-level changes: removed and
inserted runs of rows, cells updated in place; only reordered rows reset the model. An
edit's change record becomes signals for just the rows it names, with the selection and
the scroll position kept."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtTest import QSignalSpy

from modeldesk.app.document import Document
from modeldesk.app.models.rows import RowsTableModel
from modeldesk.app.views.projects_page import ProjectsPage
from modeldesk.app.views.squads_page import SquadsPage
from modeldesk.core.edits import AddItem, RemoveItem, SetAgentModels, UpdateItem
from modeldesk.core.item_edits import ChangeSquadMembers
from modeldesk.core.schema import Project, Squad
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


class Built(Words):
    """Counts the rows it was asked to build, to see which rows a change reads again."""

    def __init__(self) -> None:
        super().__init__()
        self.built: list[str] = []

    def make(self, key: object) -> str:
        self.built.append(str(key))
        return str(key)


def test_a_change_record_becomes_row_signals_for_just_its_rows(qtmodeltester: Any) -> None:
    model = Built()
    model.set_rows(["a", "b", "c", "d", "e"])
    seen = spies(model)
    model.change_rows(["a", "x", "c", "e", "y"], model.make, inserted=["x", "y"], removed=["b", "d"], updated=["c"])
    assert model.rows() == ["a", "x", "c", "e", "y"]
    assert sorted(model.built) == ["c", "x", "y"]  # the rows not named are not read again
    assert seen["modelReset"].count() == 0
    assert [(seen["rowsRemoved"].at(i)[1], seen["rowsRemoved"].at(i)[2]) for i in range(2)] == [(3, 3), (1, 1)]
    assert [(seen["rowsInserted"].at(i)[1], seen["rowsInserted"].at(i)[2]) for i in range(2)] == [(1, 1), (4, 4)]
    assert seen["dataChanged"].count() == 1
    top_left, bottom_right = seen["dataChanged"].at(0)[0], seen["dataChanged"].at(0)[1]
    assert (top_left.row(), bottom_right.row()) == (2, 2)
    qtmodeltester.check(model, force_py=True)


def test_a_row_said_inserted_that_is_shown_already_is_built_again_in_place() -> None:
    # A squad member shown as an unknown agent, then the agent is added: same row, new text.
    model = Built()
    model.set_rows(["a", "b", "c"])
    seen = spies(model)
    model.change_rows(["a", "b", "c"], model.make, inserted=["b"])
    assert model.built == ["b"] and seen["rowsInserted"].count() == 0
    assert seen["dataChanged"].count() == 1 and seen["dataChanged"].at(0)[0].row() == 1


def test_a_record_that_does_not_explain_the_list_falls_back_to_comparing_it() -> None:
    model = Built()
    model.set_rows(["a", "b", "c"])
    seen = spies(model)
    # "d" came too, but the record names only "x": every row is built and compared.
    model.change_rows(["a", "x", "b", "c", "d"], model.make, inserted=["x"])
    assert model.rows() == ["a", "x", "b", "c", "d"]
    assert seen["modelReset"].count() == 0 and seen["rowsInserted"].count() == 2
    assert sorted(model.built) == ["a", "b", "c", "d", "x", "x"]


def many_squads_document(tmp_path: Path) -> Document:
    from modeldesk.core.samples import sample_config
    from modeldesk.core.store import ConfigStore

    config = sample_config()
    config.squads += [Squad(id=f"squad-{i:03}", name=f"Squad {i:03}", agents=["triage"]) for i in range(300)]
    store = ConfigStore(tmp_path / "many" / "config.json")
    store.save(config)
    return Document(store)


def test_squads_table_follows_edits_row_by_row_keeping_selection_and_scroll(qtbot: Any, tmp_path: Path) -> None:
    document = many_squads_document(tmp_path)
    try:
        page = show_active(qtbot, SquadsPage(document), (1100, 500))
        view, model = page.squads_view, page.squads_model
        page.select_squad("squad-150")
        view.scrollTo(model.index(model.row_of("squad-150"), 0))
        scrolled = view.verticalScrollBar().value()
        assert scrolled > 0
        seen = spies(model)  # type: ignore[arg-type]

        document.perform(UpdateItem("squads", "squad-200", {"name": "Renamed"}))
        assert seen["dataChanged"].count() == 1  # that row only, not all 302
        changed = seen["dataChanged"].at(0)
        assert changed[0].row() == changed[1].row() == model.row_of("squad-200")
        document.perform(AddItem("squads", Squad(id="zeta", name="Zeta")))
        assert seen["rowsInserted"].count() == 1 and seen["rowsInserted"].at(0)[1] == model.row_of("zeta") == 302
        document.perform(RemoveItem("squads", "squad-010"))  # a row above the selection
        assert seen["modelReset"].count() == 0
        assert seen["rowsRemoved"].count() == 1 and seen["rowsRemoved"].at(0)[1] == 12  # after the sample's two
        current = page.current_squad()
        assert current is not None and current.id == "squad-150"
        assert view.selectionModel().isRowSelected(model.row_of("squad-150"))
        # One row fewer above: the view keeps showing the same rows (one row's height off).
        assert abs(view.verticalScrollBar().value() - scrolled) <= 1
        assert view.rowAt(view.viewport().height() // 2) >= 0
        # A reload has no record: compared by id, still no reset.
        document.reloaded.emit()
        assert seen["modelReset"].count() == 0
    finally:
        document.shutdown()
        document.undo_stack.clear()


def test_members_table_updates_only_the_edited_members_row(qtbot: Any, document: Document) -> None:
    page = show_active(qtbot, SquadsPage(document), (1100, 760))
    page.select_squad("research-team")
    page.select_member("fact-checker")
    model = page.members_model
    seen = spies(model)  # type: ignore[arg-type]
    document.perform(SetAgentModels("researcher", ("gpt-4o",)))
    assert seen["modelReset"].count() == 0 and seen["rowsRemoved"].count() == 0
    assert [(seen["dataChanged"].at(i)[0].row(), seen["dataChanged"].at(i)[1].row()) for i in range(1)] == [(1, 1)]
    assert seen["dataChanged"].count() == 1
    assert model.row_value(1).preferred == ("gpt-4o",)
    assert page.current_member() == "fact-checker"
    document.perform(SetAgentModels("triage", ("gpt-4o",)))  # not a member here
    assert seen["dataChanged"].count() == 1
    document.perform(ChangeSquadMembers("research-team", add=("note-taker",)))
    assert seen["rowsInserted"].count() == 1 and seen["modelReset"].count() == 0
    assert page.current_member() == "fact-checker"


def test_projects_tables_follow_an_agent_moving_between_projects(qtbot: Any, document: Document) -> None:
    page = show_active(qtbot, ProjectsPage(document), (1100, 760))
    page.select_project("research")
    projects, agents = spies(page.projects_model), spies(page.agents_model)  # type: ignore[arg-type]
    page.agents_view.selectRow(page.agents_model.row_of("fact-checker"))
    document.perform(UpdateItem("agents", "triage", {"project": "research"}))
    assert agents["modelReset"].count() == 0 and agents["rowsInserted"].count() == 1
    assert page.agents_model.row_value(agents["rowsInserted"].at(0)[1]).id == "triage"
    assert page.agents_view.currentIndex().row() == page.agents_model.row_of("fact-checker")
    # Both projects' counts change, and only their rows are said to.
    assert projects["modelReset"].count() == 0
    said = projects["dataChanged"]
    rows = {r for i in range(said.count()) for r in range(said.at(i)[0].row(), said.at(i)[1].row() + 1)}
    assert rows == {page.projects_model.row_of(p) for p in ("support", "research")}
    members = {p: page.projects_model.row_value(page.projects_model.row_of(p)).members for p in ("support", "research")}
    assert members == {"support": 2, "research": 4}
    # A project with no part in the move is not said to change (the sample has two).
    document.perform(AddItem("projects", Project(id="web", name="Web")))
    said_before = said.count()
    document.perform(UpdateItem("agents", "helper", {"project": "research"}))
    rows = {r for i in range(said_before, said.count()) for r in range(said.at(i)[0].row(), said.at(i)[1].row() + 1)}
    assert rows == {page.projects_model.row_of("research")}
    document.undo_stack.undo()
    document.undo_stack.undo()
    document.undo_stack.undo()  # triage goes back to support: its row leaves, as helper's did
    assert agents["rowsRemoved"].count() == 2 and agents["modelReset"].count() == 0
    assert [a.id for a in page.agents_model.rows()] == ["analyst", "researcher", "fact-checker"]


def test_edits_made_while_hidden_are_caught_up_as_one_record() -> None:
    from modeldesk.app.widgets.when_shown import merged
    from modeldesk.core.edits import Change

    first, then = Change(), Change()
    first.note("squads", "a", "inserted")
    first.note("squads", "b", "updated")
    then.note("squads", "a", "removed")
    then.note("squads", "c", "removed")
    then.note_setting("fallback.retries")
    both = merged(first, then)
    assert both is not None
    assert (both.inserted, both.removed, both.updated, both.settings) == (
        {},
        {"squads": ["c"]},
        {"squads": ["b"]},
        ["fallback.retries"],
    )
    assert merged(first, None) is None and merged(first, Change(whole=True)) is None


def test_a_hidden_squads_page_catches_up_row_by_row_when_shown(qtbot: Any, document: Document) -> None:
    from PySide6.QtWidgets import QLabel, QTabWidget

    tabs = show_active(qtbot, QTabWidget(), (1100, 760))
    page = SquadsPage(document)
    tabs.addTab(QLabel("front"), "Front")
    tabs.addTab(page, "Squads")
    tabs.setCurrentWidget(page)
    page.select_squad("support-desk")
    tabs.setCurrentIndex(0)
    seen = spies(page.squads_model)  # type: ignore[arg-type]
    document.perform(AddItem("squads", Squad(id="a-team", name="A team")))
    document.perform(UpdateItem("squads", "research-team", {"name": "Lab"}))
    document.perform(AddItem("squads", Squad(id="b-team", name="B team")))
    document.perform(RemoveItem("squads", "b-team"))  # came and went while hidden: never shown
    assert sum(spy.count() for spy in seen.values()) == 0  # hidden: nothing yet
    tabs.setCurrentWidget(page)
    assert seen["modelReset"].count() == 0 and seen["rowsRemoved"].count() == 0
    assert seen["rowsInserted"].count() == 1 and seen["rowsInserted"].at(0)[1] == 2
    assert seen["dataChanged"].count() == 1 and seen["dataChanged"].at(0)[0].row() == 0
    assert [s.name for s in page.squads_model.rows()] == ["Lab", "Support desk", "A team"]
    current = page.current_squad()
    assert current is not None and current.id == "support-desk"
