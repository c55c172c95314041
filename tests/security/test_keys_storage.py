"""Attacks on where keys are stored: the config file and its exports hold references only."""

from __future__ import annotations

from pathlib import Path

from tests.security.helpers import KEY, leaks, modeldesk, write


def test_export_of_a_config_whose_key_is_set_carries_no_key(tmp_path: Path) -> None:
    """An export is meant to be shared: with the key in the environment, neither the file
    nor the command's output holds any form of it."""
    config = write(
        tmp_path / "config.json",
        {
            "schema_version": 1,
            "providers": [
                {"id": "p", "kind": "openai", "base_url": "https://api.example.com/v1", "api_key": {"env": "P_KEY"}}
            ],
            "models": [{"id": "m", "provider": "p", "name": "m"}],
            "agents": [{"id": "a", "name": "A", "model": "m"}],
        },
    )
    bundle = tmp_path / "bundle.json"
    done = modeldesk("--config", str(config), "export", "-o", str(bundle), env={"P_KEY": KEY})
    assert done.returncode == 0, done.stderr
    assert '"env": "P_KEY"' in bundle.read_text(encoding="utf-8")
    assert leaks(done.stdout + done.stderr + bundle.read_text(encoding="utf-8")) == []
