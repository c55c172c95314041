"""`modeldesk run` and `modeldesk providers`: every SPEC §4 row through the command line
(in-process, streaming and not), plus real subprocesses for output streams, exit codes and
Ctrl+C."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from modeldesk.cli.main import main
from tests.support.scripted_server import (
    Behaviour,
    ScriptedServer,
    content_policy,
    context_overflow,
    cut,
    hang,
    malformed_json,
    malformed_sse,
    ok,
    refusal,
    reset,
    slow,
    status,
)

from .conftest import build_config, write_config

pytestmark = pytest.mark.timeout(60)

WINDOWED = [
    {"id": "A", "provider": "p1", "name": "a", "context_window": 8000},
    {"id": "B", "provider": "p1", "name": "b", "context_window": 4000},
    {"id": "C", "provider": "p2", "name": "c", "context_window": 32000},
]
WITH_DEAD = [{"id": "X", "provider": "dead", "name": "x"}, {"id": "A", "provider": "p1", "name": "a"}]

F, OK, SKIP = "failed", "answered", "skipped"

# (id, scripts, models or None for A/B/C, fallback overrides, exit code, answering model or error code, attempts)
ROWS: list[
    tuple[
        str,
        dict[str, list[Behaviour]],
        list[dict[str, Any]] | None,
        dict[str, Any],
        int,
        str,
        list[tuple[str, str, int | None]],
    ]
] = [
    ("429-next", {"a": [status(429)]}, None, {}, 0, "B", [("A", F, 429), ("B", OK, 200)]),
    (
        "429-last-retry-after",
        {"a": [status(429, retry_after="0.05")], "b": [status(404)], "c": [status(429, retry_after="0.05"), ok()]},
        None,
        {},
        0,
        "C",
        [("A", F, 429), ("B", F, 404), ("C", F, 429), ("C", OK, 200)],
    ),
    (
        "429-last-too-long",
        {"a": [status(429)], "b": [status(429)], "c": [status(429, retry_after=61)]},
        None,
        {},
        1,
        "all_models_failed",
        [("A", F, 429), ("B", F, 429), ("C", F, 429)],
    ),
    *[
        (str(code), {"a": [status(code)] * 3}, None, {}, 0, "B", [("A", F, code)] * 3 + [("B", OK, 200)])
        for code in (500, 502, 503, 504, 529, 408)
    ],
    ("connect-error", {}, WITH_DEAD, {}, 0, "A", [("X", F, None)] * 3 + [("A", OK, 200)]),
    ("reset", {"a": [reset()] * 3}, None, {}, 0, "B", [("A", F, None)] * 3 + [("B", OK, 200)]),
    (
        "read-timeout",
        {"a": [hang()] * 3},
        None,
        {"first_token_timeout_s": 0.3},
        0,
        "B",
        [("A", F, None)] * 3 + [("B", OK, 200)],
    ),
    ("malformed-json", {"a": [malformed_json()] * 3}, None, {}, 0, "B", [("A", F, None)] * 3 + [("B", OK, 200)]),
    ("malformed-sse", {"a": [malformed_sse()] * 3}, None, {}, 0, "B", [("A", F, None)] * 3 + [("B", OK, 200)]),
    ("stream-cut", {"a": [cut(), ok("Second")]}, None, {}, 0, "A", [("A", F, None), ("A", OK, 200)]),
    (
        "context-overflow",
        {"a": [context_overflow(8000)]},
        WINDOWED,
        {},
        0,
        "C",
        [("A", F, 400), ("B", SKIP, None), ("C", OK, 200)],
    ),
    ("404", {"a": [status(404)]}, None, {}, 0, "B", [("A", F, 404), ("B", OK, 200)]),
    ("401", {"a": [status(401)]}, None, {}, 0, "C", [("A", F, 401), ("B", SKIP, None), ("C", OK, 200)]),
    ("403", {"a": [status(403)]}, None, {}, 0, "C", [("A", F, 403), ("B", SKIP, None), ("C", OK, 200)]),
    ("400-stop", {"a": [status(400, "bad field")]}, None, {}, 1, "invalid_request", [("A", F, 400)]),
    ("content-policy-stop", {"a": [content_policy()]}, None, {}, 1, "content_policy", [("A", F, 400)]),
    # A refusal goes to another provider's model first (C before B), or stops the run.
    ("refusal-next", {"a": [refusal("I can't")]}, None, {}, 0, "C", [("A", F, None), ("C", OK, 200)]),
    ("refusal-stop", {"a": [refusal()]}, None, {"on_refusal": "stop"}, 1, "refusal", [("A", F, None)]),
    ("501-next", {"a": [status(501)]}, None, {}, 0, "B", [("A", F, 501), ("B", OK, 200)]),
]


@pytest.mark.parametrize("stream", [True, False], ids=["stream", "no-stream"])
@pytest.mark.parametrize(
    ("scripts", "models", "fallback", "code", "expected", "attempts"), [r[1:] for r in ROWS], ids=[r[0] for r in ROWS]
)
def test_every_table_row_through_the_cli(
    scripted_server: ScriptedServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    stream: bool,
    scripts: dict[str, list[Behaviour]],
    models: list[dict[str, Any]] | None,
    fallback: dict[str, Any],
    code: int,
    expected: str,
    attempts: list[tuple[str, str, int | None]],
) -> None:
    for name, behaviours in scripts.items():
        scripted_server.script(name, *behaviours)
    path = write_config(tmp_path / "config.json", build_config(scripted_server, models, fallback=fallback))
    argv = ["--config", str(path), "run", "--agent", "agent", "--json", *([] if stream else ["--no-stream"]), "Hi"]
    assert main(argv) == code
    out, err = capsys.readouterr()
    data = json.loads(out)
    assert [(a["model"], a["outcome"], a["status"]) for a in data["attempts"]] == attempts
    if code == 0:
        assert data["model"] == expected and data["text"]
        assert set(data) >= {"text", "model", "attempts", "usage"}
    else:
        assert data["error"]["code"] == expected and data["error"]["message"]
    assert err.startswith("[modeldesk] Starting (models: ")
    assert scripted_server.chat_requests()[0].stream is stream


def test_text_mode_streams_the_answer_to_stdout_and_steps_to_stderr(
    scripted_server: ScriptedServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scripted_server.script("a", status(500))
    scripted_server.script("a", cut("Broken bits", after=1, chunks=2), cut("Broken bits", after=1, chunks=2))
    scripted_server.script("b", ok("The answer.", chunks=3))
    path = write_config(tmp_path / "config.json", build_config(scripted_server))
    assert main(["--config", str(path), "run", "--agent", "agent", "Hi"]) == 0
    out, err = capsys.readouterr()
    # Partial text cannot be taken back from a pipe: a line break ends it, stderr says so.
    assert out == "Broken\nBroken\nThe answer.\n"
    lines = err.splitlines()
    assert lines[:3] == [
        "[modeldesk] Starting (models: A, B, C)",
        "[modeldesk] Trying A (1/3)",
        "[modeldesk] A failed: 500 server error: scripted 500",
    ]
    assert "[modeldesk] Withdrew 6 characters of partial output from A" in lines
    assert "[modeldesk] Falling back to B" in lines and lines[-1].startswith("[modeldesk] B answered (")


def test_quiet_and_failure_messages(
    scripted_server: ScriptedServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scripted_server.script("a", status(400, "bad field"))
    path = write_config(tmp_path / "config.json", build_config(scripted_server))
    assert main(["--config", str(path), "run", "--agent", "agent", "-q", "Hi"]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err == (
        "modeldesk: A refused the request (400 invalid request: bad field); no other model is tried for this error.\n"
    )


def test_model_option_and_resolution_errors(
    scripted_server: ScriptedServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_config(tmp_path / "config.json", build_config(scripted_server))
    assert main(["--config", str(path), "run", "--agent", "agent", "--model", "C,B", "--json", "-q", "Hi"]) == 0
    assert json.loads(capsys.readouterr().out)["model"] == "C"
    assert main(["--config", str(path), "run", "--agent", "ghost", "--json", "Hi"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["error"]["code"] == "unknown_agent" and data["attempts"] == []


def test_prompt_from_stdin_and_max_tokens(
    scripted_server: ScriptedServer, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    monkeypatch.setattr(sys, "stdin", io.StringIO("A prompt from a pipe\n"))
    path = write_config(tmp_path / "config.json", build_config(scripted_server))
    assert main(["--config", str(path), "run", "--agent", "agent", "--max-tokens", "7", "-q", "-"]) == 0
    body = scripted_server.chat_requests()[0].body
    assert body["messages"][-1]["content"] == "A prompt from a pipe\n" and body["max_tokens"] == 7
    capsys.readouterr()


def test_cooldown_carries_over_between_cli_runs(
    scripted_server: ScriptedServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scripted_server.script("a", status(429))
    path = write_config(tmp_path / "config.json", build_config(scripted_server))
    argv = ["--config", str(path), "run", "--agent", "agent", "--json", "Hi"]
    assert main(argv) == 0 and main(argv) == 0
    second = json.loads(capsys.readouterr().out.split("\n}\n")[1] + "\n}")
    assert second["attempts"][0] == {
        "model": "A",
        "outcome": "skipped",
        "status": None,
        "error": "cooldown: starting at B",
        "error_class": None,
        "elapsed_ms": 0,
    }
    # One store in the state folder, keyed by this config file; nothing beside the config.
    from modeldesk.runtime.cooldown import default_cooldown_path

    assert default_cooldown_path().exists() and not (tmp_path / "cooldowns.json").exists()
    assert [r.model for r in scripted_server.chat_requests()] == ["a", "b", "b"]


# --- real processes ----------------------------------------------------------------------------


def _cli(*args: str, **kwargs: Any) -> subprocess.Popen[str]:
    env = os.environ | {"PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "modeldesk", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        **kwargs,
    )


def test_subprocess_json_and_exit_codes(scripted_server: ScriptedServer, tmp_path: Path) -> None:
    scripted_server.script("a", status(503), status(503), status(503))
    scripted_server.script("b", ok("From B"))
    path = write_config(tmp_path / "config.json", build_config(scripted_server))
    proc = _cli("--config", str(path), "run", "--agent", "agent", "--json", "Hi")
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    data = json.loads(out)
    assert data["text"] == "From B" and data["model"] == "B"
    assert "[modeldesk] Retrying A in 0.01 s (2/3)" in err

    scripted_server.script("a", status(400))
    proc = _cli("--config", str(path), "run", "--agent", "agent", "--json", "Hi")
    out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 1 and json.loads(out)["error"]["code"] == "invalid_request"


def test_a_closed_pipe_ends_the_run_quietly(scripted_server: ScriptedServer, tmp_path: Path) -> None:
    scripted_server.script("a", slow("line\n" * 50, chunks=50, delay=0.01))
    path = write_config(tmp_path / "config.json", build_config(scripted_server))
    proc = _cli("--config", str(path), "run", "--agent", "agent", "-q", "Hi")
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.readline() == "line\n"
    proc.stdout.close()  # like `| head -1`
    with proc.stderr:
        err = proc.stderr.read()
    assert proc.wait(timeout=10) == 1
    assert "Traceback" not in err and "BrokenPipe" not in err


def test_ctrl_c_cancels_at_once_and_sends_nothing_more(scripted_server: ScriptedServer, tmp_path: Path) -> None:
    scripted_server.script("a", slow("tick " * 40, chunks=40, delay=0.1))
    path = write_config(tmp_path / "config.json", build_config(scripted_server))
    proc = _cli("--config", str(path), "run", "--agent", "agent", "Hi")
    assert proc.stdout is not None
    first = proc.stdout.read(4)  # the answer has started streaming
    assert first == "tick"
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=10)
    assert proc.returncode == 130
    assert "[modeldesk] Cancelled" in err and "Traceback" not in err
    time.sleep(0.2)
    assert len(scripted_server.chat_requests()) == 1


# --- providers ---------------------------------------------------------------------------------


def test_providers_check_and_models(
    scripted_server: ScriptedServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scripted_server.model_names = ["a", "zeta"]
    path = write_config(tmp_path / "config.json", build_config(scripted_server))
    assert main(["--config", str(path), "providers", "check", "p1", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)["providers"]
    assert data[0]["id"] == "p1" and data[0]["ok"] and data[0]["models"] == 2 and data[0]["latency_ms"] >= 0

    assert main(["--config", str(path), "providers", "check"]) == 1  # 'dead' fails
    out = capsys.readouterr().out
    assert out.splitlines()[0].split() == ["PROVIDER", "KIND", "STATUS", "LATENCY", "MODELS", "ERROR"]
    dead_row = next(line for line in out.splitlines() if line.startswith("dead "))
    assert dead_row.split()[:3] == ["dead", "openai", "error"] and "Connection refused" in dead_row

    assert main(["--config", str(path), "providers", "models", "p1", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert listed["models"] == [
        {"name": "a", "label": None, "context_window": None, "configured": ["A"]},
        {"name": "zeta", "label": None, "context_window": None, "configured": []},
    ]
    assert main(["--config", str(path), "providers", "models", "nope", "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["error"]["code"] == "unknown_provider"
    assert main(["--config", str(path), "providers", "models", "dead"]) == 1
    assert "did not list its models: connection failed" in capsys.readouterr().err
