"""Every row of SPEC §3.1, §3.2, §3.4 and every skipping rule of §3.3, checked three ways:
through the Resolver API, through `modeldesk resolve --json` in-process, and (for a
representative subset) through `python -m modeldesk` as a real subprocess."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from modeldesk.core.errors import ResolutionError
from modeldesk.core.resolver import Resolver
from tests.core.helpers import POLICY, Cli, config, policy, run_module, set_agent, world, write_json

CHAT_LAYERS = ["call", "agent", "project", "settings", "organization"]
DELEGATED_LAYERS = ["agent", "parent", "request", "project", "settings", "organization"]
TASK_LAYERS = ["agent-task", "project-task", "settings-task", "organization-task", "chat-model"]


@dataclass
class Case:
    id: str
    agent: str
    models: list[str] | None = None  # expected models (None when an error is expected)
    source: str | None = None
    error: str | None = None
    data: dict[str, Any] = field(default_factory=world)
    with_policy: bool = False
    call: list[str] | None = None
    delegated: bool = False
    parent: list[str] | None = None
    request: list[str] | None = None
    project: str | None = None
    strict: bool = False
    task: str | None = None
    warnings: list[str] = field(default_factory=list)  # substrings, each in some warning
    reasons: dict[str, str] = field(default_factory=dict)  # layer -> substring of its reason
    subprocess: bool = False

    def api(self) -> Any:
        resolver = Resolver(config(self.data), policy() if self.with_policy else None)
        kwargs = {
            "call": self.call,
            "delegated": self.delegated,
            "parent": self.parent,
            "request": self.request,
            "project": self.project,
            "strict": self.strict,
        }
        if self.task is None:
            return resolver.chat(self.agent, **kwargs)
        return resolver.task(self.agent, self.task, **kwargs)

    def argv(self, path: Path) -> list[str]:
        argv = ["--config", str(path), "resolve", "--agent", self.agent]
        for flag, value in (("--model", self.call), ("--parent-model", self.parent), ("--request-model", self.request)):
            if value is not None:
                argv += [flag, ",".join(value)]
        if self.delegated:
            argv.append("--delegated")
        if self.project is not None:
            argv += ["--project", self.project]
        if self.task is not None:
            argv += ["--task", self.task]
        if self.strict:
            argv.append("--strict")
        return [*argv, "--json"]


def no_default(data: dict[str, Any] | None = None) -> dict[str, Any]:
    data = world() if data is None else data
    del data["settings"]["default_agent_model"]
    return data


def agent_model(agent_id: str, value: Any) -> dict[str, Any]:
    return set_agent(world(), agent_id, model=value)


def settings_tasks(value: dict[str, Any] | None) -> dict[str, Any]:
    data = world()
    if value is None:
        del data["settings"]["task_models"]
    else:
        data["settings"]["task_models"] = value
    return data


CASES = [
    # §3.1 top-level run
    Case("3.1 call", "own", ["haiku"], "call", call=["haiku"], subprocess=True),
    Case("3.1 agent", "own", ["gpt-4o", "claude"], "agent", subprocess=True),
    Case("3.1 project", "bare", ["mini"], "project", subprocess=True),
    Case("3.1 project override", "lone", ["mini"], "project", project="support"),
    Case("3.1 settings", "lone", ["claude", "gpt-4o"], "settings", reasons={"project": "no project"}, subprocess=True),
    Case(
        "3.1 organization", "lone", ["corp-model"], "organization", data=no_default(), with_policy=True, subprocess=True
    ),
    Case("3.1 error", "lone", error="no_model_configured", data=no_default(), subprocess=True),
    # §3.2 delegated run
    Case("3.2 agent", "own", ["gpt-4o", "claude"], "agent", parent=["haiku"], subprocess=True),
    Case("3.2 parent", "bare", ["haiku"], "parent", parent=["haiku"], subprocess=True),
    Case("3.2 parent before request", "bare", ["haiku"], "parent", parent=["haiku"], request=["gpt-4o"]),
    Case("3.2 request", "bare", ["haiku"], "request", request=["haiku"], subprocess=True),
    Case("3.2 --model is the request", "bare", ["gpt-4o"], "request", delegated=True, call=["gpt-4o"]),
    Case("3.2 project", "bare", ["mini"], "project", delegated=True),
    Case("3.2 settings", "lone", ["claude", "gpt-4o"], "settings", delegated=True),
    Case(
        "3.2 organization", "lone", ["corp-model"], "organization", delegated=True, data=no_default(), with_policy=True
    ),
    Case("3.2 error", "lone", error="no_model_configured", delegated=True, data=no_default(), subprocess=True),
    # §3.4 task models
    Case("3.4 agent-task", "tasky", ["haiku"], "agent-task", task="title", subprocess=True),
    Case("3.4 project-task by chat model", "fan", ["mini"], "project-task", task="title"),
    Case("3.4 project-task wildcard", "own", ["haiku"], "project-task", task="summary", subprocess=True),
    Case(
        "3.4 settings-task by chat model",
        "own",
        ["haiku"],
        "settings-task",
        task="title",
        reasons={"project-task": "no entry for 'gpt-4o'"},
    ),
    Case("3.4 settings-task wildcard", "lone", ["mini"], "settings-task", task="title"),
    Case(
        "3.4 organization-task",
        "lone",
        ["corp-model"],
        "organization-task",
        task="title",
        data=settings_tasks(None),
        with_policy=True,
        subprocess=True,
    ),
    Case("3.4 chat-model", "lone", ["claude", "gpt-4o"], "chat-model", task="digest", subprocess=True),
    Case("3.4 keyed on the call's primary", "own", ["mini"], "project-task", task="title", call=["claude"]),
    # §3.3 skipping rules
    Case("blank", "own", ["mini"], "project", data=agent_model("own", ""), reasons={"agent": "blank"}),
    Case("whitespace", "own", ["mini"], "project", data=agent_model("own", "   "), reasons={"agent": "blank"}),
    Case(
        "placeholder",
        "own",
        ["mini"],
        "project",
        data=agent_model("own", "default"),
        reasons={"agent": "placeholder"},
        subprocess=True,
    ),
    Case(
        "placeholder any case and spaces",
        "own",
        ["mini"],
        "project",
        data=agent_model("own", [" DeFault "]),
        reasons={"agent": "placeholder"},
    ),
    Case(
        "placeholder in call", "own", ["gpt-4o", "claude"], "agent", call=[" default "], reasons={"call": "placeholder"}
    ),
    Case("blank call", "own", ["gpt-4o", "claude"], "agent", call=[""], reasons={"call": "blank"}),
    Case("blanks inside a list", "own", ["haiku"], "agent", data=agent_model("own", ["", "Default", "haiku"])),
    Case(
        "unknown id removed",
        "own",
        ["claude"],
        "agent",
        data=agent_model("own", ["nope", "claude"]),
        warnings=["'nope'", "unknown model"],
        subprocess=True,
    ),
    Case(
        "disabled model removed",
        "own",
        ["claude"],
        "agent",
        data=agent_model("own", ["retired", "claude"]),
        warnings=["'retired'", "model disabled"],
    ),
    Case(
        "missing provider removed",
        "own",
        ["claude"],
        "agent",
        data=agent_model("own", ["orphan", "claude"]),
        warnings=["'orphan'", "provider 'gone' missing"],
    ),
    Case(
        "disabled provider removed",
        "own",
        ["claude"],
        "agent",
        data=agent_model("own", ["local", "claude"]),
        warnings=["'local'", "provider 'off' disabled"],
    ),
    Case(
        "layer with nothing usable is skipped",
        "own",
        ["mini"],
        "project",
        data=agent_model("own", ["nope", "retired"]),
        reasons={"agent": "no usable model"},
        warnings=["'nope'", "'retired'"],
    ),
    Case(
        "duplicates dropped",
        "own",
        ["claude", "gpt-4o"],
        "agent",
        data=agent_model("own", ["claude", "gpt-4o", "claude"]),
        warnings=["'claude' is listed twice"],
    ),
    Case(
        "strict refuses unusable",
        "own",
        error="unusable_model",
        data=agent_model("own", ["nope", "claude"]),
        strict=True,
        subprocess=True,
    ),
    Case("strict passes usable", "own", ["gpt-4o", "claude"], "agent", strict=True),
    Case(
        "unknown project override",
        "bare",
        ["claude", "gpt-4o"],
        "settings",
        project="nope",
        warnings=["unknown project 'nope'"],
        reasons={"project": "unknown project"},
    ),
    Case(
        "agent's project missing",
        "bare",
        ["claude", "gpt-4o"],
        "settings",
        data=set_agent(world(), "bare", project="ghost"),
        warnings=["unknown project 'ghost'"],
    ),
    Case(
        "placeholder setting skipped",
        "lone",
        ["corp-model"],
        "organization",
        data=world(settings__default_agent_model="Default"),
        with_policy=True,
        reasons={"settings": "placeholder"},
    ),
    Case(
        "policy models are known",
        "own",
        ["corp-model"],
        "agent",
        data=agent_model("own", "corp-model"),
        with_policy=True,
    ),
    Case(
        "without the policy they are not",
        "own",
        ["mini"],
        "project",
        data=agent_model("own", "corp-model"),
        warnings=["'corp-model'"],
    ),
    Case(
        "placeholder task entry",
        "lone",
        ["claude", "gpt-4o"],
        "chat-model",
        task="title",
        data=settings_tasks({"title": {"*": " default "}}),
        reasons={"settings-task": "placeholder"},
    ),
    Case(
        "stale task entry falls to wildcard",
        "own",
        ["mini"],
        "settings-task",
        task="title",
        data=settings_tasks({"title": {"gpt-4o": "retired", "*": "mini"}}),
        warnings=["'retired'"],
    ),
    Case("unknown agent", "ghost", error="unknown_agent", subprocess=True),
]


def _layers(case: Case) -> list[str]:
    if case.task is not None:
        order = TASK_LAYERS
    elif case.delegated or case.parent is not None or case.request is not None:
        order = DELEGATED_LAYERS
    else:
        order = CHAT_LAYERS
    assert case.source is not None
    return order[: order.index(case.source) + 1]


def check(case: Case, result: dict[str, Any]) -> None:
    assert result["models"] == case.models
    assert result["source"] == case.source
    trace = result["trace"]
    assert [s["layer"] for s in trace] == _layers(case)
    assert [s["outcome"] for s in trace] == ["skipped"] * (len(trace) - 1) + ["used"]
    for layer, text in case.reasons.items():
        assert text in next(s["reason"] for s in trace if s["layer"] == layer)
    for text in case.warnings:
        assert any(text in w for w in result["warnings"]), (text, result["warnings"])
    if not case.warnings and case.task is None:
        assert result["warnings"] == []


@pytest.fixture
def files(tmp_path: Path) -> Any:
    def write(case: Case) -> Path:
        if case.with_policy:
            from tests.core.helpers import policy_file

            write_json(policy_file(), POLICY)
        return write_json(tmp_path / "config.json", case.data)

    return write


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_api(case: Case) -> None:
    if case.error:
        with pytest.raises(ResolutionError) as caught:
            case.api()
        assert caught.value.code == case.error
        return
    check(case, case.api().to_json())


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_cli(case: Case, files: Any, capsys: pytest.CaptureFixture[str]) -> None:
    path = files(case)
    result = Cli(capsys).json(*case.argv(path), expect=1 if case.error else 0)
    if case.error:
        assert set(result) == {"error"} and set(result["error"]) == {"code", "message"}
        assert result["error"]["code"] == case.error
        return
    keys = {"models", "source", "trace", "warnings"}
    if "--task" in case.argv(path):
        # A task's models depend on the chat model its maps are keyed on: it is named.
        keys |= {"task", "chat_model", "chat"}
        assert result["chat_model"] == result["chat"]["models"][0]
    assert set(result) == keys
    check(case, result)


@pytest.mark.parametrize("case", [c for c in CASES if c.subprocess], ids=lambda c: c.id)
def test_subprocess(case: Case, files: Any) -> None:
    path = files(case)
    done = run_module(*case.argv(path))
    assert done.returncode == (1 if case.error else 0), done.stderr
    result = json.loads(done.stdout)
    if case.error:
        assert result["error"]["code"] == case.error
    else:
        check(case, result)
