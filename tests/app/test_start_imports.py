"""The window comes up without what its first frame does not show: no HTTP stack, no
runner, no page that has not been opened. Checked in a fresh interpreter (an import made
by another test would hide one made at start)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.core.helpers import REPO, WORLD, write_json

# Open the window on a config, show it, then the Health page, then preload the runtime as
# run_app does; print the modules loaded after each step as JSON lines.
PROBE = """
import json, sys
from pathlib import Path
from PySide6.QtWidgets import QApplication
from modeldesk.app.document import Document
from modeldesk.app.main_window import MainWindow
from modeldesk.core.store import ConfigStore

app = QApplication([])
path = Path(sys.argv[1])
store = ConfigStore(path, policy_path=path.with_name("no-policy.json"))
window = MainWindow(Document(store, config=store.load()))
window.show()
app.processEvents()
print(json.dumps(sorted(sys.modules)))
window.page("health")
print(json.dumps(sorted(sys.modules)))
from modeldesk.app.application import preload_runtime
preload_runtime().join()
print(json.dumps(sorted(sys.modules)))
"""

LATER = (
    "httpx",
    "modeldesk.runtime.runner",
    "modeldesk.runtime.simulate",
    "modeldesk.runtime.doctor",
    "modeldesk.core.bulk",
    "modeldesk.app.views.dialogs.bulk_change_dialog",
    "modeldesk.app.views.health_page",
    "modeldesk.app.views.squads_page",
    "modeldesk.app.views.serve_page",
    "modeldesk.app.views.projects_page",
    "modeldesk.app.views.settings.settings_page",
)


def test_the_window_opens_without_the_http_stack_or_unopened_pages(tmp_path: Path) -> None:
    path = write_json(tmp_path / "config.json", WORLD)
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(REPO / "desktop"), str(REPO)]),
        "QT_QPA_PLATFORM": "offscreen",
        "MODELDESK_HISTORY": str(tmp_path / "history.sqlite3"),
    }
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(path)], capture_output=True, text=True, timeout=120, env=env, cwd=REPO
    )
    assert done.returncode == 0, done.stderr[-2000:]
    at_start, after_health, preloaded = (set(json.loads(line)) for line in done.stdout.strip().splitlines()[-3:])
    assert "modeldesk.app.views.agents_page" in at_start
    assert sorted(set(LATER) & at_start) == []
    # Opening a page loads it and what it needs; the Health page's first (offline) check
    # reads keys and references only, so the HTTP stack waits for a network check.
    assert {"modeldesk.app.views.health_page", "modeldesk.runtime.doctor"} <= after_health
    assert "httpx" not in after_health
    # Once the window is up, the runner and the HTTP stack load off the GUI thread, so the
    # first test run does not wait for them.
    assert {"modeldesk.runtime.runner", "httpx", "httpcore", "certifi"} <= preloaded
