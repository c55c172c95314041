"""A damaged or locked run history, and numbers from the command line: a warning or a
clear usage error, never a traceback, and a locked database does not hold a finished run."""

from __future__ import annotations

import sqlite3
import subprocess
from pathlib import Path
from typing import Any

import pytest

from modeldesk.core.history import AttemptRecord, HistoryStore, RunRecord
from modeldesk.core.samples import sample_config
from tests.core.helpers import Cli, write_json
from tests.security.helpers import modeldesk


def _run(config: str, model: str = "m1", ok: bool = True) -> RunRecord:
    outcome = "answered" if ok else "failed"
    attempt = AttemptRecord(model, outcome, 200 if ok else 500, None, None, 10)
    return RunRecord(
        agent="a", models=[model], attempts=[attempt], answered_by=model if ok else None, config_path=config
    )


def test_damaged_history_rows_are_left_out_not_a_crash(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "history.sqlite3"
    monkeypatch.setenv("MODELDESK_HISTORY", str(path))
    store = HistoryStore(path)
    store.record(_run("/c.json"))
    store.record(_run("/c.json"))
    with sqlite3.connect(path) as db:  # another program wrote nonsense into it
        db.execute("UPDATE runs SET started_at = 'x', models = '{not json' WHERE id = 1")
        db.execute("UPDATE runs SET agent = 5, models = '[[[[', latency_ms = 'slow' WHERE id = 2")
        db.execute("UPDATE attempts SET elapsed_ms = 'x', model = 7, status = 'y'")
    assert store.query() == [] and store.get(1) is None
    assert set(store.model_stats()) <= {"7"}  # read as far as it can be, never a crash
    config = write_json(tmp_path / "config.json", {"schema_version": 1})
    code, _, err = Cli(capsys)("--config", str(config), "history")
    assert code == 0 and "Traceback" not in err
    code, _, err = Cli(capsys)("--config", str(config), "history", "show", "1")
    assert code == 1 and "Traceback" not in err


def test_a_file_that_is_no_database_is_a_warning_for_run_and_an_error_for_history(tmp_path: Path) -> None:
    history = tmp_path / "history.sqlite3"
    history.write_bytes(b"\x00garbage" * 1000)
    config = tmp_path / "config.json"
    config.write_text(sample_config().model_dump_json(exclude_none=True))
    env = {"MODELDESK_HISTORY": str(history)}
    done = modeldesk("--config", str(config), "run", "--agent", "demo", "Hi", env=env)
    assert done.returncode == 0 and "was not recorded in the history" in done.stderr
    listing = modeldesk("--config", str(config), "history", env=env)
    assert listing.returncode == 1 and "is damaged" in listing.stderr and "Traceback" not in listing.stderr


def test_a_locked_history_does_not_hold_a_finished_run(tmp_path: Path) -> None:
    history = tmp_path / "history.sqlite3"
    HistoryStore(history).record(_run("/c.json"))
    config = tmp_path / "config.json"
    config.write_text(sample_config().model_dump_json(exclude_none=True))
    holder = sqlite3.connect(history, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # another program keeps the database locked
    try:
        # The busy timeout for general use is 10 s: a run recording itself waits far less.
        done = modeldesk(
            "--config", str(config), "run", "--agent", "demo", "Hi", env={"MODELDESK_HISTORY": str(history)}, timeout=8
        )
    except subprocess.TimeoutExpired:
        pytest.fail("the run waited on the locked history")
    finally:
        holder.close()
    assert done.returncode == 0 and "not recorded in the history" in done.stderr and done.stdout.strip()


def test_success_rates_are_per_config_file(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "h.sqlite3")
    mine, other = tmp_path / "mine.json", tmp_path / "other.json"
    store.record(_run(str(mine.absolute()), ok=True))
    for _ in range(3):
        store.record(_run(str(other.absolute()), ok=False))  # another file's "m1", another model
    assert store.model_stats(config=mine)["m1"].success_rate == 1.0
    assert store.model_stats(config=other)["m1"].success_rate == 0.0
    link = tmp_path / "link.json"
    link.symlink_to(mine)
    assert store.model_stats(config=link)["m1"].attempts == 1  # the same file through a link


def test_the_apps_registry_shows_this_files_success_rates(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from modeldesk.app.services.history_records import ModelRecords

    monkeypatch.setenv("MODELDESK_HISTORY", str(tmp_path / "h.sqlite3"))
    store = HistoryStore()
    mine, other = tmp_path / "mine.json", tmp_path / "other.json"
    store.record(_run(str(mine), ok=True))
    store.record(_run(str(other), ok=False))
    records = ModelRecords()
    assert records.text("m1", mine).startswith("100% of 1")
    assert records.text("m1", other).startswith("0% of 1")


BAD_NUMBERS = {
    "timeout nan": ("providers", "check", "--timeout", "nan"),
    "timeout inf": ("providers", "check", "--timeout", "inf"),
    "timeout negative": ("providers", "detect", "--timeout", "-1"),
    "timeout zero": ("doctor", "--timeout", "0"),
    "timeout word": ("providers", "check", "--timeout", "soon"),
    "huge run id": ("history", "show", "99999999999999999999"),
    "negative run id": ("history", "show", "-5"),
    "huge limit": ("history", "--limit", "99999999999999999999"),
    "huge keep": ("history", "settings", "--keep", "99999999999999999999"),
}


@pytest.mark.parametrize("args", BAD_NUMBERS.values(), ids=list(BAD_NUMBERS))
def test_bad_numbers_on_the_command_line_are_usage_errors(
    args: tuple[str, ...], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_json(tmp_path / "config.json", {"schema_version": 1})
    cli = Cli(capsys)
    with pytest.raises(SystemExit) as exited:
        cli("--config", str(config), *args)
    assert exited.value.code == 2
    err: Any = capsys.readouterr().err
    assert "error: argument" in err and "Traceback" not in err
