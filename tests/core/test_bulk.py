"""The bulk planner shared by the app's dialog and the CLI: notes on every row whose result
is not what the change's name says, the choice for agents that inherit, and an apply that
writes exactly the plan (or nothing)."""

from __future__ import annotations

from typing import Any

import pytest

from modeldesk.core.bulk import (
    AddFallback,
    AllAgentsScope,
    RemoveModel,
    ReplaceModel,
    SetList,
    plan_bulk_change,
    plan_edit,
    target_problems,
)
from modeldesk.core.edits import UpdateItem, apply_edit
from modeldesk.core.errors import EditError
from modeldesk.core.resolver import Resolver
from modeldesk.core.schema import Config, dump_config


def config() -> Config:
    data: dict[str, Any] = {
        "providers": [{"id": "p", "kind": "openai", "base_url": "http://127.0.0.1:9/v1"}],
        "models": [{"id": m, "provider": "p", "name": m, "enabled": m != "off"} for m in ("a", "b", "c", "d", "off")],
        "settings": {"default_agent_model": ["a", "d"]},
        "projects": [{"id": "proj", "name": "P", "default_model": "c"}],
        "agents": [
            {"id": "own", "name": "Own", "model": ["c"]},
            {"id": "heir", "name": "Heir"},
            {"id": "proj-heir", "name": "Project heir", "project": "proj"},
        ],
    }
    return Config.model_validate(data)


def rows(plan: Any) -> list[tuple[str, tuple[str, ...], str]]:
    return [(c.agent_id, c.after, c.note) for c in plan]


def test_add_fallback_skips_inheriting_agents_or_copies_what_they_inherit() -> None:
    cfg = config()
    assert rows(plan_bulk_change(cfg, AllAgentsScope(), AddFallback("b"))) == [
        ("own", ("c", "b"), ""),
        ("heir", (), "inherits a, d from Settings: skipped"),
        ("proj-heir", (), "inherits c from project proj: skipped"),
    ]
    assert rows(plan_bulk_change(cfg, AllAgentsScope(), AddFallback("b"), inherited="copy")) == [
        ("own", ("c", "b"), ""),
        ("heir", ("a", "d", "b"), "copied a, d inherited from Settings"),
        ("proj-heir", ("c", "b"), "copied c inherited from project proj"),
    ]


def test_removing_the_last_model_says_what_the_agent_will_inherit() -> None:
    plan = plan_bulk_change(config(), AllAgentsScope(), RemoveModel("c"), inherited="copy")
    assert rows(plan) == [
        ("own", (), "list emptied: will inherit a, d from Settings"),
        ("heir", (), "inherits a, d from Settings, which does not list c: unchanged"),
        ("proj-heir", (), "inherits c from project proj; nothing would be left: unchanged"),
    ]
    assert [c.changed for c in plan] == [True, False, False]


def test_replace_into_a_list_that_has_the_replacement_collapses_with_a_note() -> None:
    cfg = Config.model_validate({"agents": [{"id": "x", "name": "X", "model": ["c", "b", "a"]}]})
    (row,) = plan_bulk_change(cfg, AllAgentsScope(), ReplaceModel("c", "b"))
    assert row.after == ("b", "a") and row.note == "b was already listed: it moves up to c's place, no duplicate"


def test_setting_a_list_covers_own_and_inherited_lists_and_keeps_the_written_form() -> None:
    cfg = Config.model_validate(
        {
            "agents": [
                {"id": "same", "name": "S", "model": ["a", "b"]},
                {"id": "word", "name": "W", "model": "c"},
                {"id": "heir", "name": "H"},
                {"id": "placeholder", "name": "P", "model": ["default"]},
            ]
        }
    )
    plan = plan_bulk_change(cfg, AllAgentsScope(), SetList(("a", "b")))
    assert [(c.agent_id, c.before, c.after, c.note, c.value_after) for c in plan] == [
        ("same", ("a", "b"), ("a", "b"), "no change", ["a", "b"]),
        ("word", ("c",), ("a", "b"), "", ["a", "b"]),
        ("heir", (), ("a", "b"), "", ["a", "b"]),
        ("placeholder", ("default",), ("a", "b"), "", ["a", "b"]),
    ]
    assert [c.changed for c in plan] == [False, True, True, True]
    (one,) = plan_bulk_change(cfg, AllAgentsScope(), SetList(("d",)))[1:2]
    assert one.value_after == "d"  # a string stays a string
    values = [c.value_after for c in plan[1:]]
    assert len({id(v) for v in values}) == len(values)  # no list shared between agents


def test_the_plan_applies_exactly_and_refuses_when_an_agent_changed_meanwhile() -> None:
    cfg = config()
    edit = plan_edit(plan_bulk_change(cfg, AllAgentsScope(), SetList(("b",))), "Set")
    inverse = apply_edit(cfg, edit)
    assert [a.get("model") for a in dump_config(cfg)["agents"]] == [["b"], "b", "b"]
    apply_edit(cfg, inverse)
    assert [a.get("model") for a in dump_config(cfg)["agents"]] == [["c"], None, None]

    apply_edit(cfg, UpdateItem("agents", "heir", {"model": "a"}))
    with pytest.raises(EditError, match="models of agent 'heir' changed since this was planned"):
        apply_edit(cfg, edit)
    assert [a.get("model") for a in dump_config(cfg)["agents"]] == [["c"], "a", None]


def test_target_problems_name_unknown_and_disabled_models() -> None:
    resolver = Resolver(config())
    assert target_problems(resolver, SetList(("a", "zz", "off"))) == ["zz: unknown model", "off: model disabled"]
    assert target_problems(resolver, RemoveModel("zz")) == []


def test_a_copied_list_that_already_has_the_replacement_collapses_with_both_notes() -> None:
    cfg = config()
    plan = plan_bulk_change(cfg, AllAgentsScope(), ReplaceModel("d", "a"), inherited="copy")
    assert rows(plan)[1] == (
        "heir",
        ("a",),
        "copied a, d inherited from Settings; a was already listed: d removed, no duplicate",
    )
    assert plan[1].changed


def test_the_applied_plan_reports_exactly_the_agents_it_changed() -> None:
    from modeldesk.core.edits import apply_tracked

    cfg = config()
    edit = plan_edit(plan_bulk_change(cfg, AllAgentsScope(), AddFallback("b"), inherited="copy"), "Add b")
    inverse, change = apply_tracked(cfg, edit)
    assert change.updated == {"agents": ["own", "heir", "proj-heir"]} and not change.whole
    _, change = apply_tracked(cfg, inverse)
    assert change.updated == {"agents": ["own", "heir", "proj-heir"]} and not change.whole
    heir = cfg.agent("heir")
    assert heir is cfg.agents[1] and heir is not None and heir.model is None


def test_an_applied_agent_is_what_model_copy_would_give_and_leaves_the_old_one_alone() -> None:
    cfg = config()
    old = cfg.agent("own")
    assert old is not None
    apply_edit(cfg, plan_edit(plan_bulk_change(cfg, AllAgentsScope(), AddFallback("b")), "Add b"))
    new = cfg.agent("own")
    assert new is not old and old.model == ["c"]
    assert new == old.model_copy(update={"model": ["c", "b"]})
    assert new.model_fields_set == old.model_fields_set | {"model"}


def test_replace_puts_the_replacement_in_the_old_models_place() -> None:
    cfg = Config.model_validate({"agents": [{"id": "x", "name": "X", "model": ["fast", "qwen", "slow"]}]})
    (row,) = plan_bulk_change(cfg, AllAgentsScope(), ReplaceModel("fast", "slow"))
    assert row.after == ("slow", "qwen")
    assert row.note == "slow was already listed: it moves up to fast's place, no duplicate"
    # Listed above the old model already, the replacement keeps its better place.
    (row,) = plan_bulk_change(cfg, AllAgentsScope(), ReplaceModel("slow", "fast"))
    assert row.after == ("fast", "qwen")
    assert row.note == "fast was already listed: slow removed, no duplicate"
