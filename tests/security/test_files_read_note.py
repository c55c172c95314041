"""The note that lets `modeldesk resolve` skip validating a file it validated before
(core/fast_read.py), attacked: forged, damaged, replaced by a FIFO or a deep document, or
outlived by an edit that keeps the file's size, time and inode. Each time the command
answers as the full path would, or refuses in words; it never hangs or trusts a stale note."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import pytest

from modeldesk.core import fast_read
from tests.core.helpers import WORLD, set_agent, world, write_json
from tests.support.resolve_runs import resolve_run, same_both_ways


def _forge_note(target: Path, good: Path) -> None:
    """A note vouching for ``target``'s bytes, made from the real note about ``good``."""
    note = json.loads(fast_read.note_path(good).read_text())
    raw = target.read_bytes()
    note["config"] = [os.path.realpath(target), len(raw), hashlib.sha256(raw).hexdigest()]
    fast_read.note_path(target).parent.mkdir(parents=True, exist_ok=True)
    fast_read.note_path(target).write_text(json.dumps(note))


NEVER_VALID: dict[str, Any] = {
    "agent's model an object": set_agent(world(), "own", model={"not": "a list"}),
    "agent's model a number": set_agent(world(), "own", model=5),
    "enabled as a word": world(models=[{"id": "gpt-4o", "provider": "openai", "name": "x", "enabled": "no"}]),
    "default a number": world(settings={"default_agent_model": 7}),
    "task map of lists": world(settings={"task_models": {"title": ["gpt-4o"]}}),
    "agents not objects": world(agents=["own"]),
    "not an object": [1, 2, 3],
}


@pytest.mark.parametrize("data", NEVER_VALID.values(), ids=NEVER_VALID.keys())
def test_a_forged_note_for_a_file_that_never_validated(tmp_path: Path, data: Any) -> None:
    good = write_json(tmp_path / "good.json", WORLD)
    same_both_ways(good, ("--agent", "own"))
    bad = write_json(tmp_path / "bad.json", data)
    _forge_note(bad, good)
    got, imported = resolve_run(bad, "--agent", "own")
    code, _, err = got
    assert code == 1 and "Traceback" not in err, err
    if imported:  # the note was not believed: the full path says what is wrong, as without it
        fast_read.note_path(bad).unlink(missing_ok=True)
        assert resolve_run(bad, "--agent", "own") == (got, True)
    else:  # only the agent looked up is read plainly: it refuses in words
        assert "agents[0] does not read as a validated config" in err


DAMAGED: dict[str, bytes | None] = {
    "empty": b"",
    "garbage": b"\x00\xff{not json",
    "wrong shape": b'{"format": 1, "code": [], "config": 7}',
    "100,000 deep": b"[" * 100_000 + b"]" * 100_000,
    "2 MiB": b'{"format": 1, "pad": "' + b"x" * (2 << 20) + b'"}',
    "a FIFO": None,
}


@pytest.mark.parametrize("content", DAMAGED.values(), ids=DAMAGED.keys())
def test_a_damaged_note(tmp_path: Path, content: bytes | None) -> None:
    path = write_json(tmp_path / "config.json", WORLD)
    expected = same_both_ways(path, ("--agent", "own", "--json"))
    note = fast_read.note_path(path)
    note.unlink()
    if content is None:
        os.mkfifo(note)  # opening it to read would wait for a writer forever
    else:
        note.write_bytes(content)
    got, imported = resolve_run(path, "--agent", "own", "--json")
    assert got == expected and imported
    if content is not None:  # a FIFO stays a FIFO: every run then takes the full path
        got, imported = resolve_run(path, "--agent", "own", "--json")
        assert got == expected and not imported  # noted again by the run before


def test_an_edit_keeping_size_time_and_inode(tmp_path: Path) -> None:
    path = write_json(tmp_path / "config.json", set_agent(world(), "lone", model="mini"))
    same_both_ways(path, ("--agent", "lone"))
    before = path.stat()
    raw = path.read_bytes()
    with open(path, "r+b") as handle:  # in place: the same inode and size
        handle.write(raw.replace(b'"model": "mini"', b'"model": "haik"'))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = path.stat()
    assert (after.st_ino, after.st_size, after.st_mtime_ns) == (before.st_ino, before.st_size, before.st_mtime_ns)
    (code, out, _), imported = resolve_run(path, "--agent", "lone")
    assert code == 0 and imported
    assert out.startswith("Models: claude, gpt-4o\n") and "haik: unknown model" in out


def test_the_note_is_no_copy_of_the_config(tmp_path: Path) -> None:
    password = "r3dis-pass-in-the-url-5521"
    data = world(settings__fallback={"state": {"redis": f"redis://:{password}@127.0.0.1:6379/0"}})
    path = write_json(tmp_path / "config.json", data)
    same_both_ways(path, ("--agent", "own"))
    note = fast_read.note_path(path)
    assert note.stat().st_mode & 0o777 == 0o600 and note.parent.stat().st_mode & 0o777 == 0o700
    text = note.read_text()
    assert password[:8] not in text
    for name in ("gpt-4o", "claude", "OPENAI_API_KEY", "support", "Own"):
        assert name not in text.replace(str(tmp_path), "")
