"""What resolving costs, counted rather than timed: a resolution read only for its models
writes no reason text, and repeated lists are read once. (Timings are in bench/.)"""

from __future__ import annotations

import sys
from collections.abc import Callable
from types import FrameType
from typing import Any

import pytest

from modeldesk.core.errors import UnusableModelError
from modeldesk.core.resolver import Resolver
from tests.core.helpers import config, set_agent, world


def text_calls(work: Callable[[], object]) -> list[str]:
    """The names of the string-building builtins (join, format) called while ``work`` runs."""
    seen: list[str] = []

    def watch(frame: FrameType, event: str, arg: Any) -> None:
        if event == "c_call" and getattr(arg, "__name__", "") in ("join", "format"):
            seen.append(arg.__qualname__)

    sys.setprofile(watch)
    try:
        work()
    finally:
        sys.setprofile(None)
    return seen


def test_resolving_for_the_models_writes_no_reason_text() -> None:
    resolver = Resolver(config())
    results: list[Any] = []
    assert text_calls(lambda: results.extend(resolver.chat(a) for a in ("own", "bare", "lone", "fan"))) == []
    assert text_calls(lambda: results.append(resolver.task("tasky", "title"))) == []
    assert text_calls(lambda: results.append(resolver.task("own", "title"))) == []
    # The reasons are all there when read.
    assert results[0].trace[-1].reason == "used: gpt-4o, claude"
    assert results[-1].trace[-1].reason == "entry 'gpt-4o' used: haiku"
    assert all(step.reason for result in results for step in result.trace)


def test_a_list_shared_by_many_agents_is_read_once_with_its_warnings_each_time() -> None:
    data = world()
    data["agents"] = [{"id": f"a{i}", "name": f"A{i}", "model": ["retired", "gpt-4o", "gpt-4o"]} for i in range(50)]
    resolver = Resolver(config(data))
    first = resolver.chat("a0")
    problem_checks: list[str] = []
    original = resolver.model_problem

    def counted(model_id: str) -> str | None:
        problem_checks.append(model_id)
        return original(model_id)

    resolver.model_problem = counted  # type: ignore[method-assign]
    others = [resolver.chat(f"a{i}") for i in range(1, 50)]
    assert problem_checks == []
    for result in others:
        assert result.models == ["gpt-4o"] and result.warnings == first.warnings
        assert result.trace[-1].reason == "used: gpt-4o (removed retired: model disabled)"
    assert len(first.warnings) == 2  # the disabled id and the repeated one


def test_strict_still_fails_on_a_list_read_before() -> None:
    data = set_agent(world(), "own", model=["retired", "gpt-4o"])
    resolver = Resolver(config(data))
    assert resolver.chat("own").models == ["gpt-4o"]
    with pytest.raises(UnusableModelError):
        resolver.chat("own", strict=True)


def test_trace_and_models_do_not_follow_later_edits_of_the_config() -> None:
    cfg = config()
    resolver = Resolver(cfg)
    result = resolver.chat("own")
    again = resolver.chat("own")
    result.models.append("changed")
    agent = next(a for a in cfg.agents if a.id == "own")
    assert isinstance(agent.model, list)
    agent.model.append("mini")
    assert again.models == ["gpt-4o", "claude"]
    assert result.trace[-1].value == ["gpt-4o", "claude"]


def test_agents_with_the_same_list_and_project_share_one_reading_yet_get_their_own_lists() -> None:
    data = world()
    data["agents"] = [
        {"id": f"a{i}", "name": f"A{i}", "project": "support" if i % 2 else "gone", "model": ["retired"]}
        for i in range(20)
    ]
    resolver = Resolver(config(data))
    steps_made: list[str] = []
    original = resolver._chat

    def counted(*args: Any) -> Any:
        steps_made.append(args[0].id)
        return original(*args)

    resolver._chat = counted  # type: ignore[method-assign]
    results = [resolver.chat(f"a{i}") for i in range(20)]
    assert steps_made == ["a0", "a1"]  # one per (list, project): the rest were answered from it
    in_support, in_gone = results[1], results[0]
    assert in_support.source == "project" and in_gone.source == "settings"
    assert "project: unknown project 'gone'" in in_gone.warnings
    assert "project: unknown project 'gone'" not in in_support.warnings
    # Each caller owns its lists: changing one answer changes no other.
    results[2].models.append("changed")
    results[2].trace.clear()
    results[2].warnings.clear()
    assert resolver.chat("a4") == in_gone and resolver.chat("a4").models == in_gone.models
    assert results[4].trace and results[4].warnings
    # Given a project, a call model or strict, an agent is read on its own.
    assert resolver.chat("a0", project="support").source == "project"
    assert resolver.chat("a0", call="claude").models == ["claude"]
    assert steps_made == ["a0", "a1", "a0", "a0"]
