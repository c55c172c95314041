"""Proxies: HTTP_PROXY is used for remote hosts and never for loopback; NO_PROXY is
honoured; a host name that does not resolve is reported as a DNS failure."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from modeldesk.core.schema import Provider
from modeldesk.runtime.errors import ProviderError
from modeldesk.runtime.provider_probe import list_models
from modeldesk.runtime.proxies import bypasses, proxy_settings
from tests.support.scripted_server import ScriptedServer


class _Proxy(BaseHTTPRequestHandler):
    """A forward proxy that answers every GET itself with a one-model list."""

    seen: list[str]

    def do_GET(self) -> None:
        self.seen.append(self.path)  # absolute-form: http://host/path
        body = json.dumps({"data": [{"id": "via-proxy"}]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def proxy() -> Iterator[tuple[str, list[str]]]:
    seen: list[str] = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), type("H", (_Proxy,), {"seen": seen}))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", seen
    server.shutdown()
    server.server_close()
    thread.join(5)


def _names(base_url: str) -> list[str]:
    provider = Provider(id="p", kind="openai", base_url=base_url)
    return [m.id for m in asyncio.run(list_models(provider, timeout_s=5))]


def test_remote_hosts_go_through_the_proxy_loopback_never(
    proxy: tuple[str, list[str]], scripted_server: ScriptedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, seen = proxy
    monkeypatch.setenv("HTTP_PROXY", url)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    assert _names("http://models.example.test/v1") == ["via-proxy"]
    assert seen == ["http://models.example.test/v1/models"]
    scripted_server.model_names = ["local-one"]
    assert _names(scripted_server.openai_url) == ["local-one"]  # direct, although a proxy is set
    assert _names(scripted_server.openai_url.replace("127.0.0.1", "localhost")) == ["local-one"]
    assert len(seen) == 1


def test_no_proxy_hosts_go_direct_and_dns_failures_are_named(
    proxy: tuple[str, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, seen = proxy
    monkeypatch.setenv("http_proxy", url)
    monkeypatch.setenv("no_proxy", "example.invalid")
    with pytest.raises(ProviderError) as failed:
        _names("http://models.example.invalid/v1")
    assert seen == []
    assert "DNS lookup failed" in failed.value.message


def test_settings_and_bypass_rules() -> None:
    proxies, no_proxy = proxy_settings(
        {"HTTPS_PROXY": "http://proxy:3128", "all_proxy": "http://all:1", "NO_PROXY": ".corp.example, 10.0.0.0/8"}
    )
    assert proxies == {"http": "http://all:1", "https": "http://proxy:3128"}
    assert bypasses("api.corp.example", no_proxy) and bypasses("corp.example", no_proxy)
    assert bypasses("10.2.3.4", no_proxy) and bypasses("127.0.0.5", []) and bypasses("::1", [])
    assert not bypasses("api.openai.com", no_proxy)
