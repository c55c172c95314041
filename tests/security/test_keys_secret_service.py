"""Keys in the OS keyring, against a real Secret Service: gnome-keyring-daemon on a private
D-Bus session (`dbus-run-session`). `modeldesk providers set-key` stores a key piped to it
(with the newline `echo` adds), the config keeps only the entry's name, and a run reads
the key back from the keyring and is let in by a server that demands exactly that key.

Needs the Debian packages gnome-keyring and dbus-daemon (`./dev` installs them): skipped
without them, except on CI, where their absence fails the test."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.core.helpers import REPO
from tests.security.helpers import KEY, leaks, write
from tests.support.scripted_server import ScriptedServer, ok

# Inside the private session: unlock a fresh login keyring, store the key, run, and list.
SESSION = """
printf %s session-password | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1 || exit 90
echo "$ATTACK_KEY" | "$PYTHON" -m modeldesk --config "$CONFIG" providers set-key p > "$OUT/set-key.txt" 2>&1
echo $? > "$OUT/set-key.rc"
"$PYTHON" -m modeldesk --config "$CONFIG" run --agent a "Hello" --json > "$OUT/run.txt" 2> "$OUT/run.err"
echo $? > "$OUT/run.rc"
"$PYTHON" -c 'import keyring; print(keyring.get_password("modeldesk", "p") == __import__("os").environ["ATTACK_KEY"])' \
  > "$OUT/stored.txt" 2>&1
"""


def _require_secret_service() -> None:
    missing = [tool for tool in ("dbus-run-session", "gnome-keyring-daemon") if shutil.which(tool) is None]
    if missing:
        problem = f"needs {', '.join(missing)} (Debian packages dbus-daemon, gnome-keyring; ./dev installs them)"
        if os.environ.get("CI"):
            pytest.fail(problem)
        pytest.skip(problem)


def test_set_key_stores_in_a_real_secret_service_and_a_run_uses_it(tmp_path: Path) -> None:
    _require_secret_service()
    home = Path(os.environ["HOME"])
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    out = tmp_path / "out"
    out.mkdir()
    with ScriptedServer(api_key=KEY, default=ok("Let in with the keyring's key.")) as server:
        config = write(
            tmp_path / "config.json",
            {
                "schema_version": 1,
                "providers": [{"id": "p", "kind": "openai", "base_url": server.openai_url}],
                "models": [{"id": "m", "provider": "p", "name": "good"}],
                "settings": {"fallback": {"retries": 0, "max_total_s": 20}},
                "agents": [{"id": "a", "name": "A", "model": "m"}],
            },
        )
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("DBUS_", "GNOME_KEYRING", "SSH_AUTH"))
        } | {
            "PYTHON": sys.executable,
            "PYTHONPATH": os.pathsep.join([str(REPO / "desktop"), str(REPO)]),
            "PYTHON_KEYRING_BACKEND": "keyring.backends.SecretService.Keyring",
            "XDG_RUNTIME_DIR": str(runtime),
            "ATTACK_KEY": KEY,
            "CONFIG": str(config),
            "OUT": str(out),
        }
        session = subprocess.run(
            ["dbus-run-session", "--", "sh", "-c", SESSION], env=env, capture_output=True, text=True, timeout=120
        )
        assert session.returncode == 0, session.stderr
        assert [r.authorized for r in server.chat_requests()] == [True]
    texts = {name.name: name.read_text() for name in out.iterdir()}
    assert texts["set-key.rc"].strip() == "0", texts["set-key.txt"]
    assert "Stored the key for p in the OS keyring (entry 'p')" in texts["set-key.txt"]
    assert texts["run.rc"].strip() == "0", texts["run.err"]
    assert json.loads(texts["run.txt"])["text"] == "Let in with the keyring's key."
    assert texts["stored.txt"].strip() == "True"  # stored without the newline echo added
    assert json.loads(config.read_text())["providers"][0]["api_key"] == {"keyring": "p"}
    # The key is in the keyring's own (encrypted) file only: no output, no other file.
    keyrings = home / ".local/share/keyrings"
    assert any(keyrings.iterdir())
    for path in [p for p in [*tmp_path.rglob("*"), *home.rglob("*")] if p.is_file()]:
        assert leaks(path.read_bytes()) == [], path
