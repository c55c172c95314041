"""The resolver's contract beyond the SPEC tables: result shape, messages, registry rules,
and properties that hold for any valid config. (Its speed is measured in bench/.)"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from modeldesk.core.errors import NoModelConfiguredError, ResolutionError, UnknownAgentError, UnusableModelError
from modeldesk.core.resolver import Resolution, Resolver, TraceStep, is_blank_value, resolve_chat, resolve_task
from modeldesk.core.schema import Config, Policy
from tests.core.helpers import MODEL_VALUE, config, configs, policy, set_agent, world


def test_result_shape_and_primary() -> None:
    result = Resolver(config()).chat("own")
    assert isinstance(result, Resolution)
    assert result.primary == "gpt-4o" and result.fallbacks == ["claude"]
    data = result.to_json()
    assert list(data) == ["models", "source", "trace", "warnings"]
    assert all(list(step) == ["layer", "value", "outcome", "reason"] for step in data["trace"])
    assert data["trace"][1] == {
        "layer": "agent",
        "value": ["gpt-4o", "claude"],
        "outcome": "used",
        "reason": "used: gpt-4o, claude",
    }
    assert data["trace"][0] == {"layer": "call", "value": None, "outcome": "skipped", "reason": "not set"}


def test_string_value_is_a_one_element_list_in_the_trace() -> None:
    step = Resolver(config()).chat("fan").trace[1]
    assert step == TraceStep("agent", ["claude"], "used", "used: claude")


def test_ids_are_trimmed() -> None:
    data = set_agent(world(), "own", model=[" haiku ", "claude"])
    assert Resolver(config(data)).chat("own").models == ["haiku", "claude"]


def test_removed_ids_named_in_the_used_reason() -> None:
    data = set_agent(world(), "own", model=["nope", "claude"])
    step = Resolver(config(data)).chat("own").trace[-1]
    assert step.reason == "used: claude (removed nope: unknown model)"


def test_no_model_message_names_both_places_in_one_sentence() -> None:
    data = world()
    del data["settings"]["default_agent_model"]
    with pytest.raises(NoModelConfiguredError) as caught:
        Resolver(config(data)).chat("lone")
    message = str(caught.value)
    assert "agent editor" in message and "Settings → Models → Default agent model" in message
    assert message.count(". ") == 0 and message.endswith(".")
    assert caught.value.code == "no_model_configured"
    # The trace of what was tried comes along, for the app's preview.
    assert [s.layer for s in caught.value.trace] == ["call", "agent", "project", "settings", "organization"]
    assert all(s.outcome == "skipped" for s in caught.value.trace)


def test_unknown_agent() -> None:
    with pytest.raises(UnknownAgentError) as caught:
        Resolver(config()).chat("ghost")
    assert caught.value.code == "unknown_agent" and "ghost" in caught.value.message
    with pytest.raises(UnknownAgentError):
        Resolver(config()).task("ghost", "title")


def test_strict_names_the_model_layer_and_reason() -> None:
    data = set_agent(world(), "own", model=["gpt-4o", "local"])
    with pytest.raises(UnusableModelError) as caught:
        Resolver(config(data)).chat("own", strict=True)
    assert "'local'" in caught.value.message and "agent" in caught.value.message
    assert "provider 'off' disabled" in caught.value.message
    # Like no_model_configured, it carries the layers considered before the failing one.
    assert caught.value.trace == [TraceStep("call", None, "skipped", "not set")]


def test_strict_applies_to_task_layers() -> None:
    data = set_agent(world(), "tasky", task_models={"title": ["nope", "haiku"]})
    assert Resolver(config(data)).task("tasky", "title").models == ["haiku"]
    with pytest.raises(UnusableModelError):
        Resolver(config(data)).task("tasky", "title", strict=True)


def test_model_problem_each_reason() -> None:
    resolver = Resolver(config())
    assert resolver.model_problem("gpt-4o") is None
    assert resolver.model_problem("nope") == "unknown model"
    assert resolver.model_problem("retired") == "model disabled"
    assert resolver.model_problem("orphan") == "provider 'gone' missing"
    assert resolver.model_problem("local") == "provider 'off' disabled"
    assert resolver.model_problem("corp-model") == "unknown model"
    assert Resolver(config(), policy()).model_problem("corp-model") is None


def test_config_definitions_win_over_the_policy() -> None:
    data = policy().model_dump()
    data["models"].append({"id": "gpt-4o", "provider": "corp", "name": "x", "enabled": False})
    resolver = Resolver(config(), Policy.model_validate(data))
    assert resolver.model_problem("gpt-4o") is None
    assert resolver.models["gpt-4o"].provider == "openai"
    assert "corp" in resolver.providers


def test_delegated_is_implied_by_parent_or_request() -> None:
    resolver = Resolver(config())
    assert resolver.chat("bare", parent="haiku").source == "parent"
    assert resolver.chat("bare", request="haiku").source == "request"
    both = resolver.chat("bare", delegated=True, call="gpt-4o", request="haiku")
    assert both.models == ["haiku"] and any("ignored" in w for w in both.warnings)


def test_task_reuses_a_given_chat_resolution() -> None:
    resolver = Resolver(config())
    chat = resolver.chat("own", call="claude")
    # The title map of the project is keyed on claude: the given chat decides, not the agent.
    assert resolver.task("own", "title", chat=chat).models == ["mini"]
    assert resolver.task("own", "title").models == ["haiku"]


def test_task_carries_the_chat_warnings() -> None:
    data = set_agent(world(), "own", model=["nope", "gpt-4o"])
    result = Resolver(config(data)).task("own", "digest")
    assert result.source == "chat-model" and result.models == ["gpt-4o"]
    assert any("'nope'" in w for w in result.warnings)
    assert result.trace[-1] == TraceStep("chat-model", ["gpt-4o"], "used", "used the chat models: gpt-4o")


def test_task_project_override() -> None:
    resolver = Resolver(config())
    assert resolver.task("lone", "summary", project="support").models == ["haiku"]
    result = resolver.task("bare", "summary", project="nope")
    assert result.source == "chat-model"
    assert any("unknown project 'nope'" in w for w in result.warnings)


def test_convenience_functions() -> None:
    assert resolve_chat(config(), "own").source == "agent"
    assert resolve_task(config(), "tasky", "title").source == "agent-task"
    assert resolve_chat(config(world(settings__default_agent_model=None)), "lone", policy()).source == "organization"


def test_blank_value_helper() -> None:
    assert is_blank_value(None) and is_blank_value("") and is_blank_value([" ", "DEFAULT"])
    assert not is_blank_value(["default", "x"])


# --- properties over arbitrary valid configs -----------------------------------------

CHAT_ARGS = st.fixed_dictionaries(
    {
        "call": MODEL_VALUE,
        "parent": MODEL_VALUE,
        "request": MODEL_VALUE,
        "delegated": st.booleans(),
        "project": st.sampled_from([None, "pa", "pz"]),
        "strict": st.booleans(),
    }
)

SOURCES = {"call", "agent", "parent", "request", "project", "settings", "organization"}
TASK_SOURCES = {"agent-task", "project-task", "settings-task", "organization-task", "chat-model"}


def _check(resolver: Resolver, result: Resolution, sources: set[str]) -> None:
    assert result.models, "never empty"
    assert len(set(result.models)) == len(result.models), "unique"
    assert all(resolver.model_problem(m) is None for m in result.models), "usable"
    assert result.source in sources
    assert result.trace[-1].layer == result.source and result.trace[-1].outcome == "used"
    assert all(step.outcome == "skipped" for step in result.trace[:-1])


def _check_error(exc: ResolutionError, agent_id: str, strict: bool) -> None:
    """Each error only where it belongs."""
    if isinstance(exc, UnknownAgentError):
        assert agent_id == "nobody"
    elif isinstance(exc, UnusableModelError):
        assert strict
    else:
        assert isinstance(exc, NoModelConfiguredError)
        assert exc.trace and all(step.outcome == "skipped" for step in exc.trace)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(configs(), CHAT_ARGS, st.sampled_from(["title", "summary", "other"]))
def test_resolution_properties(
    world_and_policy: tuple[Config, Policy | None], kwargs: dict[str, Any], task: str
) -> None:
    cfg, pol = world_and_policy
    resolver = Resolver(cfg, pol)
    for agent_id in ("a1", "a2", "a3", "nobody"):
        try:
            chat = resolver.chat(agent_id, **kwargs)
        except ResolutionError as exc:
            _check_error(exc, agent_id, kwargs["strict"])
            continue
        _check(resolver, chat, SOURCES)
        if kwargs["strict"]:
            assert not any("removed" in w for w in chat.warnings)
        try:
            result = resolver.task(agent_id, task, chat=chat, strict=kwargs["strict"], project=kwargs["project"])
        except ResolutionError as exc:
            _check_error(exc, agent_id, kwargs["strict"])
            # Inside a loop over generated cases, where pytest.raises does not fit.
            assert isinstance(exc, UnusableModelError), "a task always has the chat models to fall back on"  # noqa: PT017
            continue
        _check(resolver, result, TASK_SOURCES)
        assert resolver.task(agent_id, task, **kwargs).models == result.models
