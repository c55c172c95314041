"""Fixtures for the gateway tests: a scripted upstream server, a config file pointing at
it, and the gateway itself (in-process on an OS-chosen port), driven by the official
OpenAI and Anthropic SDKs."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import anthropic
import openai
import pytest

from modeldesk.core.history import HistoryError, HistoryStore
from modeldesk.serve.server import BackgroundGateway
from tests.support.scripted_server import ScriptedServer, scripted_server  # noqa: F401 (fixture)

FAST = {
    "retries": 1,
    "backoff_base_s": 0.01,
    "backoff_max_s": 0.02,
    "jitter": 0,
    "cooldown_s": 0,
    "connect_timeout_s": 2,
    "first_token_timeout_s": 3,
    "idle_timeout_s": 2,
    "max_total_s": 20,
}


def gateway_config(server: ScriptedServer, **extra: Any) -> dict[str, Any]:
    """Providers ``oa`` (OpenAI kind) and ``an`` (Anthropic kind) on ``server``; models
    A, B (OpenAI kind, names a, b) and C (Anthropic kind, name c); agents ``chat`` (A, B),
    ``claude`` (C, A) and ``mixed`` (A, C)."""
    data: dict[str, Any] = {
        "schema_version": 1,
        "providers": [
            {"id": "oa", "kind": "openai", "base_url": server.openai_url},
            {"id": "an", "kind": "anthropic", "base_url": server.anthropic_url},
        ],
        "models": [
            {"id": "A", "provider": "oa", "name": "a"},
            {"id": "B", "provider": "oa", "name": "b"},
            {"id": "C", "provider": "an", "name": "c"},
        ],
        "settings": {"fallback": dict(FAST)},
        "agents": [
            {"id": "chat", "name": "Chat", "model": ["A", "B"]},
            {"id": "claude", "name": "Claude", "model": ["C", "A"]},
            {"id": "mixed", "name": "Mixed", "model": ["A", "C"]},
        ],
    }
    return data | extra


def write(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(json.dumps(data, indent=2))
    return path


class Running:
    def __init__(self, gateway: BackgroundGateway, config_path: Path, history: HistoryStore) -> None:
        self.gateway = gateway
        self.config_path = config_path
        self.history = history
        self.clients: list[openai.OpenAI | anthropic.Anthropic] = []

    @property
    def url(self) -> str:
        return self.gateway.url

    def openai(self, **kwargs: Any) -> openai.OpenAI:
        kwargs.setdefault("api_key", "client-key-never-forwarded")
        kwargs.setdefault("max_retries", 0)
        kwargs.setdefault("timeout", 20)
        client = openai.OpenAI(base_url=f"{self.url}/v1", **kwargs)
        self.clients.append(client)
        return client

    def anthropic(self, **kwargs: Any) -> anthropic.Anthropic:
        kwargs.setdefault("api_key", "client-key-never-forwarded")
        kwargs.setdefault("max_retries", 0)
        kwargs.setdefault("timeout", 20)
        client = anthropic.Anthropic(base_url=self.url, **kwargs)
        self.clients.append(client)
        return client

    def runs(self) -> list[Any]:
        """The recorded runs, newest first (none yet while the gateway's writer holds the
        database: callers poll)."""
        try:
            return HistoryStore(self.history.path).query(limit=None)
        except HistoryError:
            return []

    def wait_runs(self, count: int, timeout: float = 10.0) -> list[Any]:
        """The recorded runs once there are ``count`` (the history is written after the answer)."""
        end = time.monotonic() + timeout
        runs = self.runs()
        while len(runs) < count and time.monotonic() < end:
            time.sleep(0.02)
            runs = self.runs()
        return runs


@pytest.fixture
def start_gateway(
    scripted_server: ScriptedServer,  # noqa: F811 (fixture use)
    tmp_path: Path,
) -> Iterator[Callable[..., Running]]:
    started: list[Running] = []

    def start(config: dict[str, Any] | None = None, **kwargs: Any) -> Running:
        path = write(tmp_path / "config.json", config or gateway_config(scripted_server))
        history = HistoryStore(tmp_path / "history.sqlite3")
        running = Running(BackgroundGateway(path, history=history, **kwargs).start(), path, history)
        started.append(running)
        return running

    yield start
    for running in started:
        for client in running.clients:
            client.close()
        running.gateway.stop()
