"""Gateways on many hosts share cooldowns through one Redis: two real gateway processes,
each with its own config file, on one real redis-server. And a gateway stopped while a
stream is open ends that stream with an error event, then exits 0."""

from __future__ import annotations

import json
import signal
import threading
from pathlib import Path

import openai
import pytest

from tests.serve.conftest import FAST, gateway_config
from tests.serve.gateway_process import GatewayProcess
from tests.support.redis_server import redis_url  # noqa: F401 (fixture)
from tests.support.scripted_server import ScriptedServer, ok, slow, status


def _client(gateway: GatewayProcess) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{gateway.url}/v1", api_key="x", max_retries=0, timeout=20)


def test_two_gateways_share_cooldowns_through_redis(
    tmp_path: Path,
    scripted_server: ScriptedServer,
    redis_url: str,  # noqa: F811 (fixture)
) -> None:
    gateways = []
    for host in ("one", "two"):
        folder = tmp_path / host
        folder.mkdir()
        config = gateway_config(scripted_server)
        config["settings"]["fallback"] = FAST | {"cooldown_s": 120, "state": {"redis": redis_url, "scope": "team"}}
        path = folder / "config.json"
        path.write_text(json.dumps(config))
        gateways.append(GatewayProcess(path).start())
    first, second = gateways
    try:
        scripted_server.script("a", status(429))
        scripted_server.script("b", ok("B after A's 429", chunks=1), ok("B again", chunks=1))
        with _client(first) as client:
            raw = client.chat.completions.with_raw_response.create(
                model="chat", messages=[{"role": "user", "content": "Hi"}]
            )
        assert raw.headers["x-modeldesk-model"] == "B"
        asked_a = len(scripted_server.chat_requests("a"))
        # The other gateway starts at B: A cools down for every host of the team.
        with _client(second) as client:
            raw = client.chat.completions.with_raw_response.create(
                model="chat", messages=[{"role": "user", "content": "Hi"}]
            )
        assert raw.headers["x-modeldesk-model"] == "B" and raw.parse().choices[0].message.content == "B again"
        assert len(scripted_server.chat_requests("a")) == asked_a
    finally:
        for gateway in gateways:
            gateway.stop()


def test_stopping_the_gateway_ends_open_streams_with_an_error_event_and_exits_0(
    tmp_path: Path, scripted_server: ScriptedServer
) -> None:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(gateway_config(scripted_server)))
    gateway = GatewayProcess(path).start()
    scripted_server.script("a", slow("word " * 100, chunks=100, delay=0.05))
    received: list[str] = []
    first = threading.Event()

    def read() -> None:
        with _client(gateway) as client:
            stream = client.chat.completions.create(
                model="chat", messages=[{"role": "user", "content": "Hi"}], stream=True
            )
            for chunk in stream:
                received.append(chunk.choices[0].delta.content or "" if chunk.choices else "")
                first.set()

    errors: list[BaseException] = []

    def guarded() -> None:
        try:
            read()
        except BaseException as exc:  # noqa: BLE001 - inspected below
            errors.append(exc)
        first.set()

    reader = threading.Thread(target=guarded)
    reader.start()
    assert first.wait(20)
    assert gateway.process is not None
    gateway.process.send_signal(signal.SIGINT)
    reader.join(20)
    assert gateway.process.wait(20) == 0
    gateway.stop()
    assert len(errors) == 1 and isinstance(errors[0], openai.APIError), errors
    assert "stopping" in str(errors[0])
    assert "".join(received) and len("".join(received)) < len("word " * 100)


@pytest.fixture(autouse=True)
def _state_in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODELDESK_HISTORY", str(tmp_path / "history.sqlite3"))
