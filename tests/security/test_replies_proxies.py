"""Proxy settings an attacker or a typo can leave in the environment: a proxy without a
scheme, a SOCKS or ftp:// proxy, a broken URL. Remote requests fail with a clear message
(or use the proxy as curl would), loopback never goes near the proxy, and nothing crashes.
One definition of "this machine", ``localhost.`` included."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from modeldesk.core.schema import Provider
from modeldesk.core.urls import is_loopback
from modeldesk.runtime.errors import ProviderError
from modeldesk.runtime.provider_probe import list_models
from tests.runtime.conftest import build_config, write_config
from tests.security.helpers import modeldesk
from tests.support.scripted_server import ScriptedServer

BROKEN = {
    "SOCKS": "socks5://127.0.0.1:1080",
    "ftp": "ftp://127.0.0.1:21",
    "bad port": "http://proxy.example:99999",
    "broken IPv6": "http://[::1",
    "no host": "http://:3128",
    "escape sequence": "\x1b]0;pwned\x07ftp://x",
}
PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")


def _set_proxy(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    for name in PROXY_VARIABLES:
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.delenv("NO_PROXY", raising=False)


@pytest.mark.parametrize("value", BROKEN.values(), ids=list(BROKEN))
def test_an_unusable_proxy_is_a_clear_error_for_remote_hosts_and_ignored_for_loopback(
    value: str, scripted_server: ScriptedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    _set_proxy(monkeypatch, value)
    scripted_server.model_names = ["local-one"]
    local = Provider(id="local", kind="openai", base_url=scripted_server.openai_url)
    assert asyncio.run(list_models(local, timeout_s=5))  # loopback: straight there
    remote = Provider(id="remote", kind="openai", base_url="http://models.example.test/v1")
    with pytest.raises(ProviderError) as caught:
        asyncio.run(list_models(remote, timeout_s=5))
    assert "the proxy setting" in caught.value.message and "\x1b" not in caught.value.message


def test_network_commands_survive_unusable_proxies(scripted_server: ScriptedServer, tmp_path: Path) -> None:
    config = write_config(tmp_path / "config.json", build_config(scripted_server))
    # One of each kind at once: without a scheme, SOCKS (httpx needs an extra package), ftp.
    env = {"http_proxy": "proxy.invalid:3128", "https_proxy": "socks5://127.0.0.1:1080", "all_proxy": "ftp://x:21"}
    for args in (["providers", "detect", "--timeout", "0.3"], ["run", "--agent", "agent", "Hi"]):
        done = modeldesk("--config", str(config), *args, env=env)
        assert "Traceback" not in done.stderr, (args, done.stderr)
        assert done.returncode == 0 or args[1] == "detect", (args, done.stderr)


class _Proxy(BaseHTTPRequestHandler):
    seen: list[str]

    def do_GET(self) -> None:
        self.seen.append(self.path)
        body = json.dumps({"data": [{"id": "via-proxy"}]}).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def proxy() -> Iterator[tuple[int, list[str]]]:
    seen: list[str] = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), type("H", (_Proxy,), {"seen": seen}))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield int(server.server_address[1]), seen
    server.shutdown()
    server.server_close()
    thread.join(5)


def test_a_proxy_without_a_scheme_is_an_http_proxy_as_curl_reads_it(
    proxy: tuple[int, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    port, seen = proxy
    _set_proxy(monkeypatch, f"127.0.0.1:{port}")  # https_proxy=proxy:3128
    remote = Provider(id="remote", kind="openai", base_url="http://models.example.test/v1")
    assert [m.id for m in asyncio.run(list_models(remote, timeout_s=5))] == ["via-proxy"]
    assert seen == ["http://models.example.test/v1/models"]


@pytest.mark.parametrize("host", ["localhost", "localhost.", "LOCALHOST.", "127.0.0.1", "127.9.9.9", "::1", "[::1]"])
def test_every_spelling_of_this_machine_is_loopback_everywhere(host: str) -> None:
    from modeldesk.runtime import proxies
    from modeldesk.serve import server

    assert is_loopback(host) and proxies.bypasses(host, []) and server.is_loopback(host)
    assert not is_loopback("localhost.example.com") and not is_loopback("128.0.0.1")
