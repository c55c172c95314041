"""`modeldesk resolve` as a real process, noting whether it imported pydantic: the fast
path (core/fast_read.py) never does, the full path always does."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from modeldesk.core import fast_read
from tests.core.helpers import REPO


def resolve_run(path: Path, *args: str) -> tuple[tuple[int, str, str], bool]:
    """The run's (exit code, stdout, stderr) and whether it imported pydantic."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "modeldesk", "--config", str(path), "resolve", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
    )
    imports = [line for line in done.stderr.splitlines() if line.startswith("import time:")]
    stderr = "\n".join(line for line in done.stderr.splitlines() if not line.startswith("import time:"))
    return (done.returncode, done.stdout, stderr), any(line.endswith(" pydantic") for line in imports)


def same_both_ways(path: Path, args: tuple[str, ...]) -> tuple[int, str, str]:
    """Resolve by the full path (no note), then by the fast one; both print the same."""
    fast_read.note_path(path).unlink(missing_ok=True)
    full, imported = resolve_run(path, *args)
    assert imported, "the first run validates the file in full"
    fast, imported = resolve_run(path, *args)
    assert not imported, "the second run reads the noted file without pydantic"
    assert fast == full, args
    return full
