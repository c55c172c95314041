"""Real agent tools run a turn through a real gateway process: Claude Code (`claude -p`)
and Codex (`codex exec`), pinned and installed into .tools/ by `./dev test`.

Each tool is pointed at the gateway the way docs/serve.md says, with nothing else to reach:
telemetry, update checks and plugin syncs are turned off (the machine reaches no other
host, and a tool that tried would stall or fail). The answer comes from the scripted
upstream server through the gateway, in the same API format as the tool speaks and in the
other one, and the history holds the request with the tool's User-Agent. Then a turn
where the model calls the tool's shell tool: the tool runs the command and its output
goes back, under the call's id, in the next request.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from modeldesk.core.history import HistoryStore
from tests.serve.gateway_process import GatewayProcess
from tests.support.scripted_server import ScriptedServer, ok, tools

REPO = Path(__file__).resolve().parents[2]
TOOLS = REPO / ".tools" / "node_modules" / ".bin"
CLAUDE_VERSION = "2.1.332"
CODEX_VERSION = "0.171.0"
# One turn of a tool on this machine takes about a second; the bound is for a broken one.
TOOL_TIMEOUT_S = 90
ANSWER = "Scripted upstream says hi through ModelDesk."
TOKEN = "gw-token-4f9a2c"
# The command a scripted model asks the tool to run: its output is not in its arguments.
COMMAND = "printf 'tool-%s' ran"
COMMAND_OUTPUT = "tool-ran"


def tool(name: str) -> Path:
    path = TOOLS / name
    if not path.exists():
        pytest.fail(f"{path} is missing: `./dev test` installs the pinned agent tools into .tools/")
    return path


def world(server: ScriptedServer, kind: str) -> dict[str, Any]:
    """One agent, ``coder``, whose one model is served by the scripted server as ``kind``."""
    base_url = server.openai_url if kind == "openai" else server.anthropic_url
    return {
        "schema_version": 1,
        "providers": [{"id": "scripted", "kind": kind, "base_url": base_url}],
        "models": [{"id": "upstream", "provider": "scripted", "name": "up-model"}],
        "agents": [{"id": "coder", "name": "Coder", "model": ["upstream"]}],
        "settings": {"serve": {"aliases": {"claude-*haiku*": "coder"}}},
    }


@pytest.fixture
def gateway_for(tmp_path: Path, scripted_server: ScriptedServer) -> Any:
    started: list[GatewayProcess] = []

    def start(kind: str) -> GatewayProcess:
        config = tmp_path / "config.json"
        config.write_text(json.dumps(world(scripted_server, kind)))
        token_file = tmp_path / "token"
        token_file.write_text(TOKEN + "\n")
        gateway = GatewayProcess(config, token_file=token_file).start()
        started.append(gateway)
        return gateway

    yield start
    for gateway in started:
        gateway.stop()


def tool_env(home: Path, **extra: str) -> dict[str, str]:
    """A bare environment: the tool sees a fresh home and none of this machine's keys."""
    home.mkdir(parents=True, exist_ok=True)
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "LANG": "C.UTF-8",
        **extra,
    }


def codex_config(tmp_path: Path, gateway: GatewayProcess) -> Path:
    """A CODEX_HOME whose config.toml points Codex at the gateway (docs/serve.md), with
    analytics and the plugin sync off: otherwise `codex exec` also looks up other hosts."""
    codex_home = tmp_path / "codex-home"
    codex_home.mkdir()
    (codex_home / "config.toml").write_text(
        "\n".join(
            [
                'model = "coder"',
                'model_provider = "modeldesk"',
                "check_for_update_on_startup = false",
                "",
                "[analytics]",
                "enabled = false",
                "",
                "[features]",
                "plugins = false",
                "",
                "[model_providers.modeldesk]",
                'name = "ModelDesk"',
                f'base_url = "{gateway.url}/v1"',
                'env_key = "MODELDESK_TOKEN"',
                'wire_api = "responses"',
                "",
            ]
        )
    )
    return codex_home


def tool_results(body: dict[str, Any], call_id: str) -> list[str]:
    """The text of the results of call ``call_id`` in an upstream request body, in either
    provider format (Chat Completions ``tool`` messages, Messages ``tool_result`` blocks)."""
    found: list[str] = []
    for message in body.get("messages", []):
        if message.get("role") == "tool" and message.get("tool_call_id") == call_id:
            found.append(json.dumps(message.get("content")))
        content = message.get("content")
        if isinstance(content, list):
            found.extend(
                json.dumps(block.get("content"))
                for block in content
                if block.get("type") == "tool_result" and block.get("tool_use_id") == call_id
            )
    return found


def gateway_runs() -> list[Any]:
    return HistoryStore().query(origin="serve")


@pytest.mark.parametrize("upstream", ["anthropic", "openai"])
def test_claude_code_runs_a_turn_through_the_gateway(
    tmp_path: Path, scripted_server: ScriptedServer, gateway_for: Any, upstream: str
) -> None:
    claude = tool("claude")
    gateway = gateway_for(upstream)
    scripted_server.script("up-model", ok(ANSWER, chunks=3))
    env = tool_env(
        tmp_path / "home",
        ANTHROPIC_BASE_URL=gateway.url,
        ANTHROPIC_AUTH_TOKEN=TOKEN,
        # Nothing but the gateway: no telemetry, error reports, update checks or
        # the connectivity probe.
        CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC="1",
        DISABLE_TELEMETRY="1",
        DISABLE_AUTOUPDATER="1",
        DISABLE_ERROR_REPORTING="1",
    )
    result = subprocess.run(
        [str(claude), "-p", "Say hi", "--model", "coder"],
        capture_output=True,
        text=True,
        timeout=TOOL_TIMEOUT_S,
        env=env,
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert ANSWER in result.stdout

    runs = gateway_runs()
    assert len(runs) == 1, [(r.agent, r.client) for r in runs]
    run = runs[0]
    assert run.agent == "coder" and run.answered_by == "upstream"
    assert run.client is not None and run.client.startswith(f"claude-cli/{CLAUDE_VERSION}")
    # The upstream got ModelDesk's request, not the tool's token.
    upstream_request = scripted_server.chat_requests("up-model")[0]
    assert TOKEN not in json.dumps(upstream_request.headers)


@pytest.mark.parametrize("upstream", ["openai", "anthropic"])
def test_codex_runs_a_turn_through_the_gateway(
    tmp_path: Path, scripted_server: ScriptedServer, gateway_for: Any, upstream: str
) -> None:
    codex = tool("codex")
    gateway = gateway_for(upstream)
    scripted_server.script("up-model", ok(ANSWER, chunks=3))
    codex_home = codex_config(tmp_path, gateway)
    work = tmp_path / "work"
    work.mkdir()
    env = tool_env(tmp_path / "home", CODEX_HOME=str(codex_home), MODELDESK_TOKEN=TOKEN)
    result = subprocess.run(
        [str(codex), "exec", "--skip-git-repo-check", "Say hi"],
        capture_output=True,
        text=True,
        timeout=TOOL_TIMEOUT_S,
        env=env,
        cwd=work,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert ANSWER in result.stdout

    runs = gateway_runs()
    assert len(runs) == 1, [(r.agent, r.client) for r in runs]
    run = runs[0]
    assert run.agent == "coder" and run.answered_by == "upstream"
    assert run.client is not None and run.client.startswith(f"codex_exec/{CODEX_VERSION}")
    upstream_request = scripted_server.chat_requests("up-model")[0]
    assert TOKEN not in json.dumps(upstream_request.headers)


@pytest.mark.parametrize("upstream", ["anthropic", "openai"])
def test_claude_code_runs_a_tool_the_model_called_and_sends_its_result(
    tmp_path: Path, scripted_server: ScriptedServer, gateway_for: Any, upstream: str
) -> None:
    claude = tool("claude")
    gateway = gateway_for(upstream)
    scripted_server.script(
        "up-model",
        tools(("toolu_1", "Bash", {"command": COMMAND, "description": "Print a word"})),
        ok(ANSWER),
    )
    env = tool_env(
        tmp_path / "home",
        ANTHROPIC_BASE_URL=gateway.url,
        ANTHROPIC_AUTH_TOKEN=TOKEN,
        CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC="1",
        DISABLE_TELEMETRY="1",
        DISABLE_AUTOUPDATER="1",
        DISABLE_ERROR_REPORTING="1",
    )
    result = subprocess.run(
        [str(claude), "-p", "Print a word with Bash", "--model", "coder", "--allowedTools", "Bash(printf:*)"],
        capture_output=True,
        text=True,
        timeout=TOOL_TIMEOUT_S,
        env=env,
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert ANSWER in result.stdout
    requests = scripted_server.chat_requests("up-model")
    assert len(requests) == 2
    # The second request carries the command's output back, under the call's id.
    assert any(COMMAND_OUTPUT in text for text in tool_results(requests[1].body, "toolu_1"))
    assert [r.answered_by for r in gateway_runs()] == ["upstream", "upstream"]


@pytest.mark.parametrize("upstream", ["openai", "anthropic"])
def test_codex_runs_a_tool_the_model_called_and_sends_its_result(
    tmp_path: Path, scripted_server: ScriptedServer, gateway_for: Any, upstream: str
) -> None:
    codex = tool("codex")
    gateway = gateway_for(upstream)
    scripted_server.script(
        "up-model",
        tools(("call_1", "exec_command", {"cmd": COMMAND})),
        ok(ANSWER),
    )
    codex_home = codex_config(tmp_path, gateway)
    work = tmp_path / "work"
    work.mkdir()
    env = tool_env(tmp_path / "home", CODEX_HOME=str(codex_home), MODELDESK_TOKEN=TOKEN)
    result = subprocess.run(
        [str(codex), "exec", "--skip-git-repo-check", "Print a word with a command"],
        capture_output=True,
        text=True,
        timeout=TOOL_TIMEOUT_S,
        env=env,
        cwd=work,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert ANSWER in result.stdout
    requests = scripted_server.chat_requests("up-model")
    assert len(requests) == 2, result.stderr
    assert any(COMMAND_OUTPUT in text for text in tool_results(requests[1].body, "call_1"))
    assert [r.answered_by for r in gateway_runs()] == ["upstream", "upstream"]
