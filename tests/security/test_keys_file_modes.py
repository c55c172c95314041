"""Another local user must not read what ModelDesk writes: on a fresh home, after a run,
the log, history and config files are 0600 and ModelDesk's folders 0700."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import platformdirs

from tests.security.helpers import modeldesk
from tests.support.scripted_server import ScriptedServer


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_first_run_on_a_fresh_home_leaves_private_files_and_folders(tmp_path: Path) -> None:
    home = Path(os.environ["HOME"])
    state = Path(platformdirs.user_state_dir("modeldesk", appauthor=False))
    assert not state.exists()
    config = Path(os.environ["MODELDESK_CONFIG"])
    # umask 022, as on most desktops: what is private must be made so on purpose.
    env = {"MODELDESK_LOG_DIR": ""}
    old = os.umask(0o022)
    try:
        with ScriptedServer() as server:
            for command in (
                ["providers", "add", "p", "--kind", "openai", "--base-url", server.openai_url],
                ["models", "add", "m", "--provider", "p"],
                ["agents", "add", "a", "--name", "A", "--model", "m"],
                ["run", "--agent", "a", "Hello"],
            ):
                done = modeldesk(*command, env=env)
                assert done.returncode == 0, (command, done.stderr)
    finally:
        os.umask(old)
    log = Path(platformdirs.user_log_dir("modeldesk", appauthor=False)) / "modeldesk.log"
    files = [log, state / "history.sqlite3", config]
    folders = [log.parent, state]
    assert all(f.exists() for f in files), [str(f) for f in files if not f.exists()]
    found = {str(p.relative_to(home)): oct(mode(p)) for p in [*files, *folders]}
    assert found == {str(p.relative_to(home)): oct(0o600) for p in files} | {
        str(p.relative_to(home)): oct(0o700) for p in folders
    }
    # Every other file ModelDesk left in its folders is private too.
    others = [p for root in folders for p in root.rglob("*") if p.is_file() and mode(p) & 0o077]
    assert others == []
