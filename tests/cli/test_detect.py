"""`modeldesk providers detect` as a real process, finding a real server on 127.0.0.1."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

from tests.core.helpers import run_module, write_json
from tests.support.scripted_server import ScriptedServer


def _free_port() -> int:
    # A port nothing listens on: bound, then released.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _env(table: str) -> dict[str, str]:
    return {**os.environ, "MODELDESK_DETECT_PORTS": table}


def test_detect_names_the_server_and_its_models(tmp_path: Path) -> None:
    config = write_json(tmp_path / "config.json", {"schema_version": 1})
    with ScriptedServer() as server:
        server.model_names = ["llama3.2:3b", "qwen2.5:7b"]
        port = server.port
        table = f"ollama={port},vllm={_free_port()}"
        text = run_module("--config", str(config), "providers", "detect", env=_env(table))
        data = run_module("--config", str(config), "providers", "detect", "--json", env=_env(table))
    assert text.returncode == 0, text
    assert "Ollama" in text.stdout and f"http://127.0.0.1:{port}/v1" in text.stdout
    assert "llama3.2:3b, qwen2.5:7b" in text.stdout
    assert "vLLM" not in text.stdout  # nothing listens on its port
    found = json.loads(data.stdout)["found"]
    assert [(f["id"], f["port"], [m["name"] for m in f["models"]]) for f in found] == [
        ("ollama", port, ["llama3.2:3b", "qwen2.5:7b"])
    ]
    assert json.loads(config.read_text()) == {"schema_version": 1}  # detect alone writes nothing


def test_detect_add_adds_provider_and_models_once(tmp_path: Path) -> None:
    config = write_json(
        tmp_path / "config.json",
        {"schema_version": 1, "providers": [{"id": "ollama", "kind": "openai", "base_url": "https://elsewhere/v1"}]},
    )
    with ScriptedServer() as server:
        server.model_names = ["llama3.2:3b"]
        port = server.port
        env = _env(f"ollama={port}")
        first = run_module("--config", str(config), "providers", "detect", "--add", env=env)
        server.model_names = ["llama3.2:3b", "phi4"]
        second = run_module("--config", str(config), "providers", "detect", "--add", "--json", env=env)
    assert first.returncode == 0, first
    assert "Added provider 'ollama-2'" in first.stdout  # the preset's id was taken
    data = json.loads(config.read_text())
    assert data["providers"][1] == {
        "id": "ollama-2",
        "kind": "openai",
        "base_url": f"http://127.0.0.1:{port}/v1",
        "label": "Ollama",
    }
    assert json.loads(second.stdout)["added"] == {
        "providers": [],
        "models": {"ollama-2": 1},
        "already_configured": {f"http://127.0.0.1:{port}/v1": "ollama-2"},
        "skipped": {},
    }
    data = json.loads(config.read_text())
    assert [(m["id"], m["provider"], m["name"]) for m in data["models"]] == [
        ("llama3.2:3b", "ollama-2", "llama3.2:3b"),
        ("phi4", "ollama-2", "phi4"),
    ]


def test_nothing_found_says_which_ports_were_tried(tmp_path: Path) -> None:
    port = _free_port()
    result = run_module("providers", "detect", env=_env(f"lmstudio={port}"))
    assert result.returncode == 0
    assert f"No local model server answered on 127.0.0.1 (tried LM Studio {port})" in result.stdout
