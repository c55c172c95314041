"""The secret-leak sweep: every command of the CLI, run as a real process with a real key
in its environment against a server that demands that key (and quotes it back in errors,
as real providers do), prints no form of the key, and no file written anywhere (config,
backups, history, cooldowns, logs, exports) holds one.

Every command runs for real, with arguments that make it do its work (none is only asked
for --help), in an order where each one has something to work on, and each must end as
meant: exit 0, or the error it is there to provoke. A command that failed without doing
anything would prove nothing."""

from __future__ import annotations

import argparse
import base64
import json
import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path
from urllib.parse import quote

from modeldesk.cli.main import build_parser
from tests.core.helpers import REPO, write_json
from tests.support.figures import record
from tests.support.scripted_server import ScriptedServer, ok, status

KEY = "sk-sweep-Sup3r/Secret+Value-0123456789"


def forms(key: str) -> list[bytes]:
    """The key as it could show up: as is, in upper or lower case, base64 of the key and
    of ``user:key`` (HTTP Basic), URL-encoded."""
    b64 = base64.b64encode
    texts = [key, key.upper(), key.lower(), quote(key, safe=""), b64(key.encode()).decode()]
    texts += [b64(f"{user}:{key}".encode()).decode() for user in ("user", "apikey", "")]
    texts.append(base64.urlsafe_b64encode(key.encode()).decode())
    return sorted({t.encode() for t in texts})


def leaf_commands(parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found: list[tuple[str, ...]] = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found += leaf_commands(sub, (*prefix, name)) or [(*prefix, name)]
    return found


# Every leaf command, in an order where each has something to work on: (command, arguments,
# the exit code it must end with). Read-only commands that reach the server or show errors
# also run with --json.
def steps(config: Path, work: Path) -> list[tuple[tuple[str, ...], list[str], int]]:
    bundle = str(work / "bundle.json")
    share = str(work / "share")
    return [
        (("resolve",), ["--agent", "a"], 0),
        (("run",), ["--agent", "a", "Hello"], 0),
        (("run",), ["--agent", "b", "Hello"], 0),
        (("agents", "list"), [], 0),
        (("agents", "show"), ["a"], 0),
        (("agents", "add"), ["c", "--name", "C", "--model", "m1"], 0),
        (("agents", "set-model"), ["c", "m2", "m1"], 0),
        (("agents", "set-task-model"), ["c", "title", "m1"], 0),
        (("agents", "set-fallback"), ["c", "retries", "1"], 0),
        (("agents", "set-project"), ["pr", "c"], 0),
        (("agents", "set-instruction"), ["c", "Be brief."], 0),
        (("agents", "rename"), ["c", "--name", "C2"], 0),
        (("squads", "list"), [], 0),
        (("squads", "add"), ["t", "--name", "T", "--agents", "a"], 0),
        (("squads", "set-model"), ["t", "m1"], 0),
        (("squads", "add-member"), ["t", "c"], 0),
        (("squads", "remove-member"), ["t", "c"], 0),
        (("squads", "rename"), ["t", "--name", "T2"], 0),
        (("squads", "remove"), ["t"], 0),
        (("agents", "remove"), ["c"], 0),
        (("projects", "list"), [], 0),
        (("projects", "add"), ["q", "--name", "Q", "--model", "m1"], 0),
        (("projects", "rename"), ["q", "--name", "Q2"], 0),
        (("projects", "set-model"), ["q", "m3"], 0),
        (("projects", "set-task-model"), ["q", "title", "m1"], 0),
        (("projects", "show"), ["q"], 0),
        (("projects", "remove"), ["q"], 0),
        (("models", "list"), [], 0),
        (("models", "add"), ["m9", "--provider", "p", "--name", "spare"], 0),
        (("models", "set"), ["m9", "--label", "Spare"], 0),
        (("models", "disable"), ["m9"], 0),
        (("models", "enable"), ["m9"], 0),
        (("models", "replace"), ["m3", "m1", "--dry-run"], 0),
        (("models", "info"), ["m1"], 0),
        (("models", "remove"), ["m9"], 0),
        (("settings", "show"), [], 0),
        (("settings", "set-default-model"), ["m1", "m3"], 0),
        (("settings", "set-task-model"), ["title", "m3"], 0),
        (("settings", "set-fallback"), ["retries", "0"], 0),
        (("settings", "set-alias"), ["gpt-4*", "a"], 0),
        (("providers", "check"), [], 0),
        (("providers", "models"), ["p"], 0),
        (
            ("providers", "add"),
            ["p9", "--kind", "openai", "--base-url", "http://127.0.0.1:9/v1", "--key-env", "SWEEP_KEY"],
            0,
        ),
        (("providers", "set"), ["p9", "--base-url", "http://127.0.0.1:10/v1"], 0),
        (("providers", "disable"), ["p9"], 0),
        (("providers", "enable"), ["p9"], 0),
        (("providers", "set-key"), ["p9"], 0),  # the key on stdin, as `printf %s "$KEY" |` gives it
        (("providers", "remove"), ["p9"], 0),
        (("providers", "detect"), ["--timeout", "0.2"], 0),
        (("config", "validate"), [], 0),
        (("config", "schema"), [], 0),
        (("config", "path"), [], 0),
        # The key works but the broken model's server fails every probe: the problem the
        # doctor is there to report (exit 1), with the key quoted back in the reply.
        (("doctor",), ["--probe"], 1),
        (("history", "list"), [], 0),
        (("history", "show"), ["1"], 0),
        (("history", "stats"), [], 0),
        (("history", "spend"), [], 0),
        (("history", "settings"), ["--keep", "50"], 0),
        (("cooldowns", "list"), [], 0),
        (("cooldowns", "clear"), [], 0),
        (("export",), ["-o", bundle], 0),
        (("import",), [bundle, "--dry-run"], 0),
        (("install-desktop",), ["--data-dir", share], 0),
        (("uninstall-desktop",), ["--data-dir", share], 0),
        (("completion",), ["bash"], 0),
        (("install-service",), [], 0),  # the systemd unit in the test's home, never started
        (("uninstall-service",), [], 0),
        (("history", "clear"), [], 0),
    ]


# Read-only commands that reach the server or show errors and traces: also with --json.
BOTH = {("run",), ("resolve",), ("agents", "show"), ("providers", "check"), ("providers", "models")}
BOTH |= {("providers", "detect"), ("doctor",), ("history", "show"), ("history", "list")}


def serve_once(config: Path, env: dict[str, str], cwd: Path) -> tuple[int, bytes, int]:
    """`modeldesk serve` for real: one chat request through it to agent a, then Ctrl+C.
    (exit code, everything it printed, the HTTP status of the request)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "modeldesk", "--config", str(config), "serve", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
        cwd=cwd,
    )
    assert proc.stdout is not None
    first = proc.stdout.readline()
    url = first.decode().split("ready at ", 1)[1].split()[0]
    request = urllib.request.Request(
        url + "/v1/chat/completions",
        data=json.dumps({"model": "a", "messages": [{"role": "user", "content": "Hi"}]}).encode(),
        headers={"content-type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        answer_status = response.status
        answer = response.read()
    proc.send_signal(signal.SIGINT)
    rest, _ = proc.communicate(timeout=30)
    return proc.returncode, first + answer + rest, answer_status


def test_no_command_output_and_no_file_written_holds_the_key(tmp_path: Path) -> None:
    home = Path(os.environ["HOME"])
    work = tmp_path / "work"
    work.mkdir()
    with ScriptedServer(api_key=KEY, default=ok("Answer without secrets.")) as server:
        # A failing model whose error quotes the key in several encodings.
        quoted = " ".join(f.decode() for f in forms(KEY))
        server.script("broken", *[status(500, f"upstream rejected {quoted}") for _ in range(50)])
        config = write_json(
            work / "config.json",
            {
                "schema_version": 1,
                "providers": [
                    {"id": "p", "kind": "openai", "base_url": server.openai_url, "api_key": {"env": "SWEEP_KEY"}},
                    {
                        "id": "an",
                        "kind": "anthropic",
                        "base_url": server.anthropic_url,
                        "api_key": {"env": "SWEEP_KEY"},
                    },
                ],
                "models": [
                    {"id": "m1", "provider": "p", "name": "good"},
                    {"id": "m2", "provider": "p", "name": "broken"},
                    {"id": "m3", "provider": "an", "name": "claude"},
                ],
                "settings": {"default_agent_model": ["m1"], "fallback": {"retries": 0, "max_total_s": 20}},
                "projects": [{"id": "pr", "name": "Project", "default_model": "m1"}],
                "agents": [
                    {"id": "a", "name": "A", "project": "pr", "model": ["m2", "m1"]},
                    {"id": "b", "name": "B", "model": "m3"},
                ],
                "squads": [{"id": "s", "name": "S", "agents": ["a", "b"]}],
            },
        )
        env = os.environ | {
            "SWEEP_KEY": KEY,
            "PYTHONPATH": os.pathsep.join([str(REPO / "desktop"), str(REPO)]),
        }
        commands = leaf_commands(build_parser())
        plan = steps(config, work)
        covered = {command for command, _, _ in plan} | {("serve",)}
        assert sorted(set(commands) - covered) == []  # every command runs for real
        ran = 0
        leaks: list[str] = []
        wrong: list[str] = []
        for command, extra, expected in plan:
            variants = [extra, [*extra, "--json"]] if command in BOTH else [extra]
            for variant in variants:
                done = subprocess.run(
                    [sys.executable, "-m", "modeldesk", "--config", str(config), *command, *variant],
                    capture_output=True,
                    timeout=120,
                    env=env,
                    cwd=work,
                    input=f"{KEY}\n".encode() if command == ("providers", "set-key") else b"",
                )
                ran += 1
                output = done.stdout + done.stderr
                if done.returncode != expected:
                    wrong.append(
                        f"{' '.join(command)} {variant}: exit {done.returncode}, meant {expected}: {output[-300:]!r}"
                    )
                leaks += [f"{' '.join(command)} {variant}: {f.decode()}" for f in forms(KEY) if f in output]
        code, output, answer_status = serve_once(config, env, work)
        ran += 1
        if (code, answer_status) != (0, 200):
            wrong.append(f"serve: exit {code}, answer {answer_status}: {output[-300:]!r}")
        leaks += [f"serve: {f.decode()}" for f in forms(KEY) if f in output]
        assert len(server.chat_requests()) > 0  # the key really was used
    files = [p for root in (home, work) for p in root.rglob("*") if p.is_file()]
    for file in files:
        data = file.read_bytes()
        leaks += [f"{file.relative_to(tmp_path.parent)}: {f.decode()}" for f in forms(KEY) if f in data]
    record(
        "secret-leak sweep",
        f"{len(commands)} commands, all with real arguments, {ran} runs with and without --json, "
        f"{ran - len(wrong)} ended as meant, {len(files)} files written, {len(forms(KEY))} forms of the key "
        f"looked for: {len(leaks)} leaks",
    )
    assert wrong == []
    assert leaks == []
