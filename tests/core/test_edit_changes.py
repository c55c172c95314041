"""What an applied edit touched (the Change record views update from) and the
config's id look-ups that stay right as edits insert and remove items."""

from __future__ import annotations

from pathlib import Path

from modeldesk.core.edits import Batch, PutItem, SetAgentModels, SetSetting, UpdateItem, apply_edit
from modeldesk.core.samples import sample_config
from modeldesk.core.schema import Agent


def test_apply_tracked_reports_collections_ids_and_settings() -> None:
    from modeldesk.core.edits import RemoveAgent, apply_tracked

    config = sample_config()
    inverse, change = apply_tracked(config, SetAgentModels("analyst", ("gpt-4o",)))
    assert change.updated == {"agents": ["analyst"]} and not change.inserted and not change.removed
    assert change.touches("agents") and not change.touches("settings") and not change.whole
    _, change = apply_tracked(config, inverse)
    assert change.updated == {"agents": ["analyst"]}

    _, change = apply_tracked(config, SetSetting(("fallback", "retries"), 4))
    assert change.settings == ["fallback.retries"] and change.touches("settings")

    squads_with_analyst = [s.id for s in config.squads if "analyst" in s.agents]
    inverse, change = apply_tracked(config, RemoveAgent("analyst"))
    assert change.removed == {"agents": ["analyst"]}
    assert change.updated == {"squads": squads_with_analyst}
    _, change = apply_tracked(config, inverse)  # undo: the agent comes back
    assert change.inserted == {"agents": ["analyst"]}


def test_a_batch_reports_the_net_effect() -> None:
    from modeldesk.core.edits import RemoveItem, apply_tracked

    config = sample_config()
    _, change = apply_tracked(
        config,
        Batch(
            (
                PutItem("agents", Agent(id="temp", name="Temp")),
                UpdateItem("agents", "temp", {"name": "Temp 2"}),
                RemoveItem("agents", "helper"),
                PutItem("agents", Agent(id="helper", name="Helper again")),
                PutItem("agents", Agent(id="gone", name="Gone")),
                RemoveItem("agents", "gone"),
            )
        ),
    )
    assert change.inserted == {"agents": ["temp"]}
    assert change.updated == {"agents": ["helper"]}
    assert change.removed == {}


def test_lookups_by_id_follow_inserts_and_removals() -> None:
    from modeldesk.core.edits import RemoveItem

    config = sample_config()
    ids = [a.id for a in config.agents]
    assert config.agent(ids[3]) is config.agents[3]
    apply_edit(config, PutItem("agents", Agent(id="first", name="First"), index=0))
    assert config.agent("first") is config.agents[0]
    assert config.agent(ids[3]) is config.agents[4]
    apply_edit(config, RemoveItem("agents", ids[0]))
    assert config.agent(ids[0]) is None
    assert config.agent(ids[3]) is config.agents[3]
    assert config.agent("nobody") is None
    config.agents.append(Agent(id="appended", name="Appended"))  # a change made without an edit
    assert config.agent("appended") is config.agents[-1]
    assert config.model_copy(deep=True) == config  # the index is not content


def test_a_store_keeping_its_written_config_writes_what_a_fresh_read_would(tmp_path: Path) -> None:
    from modeldesk.core.store import ConfigStore

    path = tmp_path / "config.json"
    ConfigStore(path).save(sample_config())
    kept = ConfigStore(path)
    kept.keep_written_config()
    plain = ConfigStore(tmp_path / "plain.json")
    plain.save(sample_config())
    edits = [
        UpdateItem("agents", "analyst", {"name": "One"}),
        SetAgentModels("helper", ("gpt-4o", "o3-mini")),
        SetSetting(("fallback", "retries"), 5),
        PutItem("agents", Agent(id="late", name="Late")),
        UpdateItem("agents", "late", {"instruction": "Be brief."}),
    ]
    for edit in edits:
        kept.apply_edits([edit])
        plain.apply_edits([edit])
        assert path.read_text() == plain.path.read_text()
    # Another program writes the file: the next edit is replayed on what it wrote.
    ConfigStore(path).apply(UpdateItem("agents", "analyst", {"name": "From elsewhere"}))
    applied = kept.apply_edits([UpdateItem("agents", "helper", {"name": "Two"})])
    assert applied.config.agent("analyst").name == "From elsewhere"
    assert ConfigStore(path).load().agent("analyst").name == "From elsewhere"
    assert ConfigStore(path).load().agent("helper").name == "Two"


def test_noting_many_ids_keeps_order_and_net_effect() -> None:
    from modeldesk.core.edits import Change

    change = Change()
    change.note_all("agents", (f"a{n}" for n in range(5000)), "updated")
    change.note_all("agents", (f"a{n}" for n in range(0, 5000, 2)), "updated")  # twice: listed once
    change.note("agents", "new", "inserted")
    change.note("agents", "new", "updated")  # inserted stays inserted
    change.note("agents", "a1", "removed")
    change.note("agents", "a1", "inserted")  # removed then put back: updated
    assert change.updated["agents"][:3] == ["a0", "a2", "a3"] and change.updated["agents"][-1] == "a1"
    assert len(change.updated["agents"]) == 5000
    assert change.inserted == {"agents": ["new"]} and change.removed == {}


def test_id_lookups_after_appends_index_only_the_new_items() -> None:
    """An import adds agents one by one and looks each up: the id index grows with the
    list instead of being rebuilt on every miss (which was quadratic)."""
    from modeldesk.core.schema import Agent, Config

    config = Config(agents=[Agent(id="first", name="First")])
    assert config.find("agents", "first") is not None
    positions = config._ids["agents"][2]  # the index built by that first look-up

    for n in range(2000):
        assert config.agent(f"added-{n}") is None  # a miss: the id is new
        config.agents.append(Agent(id=f"added-{n}", name=f"Added {n}"))
        found = config.find("agents", f"added-{n}")
        assert found is not None and found[0] == n + 1
    assert config.agent("first") is not None and config.agent("never") is None
    assert config._ids["agents"][2] is positions and len(positions) == 2001  # extended, never rebuilt
