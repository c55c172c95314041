"""The one import path (Fetch models, `providers models --import`, `providers detect --add`):
ids made from what servers list (llama.cpp lists a model file's path), catalog facts
filled in, and a reason for every served model that is not added."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from pydantic import ValidationError

from modeldesk.core.model_import import id_for_served_name, plan_import
from modeldesk.core.schema import Config, Model


@dataclass(frozen=True)
class Served:
    id: str
    label: str | None = None
    context_window: int | None = None


def _config(*models: dict[str, str]) -> Config:
    return Config.model_validate(
        {
            "providers": [
                {"id": "llama", "kind": "openai", "base_url": "http://127.0.0.1:8080/v1"},
                {"id": "oa", "kind": "openai", "base_url": "https://api.openai.com/v1"},
            ],
            "models": list(models),
        }
    )


@pytest.mark.parametrize(
    ("served", "expected"),
    [
        ("gpt-4o", "gpt-4o"),
        ("llama3.2:3b", "llama3.2:3b"),
        ("meta-llama/Llama-3.1-8B-Instruct", "meta-llama/Llama-3.1-8B-Instruct"),
        ("/models/Llama-3.2-3B-Instruct-Q4_K_M.gguf", "Llama-3.2-3B-Instruct-Q4_K_M"),
        ("models/7B/ggml-model-q4_0.gguf", "ggml-model-q4_0"),
        ("../models/phi-4.gguf", "phi-4"),
        ("C:\\Users\\me\\models\\qwen2.5 7b.gguf", "qwen2.5-7b"),
        ("~/m/tiny.bin", "tiny"),
        ("My Model (test)", "My-Model-test"),
    ],
)
def test_an_id_is_made_from_what_the_server_lists(served: str, expected: str) -> None:
    assert id_for_served_name(served) == expected
    Model(id=expected, provider="p", name=served)  # a valid registry entry


def test_a_model_file_path_is_imported_under_a_made_id_and_keeps_the_served_name() -> None:
    path = "/home/me/models/Llama-3.2-3B-Instruct-Q4_K_M.gguf"
    plan = plan_import(_config(), "llama", [Served(path, context_window=8192)])
    assert [(m.id, m.name, m.context_window) for m in plan.models] == [("Llama-3.2-3B-Instruct-Q4_K_M", path, 8192)]
    assert plan.skipped == [] and "1 new model" in plan.summary()
    # Importing again finds it registered (by the served name), and says so.
    config = _config(*(m.model_dump() for m in plan.models))
    again = plan_import(config, "llama", [Served(path)])
    assert again.models == [] and again.already == [path]
    assert again.summary() == "0 new models, 1 already in the config"


def test_clashing_ids_take_the_provider_prefix_and_the_placeholder_is_never_an_id() -> None:
    config = _config({"id": "phi-4", "provider": "oa", "name": "phi-4"})
    plan = plan_import(config, "llama", [Served("/a/phi-4.gguf"), Served("/b/phi-4.gguf"), Served("DEFAULT")])
    assert [m.id for m in plan.models] == ["llama/phi-4", "llama/DEFAULT"]
    assert [(s.name, s.reason) for s in plan.skipped] == [
        ("/b/phi-4.gguf", "the ids 'phi-4' and 'llama/phi-4' are both taken")
    ]
    assert "1 not added (/b/phi-4.gguf: the ids" in plan.summary()


def test_unusable_names_are_reported_with_the_reason() -> None:
    plan = plan_import(_config(), "llama", [Served(""), Served("bad\x1bname"), Served("???")])
    assert plan.models == []
    assert [s.reason for s in plan.skipped] == [
        "the server listed a model with an empty name",
        "the name holds control characters",
        "no id can be made from this name; add it with `models add ID --name NAME`",
    ]


def test_the_catalog_fills_facts_and_policy_ids_are_not_reused() -> None:
    plan = plan_import(_config(), "llama", [Served("gpt-4o"), Served("mine")], reserved={"mine"})
    gpt, mine = plan.models
    assert gpt.context_window and gpt.capabilities.tools is True and gpt.price.input is not None
    assert mine.id == "llama/mine" and mine.context_window is None


def test_default_cannot_be_a_model_id() -> None:
    with pytest.raises(ValidationError, match="'Default' cannot be a model id"):
        Model(id="Default", provider="p", name="x")
