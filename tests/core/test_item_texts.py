"""The config text kept per item (core/item_texts.py) is byte for byte the text a whole
dump writes, through every kind of change a writer sees; and a store saving over its own
last write still refuses a file someone else broke meanwhile."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from modeldesk.core.edits import (
    Edit,
    PutItem,
    RemoveItem,
    SetAgentModels,
    SetSetting,
    UpdateItem,
    apply_edit,
    apply_tracked,
)
from modeldesk.core.errors import ConfigError
from modeldesk.core.item_texts import DuplicateId, ItemTexts
from modeldesk.core.schema import Agent, Config, Model, Squad
from modeldesk.core.store import ConfigStore, config_text
from tests.core.helpers import configs, world


def written(config: Config) -> bytes:
    return config_text(config).encode("utf-8")


def test_the_kept_texts_follow_every_kind_of_change_byte_for_byte() -> None:
    config = Config.model_validate(world())
    for index in range(40):
        config.agents.append(Agent(id=f"a{index}", name=f"Agent {index}", model=["gpt-4o", "claude"]))
    texts = ItemTexts()
    assert texts.text(config) == written(config)
    draw = random.Random(19)
    for step in range(300):
        ids = [agent.id for agent in config.agents]
        kind = draw.randrange(8)
        if kind == 0:
            apply_edit(config, SetAgentModels(draw.choice(ids), (draw.choice(["mini", "haiku"]),)))
        elif kind == 1:
            name = draw.choice(["Ñame ☃", 'say "hi"\nthen \\ go', "  spaced  ", "\u2028line"])
            apply_edit(config, PutItem("agents", Agent(id=f"new{step}", name=name), index=draw.randrange(len(ids))))
        elif kind == 2 and len(ids) > 1:
            apply_edit(config, RemoveItem("agents", draw.choice(ids)))
        elif kind == 3:
            apply_edit(config, UpdateItem("agents", draw.choice(ids), {"instruction": "x" * draw.randrange(3)}))
        elif kind == 4:
            apply_edit(config, SetSetting(("fallback", "retries"), draw.randrange(5)))
        elif kind == 5:  # an id taken over by a replacement item
            at = draw.randrange(len(ids))
            config.agents[at] = config.agents[at].model_copy(update={"id": f"renamed{step}"})
        elif kind == 6:  # two items change places
            first, second = draw.sample(range(len(ids)), 2)
            config.agents[first], config.agents[second] = config.agents[second], config.agents[first]
        else:  # another collection, and one emptied and filled again
            squads = config.squads
            if squads:
                squads.clear()
            else:
                squads.append(Squad(id=f"s{step}", name="Squad", agents=ids[:2]))
        assert texts.text(config) == written(config), step


def test_two_replaced_items_may_swap_ids_but_never_share_one() -> None:
    config = Config.model_validate(world())
    texts = ItemTexts()
    texts.text(config)
    first, second = config.agents[0], config.agents[1]
    config.agents[0] = first.model_copy(update={"id": second.id})
    config.agents[1] = second.model_copy(update={"id": first.id})
    assert texts.text(config) == written(config)
    config.agents[2] = config.agents[2].model_copy(update={"id": config.agents[3].id})  # an unchanged item's id
    with pytest.raises(DuplicateId):
        texts.text(config)
    config.agents[2] = config.agents[2].model_copy(update={"id": "fresh"})
    assert texts.text(config) == written(config)
    config.agents.append(config.agents[0].model_copy())  # added: the same id twice
    with pytest.raises(DuplicateId):
        texts.text(config)


@pytest.mark.parametrize(
    "config",
    [Config(), Config(agents=[]), Config(squads=[Squad(id="s", name="S")]), Config.model_validate({"settings": {}})],
    ids=["empty", "empty list written", "one collection", "settings written"],
)
def test_small_configs_are_written_as_a_whole_dump_writes_them(config: Config) -> None:
    assert ItemTexts().text(config) == written(config)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(drawn=configs())
def test_any_valid_config_is_written_as_a_whole_dump_writes_it(drawn: tuple[Config, object]) -> None:
    config, _ = drawn
    assert ItemTexts().text(config) == written(config)


def test_a_number_orjson_cannot_write_sends_the_whole_file_the_usual_way() -> None:
    config = Config(models=[Model(id="m", provider="p", name="n", context_window=2**70)])
    assert ItemTexts().text(config) is None
    assert json.loads(written(config))["models"][0]["context_window"] == 2**70


def test_a_save_over_its_own_last_write_still_refuses_a_file_broken_since(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    store = ConfigStore(path, tmp_path / "policy.json")
    config = Config.model_validate(world())
    store.save(config)
    store.save(config)  # over its own write
    assert path.read_bytes() == written(config)
    path.write_text('{"agents": "nope"}')  # another program breaks it
    with pytest.raises(ConfigError):
        store.save(config)
    assert path.read_text() == '{"agents": "nope"}'


def test_the_texts_follow_what_the_edits_say_they_replaced_byte_for_byte() -> None:
    """A writer that passes each edit's Change (the store's save thread) skips the identity
    pass; whatever the batch (items updated, replaced, added, removed, a setting, the same
    item twice), the text is still the whole dump's."""
    config = Config.model_validate(world())
    for index in range(40):
        config.agents.append(Agent(id=f"a{index}", name=f"Agent {index}", model=["gpt-4o", "claude"]))
    texts = ItemTexts()
    assert texts.text(config) == written(config)
    draw = random.Random(23)
    for step in range(300):
        changes = []
        for _ in range(draw.randrange(1, 4)):
            ids = [agent.id for agent in config.agents]
            kind = draw.randrange(6)
            if kind == 0:
                edit: Edit = SetAgentModels(draw.choice(ids), (draw.choice(["mini", "haiku"]),))
            elif kind == 1:  # an item replaced whole, in its place
                old = config.agents[draw.randrange(len(ids))]
                edit = PutItem("agents", old.model_copy(update={"name": f"Replaced {step}"}))
            elif kind == 2:
                edit = PutItem(
                    "agents", Agent(id=f"new{step}-{len(changes)}", name="New"), index=draw.randrange(len(ids))
                )
            elif kind == 3 and len(ids) > 1:
                edit = RemoveItem("agents", draw.choice(ids))
            elif kind == 4:
                edit = UpdateItem("agents", draw.choice(ids), {"instruction": "x" * draw.randrange(3)})
            else:
                edit = SetSetting(("fallback", "retries"), draw.randrange(5))
            changes.append(apply_tracked(config, edit)[1])
        assert texts.text(config, changes) == written(config), step


def test_changes_about_another_config_object_are_not_trusted() -> None:
    config = Config.model_validate(world())
    texts = ItemTexts()
    texts.text(config)
    other = config.model_copy(deep=True)
    first = other.agents[0].id
    _inverse, change = apply_tracked(other, SetAgentModels(first, ("mini",)))
    other.agents[1] = other.agents[1].model_copy(update={"name": "Changed behind the changes' back"})
    assert texts.text(other, [change]) == written(other)
