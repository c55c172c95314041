"""Synthetic workspaces of any size for the benchmarks."""

from __future__ import annotations

import json
from typing import Any

from modeldesk.core.schema import Config


def workspace(agents: int, models: int = 40) -> Config:
    """``agents`` agents over ``models`` models and 10 projects; a third inherit, a tenth
    list a disabled model (so the resolver has warnings to produce)."""
    return Config.model_validate(
        {
            "providers": [
                {"id": "p1", "kind": "openai", "base_url": "http://127.0.0.1:1/v1"},
                {"id": "p2", "kind": "anthropic", "base_url": "http://127.0.0.1:2"},
            ],
            "models": [
                {
                    "id": f"m{i}",
                    "provider": "p1" if i % 2 else "p2",
                    "name": f"m{i}",
                    "context_window": 8000 * (1 + i % 8),
                    "enabled": i != 7,
                }
                for i in range(models)
            ],
            "settings": {"default_agent_model": ["m1", "m2"], "task_models": {"title": {"*": "m3", "m1": "m4"}}},
            "projects": [{"id": f"proj{i}", "name": f"Project {i}", "default_model": f"m{i + 10}"} for i in range(10)],
            "agents": [
                {
                    "id": f"agent{i}",
                    "name": f"Agent {i}",
                    "project": f"proj{i % 10}",
                    **(
                        {}
                        if i % 3 == 0
                        else {
                            "model": [f"m{i % models}", f"m{(i + 1) % models}", "m7"]
                            if i % 10 == 0
                            else [f"m{i % models}", f"m{(i + 1) % models}"]
                        }
                    ),
                }
                for i in range(agents)
            ],
            "squads": [
                {"id": f"squad{i}", "name": f"Squad {i}", "agents": [f"agent{j}" for j in range(i, agents, 50)]}
                for i in range(5)
            ],
        }
    )


def workspace_10k(agents: int = 10_000, models: int = 1_000, squads: int = 500, projects: int = 50) -> dict[str, Any]:
    """The issue-sized workspace as raw data: 10,000 agents, 1,000 models, 500 squads, 50
    projects. A third of the agents inherit (project or settings default), a tenth list a
    disabled model; every project has task models; squads hold 20 agents each."""
    return {
        "schema_version": 1,
        "providers": [
            {"id": "p1", "kind": "openai", "base_url": "http://127.0.0.1:1/v1"},
            {"id": "p2", "kind": "anthropic", "base_url": "http://127.0.0.1:2"},
        ],
        "models": [
            {
                "id": f"m{i}",
                "provider": "p1" if i % 2 else "p2",
                "name": f"model-{i}",
                "context_window": 8000 * (1 + i % 8),
                "enabled": i % 97 != 7,
            }
            for i in range(models)
        ],
        "settings": {"default_agent_model": ["m1", "m2"], "task_models": {"title": {"*": "m3", "m1": "m4"}}},
        "projects": [
            {
                "id": f"proj{i}",
                "name": f"Project {i}",
                "default_model": [f"m{(i * 13) % models}", f"m{(i * 13 + 1) % models}"],
                "task_models": {"summary": {"*": f"m{(i * 7) % models}"}},
            }
            for i in range(projects)
        ],
        "agents": [
            {
                "id": f"agent{i}",
                "name": f"Agent {i}",
                "project": f"proj{i % projects}",
                **(
                    {}
                    if i % 3 == 0
                    else {"model": [f"m{i % models}", f"m{(i * 7 + 1) % models}"] + (["m7"] if i % 10 == 1 else [])}
                ),
            }
            for i in range(agents)
        ],
        "squads": [
            {"id": f"squad{i}", "name": f"Squad {i}", "agents": [f"agent{j}" for j in range(i, agents, squads)]}
            for i in range(squads)
        ],
    }


def messy_10k(data: dict[str, Any]) -> dict[str, Any]:
    """A copy of the workspace as people leave it: every fifth agent lists a model since
    removed (unknown id) before its own, a tenth a disabled one (as generated), the
    settings' default starts with an unknown id, and some agents name a project that is gone."""
    data = json.loads(json.dumps(data))
    for index, agent in enumerate(data["agents"]):
        if index % 5 == 2 and isinstance(agent.get("model"), list):
            agent["model"] = [f"retired-{index % 40}", *agent["model"]]
        if index % 50 == 7:
            agent["project"] = f"gone-{index % 3}"
    data["settings"]["default_agent_model"] = ["retired-default", "m1", "m2"]
    return data
