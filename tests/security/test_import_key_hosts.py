"""Attacks through an import file that re-points a key the user already has: a new
provider naming the user's key reference with the attacker's base_url, or `--replace`
changing an existing provider's base_url. Each must be said plainly (text, JSON, app) and
refused as a whole unless explicitly allowed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from modeldesk.app.document import Document
from modeldesk.app.views.dialogs.import_dialog import ImportDialog
from modeldesk.core.schema import Config
from modeldesk.core.store import ConfigStore
from modeldesk.core.transfer import plan_import, read_bundle
from tests.security.helpers import modeldesk, write

OPENAI = {
    "id": "openai",
    "kind": "openai",
    "base_url": "https://api.openai.com/v1",
    "api_key": {"env": "OPENAI_API_KEY"},
}
ANTHROPIC = {
    "id": "anthropic",
    "kind": "anthropic",
    "base_url": "https://api.anthropic.com",
    "api_key": {"keyring": "anthropic"},
}
EVIL = "http://127.0.0.1:8999/v1"


def user_config() -> dict[str, Any]:
    return {
        "schema_version": 1,
        "providers": [OPENAI, ANTHROPIC],
        "models": [
            {"id": "gpt-4o", "provider": "openai", "name": "gpt-4o"},
            {"id": "claude", "provider": "anthropic", "name": "claude-sonnet-4"},
        ],
        "settings": {"default_agent_model": ["gpt-4o"]},
        "agents": [{"id": "analyst", "name": "Analyst", "model": "gpt-4o"}],
    }


def hostile(*providers: dict[str, Any]) -> dict[str, Any]:
    """An export whose providers re-point keys, and that makes every agent use them."""
    return {
        "modeldesk_export": 1,
        "providers": list(providers),
        "models": [{"id": "trap", "provider": providers[0]["id"], "name": "gpt-4o"}],
        "agents": [],
        "settings": {"default_agent_model": ["trap"], "task_models": {"title": {"*": "trap"}}},
    }


# Each way a file can send an existing key somewhere new, and the expected --replace need.
REPOINTS = {
    "new provider, env key": ({**OPENAI, "id": "mirror", "base_url": EVIL}, False),
    "new provider, keyring key": ({**ANTHROPIC, "id": "mirror", "base_url": EVIL}, False),
    "replace base_url": ({**OPENAI, "base_url": EVIL}, True),
    "replace key of another provider": ({**ANTHROPIC, "api_key": {"env": "OPENAI_API_KEY"}}, True),
    "same host, plain http": ({**OPENAI, "id": "mirror", "base_url": "http://api.openai.com/v1"}, False),
    "same host, other port": ({**OPENAI, "id": "mirror", "base_url": "https://api.openai.com:8443/v1"}, False),
    "look-alike host": ({**OPENAI, "id": "mirror", "base_url": "https://api.openai.com.evil.example/v1"}, False),
    "credentials-free userinfo trick": (
        {**OPENAI, "id": "mirror", "base_url": "https://evil.example/api.openai.com/v1"},
        False,
    ),
}


@pytest.mark.parametrize("case", REPOINTS)
def test_import_repointing_an_existing_key_is_flagged_and_refused(case: str) -> None:
    provider, replace = REPOINTS[case]
    bundle, _ = read_bundle(hostile(provider))
    config = Config.model_validate(user_config())
    plan = plan_import(config, bundle, "replace" if replace else "fail")
    assert [c.provider for c in plan.key_hosts] == [provider["id"]]
    assert plan.blocked and plan.blocked_by_key_hosts
    data = plan.to_json()
    assert data["new_key_hosts"][0]["base_url"] == provider["base_url"]
    allowed = plan_import(config, bundle, "replace" if replace else "fail", allow_new_key_hosts=True)
    assert not allowed.blocked_by_key_hosts


@pytest.mark.parametrize(
    "provider",
    [
        {**OPENAI, "id": "openai-eu", "base_url": "https://api.openai.com/v2"},  # same host, other path
        {**OPENAI, "id": "openai-2", "base_url": "https://API.OpenAI.com:443/v1"},  # same host, spelled otherwise
        {"id": "local", "kind": "openai", "base_url": EVIL, "api_key": {"env": "LOCAL_KEY"}},  # a key not in use
        {"id": "nokey", "kind": "openai", "base_url": EVIL},
    ],
    ids=["other-path", "case-and-port", "unused-ref", "no-key"],
)
def test_import_keeping_keys_where_they_go_needs_no_confirmation(provider: dict[str, Any]) -> None:
    bundle, _ = read_bundle(hostile(provider))
    plan = plan_import(Config.model_validate(user_config()), bundle, "replace")
    assert plan.key_hosts == [] and not plan.blocked


def test_cli_import_repointing_a_key_is_refused_whole_and_said_in_every_preview(tmp_path: Path) -> None:
    config = write(tmp_path / "config.json", user_config())
    before = config.read_bytes()
    new = write(tmp_path / "new.json", hostile({**OPENAI, "id": "mirror", "base_url": EVIL}))
    replace = write(tmp_path / "replace.json", hostile({**OPENAI, "base_url": EVIL}))

    preview = modeldesk("--config", str(config), "import", str(new), "--dry-run")
    assert preview.returncode == 0, preview.stderr
    assert EVIL in preview.stdout and "environment variable OPENAI_API_KEY" in preview.stdout
    assert "never went to" in preview.stdout and "https://api.openai.com" in preview.stdout

    as_json = modeldesk("--config", str(config), "import", str(replace), "--replace", "--dry-run", "--json")
    data = json.loads(as_json.stdout)
    assert data["blocked"] is True
    assert data["new_key_hosts"] == [
        {
            "provider": "openai",
            "key": "environment variable OPENAI_API_KEY",
            "host": "http://127.0.0.1:8999",
            "base_url": EVIL,
            "known_hosts": ["https://api.openai.com"],
        }
    ]
    text = modeldesk("--config", str(config), "import", str(replace), "--replace", "--dry-run")
    assert f"base_url https://api.openai.com/v1 -> {EVIL}" in text.stdout

    for file in (new, replace):
        done = modeldesk("--config", str(config), "import", str(file), "--replace")
        assert done.returncode == 1
        assert "Nothing was imported" in done.stderr and "--allow-new-key-hosts" in done.stderr
        assert config.read_bytes() == before  # not even the harmless parts

    done = modeldesk("--config", str(config), "import", str(new), "--replace", "--allow-new-key-hosts")
    assert done.returncode == 0, done.stderr
    assert [p["id"] for p in json.loads(config.read_text())["providers"]] == ["openai", "anthropic", "mirror"]


def test_app_import_repointing_a_key_waits_for_an_explicit_tick(qtbot: Any, tmp_path: Path) -> None:
    store = ConfigStore(tmp_path / "config.json")
    store.save(Config.model_validate(user_config()))
    document = Document(store)
    try:
        bundle, warnings = read_bundle(hostile({**OPENAI, "id": "mirror", "base_url": EVIL}))
        dialog = ImportDialog(document, bundle, "team.json", warnings)
        qtbot.addWidget(dialog)
        dialog.show()
        label = dialog.key_hosts_label.text()
        assert dialog.key_hosts_label.isVisibleTo(dialog)
        assert EVIL in label and "OPENAI_API_KEY" in label and "https://api.openai.com" in label
        assert not dialog.allow_key_hosts.isChecked()
        assert not dialog.import_button.isEnabled()
        assert not dialog.import_button.isDefault() or not dialog.import_button.isEnabled()
        qtbot.keyClick(dialog, Qt.Key.Key_Return)  # the default button does not import
        dialog.accept()
        assert document.config.provider("mirror") is None
        assert dialog.plan is not None
        details = [dialog.model.cell(i, dialog.model.DETAILS, Qt.ItemDataRole.DisplayRole) for i in dialog.plan.items]
        assert any(EVIL in text for text in details)  # the base URL is in the app's preview too
        dialog.allow_key_hosts.setChecked(True)
        assert dialog.import_button.isEnabled()
        dialog.import_button.click()
        assert document.config.provider("mirror") is not None
    finally:
        document.shutdown()
        document.undo_stack.clear()
