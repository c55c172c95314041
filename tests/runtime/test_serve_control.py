"""Starting and stopping a detached gateway without the app: a second start is refused
while one serves, a start that fails quotes the gateway's own words, and a status file
naming a process that is not a gateway (its pid reused) never gets that process killed."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from modeldesk.runtime.serve_control import ServeControlError, ServeOptions, start_gateway, stop_gateway
from modeldesk.runtime.serve_status import pid_alive, read_status, status_path
from tests.core.helpers import WORLD, write_json


@pytest.fixture
def config(tmp_path: Path) -> Path:
    return write_json(tmp_path / "config.json", WORLD)


def test_start_refuses_a_second_gateway_and_stop_ends_the_first(config: Path) -> None:
    status = start_gateway(config, ServeOptions(port=0))
    try:
        assert pid_alive(status.pid) and read_status(config) == status
        with pytest.raises(ServeControlError, match=r"already serves this config at http://127\.0\.0\.1:"):
            start_gateway(config, ServeOptions(port=0))
    finally:
        stopped = stop_gateway(config)
    assert stopped == status
    assert not pid_alive(status.pid) and read_status(config) is None
    assert stop_gateway(config) is None  # nothing left to stop


def test_a_failed_start_says_why(config: Path, tmp_path: Path) -> None:
    # Beyond loopback without a token file the gateway refuses to start, and says "token".
    with pytest.raises(ServeControlError) as failure:
        start_gateway(config, ServeOptions(host="0.0.0.0", port=0), timeout_s=60)
    message = failure.value.message
    assert message.startswith("The gateway did not start (exit ") and "token" in message.lower(), message
    assert read_status(config) is None


def test_a_status_file_naming_another_program_is_not_acted_on(config: Path) -> None:
    # A gateway that died left its file; the system has since given its pid to a program
    # that is no gateway.
    with subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"]) as bystander:
        try:
            path = status_path(config)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(
                json.dumps(
                    {
                        "pid": bystander.pid,
                        "url": "http://127.0.0.1:9",
                        "host": "127.0.0.1",
                        "port": 9,
                        "config": str(config),
                        "started_at": time.time(),
                    }
                )
            )
            with pytest.raises(ServeControlError, match="is not a ModelDesk gateway; not stopping it"):
                stop_gateway(config)
            assert bystander.poll() is None  # untouched
        finally:
            bystander.kill()
