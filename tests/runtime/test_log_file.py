"""The log file: a real `modeldesk run` writes its attempts there, redacted; the rotation
limit holds; the app's exception hook logs and names the file."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import Any

from modeldesk.logs import MAX_BYTES, RedactingFilter, redact, setup_logging, teardown_logging
from tests.core.helpers import run_module, write_json
from tests.support.scripted_server import ScriptedServer, ok, status


def test_run_attempts_go_to_the_log_file_without_the_key(tmp_path: Path, keyed_server: ScriptedServer) -> None:
    keyed_server.script("first", status(503))
    keyed_server.script("second", ok("Hi"))
    path = write_json(
        tmp_path / "config.json",
        {
            "schema_version": 1,
            "providers": [
                {"id": "lab", "kind": "openai", "base_url": keyed_server.openai_url, "api_key": {"env": "LOG_TEST_KEY"}}
            ],
            "models": [
                {"id": "first", "provider": "lab", "name": "first"},
                {"id": "second", "provider": "lab", "name": "second"},
            ],
            "settings": {"fallback": {"retries": 0}},
            "agents": [{"id": "a", "name": "A", "model": ["first", "second"]}],
        },
    )
    logs = tmp_path / "logs"
    env = {**os.environ, "MODELDESK_LOG_DIR": str(logs), "LOG_TEST_KEY": keyed_server.api_key or ""}
    result = run_module("--config", str(path), "run", "--agent", "a", "Hello", env=env)
    assert result.returncode == 0, result.stderr
    text = (logs / "modeldesk.log").read_text()
    assert "Falling back to second" in text and "second answered" in text
    assert keyed_server.api_key and keyed_server.api_key not in text


def test_redaction_masks_secret_shapes() -> None:
    line = (
        "key sk-ant-abcdef1234567890 header Bearer abc.def.ghi123 "
        'url https://u:hunter22@host/x "api_key": "zz9988776655"'
    )
    out = redact(line)
    for secret in ("abcdef1234567890", "abc.def.ghi123", "hunter22", "zz9988776655"):
        assert secret not in out
    assert out.count("[redacted]") == 4


def test_file_handler_rotates_and_redacts_tracebacks(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setenv("MODELDESK_LOG_DIR", str(tmp_path))
    path = setup_logging()
    try:
        assert path == tmp_path / "modeldesk.log"
        log = logging.getLogger("modeldesk.test")
        try:
            raise RuntimeError("failed with sk-proj-SECRETSECRET123")
        except RuntimeError:
            log.exception("boom")
        for _ in range(3000):
            log.info("x" * 500)
    finally:
        teardown_logging()
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files[:2] == ["modeldesk.log", "modeldesk.log.1"]
    assert all((tmp_path / f).stat().st_size <= MAX_BYTES + 1024 for f in files)
    assert all((tmp_path / f).stat().st_mode & 0o777 == 0o600 for f in files)
    assert not any("SECRETSECRET" in (tmp_path / f).read_text() for f in files)
    assert isinstance(RedactingFilter(), logging.Filter)


def test_the_file_is_made_at_set_up_and_written_from_the_first_record(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setenv("MODELDESK_LOG_DIR", str(tmp_path))
    path = setup_logging()
    try:
        assert path is not None and path.stat().st_size == 0
        assert path.stat().st_mode & 0o777 == 0o600
        log = logging.getLogger("modeldesk.test")
        log.info("first line")
        log.warning("second line with sk-proj-SECRETSECRET123")
    finally:
        teardown_logging()
    lines = path.read_text().splitlines()
    assert [line.split(" ", 2)[2] for line in lines] == [
        "INFO modeldesk.test: first line",
        "WARNING modeldesk.test: second line with sk-proj-[redacted]",
    ]


def test_a_record_written_when_nothing_can_be_imported_any_more_is_kept(tmp_path: Path, monkeypatch: Any) -> None:
    """At the very end of a process imports fail; the first record then goes to the file
    unrotated rather than being lost."""
    monkeypatch.setenv("MODELDESK_LOG_DIR", str(tmp_path))
    path = setup_logging()
    assert path is not None
    monkeypatch.setitem(sys.modules, "logging.handlers", None)  # importing it raises ImportError
    try:
        logging.getLogger("modeldesk.test").error("last words")
    finally:
        teardown_logging()
    assert path.read_text().endswith("ERROR modeldesk.test: last words\n")
