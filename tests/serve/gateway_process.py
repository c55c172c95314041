"""A real gateway process for tests: `python -m modeldesk --config F serve --port 0`,
ready once it printed its URL, stopped with SIGTERM (as systemd and the app stop it)."""

from __future__ import annotations

import re
import selectors
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

READY_TIMEOUT_S = 60.0
URL = re.compile(r"http://[^\s/]+")


class GatewayProcess:
    def __init__(self, config: Path, *, token_file: Path | None = None, host: str | None = None) -> None:
        self.config = config
        self.token_file = token_file
        self.host = host
        self.url = ""
        self.log = config.with_name(f"{config.stem}.serve.log")
        self.process: subprocess.Popen[str] | None = None

    def command(self) -> list[str]:
        args = [sys.executable, "-m", "modeldesk", "--config", str(self.config), "serve", "--port", "0"]
        if self.host:
            args += ["--host", self.host]
        if self.token_file is not None:
            args += ["--token-file", str(self.token_file)]
        return args

    def start(self) -> GatewayProcess:
        with self.log.open("w") as log:
            self.process = subprocess.Popen(
                self.command(), stdout=subprocess.PIPE, stderr=log, stdin=subprocess.DEVNULL, text=True
            )
        assert self.process.stdout is not None
        selector = selectors.DefaultSelector()
        selector.register(self.process.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline and self.process.poll() is None:
            if selector.select(timeout=0.5):
                line = self.process.stdout.readline()
                found = URL.search(line)
                if found:
                    self.url = found.group(0)
                    return self
        self.stop()
        pytest.fail(f"the gateway did not print its URL:\n{self.log.read_text()[-3000:]}")

    def stop(self) -> int | None:
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        if self.process.stdout is not None:
            self.process.stdout.close()
        return self.process.returncode
