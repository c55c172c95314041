"""The secret-leak sweep: every command of the CLI, run as a real process with a real key
in its environment against a server that demands that key (and quotes it back in errors,
as real providers do), prints no form of the key, and no file written anywhere (config,
backups, history, cooldowns, logs, exports) holds one."""

from __future__ import annotations

import argparse
import base64
import os
import subprocess
import sys
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
        bundle = work / "bundle.json"
        args: dict[tuple[str, ...], list[str]] = {
            ("resolve",): ["--agent", "a", "--json"],
            ("run",): ["--agent", "a", "Hello"],
            ("agents", "show"): ["a"],
            ("agents", "add"): ["c", "--name", "C", "--model", "m1"],
            ("agents", "set-model"): ["c", "m2", "m1"],
            ("agents", "set-task-model"): ["c", "title", "m1"],
            ("agents", "set-fallback"): ["c", "retries", "1"],
            ("agents", "remove"): ["c"],
            ("squads", "add"): ["t", "--name", "T", "--agents", "a"],
            ("squads", "set-model"): ["t", "m1"],
            ("projects", "show"): ["pr"],
            ("projects", "add"): ["q", "--name", "Q", "--model", "m1"],
            ("projects", "rename"): ["q", "--name", "Q2"],
            ("projects", "set-model"): ["q", "m3"],
            ("projects", "set-task-model"): ["q", "title", "m1"],
            ("projects", "remove"): ["q"],
            ("models", "replace"): ["m3", "m1", "--dry-run"],
            ("models", "info"): ["m1"],
            ("settings", "set-default-model"): ["m1", "m3"],
            ("settings", "set-task-model"): ["title", "m3"],
            ("settings", "set-fallback"): ["retries", "0"],
            ("providers", "check"): [],
            ("providers", "models"): ["p"],
            ("providers", "detect"): ["--timeout", "0.2"],
            ("doctor",): ["--probe"],
            ("history", "show"): ["1"],
            ("history", "settings"): ["--keep", "50"],
            ("export",): ["-o", str(bundle)],
            ("import",): [str(bundle), "--dry-run"],
            ("install-desktop",): ["--data-dir", str(work / "share")],
            ("uninstall-desktop",): ["--data-dir", str(work / "share")],
            ("completion",): ["bash"],
        }
        env = os.environ | {
            "SWEEP_KEY": KEY,
            "PYTHONPATH": os.pathsep.join([str(REPO / "desktop"), str(REPO)]),
        }
        commands = leaf_commands(build_parser())
        ran = help_only = 0
        leaks: list[str] = []
        for command in commands:
            extra = args.get(command)
            if extra is None and command[-1] not in ("list", "validate", "schema", "path", "stats", "clear"):
                extra, help_only = ["--help"], help_only + 1
            # Commands that reach the server, or show traces and errors, run as text and as JSON.
            both = command[0] in ("run", "resolve", "providers", "doctor", "agents")
            variants = [[*(extra or [])], [*(extra or []), "--json"]] if both else [[*(extra or [])]]
            for variant in variants:
                done = subprocess.run(
                    [sys.executable, "-m", "modeldesk", "--config", str(config), *command, *variant],
                    capture_output=True,
                    timeout=120,
                    env=env,
                    cwd=work,
                )
                ran += 1
                output = done.stdout + done.stderr
                leaks += [f"{' '.join(command)} {variant}: {f.decode()}" for f in forms(KEY) if f in output]
        assert len(server.chat_requests()) > 0  # the key really was used
    files = [p for root in (home, work) for p in root.rglob("*") if p.is_file()]
    for file in files:
        data = file.read_bytes()
        leaks += [f"{file.relative_to(tmp_path.parent)}: {f.decode()}" for f in forms(KEY) if f in data]
    record(
        "secret-leak sweep",
        f"{len(commands)} commands ({len(commands) - help_only} with real arguments), {ran} runs with and "
        f"without --json, {len(files)} files written, {len(forms(KEY))} forms of the key looked for: "
        f"{len(leaks)} leaks",
    )
    assert leaks == []
