"""The setup lines the Serve page offers: each names the gateway and the agent the way its
tool reads them, the files in them parse, and no token is ever written into them."""

from __future__ import annotations

import json
import shlex
import tomllib
from pathlib import Path

import pytest

from modeldesk.runtime.serve_setup import TOOLS, setup_text

URL = "http://127.0.0.1:4319"


def test_claude_code_lines() -> None:
    text = setup_text("claude-code", URL, "coder")
    assert f"export ANTHROPIC_BASE_URL={URL}" in text
    assert 'export ANTHROPIC_AUTH_TOKEN="$MODELDESK_TOKEN"' in text
    assert "export ANTHROPIC_MODEL=coder" in text and text.splitlines()[-1] == "claude --model coder"
    assert "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1" in text


def test_codex_config_is_toml_with_the_responses_wire_api() -> None:
    text = setup_text("codex", URL, "coder")
    toml_part = text.split("# then, in the shell:")[0]
    config = tomllib.loads(toml_part)
    assert config["model"] == "coder" and config["model_provider"] == "modeldesk"
    provider = config["model_providers"]["modeldesk"]
    assert provider == {
        "name": "ModelDesk",
        "base_url": f"{URL}/v1",
        "env_key": "MODELDESK_TOKEN",
        "wire_api": "responses",
    }


def test_openai_sdk_aider_and_opencode() -> None:
    sdk = setup_text("openai-sdk", URL, "coder")
    assert f"export OPENAI_BASE_URL={URL}/v1" in sdk and "model='coder'" in sdk
    aider = setup_text("aider", URL, "coder")
    assert f"export OPENAI_API_BASE={URL}/v1" in aider and aider.splitlines()[-1] == "aider --model openai/coder"
    opencode = setup_text("opencode", URL, "coder")
    body = opencode.split("// then, in the shell:")[0].split("\n", 1)[1]
    config = json.loads(body)
    provider = config["provider"]["modeldesk"]
    assert provider["npm"] == "@ai-sdk/openai-compatible"
    assert provider["options"] == {"baseURL": f"{URL}/v1", "apiKey": "{env:MODELDESK_TOKEN}"}
    assert list(provider["models"]) == ["coder"] and config["model"] == "modeldesk/coder"


@pytest.mark.parametrize("tool", [t.key for t in TOOLS])
def test_a_token_file_is_read_never_written_in(tool: str, tmp_path: Path) -> None:
    token_file = tmp_path / "my token"
    token_file.write_text("s3cret-gateway-token")
    text = setup_text(tool, URL, "coder", token_file)
    assert "s3cret" not in text
    export = next(line for line in text.splitlines() if line.startswith("export MODELDESK_TOKEN="))
    assert export == f'export MODELDESK_TOKEN="$(cat {shlex.quote(str(token_file))})"'
    without = setup_text(tool, URL, "coder")
    assert "any value: this gateway asks for no token" in without


def test_odd_agent_ids_stay_one_word() -> None:
    text = setup_text("claude-code", URL, "team lead's")
    assert shlex.split(text.splitlines()[-1]) == ["claude", "--model", "team lead's"]
    config = tomllib.loads(setup_text("codex", URL, 'a"b').split("# then")[0])
    assert config["model"] == 'a"b'
