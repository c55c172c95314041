"""`providers models ID --import` and `providers detect --add` import the same way, through
real processes and a real server on 127.0.0.1: catalog facts filled in, a model file's
path (as llama.cpp lists it) imported under a made id, a reason when nothing is added,
and `detect --add` creating a config that does not exist yet."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from tests.core.helpers import run_module, write_json
from tests.support.scripted_server import ScriptedServer

GGUF = "/srv/models/Llama-3.2-3B-Instruct-Q4_K_M.gguf"


def _detect_env(port: int) -> dict[str, str]:
    return {**os.environ, "MODELDESK_DETECT_PORTS": f"llamacpp={port}"}


def _models(path: Path) -> dict[str, dict[str, Any]]:
    return {m["id"]: m for m in json.loads(path.read_text())["models"]}


def test_import_and_detect_add_write_the_same_entries_with_catalog_facts(tmp_path: Path) -> None:
    with ScriptedServer() as server:
        server.model_names = ["gpt-4o", GGUF]
        provider = {"id": "llamacpp", "kind": "openai", "base_url": server.openai_url}
        imported = write_json(tmp_path / "imported.json", {"schema_version": 1, "providers": [provider]})
        done = run_module("--config", str(imported), "providers", "models", "llamacpp", "--import")
        detected = tmp_path / "detected.json"  # does not exist yet: --add creates it
        added = run_module("--config", str(detected), "providers", "detect", "--add", env=_detect_env(server.port))
    assert done.returncode == 0, done.stderr
    assert added.returncode == 0, added.stderr
    by_import, by_detect = _models(imported), _models(detected)
    assert by_import == by_detect
    gpt = by_import["gpt-4o"]
    assert gpt["context_window"] == 128000 and gpt["capabilities"]["tools"] is True
    assert gpt["price"]["input"] > 0
    assert by_import["Llama-3.2-3B-Instruct-Q4_K_M"]["name"] == GGUF
    assert "Llama-3.2-3B-Instruct-Q4_K_M" in done.stdout and "2 models added." in done.stdout
    assert "llamacpp: 2 new models" in added.stdout


def test_when_nothing_is_added_detect_says_why(tmp_path: Path) -> None:
    config = tmp_path / "c.json"
    with ScriptedServer() as server:
        server.model_names = [GGUF, "???"]
        env = _detect_env(server.port)
        run_module("--config", str(config), "providers", "detect", "--add", env=env)
        again = run_module("--config", str(config), "providers", "detect", "--add", env=env)
        data = run_module("--config", str(config), "providers", "detect", "--add", "--json", env=env)
    assert again.returncode == 0, again.stderr
    assert "0 new models, 1 already in the config, 1 not added (???: no id can be made" in again.stdout
    skipped = json.loads(data.stdout)["added"]["skipped"]
    assert skipped == {
        "llamacpp": [
            {"name": "???", "reason": "no id can be made from this name; add it with `models add ID --name NAME`"}
        ]
    }


def test_import_reports_each_skipped_model(tmp_path: Path) -> None:
    with ScriptedServer() as server:
        server.model_names = ["kept", "/a/x.gguf", "/b/x.gguf"]
        provider = {"id": "p", "kind": "openai", "base_url": server.openai_url}
        path = write_json(
            tmp_path / "c.json",
            {"schema_version": 1, "providers": [provider], "models": [{"id": "k", "provider": "p", "name": "kept"}]},
        )
        done = run_module("--config", str(path), "providers", "models", "p", "--import", "--json")
    data = json.loads(done.stdout)
    assert [m["id"] for m in data["added"]] == ["x", "p/x"]
    assert data["skipped"] == [{"name": "kept", "reason": "already in the config"}]
