"""The core's intent edits replayed on a file another writer changed meanwhile: both
changes kept, forward and on undo (each through two real stores on one file)."""

from __future__ import annotations

from pathlib import Path

from modeldesk.core.edits import Batch, RemoveAgent, RemoveItem, SetTaskModel, UpdateItem, apply_edit
from modeldesk.core.item_edits import ChangeSquadMembers, RemoveProject
from modeldesk.core.model_facts import FillFacts
from modeldesk.core.schema import Config
from modeldesk.core.store import ConfigStore

BASE = {
    "schema_version": 1,
    "projects": [{"id": "p", "name": "P"}, {"id": "q", "name": "Q"}],
    "agents": [{"id": x, "name": x.upper(), "project": "p"} for x in ("a", "b", "c")]
    + [{"id": "d", "name": "D"}, {"id": "e", "name": "E"}],
    "squads": [{"id": "s", "name": "S", "agents": ["a", "b", "c"]}],
}


def _stores(tmp_path: Path) -> tuple[ConfigStore, ConfigStore]:
    path = tmp_path / "config.json"
    first = ConfigStore(path)
    first.save(Config.model_validate(BASE))
    return first, ConfigStore(path)


def test_squad_members_change_by_intent_and_undo_by_the_opposite_change(tmp_path: Path) -> None:
    app, cli = _stores(tmp_path)
    shown = app.load()  # what the app showed before the other writer's change
    cli.apply(ChangeSquadMembers("s", add=("d",)))
    removal = ChangeSquadMembers("s", remove=("b",))
    inverse = apply_edit(shown.model_copy(deep=True), removal)
    assert app.apply(removal).squad("s").agents == ["a", "c", "d"]
    cli.apply(ChangeSquadMembers("s", add=("e",)))
    assert app.apply(inverse).squad("s").agents == ["a", "b", "c", "d", "e"]  # b back in its place


def test_removing_an_agent_and_a_project_work_on_the_file_as_it_is(tmp_path: Path) -> None:
    app, cli = _stores(tmp_path)
    cli.apply(Batch((ChangeSquadMembers("s", add=("d",)), UpdateItem("agents", "e", {"project": "p"}))))
    after = app.apply(RemoveAgent("a"), RemoveProject("p", "move", "q"))
    assert after.squad("s").agents == ["b", "c", "d"]
    assert {a.id: a.project for a in after.agents} == {"b": "q", "c": "q", "d": None, "e": "q"}


def test_removing_a_member_another_writer_already_took_out_is_no_change(tmp_path: Path) -> None:
    app, cli = _stores(tmp_path)
    cli.apply(ChangeSquadMembers("s", remove=("b",)))
    assert app.apply(ChangeSquadMembers("s", remove=("b", "c"))).squad("s").agents == ["a"]


def test_filling_facts_keeps_what_another_writer_set_meanwhile(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    provider = {"id": "oa", "kind": "openai", "base_url": "https://api.openai.com/v1"}
    models = [{"id": "g", "provider": "oa", "name": "gpt-4o"}, {"id": "gone", "provider": "oa", "name": "gpt-4o-mini"}]
    ConfigStore(path).save(Config.model_validate({"schema_version": 1, "providers": [provider], "models": models}))
    app, cli = ConfigStore(path), ConfigStore(path)
    cli.apply(UpdateItem("models", "g", {"label": "Ours", "context_window": 5000}), RemoveItem("models", "gone"))
    filled = app.apply(FillFacts(("g", "gone"))).model("g")
    assert filled is not None and filled.label == "Ours" and filled.context_window == 5000
    assert filled.capabilities.tools is True and filled.price.input is not None


def test_a_task_model_rule_is_undone_alone_and_in_its_place(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    data = {
        "schema_version": 1,
        "settings": {"task_models": {"title": {"*": "m1", "x": ["m2"]}, "tags": {"*": "m3"}}},
        "agents": [{"id": "a", "name": "A", "task_models": {"title": "m1", "tags": ["m2"]}}],
    }
    ConfigStore(path).save(Config.model_validate(data))
    app, cli = ConfigStore(path), ConfigStore(path)
    shown = app.load()
    edits = [SetTaskModel("settings", "title", (), chat="*"), SetTaskModel("agents", "title", (), owner_id="a")]
    inverses = [apply_edit(shown, edit) for edit in edits]
    app.apply(*edits)
    cli.apply(SetTaskModel("settings", "digest", ("m4",)), SetTaskModel("agents", "digest", ("m4",), owner_id="a"))
    after = app.apply(*reversed(inverses))
    assert after.settings.task_models == {"title": {"*": "m1", "x": ["m2"]}, "tags": {"*": "m3"}, "digest": {"*": "m4"}}
    assert list(after.settings.task_models["title"]) == ["*", "x"]  # back in its place
    assert after.agent("a").task_models == {"title": "m1", "tags": ["m2"], "digest": "m4"}  # type: ignore[union-attr]
    assert list(after.agent("a").task_models) == ["title", "tags", "digest"]  # type: ignore[union-attr]


def test_removing_an_agent_is_undone_beside_members_added_meanwhile(tmp_path: Path) -> None:
    app, cli = _stores(tmp_path)
    shown = app.load()
    inverse = apply_edit(shown, RemoveAgent("b"))
    app.apply(RemoveAgent("b"))
    cli.apply(ChangeSquadMembers("s", add=("d",)))
    after = app.apply(inverse)
    assert after.agent("b") is not None
    assert after.squad("s").agents == ["a", "b", "c", "d"]  # type: ignore[union-attr]
