"""Provider text never reaches a terminal raw: escape sequences, C1 controls and bidi or
other format characters in a message, a model name or a header are removed on every path
(stderr, --json, the history), through a real process."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from modeldesk.core.text import clean_text
from tests.runtime.conftest import build_config, write_config
from tests.security.helpers import modeldesk
from tests.support.scripted_server import ScriptedServer, ok, raw

HOSTILE = "\x1b]0;pwned\x07\x1b[2J unknown model \u202edeifitrec\u202c \x9b31m \u200b\ud83d"
UNSAFE = ("\x1b", "\x07", "\x9b", "\u202e", "\u202c", "\u200b")


def _modeldesk(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return modeldesk(*args, env={"XDG_STATE_HOME": str(tmp_path / "state"), "PYTHONIOENCODING": "utf-8"})


def test_a_hostile_404_message_reaches_no_output_raw(scripted_server: ScriptedServer, tmp_path: Path) -> None:
    body = json.dumps({"error": {"message": HOSTILE, "code": "model_not_found"}}).encode()
    for model in ("a", "b", "c"):
        scripted_server.script(model, *[raw(404, body, headers={"x-note": "\x1b[31mred"})] * 6)
    config = write_config(tmp_path / "config.json", build_config(scripted_server))
    for args in (["run", "--agent", "agent", "Hi"], ["run", "--agent", "agent", "Hi", "--json"], ["history"]):
        done = _modeldesk(tmp_path, "--config", str(config), *args)
        both = done.stdout + done.stderr
        assert "unknown model" in both or args == ["history"], both
        assert not any(c in both for c in UNSAFE), (args, both)
        assert "Traceback" not in both


def test_the_sanitiser_removes_every_format_character() -> None:
    import unicodedata

    format_chars = [chr(c) for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c)) == "Cf"]
    assert clean_text("".join(format_chars)) == ""
    assert clean_text("a\u202eb\u2066c\ufeffd\u00ade") == "abcde"
    assert clean_text("ok\nstill\tok") == "ok\nstill\tok"


def test_json_output_keeps_format_characters_as_escapes_not_raw(
    scripted_server: ScriptedServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.core.helpers import Cli

    answer = "family \U0001f468\u200d\U0001f469 \u202eabc\u202c \U000e0041"
    scripted_server.script("a", ok(answer, chunks=2))
    config = write_config(tmp_path / "config.json", build_config(scripted_server))
    code, out, err = Cli(capsys)("--config", str(config), "run", "--agent", "agent", "Hi", "--json")
    assert code == 0, err
    assert not any(c in out for c in ("\u202e", "\u200d", "\U000e0041"))  # nothing raw on the terminal
    assert json.loads(out)["text"] == answer  # and nothing lost from the data
