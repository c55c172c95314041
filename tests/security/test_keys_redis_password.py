"""Attacks on a Redis password written in the config's shared-state URL
(`settings.fallback.state.redis = "redis://user:PASSWORD@host"`): once a config holding one
is read, the password is masked in `settings show` (text and JSON), warnings, the log and
every other output, whether the password is right (a real redis-server that requires it)
or wrong."""

from __future__ import annotations

import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
import redis

from modeldesk.core.redaction import url_without_password
from tests.security.helpers import leaks, modeldesk, write

PASSWORD = "Redis-Pa55word/For+Team=Cooldowns"


@pytest.fixture
def redis_port(tmp_path: Path) -> Iterator[int]:
    """A redis-server of our own on 127.0.0.1 that requires PASSWORD."""
    server = shutil.which("redis-server")
    assert server, "redis-server is not installed (./dev installs the Debian package)"
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    command = [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    command += ["--dir", str(tmp_path), "--requirepass", PASSWORD]
    proc = subprocess.Popen(
        command,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    client = redis.Redis(host="127.0.0.1", port=port, password=PASSWORD)
    try:
        for _ in range(200):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.02)
        yield port
    finally:
        client.close()
        proc.terminate()
        proc.wait(timeout=10)


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("redis://user:pw@h:1/0", "redis://user:***@h:1/0"),
        ("rediss://:pw@h/0", "rediss://:***@h/0"),
        ("redis://pw@h", "redis://***@h"),
        ("redis://h:6379/0", "redis://h:6379/0"),
        ("redis://u:p@ss@h/0", "redis://u:***@h/0"),
    ],
)
def test_url_shown_without_its_password(url: str, shown: str) -> None:
    assert url_without_password(url) == shown


@pytest.mark.parametrize("right", [True, False], ids=["right-password", "wrong-password"])
def test_redis_password_in_the_config_is_never_printed(right: bool, redis_port: int, tmp_path: Path) -> None:
    password = PASSWORD if right else PASSWORD[::-1]
    config = write(
        tmp_path / "config.json",
        {
            "schema_version": 1,
            "providers": [{"id": "sim", "kind": "simulated", "base_url": "http://127.0.0.1:9/v1"}],
            "models": [{"id": "m", "provider": "sim", "name": "m"}],
            "settings": {
                "fallback": {"state": {"redis": f"redis://default:{quote(password, safe='')}@127.0.0.1:{redis_port}/0"}}
            },
            "agents": [{"id": "a", "name": "A", "model": "m", "fallback": {"cooldown_s": 5}}],
        },
    )
    env = {"MODELDESK_LOG_DIR": str(tmp_path / "log")}
    outputs = []
    for command in (
        ["settings", "show"],
        ["settings", "show", "--json"],
        ["run", "--agent", "a", "Hello"],
        ["run", "--agent", "a", "Hello", "--json"],
        ["cooldowns", "list"],
        ["doctor"],
        ["agents", "show", "a", "--json"],
    ):
        done = modeldesk("--config", str(config), *command, env=env)
        assert "Traceback" not in done.stderr, command
        outputs.append(done.stdout + done.stderr)
    assert ("redis://default:***@" in outputs[0]) and ("redis://default:***@" in outputs[1])
    assert ("cooldowns are kept on this machine only" in outputs[2]) is not right
    written = [p for p in tmp_path.rglob("*") if p.is_file() and p != config]
    for text in outputs + [p.read_bytes().decode("utf-8", "replace") for p in written]:
        assert leaks(text, password) == [], text[:1000]


def test_a_password_that_breaks_the_url_is_refused_without_echo(tmp_path: Path) -> None:
    """A password with an unencoded '/' made the Redis client crash with a traceback that
    quoted the password: the config is refused, saying how to write it."""
    config = write(
        tmp_path / "config.json",
        {"schema_version": 1, "settings": {"fallback": {"state": {"redis": f"redis://u:{PASSWORD}@127.0.0.1:1/0"}}}},
    )
    for command in (["settings", "show"], ["run", "--agent", "a", "Hi"], ["config", "validate", "--json"]):
        done = modeldesk("--config", str(config), *command)
        assert done.returncode != 0 and "Traceback" not in done.stderr
        assert "percent-encoded" in done.stdout + done.stderr
        assert leaks(done.stdout + done.stderr, PASSWORD) == []


class EchoingRedis:
    """A Redis stand-in on 127.0.0.1 that answers every command with an error quoting what
    it was sent (as real Redis does for an unknown command), after enough words that a
    message cut at 120 characters would cut the password in the middle."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.port = int(self.sock.getsockname()[1])
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(2)
                try:
                    data = conn.recv(65536)
                    words = " ".join(repr(w.decode("utf-8", "replace")) for w in data.split(b"\r\n")[2::2])
                    conn.sendall(
                        b"-ERR unknown command, with args beginning with: " + b"." * 40 + words.encode() + b"\r\n"
                    )
                except OSError:
                    pass

    def close(self) -> None:
        self.sock.close()


def test_a_redis_echoing_the_password_in_its_error_shows_none_of_it(tmp_path: Path) -> None:
    server = EchoingRedis()
    try:
        config = write(
            tmp_path / "config.json",
            {
                "schema_version": 1,
                "providers": [{"id": "sim", "kind": "simulated", "base_url": "http://127.0.0.1:9/v1"}],
                "models": [{"id": "m", "provider": "sim", "name": "m"}],
                "settings": {
                    "fallback": {
                        "state": {"redis": f"redis://default:{quote(PASSWORD, safe='')}@127.0.0.1:{server.port}/0"}
                    }
                },
                "agents": [{"id": "a", "name": "A", "model": "m"}],
            },
        )
        env = {"MODELDESK_LOG_DIR": str(tmp_path / "log")}
        done = modeldesk("--config", str(config), "run", "--agent", "a", "Hello", env=env)
    finally:
        server.close()
    assert done.returncode == 0, done.stderr
    assert "the server answered" in done.stderr  # the warning did quote the server
    for text in [done.stdout + done.stderr, *(p.read_text() for p in (tmp_path / "log").rglob("*.log"))]:
        assert leaks(text, PASSWORD) == [], text
