"""Keys stay out of URLs, off plain http to other machines (a warning), and out of every
message in any common encoding; a provider port must be a real port."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from pydantic import ValidationError

from modeldesk.core.schema import Config, Provider
from modeldesk.core.store import ConfigStore
from modeldesk.runtime.errors import ProviderError, redact
from modeldesk.runtime.secrets import key_transport_warnings
from tests.core.helpers import REPO
from tests.support.scripted_server import ScriptedServer, status

from .conftest import build_config, run

KEY = "sk-live-Secret/Value+0123456789"


def provider(url: str, key: bool = True) -> dict[str, Any]:
    return {"id": "p", "kind": "openai", "base_url": url, **({"api_key": {"env": "P_KEY"}} if key else {})}


def cli(path: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO / "desktop"), str(REPO)]), **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "modeldesk", "--config", str(path), *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=full_env,
    )


# --- credentials in a URL ----------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        f"http://user:{KEY}@api.example.com/v1",
        f"https://{KEY}@api.example.com",
        "https://user@host/v1",
        f"https://generativelanguage.example.com/v1?key={KEY}",
    ],
)
def test_credentials_in_base_url_are_refused_with_where_keys_belong(url: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Provider.model_validate(provider(url))
    message = caught.value.errors()[0]["msg"]
    assert "must not hold a user name or key" in message
    assert "environment variable or the OS keyring" in message and "api_key" in message
    assert KEY not in message


def test_config_validate_refuses_a_key_in_the_url_and_keeps_no_copy_of_it(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"providers": [provider(f"http://me:{KEY}@10.1.2.3:8080/v1", key=False)]}))
    done = cli(path, "config", "validate")
    assert done.returncode == 1
    output = done.stdout + done.stderr
    assert "providers[0].base_url: Value error" not in output
    assert "must not hold a user name or key" in output and KEY not in output
    # The broken-file copy would spread the key: none is made.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.json"]


# --- port range ----------------------------------------------------------------------


@pytest.mark.parametrize("url", ["http://127.0.0.1:99999/v1", "http://127.0.0.1:0/v1", "http://h:port/v1"])
def test_a_port_outside_1_to_65535_is_refused(url: str) -> None:
    with pytest.raises(ValidationError, match="port that is not a number from 1 to 65535"):
        Provider.model_validate(provider(url, key=False))


def test_config_validate_catches_port_99999(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"providers": [provider("http://127.0.0.1:99999/v1", key=False)]}))
    done = cli(path, "config", "validate")
    assert done.returncode == 1 and "providers[0].base_url" in done.stdout + done.stderr
    assert "65535" in done.stdout + done.stderr and "Traceback" not in done.stderr


def test_ordinary_urls_still_pass() -> None:
    for url in ("https://api.openai.com/v1/", "http://localhost:11434/v1", "http://[::1]:8080", "http://h:65535"):
        assert Provider.model_validate(provider(url)).base_url == url.rstrip("/")


# --- plain http ----------------------------------------------------------------------


def test_a_key_over_plain_http_to_another_machine_is_warned_about() -> None:
    providers = [
        Provider.model_validate(provider(url, key=key) | {"id": name})
        for name, url, key in [
            ("remote", "http://10.0.0.5:8000/v1", True),
            ("remote-nokey", "http://10.0.0.5:8000/v1", False),
            ("tls", "https://10.0.0.5/v1", True),
            ("local", "http://127.0.0.1:8000/v1", True),
            ("localhost", "http://localhost:8000/v1", True),
            ("v6", "http://[::1]:8000/v1", True),
        ]
    ]
    warnings = key_transport_warnings(providers)
    assert len(warnings) == 1
    assert "'remote'" in warnings[0] and "plain http to 10.0.0.5" in warnings[0] and "https://" in warnings[0]


def test_config_validate_and_run_warn_about_a_key_over_plain_http(tmp_path: Path) -> None:
    data = {
        "providers": [provider("http://192.0.2.1:8000/v1")],  # TEST-NET-1: nothing answers
        "models": [{"id": "m", "provider": "p", "name": "m"}],
        "settings": {"fallback": {"retries": 0, "connect_timeout_s": 0.2, "max_total_s": 1}},
        "agents": [{"id": "a", "name": "A", "model": "m"}],
    }
    path = tmp_path / "config.json"
    path.write_text(json.dumps(data))
    done = cli(path, "config", "validate")
    assert done.returncode == 0 and "sends its API key over plain http to 192.0.2.1" in done.stdout + done.stderr
    done = cli(path, "run", "--agent", "a", "Hi", env={"P_KEY": KEY})
    assert "warning: provider 'p' sends its API key over plain http to 192.0.2.1" in done.stderr
    assert KEY not in done.stdout + done.stderr


# --- redaction -----------------------------------------------------------------------


def encodings(key: str) -> list[str]:
    b64 = base64.b64encode
    return [
        key,
        key.upper(),
        key.lower(),
        b64(key.encode()).decode(),
        base64.urlsafe_b64encode(key.encode()).decode(),
        b64(f"user:{key}".encode()).decode(),
        b64(f"apikey:{key}".encode()).decode(),
        b64(f":{key}".encode()).decode(),
        quote(key, safe=""),
    ]


def test_redaction_covers_case_base64_and_url_encoding() -> None:
    text = " | ".join(f"echo {form} end" for form in encodings(KEY))
    cleaned = redact(text, [KEY])
    for form in encodings(KEY):
        assert form not in cleaned, form
    # What cannot give the key back is left: the neighbours' base64 edges, ordinary words.
    assert cleaned.count("echo ") == len(encodings(KEY)) and "***" in cleaned


def test_short_keys_do_not_mangle_ordinary_text() -> None:
    assert redact("key v1 and v1", ["v1", ""]) == "key *** and ***"
    assert redact("Basic authentication failed", ["abc"]) == "Basic authentication failed"


def test_a_server_echoing_the_key_in_any_encoding_is_redacted(scripted_server: ScriptedServer) -> None:
    echoed = " ".join(encodings(KEY))
    scripted_server.script("a", status(401, f"Incorrect API key provided: {echoed}"))
    config = build_config(
        scripted_server,
        [{"id": "A", "provider": "keyed", "name": "a"}],
        providers=[{"id": "keyed", "kind": "openai", "base_url": scripted_server.openai_url, "api_key": {"env": "K"}}],
    )
    from modeldesk.runtime.secrets import StaticSecrets

    result = run(config, secrets=StaticSecrets({"env:K": KEY})).result
    error = result.attempts[0].error or ""
    assert "Incorrect API key" in error
    everything = json.dumps(result.to_json())
    for form in encodings(KEY):
        assert form not in everything, form


def test_provider_errors_built_by_hand_are_redacted_too() -> None:
    error = ProviderError.make("auth", "bad key " + base64.b64encode(f"u:{KEY}".encode()).decode(), secrets=(KEY,))
    assert base64.b64encode(f"u:{KEY}".encode()).decode() not in error.message


def test_config_objects_refuse_a_key_in_the_url_on_assignment_as_well() -> None:
    config = Config.model_validate({"providers": [provider("https://api.example.com/v1")]})
    with pytest.raises(ValidationError):
        config.providers[0].base_url = f"https://x:{KEY}@api.example.com/v1"
    store_path = Path("/nonexistent")  # no file is touched: validation happens in memory
    assert not ConfigStore(store_path).exists()


def test_doctor_and_the_health_page_report_a_key_over_plain_http() -> None:
    import asyncio

    from modeldesk.runtime.doctor import check_health
    from modeldesk.runtime.secrets import StaticSecrets

    config = Config.model_validate(
        {
            "providers": [
                provider("http://10.0.0.5:8000/v1") | {"id": "lan"},
                provider("http://127.0.0.1:8000/v1") | {"id": "local"},
            ]
        }
    )
    report = asyncio.run(check_health(config, secrets=StaticSecrets({"env:P_KEY": KEY}), network=False))
    lines = [problem.line for problem in report.problems]
    assert lines == ["provider lan: its API key would travel over plain http to another machine — use https://"]
