"""`modeldesk doctor` as a real process, against real servers on 127.0.0.1."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from tests.core.helpers import run_module, write_json
from tests.support.scripted_server import ScriptedServer, status


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCTOR_TEST_")}
    env.update(extra)
    return env


def _config(tmp_path: Path, base_url: str, **provider: Any) -> Path:
    return write_json(
        tmp_path / "config.json",
        {
            "schema_version": 1,
            "providers": [{"id": "remote", "kind": "openai", "base_url": base_url, **provider}],
            "models": [
                {"id": "fast", "provider": "remote", "name": "fast-1"},
                {"id": "retired", "provider": "remote", "name": "old-1", "enabled": False},
            ],
            "settings": {"default_agent_model": "fast"},
            "agents": [
                {"id": "writer", "name": "Writer", "model": ["retired", "fast"]},
                {"id": "plain", "name": "Plain"},
            ],
        },
    )


def test_missing_key_exits_1_and_names_the_variable(tmp_path: Path) -> None:
    with ScriptedServer() as server:
        path = _config(tmp_path, server.openai_url, api_key={"env": "DOCTOR_TEST_KEY"})
        result = run_module("--config", str(path), "doctor", env=_env())
    assert result.returncode == 1, result
    problems = [line for line in result.stdout.splitlines() if line.startswith("  - ")]
    assert any(
        "provider remote" in p and "DOCTOR_TEST_KEY is not set" in p and "export DOCTOR_TEST_KEY" in p for p in problems
    )
    # The disabled model the agent still lists is a problem of its own, with what to do.
    assert any("agent writer" in p and "'retired': model disabled" in p and "agent editor" in p for p in problems)


def test_healthy_config_exits_0_with_latency_and_never_prints_the_key(tmp_path: Path) -> None:
    with ScriptedServer(api_key="sk-doctor-secret") as server:
        server.model_names = ["fast-1"]
        path = _config(tmp_path, server.openai_url, api_key={"env": "DOCTOR_TEST_KEY"})
        write_json(path, {**json.loads(path.read_text()), "agents": [{"id": "plain", "name": "Plain"}]})
        result = run_module(
            "--config", str(path), "doctor", "--json", "--probe", env=_env(DOCTOR_TEST_KEY="sk-doctor-secret")
        )
        chat_models = [r.model for r in server.chat_requests()]
    assert result.returncode == 0, result
    assert "sk-doctor-secret" not in result.stdout + result.stderr
    report = json.loads(result.stdout)
    provider = report["providers"][0]
    assert provider["key"] == {
        "needed": True,
        "present": True,
        "source": "environment variable DOCTOR_TEST_KEY",
        "error": None,
    }
    assert provider["reachable"] is True and isinstance(provider["latency_ms"], int)
    assert [p["model"] for p in provider["probes"]] == ["fast"] and provider["probes"][0]["ok"]
    assert chat_models == ["fast-1"]  # the disabled model is not probed
    assert report["agents"][0]["resolves"] and report["problems"] == []


def test_rejected_key_and_unreachable_server_are_problems(tmp_path: Path) -> None:
    with ScriptedServer() as server:
        server.script_models(status(401, "bad key"))
        path = write_json(
            tmp_path / "config.json",
            {
                "schema_version": 1,
                "providers": [
                    {
                        "id": "refuses",
                        "kind": "openai",
                        "base_url": server.openai_url,
                        "api_key": {"env": "DOCTOR_TEST_K"},
                    },
                    {"id": "gone", "kind": "openai", "base_url": "http://127.0.0.1:9/v1"},
                ],
            },
        )
        result = run_module("--config", str(path), "doctor", env=_env(DOCTOR_TEST_K="wrong"))
    assert result.returncode == 1
    assert "provider refuses: the server refused the key (401)" in result.stdout
    assert "provider gone: not reachable at http://127.0.0.1:9/v1" in result.stdout


def test_offline_checks_references_without_network(tmp_path: Path) -> None:
    path = _config(tmp_path, "http://127.0.0.1:9/v1")
    result = run_module("--config", str(path), "doctor", "--offline", "--json", env=_env())
    report = json.loads(result.stdout)
    assert result.returncode == 1
    assert report["providers"][0]["reachable"] is None
    assert [p["subject"] for p in report["problems"]] == ["agent writer"]


def test_probe_failures_say_what_to_do_by_error(tmp_path: Path) -> None:
    with ScriptedServer() as server:
        server.model_names = ["fast-1", "gone-1"]
        server.script("gone-1", status(404, "model not found", error_code="model_not_found"))
        server.script("fast-1", status(429, "slow down"))
        path = write_json(
            tmp_path / "config.json",
            {
                "schema_version": 1,
                "providers": [{"id": "lab", "kind": "openai", "base_url": server.openai_url}],
                "models": [
                    {"id": "fast", "provider": "lab", "name": "fast-1"},
                    {"id": "gone", "provider": "lab", "name": "gone-1"},
                ],
            },
        )
        result = run_module("--config", str(path), "doctor", "--probe", env=_env())
    assert result.returncode == 1
    lines = [line for line in result.stdout.splitlines() if line.startswith("  - model ")]
    assert any(line.startswith("  - model gone:") and "check the model's name" in line for line in lines), lines
    assert any(line.startswith("  - model fast:") and "rate-limited" in line for line in lines), lines
