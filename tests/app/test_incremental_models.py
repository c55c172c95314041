"""Edits reach the agents table as row changes, never as a reset; pickers rebuild only
when used. A reload from disk is the one thing that resets."""

from __future__ import annotations

from typing import Any

from modeldesk.app.document import Document
from modeldesk.app.models.agents_model import NAME, AgentsTableModel
from modeldesk.app.views.model_combo import ModelCombo
from modeldesk.core.edits import Batch, PutItem, RemoveAgent, SetSetting, UpdateItem
from modeldesk.core.schema import Agent, Model


class Recorder:
    def __init__(self, model: AgentsTableModel) -> None:
        self.events: list[tuple[str, int, int]] = []
        model.modelReset.connect(lambda: self.events.append(("reset", -1, -1)))
        model.rowsInserted.connect(lambda _p, first, last: self.events.append(("inserted", first, last)))
        model.rowsRemoved.connect(lambda _p, first, last: self.events.append(("removed", first, last)))
        model.rowsMoved.connect(lambda *args: self.events.append(("moved", args[1], args[4])))
        model.dataChanged.connect(lambda tl, br, _r=(): self.events.append(("changed", tl.row(), br.row())))

    def take(self) -> list[tuple[str, int, int]]:
        events, self.events = self.events, []
        return events


def test_edits_become_row_signals_and_only_a_reload_resets(qtbot: Any, qtmodeltester: Any, document: Document) -> None:
    model = AgentsTableModel(document)
    qtmodeltester.check(model)
    seen = Recorder(model)
    row = model.row_of("analyst")

    document.perform(UpdateItem("agents", "analyst", {"name": "Chief analyst"}))
    assert seen.take() == [("changed", row, row)]
    assert model.index(row, NAME).data() == "Chief analyst"

    count = model.rowCount()
    document.perform(PutItem("agents", Agent(id="late", name="Late")))
    assert seen.take() == [("inserted", count, count)]
    assert model.agent_at(count).id == "late"

    document.perform(RemoveAgent("helper"))
    helper_row = [e for e in seen.take() if e[0] == "removed"]
    assert len(helper_row) == 1 and model.row_of("helper") == -1

    # The registry or the settings can change any agent's effective model: one repaint
    # signal over every row, no reset.
    document.perform(SetSetting(("default_agent_model",), "o3-mini"))
    assert seen.take() == [("changed", 0, model.rowCount() - 1)]
    document.perform(PutItem("models", Model(id="new-model", provider="openai", name="n")))
    assert seen.take() == [("changed", 0, model.rowCount() - 1)]

    document.undo_stack.undo()
    document.undo_stack.undo()
    document.undo_stack.undo()  # the removed agent comes back in its place
    assert ("inserted", row_of_helper := model.row_of("helper"), row_of_helper) in seen.take()
    assert [model.agent_at(r).id for r in range(model.rowCount())] == [a.id for a in document.config.agents]
    qtmodeltester.check(model)

    document.reload()
    assert seen.take()[0] == ("reset", -1, -1)


def test_a_batch_of_many_new_agents_resets_once(qtbot: Any, document: Document) -> None:
    model = AgentsTableModel(document)
    seen = Recorder(model)
    document.perform(Batch(tuple(PutItem("agents", Agent(id=f"bulk{i}", name=f"Bulk {i}")) for i in range(300))))
    assert seen.take() == [("reset", -1, -1)]
    assert model.rowCount() == len(document.config.agents)


def test_a_sorted_table_moves_an_edited_row_to_where_it_sorts(qtbot: Any, document: Document) -> None:
    model = AgentsTableModel(document)
    model.sort(NAME)
    seen = Recorder(model)
    document.perform(UpdateItem("agents", "analyst", {"name": "zz last"}))
    events = seen.take()
    assert events[0][0] == "moved"
    assert model.agent_at(model.rowCount() - 1).id == "analyst"
    names = [model.index(r, NAME).data().casefold() for r in range(model.rowCount())]
    assert names == sorted(names)


def test_model_pickers_rebuild_only_when_used(qtbot: Any, document: Document) -> None:
    combo = ModelCombo(document)
    qtbot.addWidget(combo)
    assert combo.stale  # nothing built until it is used
    combo.set_model_id("gpt-4o")
    assert combo.model_id() == "gpt-4o"
    assert combo.findData("gpt-4o") >= 0  # asking for an item builds the list
    assert not combo.stale
    document.perform(PutItem("models", Model(id="brand-new", provider="openai", name="b")))
    assert combo.stale and combo.model_id() == "gpt-4o"  # marked, not rebuilt
    combo.showPopup()
    assert not combo.stale and combo.findData("brand-new") >= 0
    combo.hidePopup()


def test_a_bulk_edit_of_many_agents_is_one_signal_and_keeps_the_selection(
    qtbot: Any, qtmodeltester: Any, document: Document
) -> None:
    from PySide6.QtCore import QPersistentModelIndex, Qt

    from modeldesk.core.bulk import SetAgentLists

    extra = [Agent(id=f"bulk-{n:03}", name=f"Bulk {n:03}") for n in range(300)]
    document.perform(Batch(tuple(PutItem("agents", agent) for agent in extra), label="add"))
    model = AgentsTableModel(document)
    model.sort(NAME, Qt.SortOrder.AscendingOrder)
    held = QPersistentModelIndex(model.index(model.row_of("bulk-007"), NAME))
    seen = Recorder(model)
    layouts: list[str] = []
    model.layoutChanged.connect(lambda *_: layouts.append("layout"))

    # Renaming 300 agents in one step (names reversed, so the sort order changes).
    renamed = tuple((a.id, None, f"Bulk {299 - int(a.id[5:]):03}") for a in extra)
    document.perform(
        Batch(tuple(UpdateItem("agents", agent_id, {"name": name}) for agent_id, _, name in renamed), label="rename")
    )
    events = seen.take()
    assert ("reset", -1, -1) not in events
    assert len([e for e in events if e[0] == "changed"]) == 1  # one span, not 300 signals
    assert layouts == ["layout"]
    assert held.isValid() and model.agent_at(held.row()).id == "bulk-007"  # the selection follows its agent
    names = [model.index(r, NAME).data() for r in range(model.rowCount())]
    assert names == sorted(names, key=str.casefold)
    qtmodeltester.check(model)

    # The bulk planner's edit reports its agents the same way.
    lists = tuple((a.id, None, ["gpt-4o"]) for a in extra)
    document.perform(SetAgentLists(lists))
    assert len([e for e in seen.take() if e[0] == "changed"]) == 1
