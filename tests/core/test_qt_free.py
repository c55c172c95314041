"""The core and the CLI work with Qt absent (SPEC §1)."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

from tests.core.helpers import REPO, WORLD, write_json

QT_MODULES = ("PySide6", "shiboken6", "qasync")
CORE = REPO / "desktop" / "modeldesk" / "core"

# Runs in a fresh interpreter where importing any Qt module fails, as if not installed.
BLOCKED = """
import importlib.abc, json, sys
BLOCK = {"PySide6", "shiboken6", "qasync"}

class NoQt(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCK:
            raise ImportError(f"{name} is blocked in this test")
        return None

sys.meta_path.insert(0, NoQt())
import pkgutil, importlib
import modeldesk.core
for info in pkgutil.iter_modules(modeldesk.core.__path__):
    importlib.import_module("modeldesk.core." + info.name)
from modeldesk.cli.main import main
path = sys.argv[1]
codes = [
    main(["--config", path, "resolve", "--agent", "own", "--json"]),
    main(["--config", path, "resolve", "--agent", "tasky", "--task", "title"]),
    main(["--config", path, "agents", "list"]),
    main(["--config", path, "config", "validate"]),
    main(["--config", path, "agents", "set-model", "bare", "haiku"]),
]
loaded = sorted(m for m in sys.modules if m.split(".")[0] in BLOCK)
print(json.dumps({"codes": codes, "qt": loaded}), file=sys.stderr)
"""


def test_core_and_cli_run_without_qt(tmp_path: Path) -> None:
    path = write_json(tmp_path / "config.json", WORLD)
    done = subprocess.run(
        [sys.executable, "-c", BLOCKED, str(path)], capture_output=True, text=True, timeout=60, cwd=REPO
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stderr.strip().splitlines()[-1])
    assert report == {"codes": [0, 0, 0, 0, 0], "qt": []}
    assert json.loads(path.read_text())["agents"][1]["model"] == "haiku"


def test_no_core_module_imports_qt() -> None:
    offenders = []
    files = sorted(CORE.rglob("*.py"))
    assert len(files) >= 8
    for file in files:
        for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            offenders += [f"{file.name}: {n}" for n in names if n.split(".")[0] in QT_MODULES]
    assert offenders == []
