"""Checks beyond the schema: references that do not point anywhere usable.

A config can be valid JSON and match the schema yet name a model that is not in the
registry, a project that does not exist, or list a model twice. None of that stops
ModelDesk (the resolver skips such entries with a warning), but `modeldesk config
validate` and the app point them out so they can be fixed.
"""

from __future__ import annotations

from collections.abc import Iterator

from .resolver import Resolver, is_placeholder
from .schema import Config, ModelValue, Policy, model_list
from .urls import plain_http_key_warning


def config_warnings(config: Config, policy: Policy | None = None) -> list[str]:
    """Each questionable reference as ``place: what``, in file order."""
    resolver = Resolver(config, policy)
    out: list[str] = []
    for index, provider in enumerate(config.providers):
        if (text := plain_http_key_warning(provider.id, provider.base_url, provider.api_key is not None)) is not None:
            out.append(f"providers[{index}].base_url: {text}")
    for index, model in enumerate(config.models):
        if model.provider not in resolver.providers:
            out.append(f"models[{index}].provider: there is no provider '{model.provider}'")
    for place, value in model_values(config):
        out.extend(_value_warnings(resolver, place, value))
    projects = {p.id for p in config.projects}
    for index, agent in enumerate(config.agents):
        if agent.project is not None and agent.project not in projects:
            out.append(f"agents[{index}].project: there is no project '{agent.project}'")
    agents = {a.id for a in config.agents}
    for index, squad in enumerate(config.squads):
        for position, agent_id in enumerate(squad.agents):
            if agent_id not in agents:
                out.append(f"squads[{index}].agents[{position}]: there is no agent '{agent_id}'")
    return out


def model_values(config: Config) -> Iterator[tuple[str, ModelValue | None]]:
    """Every model choice in the config with its place (``agents[2].model``), in file order."""
    settings = config.settings
    yield "settings.default_agent_model", settings.default_agent_model
    for task, entries in settings.task_models.items():
        for key, value in entries.items():
            yield f"settings.task_models.{task}[{key!r}]", value
    for index, project in enumerate(config.projects):
        yield f"projects[{index}].default_model", project.default_model
        for task, entries in project.task_models.items():
            for key, value in entries.items():
                yield f"projects[{index}].task_models.{task}[{key!r}]", value
    for index, agent in enumerate(config.agents):
        yield f"agents[{index}].model", agent.model
        for task, value in agent.task_models.items():
            yield f"agents[{index}].task_models.{task}", value


def _value_warnings(resolver: Resolver, place: str, value: ModelValue | None) -> Iterator[str]:
    seen: set[str] = set()
    for entry in model_list(value):
        model_id = entry.strip()
        if not model_id or is_placeholder(model_id):
            continue
        if model_id in seen:
            yield f"{place}: '{model_id}' is listed twice"
            continue
        seen.add(model_id)
        problem = resolver.model_problem(model_id)
        if problem is not None:
            yield f"{place}: '{model_id}': {problem}"
