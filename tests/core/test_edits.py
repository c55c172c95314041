"""Edits and bulk changes: each applies, refuses what does not fit, and its inverse
restores the file exactly."""

from __future__ import annotations

import pytest

from modeldesk.core.bulk import (
    AllAgentsScope,
    BulkChange,
    ReplaceModel,
    SetList,
    SquadScope,
    UsingModelScope,
    plan_bulk_change,
)
from modeldesk.core.edits import (
    AddItem,
    Edit,
    RemoveAgent,
    SetAgentFallback,
    SetTaskModel,
    UpdateItem,
    apply_edit,
)
from modeldesk.core.errors import EditError
from modeldesk.core.schema import Agent, Config, Squad, dump_config
from tests.core.helpers import WORLD, config


def round_trip(cfg: Config, edit: Edit) -> dict:
    """Apply ``edit``, undo it, check the dump is as before; return the dump in between."""
    before = dump_config(cfg)
    inverse = apply_edit(cfg, edit)
    during = dump_config(cfg)
    apply_edit(cfg, inverse)
    assert dump_config(cfg) == before
    return during


def test_items_added_to_an_empty_config_are_written() -> None:
    cfg = Config()
    apply_edit(cfg, AddItem("agents", Agent(id="a", name="A")))
    apply_edit(cfg, AddItem("squads", Squad(id="s", name="S", agents=["a"])))
    assert dump_config(cfg) == {
        "schema_version": 1,
        "agents": [{"id": "a", "name": "A"}],
        "squads": [{"id": "s", "name": "S", "agents": ["a"]}],
    }


def test_add_item_refuses_a_taken_id() -> None:
    cfg = config()
    with pytest.raises(EditError, match="already an agent 'own'"):
        apply_edit(cfg, AddItem("agents", Agent(id="own", name="Again")))
    during = round_trip(cfg, AddItem("agents", Agent(id="new", name="New")))
    assert during["agents"][-1] == {"id": "new", "name": "New"}


def test_remove_agent_leaves_no_squad_pointing_at_it() -> None:
    cfg = config()
    during = round_trip(cfg, RemoveAgent("own"))
    assert "own" not in [a["id"] for a in during["agents"]]
    assert during["squads"][0]["agents"] == ["bare"]
    with pytest.raises(EditError):
        apply_edit(cfg, RemoveAgent("ghost"))


def test_update_item_resets_fields_that_cannot_be_none() -> None:
    cfg = config()
    during = round_trip(cfg, UpdateItem("agents", "tasky", {"task_models": None, "model": None}))
    assert during["agents"][4] == {"id": "tasky", "name": "Tasky"}


@pytest.mark.parametrize(
    ("edit", "where", "expected"),
    [
        (
            SetTaskModel("settings", "title", ("claude",)),
            ("settings", "task_models"),
            {"title": {"gpt-4o": "haiku", "*": "claude"}},
        ),
        (
            SetTaskModel("settings", "title", ("a", "b"), chat="claude"),
            ("settings", "task_models"),
            {"title": {"gpt-4o": "haiku", "*": "mini", "claude": ["a", "b"]}},
        ),
        (SetTaskModel("settings", "title", (), chat="gpt-4o"), ("settings", "task_models"), {"title": {"*": "mini"}}),
        (
            SetTaskModel("projects", "summary", (), owner_id="support"),
            ("projects", 0, "task_models"),
            {"title": {"claude": "mini"}},
        ),
        (SetTaskModel("agents", "title", ("mini",), owner_id="tasky"), ("agents", 4, "task_models"), {"title": "mini"}),
        (
            SetTaskModel("agents", "digest", ("mini", "haiku"), owner_id="own"),
            ("agents", 0, "task_models"),
            {"digest": ["mini", "haiku"]},
        ),
    ],
)
def test_set_task_model(edit: SetTaskModel, where: tuple, expected: dict) -> None:
    node = round_trip(config(), edit)
    for key in where:
        node = node[key]
    assert node == expected


def test_set_task_model_refusals() -> None:
    for edit in (
        SetTaskModel("settings", " ", ("a",)),
        SetTaskModel("settings", "t", ("a", "a")),
        SetTaskModel("agents", "t", ("a",), owner_id="ghost"),
    ):
        with pytest.raises(EditError):
            apply_edit(config(), edit)


def test_clearing_the_last_task_entry_unsets_the_map() -> None:
    cfg = Config.model_validate({"agents": [{"id": "a", "name": "A", "task_models": {"t": "m"}}]})
    apply_edit(cfg, SetTaskModel("agents", "t", (), owner_id="a"))
    assert dump_config(cfg)["agents"] == [{"id": "a", "name": "A"}]


def test_bulk_change_plans_against_the_config_it_is_applied_to() -> None:
    cfg = config()
    edit = BulkChange(UsingModelScope("claude"), ReplaceModel("claude", "haiku"))
    # A change made after the edit was built is seen when it is applied.
    apply_edit(cfg, UpdateItem("agents", "bare", {"model": ["claude"]}))
    during = round_trip(cfg, edit)
    assert {a["id"]: a.get("model") for a in during["agents"]} == {
        "own": ["gpt-4o", "haiku"],
        "bare": ["haiku"],
        "lone": None,
        "fan": "haiku",
        "tasky": "haiku",
    }
    assert edit.label == "Replace claude with haiku (every agent using claude)"
    with pytest.raises(EditError):
        apply_edit(cfg, BulkChange(SquadScope("ghost"), SetList(("a",))))
    assert dump_config(cfg)["agents"][1]["model"] == ["claude"]


def test_world_dump_is_the_input() -> None:
    assert dump_config(config()) == WORLD


def test_replacing_a_model_by_itself_changes_nothing() -> None:
    plan = plan_bulk_change(config(), UsingModelScope("claude"), ReplaceModel("claude", "claude"))
    assert [c.agent_id for c in plan] == ["own", "fan", "tasky"]
    assert not any(c.changed for c in plan)


def test_bulk_labels_keep_the_case_of_model_ids() -> None:
    edit = BulkChange(AllAgentsScope(), ReplaceModel("claude", "GPT-4.1"))
    assert edit.label == "Replace claude with GPT-4.1 (every agent)"


def test_edit_errors_name_the_field_without_pydantic_union_names() -> None:
    with pytest.raises(EditError) as caught:
        apply_edit(config(), UpdateItem("agents", "own", {"task_models": {"title": 5}}))
    # Worded as `config validate` words it (core/validation_text.py).
    assert str(caught.value) == "Edit agent own: task_models.title: expected a model id (text) or a list of model ids"
    with pytest.raises(EditError) as caught:
        apply_edit(config(), UpdateItem("squads", "team", {"agents": ["own", 5]}))
    assert str(caught.value) == "Edit squad team: agents[1]: expected text"


def test_set_agent_fallback_sets_resets_and_unsets_the_object() -> None:
    cfg = config()
    during = round_trip(cfg, SetAgentFallback("own", "retries", 5))
    assert during["agents"][0]["fallback"] == {"retries": 5}
    apply_edit(cfg, SetAgentFallback("own", "retries", 5))
    during = round_trip(cfg, SetAgentFallback("own", "jitter", 0.5))
    assert during["agents"][0]["fallback"] == {"retries": 5, "jitter": 0.5}
    apply_edit(cfg, SetAgentFallback("own", "jitter", 0.5))
    during = round_trip(cfg, SetAgentFallback("own", "retries", None))
    assert during["agents"][0]["fallback"] == {"jitter": 0.5}
    apply_edit(cfg, SetAgentFallback("own", "retries", None))
    # Removing the last override unsets the object (undo brings it back, see round_trip).
    during = round_trip(cfg, SetAgentFallback("own", "jitter", None))
    assert "fallback" not in during["agents"][0]
    apply_edit(cfg, SetAgentFallback("own", "jitter", None))
    own = cfg.agent("own")
    assert own is not None and own.fallback is None and "fallback" not in own.model_fields_set


def test_set_agent_fallback_keeps_overrides_made_meanwhile() -> None:
    # Worked out when applied: replaying on a file where another option was set keeps it.
    edit = SetAgentFallback("own", "retries", 1)
    cfg = config()
    apply_edit(cfg, SetAgentFallback("own", "cooldown_s", 0))
    apply_edit(cfg, edit)
    assert dump_config(cfg)["agents"][0]["fallback"] == {"retries": 1, "cooldown_s": 0}


def test_set_agent_fallback_refusals() -> None:
    cfg = config()
    before = dump_config(cfg)
    with pytest.raises(EditError, match=r"agent own: fallback\.retries: must be 20 or less"):
        apply_edit(cfg, SetAgentFallback("own", "retries", 21))
    with pytest.raises(EditError, match="unknown fallback option 'retrys'"):
        apply_edit(cfg, SetAgentFallback("own", "retrys", 1))
    with pytest.raises(EditError, match="there is no agent 'ghost'"):
        apply_edit(cfg, SetAgentFallback("ghost", "retries", 1))
    assert dump_config(cfg) == before
