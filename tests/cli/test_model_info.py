"""Model facts from the catalog: `models info`, `--fill` (set values win) and filling on import."""

from __future__ import annotations

import json
from pathlib import Path

from modeldesk.core.model_facts import fill, lookup
from modeldesk.core.model_import import plan_import
from modeldesk.core.presets import preset
from modeldesk.core.schema import Capabilities, Config, Model
from tests.core.helpers import run_module, write_json
from tests.support.scripted_server import ScriptedServer


def _config(tmp_path: Path) -> Path:
    return write_json(
        tmp_path / "config.json",
        {
            "schema_version": 1,
            "providers": [
                {"id": "openai", "kind": "openai", "base_url": "https://api.openai.com/v1"},
                {"id": "box", "kind": "openai", "base_url": "http://127.0.0.1:9/v1"},
            ],
            "models": [
                {"id": "gpt", "provider": "openai", "name": "gpt-4o", "context_window": 64000},
                {"id": "mine", "provider": "box", "name": "my-finetune"},
            ],
        },
    )


def test_lookup_follows_the_provider_and_falls_back_to_the_maker() -> None:
    openrouter = preset("openrouter")
    assert openrouter is not None
    facts = lookup("anthropic/claude-opus-4.5", openrouter.provider())
    assert facts is not None and facts.catalog_provider == "openrouter"
    proxied = lookup("gpt-4o")  # an unknown server: the maker's entry
    assert proxied is not None and proxied.catalog_provider == "openai"
    assert proxied.context_window == 128000 and proxied.tools and proxied.vision
    assert proxied.input_price is not None and proxied.input_price > 0
    assert lookup("surely-no-such-model-xyz") is None


def test_fill_keeps_what_the_user_set() -> None:
    facts = lookup("gpt-4o")
    assert facts is not None
    model = Model(id="g", provider="p", name="gpt-4o", context_window=1000, capabilities=Capabilities(vision=False))
    filled = fill(model, facts)
    assert filled.context_window == 1000
    assert filled.capabilities.vision is False and filled.capabilities.tools is True
    assert filled.price.input == facts.input_price
    assert fill(filled, facts) == filled


def test_import_fills_facts_the_server_did_not_give() -> None:
    config = Config.model_validate(
        {"providers": [{"id": "oa", "kind": "openai", "base_url": "https://api.openai.com/v1"}]}
    )

    class Listed:
        def __init__(self, name: str, context: int | None) -> None:
            self.id, self.label, self.context_window = name, None, context

    gpt, custom = plan_import(config, "oa", [Listed("gpt-4o", 4096), Listed("custom-x", None)]).models
    assert gpt.context_window == 4096  # the server's own figure wins
    assert gpt.capabilities.tools is True and gpt.price.output is not None
    assert custom.context_window is None and custom.capabilities.tools is None


def test_models_info_and_fill_as_a_process(tmp_path: Path) -> None:
    path = _config(tmp_path)
    info = run_module("--config", str(path), "models", "info", "gpt", "mine", "--json")
    assert info.returncode == 0, info
    rows = {r["id"]: r for r in json.loads(info.stdout)["models"]}
    assert rows["gpt"]["catalog"]["catalog"] == "openai/gpt-4o"
    assert rows["gpt"]["config"] == {"context_window": 64000}  # nothing written without --fill
    assert rows["mine"]["catalog"] is None and rows["mine"]["local"] is True
    assert json.loads(path.read_text())["models"][0] == {
        "id": "gpt",
        "provider": "openai",
        "name": "gpt-4o",
        "context_window": 64000,
    }
    filled = run_module("--config", str(path), "models", "info", "--all", "--fill")
    assert filled.returncode == 0, filled
    assert "Filled 1 model(s) from the catalog" in filled.stdout
    gpt = json.loads(path.read_text())["models"][0]
    assert gpt["context_window"] == 64000  # set by the user: kept
    assert gpt["capabilities"] == {"tools": True, "vision": True, "reasoning": False}
    assert gpt["price"]["input"] > 0


def test_detect_add_fills_facts_from_the_catalog(tmp_path: Path) -> None:
    import os

    path = write_json(tmp_path / "config.json", {"schema_version": 1})
    with ScriptedServer() as server:
        server.model_names = ["gpt-4o-mini"]
        env = {**os.environ, "MODELDESK_DETECT_PORTS": f"vllm={server.port}"}
        result = run_module("--config", str(path), "providers", "detect", "--add", env=env)
    assert result.returncode == 0, result
    model = json.loads(path.read_text())["models"][0]
    assert model["name"] == "gpt-4o-mini" and model["context_window"] == 128000
    assert model["capabilities"]["tools"] is True
