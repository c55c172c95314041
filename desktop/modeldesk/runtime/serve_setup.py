"""Copyable setup lines pointing an agent tool at a running gateway, one text per tool.

The token is never written into the lines: with a token file they read it with
``$(cat FILE)`` (or OpenCode's ``{env:...}``); without one the gateway takes any value, and
the lines say so. The texts match docs/serve.md, where each step is explained.
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass
from pathlib import Path

TOKEN_VAR = "MODELDESK_TOKEN"


@dataclass(frozen=True)
class SetupTool:
    key: str
    label: str
    # Where the lines go, in a few words.
    where: str


TOOLS = (
    SetupTool("claude-code", "Claude Code", "Run in the shell that starts claude."),
    SetupTool("codex", "Codex", "Add the first part to ~/.codex/config.toml; run the rest in a shell."),
    SetupTool("openai-sdk", "OpenAI SDK", "Run in the shell that starts your program."),
    SetupTool("aider", "aider", "Run in the shell that starts aider."),
    SetupTool("opencode", "OpenCode", "Save the first part as opencode.json; run the rest in a shell."),
)


def _token_export(token_file: Path | None) -> list[str]:
    if token_file is None:
        return [f"export {TOKEN_VAR}=modeldesk  # any value: this gateway asks for no token"]
    return [f'export {TOKEN_VAR}="$(cat {shlex.quote(str(token_file))})"']


def _toml_string(value: str) -> str:
    # A TOML basic string is a JSON string for everything a URL or an id holds.
    return json.dumps(value)


def setup_text(tool: str, base_url: str, agent: str, token_file: Path | None = None) -> str:
    """The lines for ``tool`` (a :data:`TOOLS` key) to run ``agent`` through the gateway at
    ``base_url`` (``http://H:P``, no ``/v1``)."""
    base = base_url.rstrip("/")
    api = f"{base}/v1"
    quoted_agent = shlex.quote(agent)
    token = _token_export(token_file)
    if tool == "claude-code":
        return "\n".join(
            [
                *token,
                f"export ANTHROPIC_BASE_URL={shlex.quote(base)}",
                f'export ANTHROPIC_AUTH_TOKEN="${TOKEN_VAR}"',
                f"export ANTHROPIC_MODEL={quoted_agent}",
                "# Background work (titles, summaries, sub-agents) on the same agent; or map",
                "# claude-*haiku* onto an agent in settings.serve.aliases.",
                f"export ANTHROPIC_DEFAULT_HAIKU_MODEL={quoted_agent}",
                "export CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1",
                f"claude --model {quoted_agent}",
            ]
        )
    if tool == "codex":
        return "\n".join(
            [
                "# ~/.codex/config.toml",
                f"model = {_toml_string(agent)}",
                'model_provider = "modeldesk"',
                "",
                "[model_providers.modeldesk]",
                'name = "ModelDesk"',
                f"base_url = {_toml_string(api)}",
                f'env_key = "{TOKEN_VAR}"',
                'wire_api = "responses"',
                "",
                "# then, in the shell:",
                *token,
                f"codex --model {quoted_agent}",
            ]
        )
    if tool == "openai-sdk":
        return "\n".join(
            [
                *token,
                f"export OPENAI_BASE_URL={shlex.quote(api)}",
                f'export OPENAI_API_KEY="${TOKEN_VAR}"',
                "# Python: the SDK reads both variables.",
                "#   from openai import OpenAI",
                f"#   OpenAI().chat.completions.create(model={agent!r}, messages=[...])",
            ]
        )
    if tool == "aider":
        return "\n".join(
            [
                *token,
                f"export OPENAI_API_BASE={shlex.quote(api)}",
                f'export OPENAI_API_KEY="${TOKEN_VAR}"',
                f"aider --model {shlex.quote('openai/' + agent)}",
            ]
        )
    if tool == "opencode":
        config = {
            "$schema": "https://opencode.ai/config.json",
            "provider": {
                "modeldesk": {
                    "npm": "@ai-sdk/openai-compatible",
                    "name": "ModelDesk",
                    "options": {"baseURL": api, "apiKey": f"{{env:{TOKEN_VAR}}}"},
                    "models": {agent: {"name": agent}},
                }
            },
            "model": f"modeldesk/{agent}",
        }
        return "\n".join(
            [
                "// opencode.json (in the project, or ~/.config/opencode/opencode.json)",
                json.dumps(config, indent=2),
                "// then, in the shell:",
                *token,
                "opencode",
            ]
        )
    raise KeyError(tool)
