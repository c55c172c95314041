"""The checks the code keeps, run as part of the suite so that `./dev test` (and CI) fails on a
violation: the type check (mypy --strict with the pydantic plugin), the lint rules, the format,
and the layer contracts. Each tool reads its settings from pyproject.toml; a failure prints the
tool's own report."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def run_tool(name: str, *argv: str) -> None:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT / "desktop"), str(ROOT)]))
    result = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=170)
    report = (result.stdout + result.stderr).strip()
    if result.returncode != 0:
        pytest.fail(f"{name} failed (exit {result.returncode}):\n{report}", pytrace=False)


def test_types_check_strictly() -> None:
    run_tool("mypy", sys.executable, "-m", "mypy")


def test_lint_rules_hold() -> None:
    run_tool("ruff check", sys.executable, "-m", "ruff", "check", "--no-fix", "--output-format", "concise", ".")


def test_files_are_formatted() -> None:
    run_tool("ruff format --check", sys.executable, "-m", "ruff", "format", "--check", "--diff", ".")


def test_layer_contracts_hold() -> None:
    run_tool("lint-imports", str(BIN / "lint-imports"), "--no-cache")
