"""The Document: every edit is one undo step, saved at once, merged with changes other
processes make to the file; undo/redo restore exactly; a bad edit changes nothing."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from modeldesk.app.document import PAUSED, wait_for_saves
from modeldesk.core.edits import Batch, PutItem, SetAgentModels, SetSetting, UpdateItem
from modeldesk.core.errors import EditError
from modeldesk.core.samples import sample_config
from modeldesk.core.schema import Agent, Model, dump_config
from modeldesk.core.store import ConfigStore, config_text


def on_disk(path: Path) -> dict[str, Any]:
    wait_for_saves()  # saves run in a worker thread
    return json.loads(path.read_text())


def disk_agent(path: Path, agent_id: str) -> dict[str, Any] | None:
    return next((a for a in on_disk(path)["agents"] if a["id"] == agent_id), None)


def cli(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The real command line, in another process."""
    return subprocess.run(
        [sys.executable, "-m", "modeldesk", "--config", str(config), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )


def test_perform_saves_at_once_and_undo_redo_restore_exactly(qtbot: Any, document: Any, config_file: Path) -> None:
    before = dump_config(document.config)
    with qtbot.waitSignal(document.changed):
        document.perform(SetAgentModels("researcher", ("gpt-4o", "o3-mini")))
    assert disk_agent(config_file, "researcher")["model"] == ["gpt-4o", "o3-mini"]
    assert document.save_state == "Saved"
    document.perform(UpdateItem("agents", "analyst", {"name": "Data analyst", "instruction": "New."}))
    document.perform(SetSetting(("fallback", "retries"), 5))
    after = dump_config(document.config)
    assert document.undo_stack.count() == 3
    assert document.undo_stack.undoText() == "Change fallback.retries"

    for _ in range(3):
        document.undo_stack.undo()
    assert dump_config(document.config) == before
    assert on_disk(config_file) == before  # undo is saved too
    for _ in range(3):
        document.undo_stack.redo()
    assert dump_config(document.config) == after
    assert on_disk(config_file) == after


def test_a_bad_edit_raises_and_changes_nothing(document: Any, config_file: Path) -> None:
    text = config_file.read_text()
    with pytest.raises(EditError):
        document.perform(SetAgentModels("analyst", ("gpt-4o", "gpt-4o")))
    with pytest.raises(EditError):
        document.perform(UpdateItem("agents", "nobody", {"name": "x"}))
    wait_for_saves()  # saves run in a worker thread
    assert config_file.read_text() == text
    assert document.undo_stack.count() == 0


def test_batch_is_one_undo_step(document: Any) -> None:
    document.perform(Batch((SetAgentModels("helper", ("gpt-4o",)), SetAgentModels("responder", ("o3-mini",)))))
    assert document.undo_stack.count() == 1
    document.undo_stack.undo()
    assert document.config.agent("helper").model is None
    assert document.config.agent("responder").model is None


def test_edits_merge_with_a_change_another_process_made(qtbot: Any, document: Any, config_file: Path) -> None:
    document.perform(SetAgentModels("helper", ("gpt-4o",)))  # saved
    cli(config_file, "agents", "add", "from-cli", "--name", "From CLI", "--model", "o3-mini")
    # The app has not looked at the file yet; its next edit is replayed on the file as it
    # is now, so the CLI's agent survives and the app sees it afterwards.
    document.perform(UpdateItem("agents", "analyst", {"name": "Analyst 2"}))
    ids = [a["id"] for a in on_disk(config_file)["agents"]]
    assert "from-cli" in ids
    assert document.config.agent("from-cli") is not None
    assert document.config.agent("helper").model == "gpt-4o"
    assert disk_agent(config_file, "analyst")["name"] == "Analyst 2"
    # Undo takes back only the app's own step.
    document.undo_stack.undo()
    assert disk_agent(config_file, "analyst")["name"] == "Analyst"
    assert disk_agent(config_file, "from-cli") is not None


def test_reload_if_changed_adopts_the_file(qtbot: Any, document: Any, config_file: Path) -> None:
    assert not document.reload_if_changed()  # our own saves are not "external"
    document.perform(SetAgentModels("helper", ("gpt-4o",)))
    wait_for_saves()
    assert not document.reload_if_changed()
    cli(config_file, "agents", "set-model", "triage", "claude-haiku-4")
    with qtbot.waitSignal(document.save_state_changed) as state:
        assert document.reload_if_changed()
    assert state.args == ["Reloaded changes made outside ModelDesk"]
    assert document.config.agent("triage").model == "claude-haiku-4"
    assert document.config.agent("helper").model == "gpt-4o"


def test_undo_after_the_item_was_removed_elsewhere_is_dropped(document: Any, config_file: Path) -> None:
    document.perform(PutItem("agents", Agent(id="temp", name="Temp")))
    document.perform(UpdateItem("agents", "temp", {"name": "Temp 2"}))
    cli(config_file, "agents", "remove", "temp")
    document.reload()
    assert document.undo_stack.count() == 2
    document.undo_stack.undo()  # the rename cannot be undone: the agent is gone
    assert document.save_state.startswith("Cannot undo")
    assert document.undo_stack.count() == 1  # the step is dropped from the history
    assert disk_agent(config_file, "temp") is None
    assert document.config.agent("temp") is None


def test_a_hand_broken_file_pauses_editing_and_is_never_overwritten(
    qtbot: Any, document: Any, config_file: Path
) -> None:
    config_file.write_text('{"schema_version": 1, "agents": [')
    with qtbot.waitSignal(document.paused_changed) as paused:
        assert document.reload_if_changed()
    assert "line 1" in paused.args[0] and str(config_file) in paused.args[0]
    assert document.save_state == PAUSED
    assert document.config.agent("analyst") is not None  # last good state still shown
    with pytest.raises(EditError, match="Editing is paused"):
        document.perform(SetAgentModels("helper", ("gpt-4o",)))
    wait_for_saves()
    assert config_file.read_text() == '{"schema_version": 1, "agents": ['
    assert list(config_file.parent.glob("config.json.broken-*"))  # a copy is kept
    assert document.undo_stack.count() == 0
    assert document.config.agent("helper").model is None
    # Fixed by hand: a reload resumes editing.
    config_file.write_text(config_text(sample_config()))
    with qtbot.waitSignal(document.paused_changed) as resumed:
        document.reload()
    assert resumed.args == [""]
    document.perform(SetAgentModels("helper", ("gpt-4o",)))
    assert disk_agent(config_file, "helper")["model"] == "gpt-4o"


def test_an_edit_whose_save_meets_a_broken_file_is_withdrawn_visibly(
    qtbot: Any, document: Any, config_file: Path
) -> None:
    document.perform(SetAgentModels("helper", ("gpt-4o",)))
    wait_for_saves()
    config_file.write_text("{ broken")  # broken after we looked, before the next save
    with qtbot.waitSignal(document.paused_changed, timeout=10_000):
        document.perform(SetAgentModels("helper", ("o3-mini",)))
        assert document.config.agent("helper").model == "o3-mini"  # applied at once
    assert document.save_state.startswith("Save failed") and "withdrawn" in document.save_state
    assert document.undo_stack.count() == 1  # the unsaved step left the history
    assert document.undo_stack.undoText() == "Set models of General helper"
    assert config_file.read_text() == "{ broken"


def test_resolver_is_cached_and_rebuilt_after_a_change_to_what_it_copies(document: Any) -> None:
    first = document.resolver
    assert document.resolver is first
    # An agent's edit: the resolver reads agents as they are now, so it is kept.
    document.perform(SetAgentModels("helper", ("o3-mini",)))
    assert document.resolver is first
    assert document.resolver.chat("helper").models == ["o3-mini"]
    document.perform(PutItem("agents", Agent(id="fresh", name="Fresh", model=["gpt-4o"])))
    assert document.resolver.chat("fresh").models == ["gpt-4o"]
    # The registry changed: rebuilt, and the new model is known.
    document.perform(PutItem("models", Model(id="brand-new", provider="openai", name="b")))
    assert document.resolver is not first
    document.perform(SetAgentModels("helper", ("brand-new",)))
    assert document.resolver.chat("helper").models == ["brand-new"]


def test_a_missing_file_is_created_by_the_first_edit(qtbot: Any, tmp_path: Path) -> None:
    from modeldesk.app.document import Document

    path = tmp_path / "new" / "config.json"
    path.parent.mkdir()
    document = Document(ConfigStore(path))
    assert not path.exists()
    document.perform(PutItem("agents", Agent(id="a", name="A")))
    assert disk_agent(path, "a") == {"id": "a", "name": "A"}


def test_a_deleted_file_is_written_again_with_everything_shown(document: Any, config_file: Path) -> None:
    config_file.unlink()
    assert document.reload_if_changed()
    assert document.config.agent("analyst") is not None  # not replaced by an empty config
    assert "gone" in document.save_state
    document.perform(SetAgentModels("helper", ("o3-mini",)))
    wait_for_saves()  # saves run in a worker thread
    saved = ConfigStore(config_file).load()
    assert len(saved.agents) == 9
    assert saved.agent("helper").model == "o3-mini"
    assert not document.reload_if_changed()


def test_snapshot_is_unchanged_by_later_edits_and_shares_the_items(document: Any) -> None:
    snapshot = document.snapshot()
    assert snapshot == document.config
    assert snapshot.agent("analyst") is document.config.agent("analyst")  # not copied
    assert snapshot._ids is not document.config._ids  # each indexes its own lists
    document.perform(UpdateItem("agents", "analyst", {"name": "Renamed"}))
    document.perform(SetSetting(("fallback", "retries"), 7))
    document.perform(PutItem("agents", Agent(id="late", name="Late")))
    assert snapshot.agent("analyst").name == "Analyst"
    assert snapshot.settings.fallback.retries != 7
    assert snapshot.agent("late") is None


def test_a_snapshot_starts_with_a_copy_of_the_id_index_and_edits_keep_each_correct(document: Any) -> None:
    """A test run's snapshot used to build its id index again (~2 ms at 10,000 agents, on
    the GUI thread); it gets a copy, its own, so an edit on either side leaves the other's
    look-ups right."""
    from modeldesk.core.edits import RemoveAgent, apply_edit

    original = document.config
    ids = [agent.id for agent in original.agents]
    assert all(original.agent(i) is not None for i in ids)  # the original's index is built
    snapshot = document.snapshot()
    reused = snapshot._ids["agents"]  # copied before any look-up on the snapshot
    assert reused[0] is snapshot.agents and reused[2] == original._ids["agents"][2]
    assert reused[2] is not original._ids["agents"][2]
    for index, agent_id in enumerate(ids):
        assert snapshot.find("agents", agent_id) == (index, original.agents[index])
    assert snapshot.agent("nobody") is None

    document.perform(RemoveAgent(ids[0]))
    document.perform(PutItem("agents", Agent(id="late", name="Late")))
    assert original.agent("late") is not None and original.agent(ids[0]) is None
    for index, agent_id in enumerate(ids):
        assert snapshot.find("agents", agent_id) == (index, snapshot.agents[index])
    assert snapshot.agent("late") is None

    apply_edit(snapshot, RemoveAgent(ids[1]))
    apply_edit(snapshot, PutItem("agents", Agent(id="only-in-snapshot", name="Snapshot")))
    assert snapshot.agent(ids[1]) is None and snapshot.agent("only-in-snapshot") is not None
    assert original.agent("only-in-snapshot") is None
    for agent in original.agents:
        assert original.agent(agent.id) is agent
    for agent in snapshot.agents:
        assert snapshot.agent(agent.id) is agent


def test_a_snapshot_of_a_config_never_looked_up_indexes_its_own_lists(document: Any) -> None:
    document.config.forget_ids("agents")
    snapshot = document.snapshot()
    assert "agents" not in snapshot._ids
    assert snapshot.agent("analyst") is document.config.agent("analyst")
    assert snapshot._ids["agents"][0] is snapshot.agents


def test_the_file_is_read_for_saving_while_idle_not_on_the_first_edit(document: Any, store: ConfigStore) -> None:
    """At 10,000 agents, reading and validating the file held the interpreter ~100 ms on
    the first two edits; the save thread does it once right after opening instead."""
    document.wait_saved()
    reads: list[int] = []
    original = store._read

    def counting_read() -> Any:
        reads.append(1)
        return original()

    store._read = counting_read  # type: ignore[method-assign]
    document.perform(SetAgentModels("helper", ("o3-mini",)))
    document.perform(SetAgentModels("helper", ("gpt-4o",)))
    document.wait_saved()
    assert reads == []
    assert ConfigStore(store.path).load().agent("helper").model == "gpt-4o"  # type: ignore[union-attr]


def test_undo_steps_name_items_by_their_names(document: Any) -> None:
    from modeldesk.core.edits import AddItem, RemoveAgent
    from modeldesk.core.item_edits import RenameItem
    from modeldesk.core.schema import Squad

    document.perform(RemoveAgent("triage"))
    assert document.undo_stack.undoText() == "Remove agent Ticket triage"  # named as it was
    document.perform(RenameItem("squads", "support-desk", "support-desk", name="Help desk"))
    assert document.undo_stack.undoText() == "Rename squad Support desk"
    document.perform(AddItem("squads", Squad(id="new-team", name="Help desk")))
    assert document.undo_stack.undoText() == "Add squad Help desk (new-team)"  # two share the name
    document.perform(UpdateItem("agents", "helper", {"instruction": "Be brief."}, label="Reword helper"))
    assert document.undo_stack.undoText() == "Reword General helper"
    document.perform(SetSetting(("fallback", "retries"), 4))
    assert document.undo_stack.undoText() == "Change fallback.retries"  # no item: as labelled


def test_an_undo_step_adds_the_id_exactly_when_another_item_is_called_the_same() -> None:
    """The name check searches all names at once; it must agree with reading each name as
    the app shows it (stripped): names that only contain the name, or differ in case,
    are other names."""
    from modeldesk.app.undo import command_text
    from modeldesk.core.schema import Config

    names = ["Agent 1", "Agent 10", "agent 1", "Agent 1 b", "x Agent 1", "  Writer  ", "Writer", "\tLone\n"]
    config = Config(agents=[Agent(id=f"a{n}", name=name) for n, name in enumerate(names)])
    texts = {agent.id: command_text(config, SetAgentModels(agent.id, ("m",))) for agent in config.agents}
    assert texts["a0"] == "Set models of Agent 1"
    assert texts["a1"] == "Set models of Agent 10"
    assert texts["a5"] == "Set models of Writer (a5)" and texts["a6"] == "Set models of Writer (a6)"
    assert texts["a7"] == "Set models of Lone"
    added = PutItem("agents", Agent(id="new", name="Agent 10"))
    assert command_text(config, added).endswith("Agent 10 (new)")
    assert command_text(config, PutItem("agents", Agent(id="other", name="Agent 2"))).endswith("Agent 2")


def test_an_undo_step_follows_names_changed_by_earlier_edits() -> None:
    """The name counts are kept from one edit to the next: a rename, an added and a removed
    item all count, in a long list as in a short one."""
    from modeldesk.app.undo import command_text
    from modeldesk.core.edits import apply_edit
    from modeldesk.core.schema import Config

    config = Config(agents=[Agent(id=f"a{n}", name=f"Agent {n}") for n in range(500)])
    step = SetAgentModels("a7", ("m",))
    assert command_text(config, step) == "Set models of Agent 7"
    apply_edit(config, UpdateItem("agents", "a400", {"name": "Agent 7"}))
    assert command_text(config, step) == "Set models of Agent 7 (a7)"
    apply_edit(config, UpdateItem("agents", "a400", {"name": "Agent 400"}))
    assert command_text(config, step) == "Set models of Agent 7"
    apply_edit(config, PutItem("agents", Agent(id="late", name=" Agent 7 "), index=3))
    assert command_text(config, step) == "Set models of Agent 7 (a7)"
    config.agents.pop(3)
    assert command_text(config, step) == "Set models of Agent 7"
    other = Config(agents=[Agent(id="a7", name="Agent 7"), Agent(id="b", name="Agent 7")])
    assert command_text(other, step) == "Set models of Agent 7 (a7)"  # another config: counted afresh


def test_undo_keeps_the_newest_steps_up_to_its_limit(
    qtbot: Any, store: ConfigStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    import modeldesk.app.document as document_module

    monkeypatch.setattr(document_module, "UNDO_LIMIT", 3)
    document = document_module.Document(store)
    try:
        for retries in range(1, 6):
            document.perform(SetSetting(("fallback", "retries"), retries))
        assert document.undo_stack.count() == 3
        while document.undo_stack.canUndo():
            document.undo_stack.undo()
        # The two oldest steps were dropped: undoing everything kept stops after them.
        assert document.config.settings.fallback.retries == 2
        assert on_disk(store.path)["settings"]["fallback"]["retries"] == 2
    finally:
        document.shutdown()


def test_shutdown_deletes_the_undo_history_through_its_stack(store: ConfigStore) -> None:
    """The stack deletes its commands while everything is alive. Left to Python's cyclic
    collector (a command refers to its document, the stack is the document's child), a
    command's wrapper could be handed back to Python and freed before the stack deleted it
    again: a crash inside QUndoStack::clear in about one run in four of the agents tests."""
    from shiboken6 import isValid

    import modeldesk.app.document as document_module

    document = document_module.Document(store)
    for retries in (1, 2):
        document.perform(SetSetting(("fallback", "retries"), retries))
    commands = [document.undo_stack.command(index) for index in range(document.undo_stack.count())]
    assert len(commands) == 2 and all(isValid(command) for command in commands)
    document.shutdown()
    assert document.undo_stack.count() == 0
    assert not any(isValid(command) for command in commands)
    assert on_disk(store.path)["settings"]["fallback"]["retries"] == 2  # saved before


def test_an_edit_tells_the_undo_names_what_it_replaced(
    qtbot: Any, document: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The next step's words find the items an edit replaced from what the document told,
    not by comparing the whole list again (~0.2 ms of an edit at 10,000 agents)."""
    from modeldesk.app import undo

    name = document.config.agent("triage").name
    document.perform(UpdateItem("agents", "helper", {"name": name}, label="Rename helper"))
    compared: list[list[int]] = []
    replaced = undo._replaced
    monkeypatch.setattr(undo, "_replaced", lambda new, old: compared.append(replaced(new, old)) or compared[-1])
    document.perform(UpdateItem("agents", "triage", {"instruction": "Be brief."}, label="Reword triage"))
    assert document.undo_stack.undoText() == f"Reword {name} (triage)"  # helper is called so too now
    assert compared == [[]]  # nothing left to find


def test_the_save_starts_once_the_gui_thread_has_handled_the_edit(qtbot: Any, document: Any, config_file: Path) -> None:
    """Inside the event loop the save thread is woken after the edit's views have updated
    and painted (woken at once, it took the interpreter from the GUI thread mid-edit), and
    "Saving…" is said then."""
    from PySide6.QtCore import QTimer

    said: list[str] = []
    written_meanwhile: list[bool] = []

    def slow_view(_change: object) -> None:
        # A view that takes its time following the edit: nothing is saved meanwhile.
        before = config_file.read_bytes()
        time.sleep(0.2)
        written_meanwhile.append(config_file.read_bytes() != before)
        said.append("view done")

    document.edited.connect(slow_view)
    document.save_state_changed.connect(said.append)
    QTimer.singleShot(0, lambda: document.perform(SetAgentModels("helper", ("o3-mini",))))
    qtbot.waitUntil(lambda: bool(written_meanwhile) and not document.saving)
    assert written_meanwhile == [False]
    assert said == ["view done", "Saving…", "Saved"]
    assert disk_agent(config_file, "helper")["model"] == "o3-mini"


def test_undo_names_stay_right_after_a_change_of_hundreds_of_items() -> None:
    """A change of many items is not followed id by id: their names are counted again."""
    from modeldesk.app.undo import command_text, note_change
    from modeldesk.core.edits import apply_tracked
    from modeldesk.core.schema import Config

    config = Config(agents=[Agent(id=f"a{n}", name=f"Agent {n}") for n in range(400)])
    step = SetAgentModels("a7", ("m",))
    assert command_text(config, step) == "Set models of Agent 7"

    def rename(numbers: range, name: str | None) -> None:
        edits = [UpdateItem("agents", f"a{n}", {"name": name or f"Agent {n}"}) for n in numbers]
        _, change = apply_tracked(config, Batch(edits, label="Rename"))
        note_change(config, change)

    rename(range(100, 400), "Agent 7")  # 300 items: counted again
    assert command_text(config, step) == "Set models of Agent 7 (a7)"
    rename(range(100, 110), None)  # 10 items: followed one by one; 290 still share the name
    assert command_text(config, step) == "Set models of Agent 7 (a7)"
    rename(range(110, 400), None)
    assert command_text(config, step) == "Set models of Agent 7"
