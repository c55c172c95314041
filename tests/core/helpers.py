"""Config builders and CLI runners shared by tests/core and tests/cli."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import strategies as st

from modeldesk.core.schema import Config, Policy

REPO = Path(__file__).resolve().parents[2]

# A workspace where every layer of SPEC §3 has something to say.
WORLD: dict[str, Any] = {
    "schema_version": 1,
    "providers": [
        {
            "id": "openai",
            "kind": "openai",
            "base_url": "https://api.openai.com/v1",
            "api_key": {"env": "OPENAI_API_KEY"},
        },
        {
            "id": "anthropic",
            "kind": "anthropic",
            "base_url": "https://api.anthropic.com",
            "api_key": {"keyring": "anthropic"},
        },
        {"id": "off", "kind": "openai", "base_url": "http://127.0.0.1:9/v1", "enabled": False},
    ],
    "models": [
        {"id": "gpt-4o", "provider": "openai", "name": "gpt-4o"},
        {"id": "mini", "provider": "openai", "name": "gpt-4o-mini"},
        {"id": "claude", "provider": "anthropic", "name": "claude-sonnet-4"},
        {"id": "haiku", "provider": "anthropic", "name": "claude-haiku-4"},
        {"id": "retired", "provider": "openai", "name": "gpt-3", "enabled": False},
        {"id": "orphan", "provider": "gone", "name": "orphan"},
        {"id": "local", "provider": "off", "name": "llama"},
    ],
    "settings": {
        "default_agent_model": ["claude", "gpt-4o"],
        "task_models": {"title": {"gpt-4o": "haiku", "*": "mini"}},
    },
    "projects": [
        {
            "id": "support",
            "name": "Support",
            "default_model": "mini",
            "task_models": {"summary": {"*": "haiku"}, "title": {"claude": "mini"}},
        },
    ],
    "agents": [
        {"id": "own", "name": "Own", "project": "support", "model": ["gpt-4o", "claude"]},
        {"id": "bare", "name": "Bare", "project": "support"},
        {"id": "lone", "name": "Lone"},
        {"id": "fan", "name": "Fan", "project": "support", "model": "claude"},
        {"id": "tasky", "name": "Tasky", "model": "claude", "task_models": {"title": "haiku"}},
    ],
    "squads": [{"id": "team", "name": "Team", "agents": ["own", "bare"]}],
}

POLICY: dict[str, Any] = {
    "schema_version": 1,
    "providers": [{"id": "corp", "kind": "openai", "base_url": "https://llm.corp.example/v1"}],
    "models": [{"id": "corp-model", "provider": "corp", "name": "corp-large"}],
    "default_agent_model": "corp-model",
    "task_models": {"title": {"*": "corp-model"}},
}


def world(**changes: Any) -> dict[str, Any]:
    """A deep copy of WORLD; ``settings__default_agent_model=None`` style keys edit nested
    dicts (``None`` removes the key)."""
    data = copy.deepcopy(WORLD)
    for dotted, value in changes.items():
        node = data
        *parents, last = dotted.split("__")
        for part in parents:
            node = node[part]
        if value is None:
            node.pop(last, None)
        else:
            node[last] = value
    return data


def set_agent(data: dict[str, Any], agent_id: str, **fields: Any) -> dict[str, Any]:
    """Change fields of one agent in raw data (``None`` removes the field)."""
    agent = next(a for a in data["agents"] if a["id"] == agent_id)
    for name, value in fields.items():
        if value is None:
            agent.pop(name, None)
        else:
            agent[name] = value
    return data


def config(data: dict[str, Any] | None = None) -> Config:
    return Config.model_validate(copy.deepcopy(WORLD if data is None else data))


def policy(data: dict[str, Any] | None = None) -> Policy:
    return Policy.model_validate(copy.deepcopy(POLICY if data is None else data))


def write_json(path: Path, data: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return path


def policy_file() -> Path:
    """Where the store looks for the policy in tests (tests/conftest.py sets the variable)."""
    return Path(os.environ["MODELDESK_POLICY"])


def run_module(*args: str, env: dict[str, str] | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """`python -m modeldesk ARGS` as a real subprocess."""
    return subprocess.run(
        [sys.executable, "-m", "modeldesk", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        cwd=REPO,
    )


class Cli:
    """Runs the real CLI entry point in-process and captures its output."""

    def __init__(self, capsys: pytest.CaptureFixture[str]) -> None:
        self.capsys = capsys

    def __call__(self, *args: str) -> tuple[int, str, str]:
        from modeldesk.cli.main import main

        self.capsys.readouterr()
        code = main(list(args))
        out, err = self.capsys.readouterr()
        return code, out, err

    def json(self, *args: str, expect: int = 0) -> Any:
        code, out, err = self(*args, "--json")
        assert code == expect, (code, out, err)
        return json.loads(out)


# --- arbitrary valid configs, for property tests --------------------------------------
# Few ids, so references collide often: unknown, disabled and repeated models, missing
# providers and projects all turn up.

IDS = ["m1", "m2", "m3", "m4", "m5"]
PROVIDERS = ["p1", "p2", "p3"]
ENTRY = st.one_of(
    st.sampled_from([*IDS, "ghost"]),
    st.sampled_from(["", "  ", "default", " DEFAULT ", "Default", "*"]),
    st.text(max_size=6),
)
MODEL_VALUE = st.one_of(st.none(), ENTRY, st.lists(ENTRY, max_size=5))
TASK_MAP = st.dictionaries(
    st.sampled_from(["title", "summary"]),
    st.dictionaries(st.sampled_from([*IDS, "*"]), MODEL_VALUE.filter(lambda v: v is not None), max_size=3),
    max_size=2,
)


@st.composite
def configs(draw: st.DrawFn) -> tuple[Config, Policy | None]:
    providers = [
        {"id": p, "kind": "openai", "base_url": "http://127.0.0.1/v1", "enabled": draw(st.booleans())}
        for p in draw(st.lists(st.sampled_from(PROVIDERS), unique=True, max_size=3))
    ]
    models = [
        {"id": m, "provider": draw(st.sampled_from([*PROVIDERS, "gone"])), "name": m, "enabled": draw(st.booleans())}
        for m in draw(st.lists(st.sampled_from(IDS), unique=True, max_size=5))
    ]
    projects = [
        {"id": p, "name": p, "default_model": draw(MODEL_VALUE), "task_models": draw(TASK_MAP)}
        for p in draw(st.lists(st.sampled_from(["pa", "pb"]), unique=True, max_size=2))
    ]
    agents = [
        {
            "id": a,
            "name": a,
            "project": draw(st.sampled_from([None, "pa", "pb", "pz"])),
            "model": draw(MODEL_VALUE),
            "task_models": draw(
                st.dictionaries(
                    st.sampled_from(["title", "summary"]), MODEL_VALUE.filter(lambda v: v is not None), max_size=2
                )
            ),
        }
        for a in ["a1", "a2", "a3"]
    ]
    data: dict[str, Any] = {
        "providers": providers,
        "models": models,
        "projects": projects,
        "agents": agents,
        "settings": {"default_agent_model": draw(MODEL_VALUE), "task_models": draw(TASK_MAP)},
    }
    policy_data = draw(
        st.one_of(
            st.none(),
            st.fixed_dictionaries(
                {
                    "providers": st.just([{"id": "org", "kind": "openai", "base_url": "http://org/v1"}]),
                    "models": st.just([{"id": "m5", "provider": "org", "name": "m5"}]),
                    "default_agent_model": MODEL_VALUE,
                    "task_models": TASK_MAP,
                }
            ),
        )
    )
    return Config.model_validate(data), (Policy.model_validate(policy_data) if policy_data else None)
