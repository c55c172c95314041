"""`modeldesk serve` as a real process: the ready line, the status file while it runs, a
clean stop on SIGINT and SIGTERM (exit 0), and the refusal to listen beyond loopback
without a token."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from modeldesk.runtime import serve_status
from tests.serve.conftest import gateway_config, write
from tests.support.scripted_server import ScriptedServer, ok


def _start(args: list[str], env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "modeldesk", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def _ready_url(proc: subprocess.Popen[str]) -> str:
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert "http://127.0.0.1:" in line, line + (proc.stderr.read() if proc.stderr else "")
    return "http://" + line.split("http://", 1)[1].split()[0]


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_ready_line_status_file_and_clean_stop(
    tmp_path: Path, scripted_server: ScriptedServer, sig: signal.Signals
) -> None:
    config = write(tmp_path / "config.json", gateway_config(scripted_server))
    proc = _start(["--config", str(config), "serve", "--port", "0"])
    try:
        url = _ready_url(proc)
        status = serve_status.read_status(config)
        assert status is not None and status.url == url and status.pid == proc.pid
        assert oct(serve_status.status_path(config).stat().st_mode & 0o777) == "0o600"
        scripted_server.script("a", ok("Served", chunks=1))
        reply = httpx.post(
            f"{url}/v1/chat/completions",
            json={"model": "chat", "messages": [{"role": "user", "content": "Hi"}]},
            timeout=10,
        )
        assert reply.json()["choices"][0]["message"]["content"] == "Served"
        proc.send_signal(sig)
        _out, err = proc.communicate(timeout=15)
        assert proc.returncode == 0, err
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()
    assert not serve_status.status_path(config).exists()
    assert serve_status.read_status(config) is None


def test_non_loopback_without_token_refuses_to_start(tmp_path: Path) -> None:
    proc = _start(["--config", str(write(tmp_path / "c.json", {"schema_version": 1})), "serve", "--host", "0.0.0.0"])
    _out, err = proc.communicate(timeout=30)
    assert proc.returncode == 1
    assert "token" in err and "0.0.0.0" in err


def test_stale_status_file_reads_as_not_running(tmp_path: Path) -> None:
    config = tmp_path / "config.json"
    path = serve_status.status_path(config)
    path.parent.mkdir(parents=True, exist_ok=True)
    with subprocess.Popen([sys.executable, "-c", "pass"]) as dead:
        dead.wait()
    path.write_text(
        json.dumps(
            {
                "pid": dead.pid,
                "url": "http://127.0.0.1:1",
                "host": "127.0.0.1",
                "port": 1,
                "config": "x",
                "started_at": 0,
            }
        )
    )
    assert serve_status.read_status(config) is None
    path.write_text("{not json")
    assert serve_status.read_status(config) is None
    path.write_text(
        json.dumps(
            {"pid": os.getpid(), "url": "http://127.0.0.1:1", "host": "h", "port": 1, "config": "x", "started_at": 0}
        )
    )
    assert serve_status.read_status(config) is not None


def test_a_token_file_guards_the_process(tmp_path: Path, scripted_server: ScriptedServer) -> None:
    config = write(tmp_path / "config.json", gateway_config(scripted_server))
    token_file = tmp_path / "token"
    token_file.write_text("  tok-from-file\n\n")
    proc = _start(["--config", str(config), "serve", "--port", "0", "--token-file", str(token_file)])
    try:
        url = _ready_url(proc)
        assert httpx.get(f"{url}/v1/models", timeout=10).status_code == 401
        assert httpx.get(f"{url}/v1/models", headers={"x-api-key": "tok-from-file"}, timeout=10).status_code == 200
        listed = httpx.get(f"{url}/v1/models", headers={"authorization": "Bearer tok-from-file"}, timeout=10)
        assert [m["id"] for m in listed.json()["data"]] == ["chat", "claude", "mixed"]
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=15)
        assert proc.returncode == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()
