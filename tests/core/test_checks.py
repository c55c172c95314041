"""Reference checks behind `config validate`: each kind of dangling reference is named
with its place; a clean config has none."""

from __future__ import annotations

from modeldesk.core.checks import config_warnings
from tests.core.helpers import config, policy, set_agent, world


def test_clean_references_give_no_warning() -> None:
    data = world()
    data["models"] = [m for m in data["models"] if m["id"] != "orphan"]
    assert config_warnings(config(data)) == []


def test_each_kind_of_dangling_reference() -> None:
    data = set_agent(world(), "own", model=["gpt-4o", "gpt-9", "gpt-4o", "*", " default ", ""])
    set_agent(data, "bare", project="ghost", task_models={"title": "retired"})
    data["settings"]["task_models"]["title"]["claude"] = ["local"]
    data["projects"][0]["default_model"] = "corp-model"
    data["squads"][0]["agents"].append("nobody")
    assert config_warnings(config(data)) == [
        "models[5].provider: there is no provider 'gone'",
        "settings.task_models.title['claude']: 'local': provider 'off' disabled",
        "projects[0].default_model: 'corp-model': unknown model",
        "agents[0].model: 'gpt-9': unknown model",
        "agents[0].model: 'gpt-4o' is listed twice",
        "agents[0].model: '*': unknown model",
        "agents[1].task_models.title: 'retired': model disabled",
        "agents[1].project: there is no project 'ghost'",
        "squads[0].agents[2]: there is no agent 'nobody'",
    ]
    # The policy's models and providers count as known.
    assert "projects[0].default_model: 'corp-model': unknown model" not in config_warnings(config(data), policy())
