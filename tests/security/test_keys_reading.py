"""Attacks on how a key is read: a key with surrounding whitespace (an env file with CRLF
endings, a keyring entry ending in a newline) is used without it; a key holding a control
or non-ASCII character is refused with a message that never contains it — from the
environment, the OS keyring, and `providers set-key`."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from modeldesk.core.key_value import UnusableKey, clean_key
from modeldesk.core.schema import ApiKeyRef
from modeldesk.runtime.errors import ProviderError
from modeldesk.runtime.secrets import EnvKeyringSecrets, SecretSource, StaticSecrets
from tests.security.helpers import KEY, leaks, modeldesk, write
from tests.support.memory_keyring import installed_memory_keyring
from tests.support.scripted_server import ScriptedServer, ok

SURROUNDINGS = {"crlf": ("", "\r\n"), "lf": ("", "\n"), "spaces": ("  ", " "), "tab-cr": ("\t", "\r")}
BAD_INSIDE = {
    "escape": "\x1b[31m",
    "nul": "\x00",
    "inner-newline": "\n",
    "inner-cr": "\r",
    "del": "\x7f",
    "non-breaking-space": "\u00a0",
    "cyrillic": "\u043a",
    "emoji": "\U0001f511",
    "bidi": "\u202e",
    "zero-width": "\u200b",
}


@pytest.mark.parametrize("source", ["env", "keyring"])
@pytest.mark.parametrize("around", SURROUNDINGS)
def test_key_with_surrounding_whitespace_is_used_without_it(
    source: str, around: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    before, after = SURROUNDINGS[around]
    stored = before + KEY + after
    monkeypatch.setenv("ATTACK_KEY", stored)
    with installed_memory_keyring({("modeldesk", "attack"): stored}):
        ref = ApiKeyRef(env="ATTACK_KEY") if source == "env" else ApiKeyRef(keyring="attack")
        assert EnvKeyringSecrets().get(ref) == KEY


@pytest.mark.parametrize("source", ["env", "keyring"])
@pytest.mark.parametrize("bad", BAD_INSIDE)
@pytest.mark.parametrize("where", ["start", "middle", "end"])
def test_key_with_a_control_or_non_ascii_character_is_refused_without_echo(
    source: str, bad: str, where: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    char = BAD_INSIDE[bad]
    middle = len(KEY) // 2
    stored = {"start": char + KEY, "middle": KEY[:middle] + char + KEY[middle:], "end": KEY + char}[where]
    # The environment cannot hold a NUL; a source that can (a keyring) is tried instead.
    nul_env = source == "env" and "\0" in stored
    secrets: SecretSource = StaticSecrets({"env:ATTACK_KEY": stored}) if nul_env else EnvKeyringSecrets()
    if "\0" not in stored:
        monkeypatch.setenv("ATTACK_KEY", stored)
    with installed_memory_keyring({("modeldesk", "attack"): stored}):
        ref = ApiKeyRef(env="ATTACK_KEY") if source == "env" else ApiKeyRef(keyring="attack")
        if char.strip() == "" and where != "middle":
            # Whitespace at either end is dropped; then the key is whole and clean.
            assert secrets.get(ref) == KEY
            return
        with pytest.raises(ProviderError) as caught:
            secrets.get(ref)
    assert caught.value.error_class == "no_key"
    assert leaks(caught.value.message) == []
    assert ("ATTACK_KEY" if source == "env" else "'attack'") in caught.value.message


def test_clean_key_messages_never_hold_the_key() -> None:
    for bad in BAD_INSIDE.values():
        with pytest.raises(UnusableKey) as caught:
            clean_key(KEY[:10] + bad + KEY[10:], "environment variable X")
        assert leaks(str(caught.value)) == [] and "environment variable X" in str(caught.value)


def config_for(server: ScriptedServer, tmp_path: Path, kind: str = "openai") -> Path:
    url = server.openai_url if kind == "openai" else server.anthropic_url
    return write(
        tmp_path / "config.json",
        {
            "schema_version": 1,
            "providers": [{"id": "p", "kind": kind, "base_url": url, "api_key": {"env": "ATTACK_KEY"}}],
            "models": [{"id": "m", "provider": "p", "name": "good"}],
            "settings": {"fallback": {"retries": 0, "max_total_s": 20}},
            "agents": [{"id": "a", "name": "A", "model": "m"}],
        },
    )


def everything_written(tmp_path: Path) -> str:
    """The text of every file under the test's home and folder (history rows included)."""
    import os

    out = []
    for root in (Path(os.environ["HOME"]), tmp_path):
        for file in root.rglob("*"):
            if file.is_file():
                out.append(file.read_bytes().decode("utf-8", "replace"))
                if file.suffix == ".sqlite3":
                    with sqlite3.connect(file) as db:
                        out += [repr(row) for row in db.execute("SELECT * FROM attempts")]
    return "\n".join(out)


@pytest.mark.parametrize("kind", ["openai", "anthropic"])
def test_run_with_a_crlf_key_from_an_env_file_works_and_prints_nothing_of_it(kind: str, tmp_path: Path) -> None:
    with ScriptedServer(api_key=KEY, default=ok("Fine.")) as server:
        config = config_for(server, tmp_path, kind)
        done = modeldesk(
            "--config", str(config), "run", "--agent", "a", "Hi", "--json", env={"ATTACK_KEY": KEY + "\r\n"}
        )
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["model"] == "m"
        assert [r.authorized for r in server.chat_requests()] == [True]
    assert leaks(done.stdout + done.stderr + everything_written(tmp_path)) == []


@pytest.mark.parametrize("bad", ["\u00e9", "\x1b"])
def test_run_and_doctor_with_an_unusable_key_say_so_without_a_traceback_or_the_key(bad: str, tmp_path: Path) -> None:
    with ScriptedServer(api_key=KEY, default=ok("Fine.")) as server:
        config = config_for(server, tmp_path)
        env = {"ATTACK_KEY": KEY[:20] + bad + KEY[20:]}
        commands = [["run", "--agent", "a", "Hi"], ["run", "--agent", "a", "Hi", "--json"]]
        if bad == "\u00e9":  # every sink once; the escape through `run` alone
            commands += [["doctor", "--probe"], ["providers", "check", "--json"]]
        runs: list[Any] = [modeldesk("--config", str(config), *command, env=env) for command in commands]
        assert server.chat_requests() == []  # an unusable key is never sent
    for done in runs:
        output = done.stdout + done.stderr
        assert "Traceback" not in output
        assert "ATTACK_KEY" in output
        assert leaks(output) == [], output
    assert runs[0].returncode != 0 and runs[1].returncode != 0
    assert leaks(everything_written(tmp_path)) == []


@pytest.mark.parametrize(
    "typed",
    [KEY + "\u00e9", KEY[:9] + "\u00a0" + KEY[9:], KEY[:9] + "\x1b[2J" + KEY[9:], KEY[:9] + " " + KEY[9:]],
    ids=["accent", "nbsp", "escape", "space"],
)
def test_set_key_refuses_an_unusable_key_without_echoing_it(typed: str, tmp_path: Path) -> None:
    config = write(
        tmp_path / "config.json",
        {"schema_version": 1, "providers": [{"id": "p", "kind": "openai", "base_url": "https://api.example.com/v1"}]},
    )
    before = config.read_bytes()
    done = modeldesk("--config", str(config), "providers", "set-key", "p", input=typed + "\n")
    assert done.returncode != 0
    assert "Nothing was stored" in done.stderr or "nothing was stored" in done.stderr
    assert "Traceback" not in done.stderr and leaks(done.stdout + done.stderr) == []
    assert config.read_bytes() == before


KEY_LIKE_NAMES = {
    "openai": KEY,
    "groq": "gsk_" + "A1b2C3d4E5f6G7h8I9j0" * 2,
    "google": "AIzaSyA1b2C3d4E5f6G7h8I9j0",
    "mixed": "Zx81Qp0Lm2Nb3Vc4Xz5As6Df",
}


@pytest.mark.parametrize("name", KEY_LIKE_NAMES)
@pytest.mark.parametrize("option", ["--key-env", "--key-keyring"])
def test_a_key_given_as_a_variable_or_entry_name_is_refused_without_echo(
    name: str, option: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from modeldesk.cli.main import main

    key = KEY_LIKE_NAMES[name]
    config = write(tmp_path / "config.json", {"schema_version": 1})
    before = config.read_bytes()
    add = ["providers", "add", "p", "--kind", "openai", "--base-url", "https://api.example.com/v1", option, key]
    for extra in ([], ["--json"]):
        assert main(["--config", str(config), *add, *extra]) == 1
        out, err = capsys.readouterr()
        assert "looks like a key" in out + err
        assert leaks(out + err, key) == []
    assert config.read_bytes() == before
    # Through a real process too, once: what a shell user sees.
    if name == "openai" and option == "--key-env":
        done = modeldesk("--config", str(config), *add)
        assert done.returncode == 1 and "looks like a key" in done.stderr
        assert leaks(done.stdout + done.stderr, key) == []


def test_a_config_file_holding_a_key_as_a_variable_name_is_refused_without_echo(tmp_path: Path) -> None:
    config = write(
        tmp_path / "config.json",
        {
            "schema_version": 1,
            "providers": [{"id": "p", "kind": "openai", "base_url": "https://a.example/v1", "api_key": {"env": KEY}}],
        },
    )
    for command in (["doctor"], ["providers", "list", "--json"], ["config", "validate"]):
        done = modeldesk("--config", str(config), *command)
        assert done.returncode != 0
        assert leaks(done.stdout + done.stderr) == [], command


@pytest.mark.parametrize(
    ("typed", "stored"), [(KEY + "\r\n", KEY), (KEY[:9] + "\u00e9" + KEY[9:], None)], ids=["crlf", "accent"]
)
def test_a_key_typed_in_the_app_is_cleaned_or_refused_without_echo(qtbot: Any, typed: str, stored: str | None) -> None:
    from PySide6.QtCore import Qt

    from modeldesk.app.views.dialogs.provider_dialog import ProviderDialog
    from tests.app.helpers import show_active

    with installed_memory_keyring() as ring:
        dialog = show_active(qtbot, ProviderDialog())
        dialog.id_edit.setText("acme")
        dialog.key_keyring.setChecked(True)
        dialog.secret_edit.setText(typed)
        qtbot.mouseClick(dialog.buttons.button(dialog.buttons.StandardButton.Ok), Qt.MouseButton.LeftButton)
        assert list(ring.values.values()) == ([stored] if stored else [])
        if stored is None:
            assert dialog.isVisible() and "non-ASCII" in dialog.error_label.text()
            assert leaks(dialog.error_label.text()) == []
            dialog.reject()
