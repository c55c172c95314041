"""Fixtures for the CLI tests: a config file holding the shared test world, and the real
entry point bound to it (in-process, output captured)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.core.helpers import WORLD, Cli, write_json
from tests.support.scripted_server import scripted_server  # noqa: F401 (a fixture for the run tests)


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return write_json(tmp_path / "config.json", WORLD)


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], path: Path) -> Any:
    runner = Cli(capsys)

    class Bound:
        def __call__(self, *args: str) -> tuple[int, str, str]:
            return runner("--config", str(path), *args)

        def json(self, *args: str, expect: int = 0) -> Any:
            return runner.json("--config", str(path), *args, expect=expect)

    return Bound()
