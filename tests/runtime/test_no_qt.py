"""The runtime and its CLI commands work with Qt absent (SPEC §1: the core has no Qt)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.support.scripted_server import ScriptedServer, ok, status

from .conftest import build_config, write_config

# A fresh interpreter in which importing any Qt module fails, as if it were not installed.
CHECK = """
import importlib, json, pkgutil, sys
for name in ("PySide6", "shiboken6", "qasync"):
    sys.modules[name] = None
import modeldesk.runtime
for info in pkgutil.walk_packages(modeldesk.runtime.__path__, "modeldesk.runtime."):
    importlib.import_module(info.name)
from modeldesk.cli.main import main
code = main(["--config", sys.argv[1], "run", "--agent", "agent", "--json", "-q", "Hi"])
check = main(["--config", sys.argv[1], "providers", "check", "p1", "--json"])
loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("PySide6", "shiboken6", "qasync") and sys.modules[m])
print(json.dumps({"codes": [code, check], "qt": loaded}), file=sys.stderr)
"""


def test_runtime_and_its_commands_run_without_qt(scripted_server: ScriptedServer, tmp_path: Path) -> None:
    scripted_server.script("a", status(429))
    scripted_server.script("b", ok("No Qt needed"))
    path = write_config(tmp_path / "config.json", build_config(scripted_server))
    proc = subprocess.run([sys.executable, "-c", CHECK, str(path)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stderr.strip().splitlines()[-1]) == {"codes": [0, 0], "qt": []}
    assert json.loads(proc.stdout.split("\n}\n")[0] + "\n}")["text"] == "No Qt needed"
