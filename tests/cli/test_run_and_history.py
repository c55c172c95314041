"""`modeldesk run` does what `resolve` previews, every run lands in the history, and the
run's guard rails: empty prompt, Ctrl+C with --json, errors before the run, provider text
with escape sequences. Real subprocesses against the scripted server where it matters."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from modeldesk.core.history import HistoryStore
from tests.core.helpers import Cli
from tests.runtime.conftest import build_config, route_remote_hosts
from tests.support.scripted_server import ScriptedServer, ok, slow, status

pytestmark = pytest.mark.timeout(90)


def _config(server: ScriptedServer, tmp_path: Path, **changes: Any) -> Path:
    config = build_config(server)
    data = config.model_dump(mode="json", exclude_none=True)
    data["projects"] = [{"id": "proj", "name": "Proj", "default_model": ["C"]}]
    data["agents"].append({"id": "helper", "name": "Helper", "project": "proj"})
    data["settings"]["task_models"] = {"title": {"A": "B", "*": "C"}}
    data |= changes
    path = tmp_path / "config.json"
    path.write_text(json.dumps(data))
    return path


def _popen(*args: str) -> subprocess.Popen[str]:
    env = os.environ | {"PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "modeldesk", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )


def _run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "modeldesk", *args], capture_output=True, text=True, input=stdin, timeout=60
    )


@pytest.mark.parametrize(
    "options",
    [
        ["--parent-model", "B"],
        ["--request-model", "C"],
        ["--delegated", "--model", "C"],
        ["--project", "proj"],
        ["--task", "title"],
        ["--task", "title", "--model", "B"],
        ["--model", "C,B"],
    ],
    ids=" ".join,
)
def test_run_uses_exactly_what_resolve_previews(
    scripted_server: ScriptedServer, tmp_path: Path, capsys: pytest.CaptureFixture[str], options: list[str]
) -> None:
    path = _config(scripted_server, tmp_path)
    agent = "helper" if options[0] in ("--parent-model", "--request-model", "--delegated", "--project") else "agent"
    cli = Cli(capsys)
    preview = cli.json("--config", str(path), "resolve", "--agent", agent, *options)
    result = cli.json("--config", str(path), "run", "--agent", agent, *options, "Hi")
    assert result["models"] == preview["models"] and result["source"] == preview["source"]
    assert result["warnings"] == preview["warnings"]
    assert result["model"] == preview["models"][0]
    sent = scripted_server.chat_requests()[-1].model
    names = {"A": "a", "B": "b", "C": "c"}
    assert sent == names[preview["models"][0]]


def test_run_strict_refuses_an_unusable_model(
    scripted_server: ScriptedServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _config(scripted_server, tmp_path)
    data = Cli(capsys).json(
        "--config", str(path), "run", "--agent", "agent", "--model", "ghost,A", "--strict", "Hi", expect=1
    )
    assert data["error"]["code"] == "unusable_model" and data["attempts"] == []
    assert scripted_server.chat_requests() == []
    relaxed = Cli(capsys).json("--config", str(path), "run", "--agent", "agent", "--model", "ghost,A", "Hi")
    assert relaxed["model"] == "A" and any("ghost" in w for w in relaxed["warnings"])


def test_every_run_is_recorded_with_the_answering_model(scripted_server: ScriptedServer, tmp_path: Path) -> None:
    scripted_server.script("a", status(503), status(503), status(503))
    scripted_server.script("b", ok("From B"))
    path = _config(scripted_server, tmp_path)
    done = _run("--config", str(path), "run", "--agent", "agent", "--json", "Hi")
    assert done.returncode == 0, done.stderr
    runs = HistoryStore().query()
    assert len(runs) == 1
    run = runs[0]
    assert run.agent == "agent" and run.answered_by == "B" and run.primary == "A" and run.fell_back
    assert run.source == "agent" and run.config_path == str(path)
    assert [(a.model, a.outcome, a.status) for a in run.attempts] == [
        ("A", "failed", 503),
        ("A", "failed", 503),
        ("A", "failed", 503),
        ("B", "answered", 200),
    ]
    assert run.prompt is None  # not recorded unless turned on
    assert (run.input_tokens, run.output_tokens) == (3, 5)

    listed = _run("history", "--json")
    assert json.loads(listed.stdout)["runs"][0]["answered_by"] == "B"
    text = _run("history", "--agent", "agent")
    assert "B instead of A" in text.stdout
    shown = _run("history", "show", str(run.id))
    assert "503" in shown.stdout and "answered" in shown.stdout
    stats = json.loads(_run("history", "stats", "--json").stdout)["models"]
    by_model = {s["model"]: s for s in stats}
    assert by_model["A"]["success_rate"] == 0 and by_model["B"]["success_rate"] == 1
    registry = json.loads(_run("--config", str(path), "models", "list", "--json").stdout)["models"]
    beside = {m["id"]: (m["success_rate"], m["median_latency_ms"] is not None) for m in registry}
    assert beside["A"] == (0, False) and beside["B"] == (1, True) and beside["C"] == (None, False)

    scripted_server.script("a", status(400))
    assert _run("--config", str(path), "run", "--agent", "agent", "Hi").returncode == 1
    failed = json.loads(_run("history", "--failed", "--json").stdout)["runs"]
    assert len(failed) == 1 and failed[0]["error"]["code"] == "invalid_request"


def test_a_damaged_history_never_stops_a_run(scripted_server: ScriptedServer, tmp_path: Path) -> None:
    history = tmp_path / "history.sqlite3"
    history.write_bytes(b"not a database" * 200)
    path = _config(scripted_server, tmp_path)
    env_run = subprocess.run(
        [sys.executable, "-m", "modeldesk", "--config", str(path), "run", "--agent", "agent", "--json", "Hi"],
        capture_output=True,
        text=True,
        timeout=60,
        env=os.environ | {"MODELDESK_HISTORY": str(history)},
    )
    assert env_run.returncode == 0
    data = json.loads(env_run.stdout)
    assert data["model"] == "A"
    assert any("not recorded" in w and "damaged" in w for w in data["warnings"])


def test_an_empty_prompt_is_refused_before_any_request(scripted_server: ScriptedServer, tmp_path: Path) -> None:
    path = _config(scripted_server, tmp_path)
    for args, stdin in (((" ",), None), (("-",), "\n  \n")):
        done = _run("--config", str(path), "run", "--agent", "agent", *args, stdin=stdin)
        assert done.returncode == 1 and "prompt is empty" in done.stderr
    done = _run("--config", str(path), "run", "--agent", "agent", "--json", "")
    assert json.loads(done.stdout)["error"]["code"] == "empty_prompt"
    not_text = subprocess.run(
        [sys.executable, "-m", "modeldesk", "--config", str(path), "run", "--agent", "agent", "-"],
        input=b"caf\xe9 \xff",
        capture_output=True,
        timeout=60,
    )
    assert not_text.returncode == 1 and b"not UTF-8" in not_text.stderr and b"Traceback" not in not_text.stderr
    assert scripted_server.chat_requests() == []


def test_errors_before_the_run_carry_attempts(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text('{"schema_version": 1, "agents": [{"id": "a"}]}')
    done = _run("--config", str(path), "run", "--agent", "a", "--json", "Hi")
    data = json.loads(done.stdout)
    assert done.returncode == 1
    assert data["error"]["code"] == "invalid_config" and data["attempts"] == []
    missing = _run("--config", str(tmp_path / "typo.json"), "run", "--agent", "a", "--json", "Hi")
    assert json.loads(missing.stdout)["attempts"] == []


def test_ctrl_c_with_json_prints_the_result_so_far(scripted_server: ScriptedServer, tmp_path: Path) -> None:
    scripted_server.script("a", slow("tick " * 40, chunks=40, delay=0.1))
    path = _config(scripted_server, tmp_path)
    proc = _popen("--config", str(path), "run", "--agent", "agent", "--json", "Hi")
    assert proc.stderr is not None
    for _ in range(20):  # wait until the attempt has started
        line = proc.stderr.readline()
        if "Trying A" in line:
            break
    scripted_server.wait_for_requests(1)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=15)
    assert proc.returncode == 130, err
    data = json.loads(out)
    assert data["error"]["code"] == "cancelled"
    assert [(a["model"], a["outcome"]) for a in data["attempts"]] == [("A", "cancelled")]
    assert data["source"] == "agent" and "Traceback" not in err
    assert HistoryStore().query()[0].error_code == "cancelled"


def test_escape_sequences_from_a_provider_never_reach_the_terminal(
    scripted_server: ScriptedServer, tmp_path: Path
) -> None:
    hostile = "\x1b[2J\x1b]0;owned\x07Hello\x1b[31m red\x9b1m\x07 world\r"
    scripted_server.script("a", status(500, hostile), status(500, hostile), status(500, hostile))
    scripted_server.script("b", ok(hostile, chunks=1))
    path = _config(scripted_server, tmp_path)
    done = _run("--config", str(path), "run", "--agent", "agent", "Hi")
    assert done.returncode == 0
    for stream in (done.stdout, done.stderr):
        assert "\x1b" not in stream and "\x07" not in stream and "\x9b" not in stream and "\r" not in stream
    assert "Hello red world" in done.stdout
    assert "Hello" in done.stderr  # the error text is kept, only the control is removed
    scripted_server.script("a", ok(hostile, chunks=1))
    as_json = _run("--config", str(path), "run", "--agent", "agent", "--json", "Hi")
    assert "\x1b" not in as_json.stdout and "\x9b" not in as_json.stdout
    assert "\x1b[2J" in json.loads(as_json.stdout)["text"]  # the data itself is intact in JSON


def test_history_settings_prompts_and_clear(scripted_server: ScriptedServer, tmp_path: Path) -> None:
    path = _config(scripted_server, tmp_path)
    shown = json.loads(_run("history", "settings", "--json").stdout)
    assert shown["keep_runs"] == 10_000 and shown["record_prompts"] is False
    changed = json.loads(_run("history", "settings", "--keep", "2", "--record-prompts", "on", "--json").stdout)
    assert changed["keep_runs"] == 2 and changed["record_prompts"] is True
    for prompt in ("first", "second", "third"):
        assert _run("--config", str(path), "run", "--agent", "agent", "-q", prompt).returncode == 0
    runs = json.loads(_run("history", "--json").stdout)["runs"]
    assert [r["prompt"] for r in runs] == ["third", "second"]  # retention kept the newest two
    assert _run("history", "settings", "--keep", "0").returncode == 1
    cleared = json.loads(_run("history", "clear", "--json").stdout)
    assert cleared == {"removed": 2}
    assert "No recorded runs yet." in _run("history").stdout


def test_history_shows_spend_per_agent_and_model_and_substitute_answers(
    scripted_server: ScriptedServer, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    route_remote_hosts(scripted_server, monkeypatch)  # p1 is remote: its prices apply
    providers = [{"id": "p1", "kind": "openai", "base_url": "http://api.remote.test/v1"}]
    models = [
        {"id": "A", "provider": "p1", "name": "a", "price": {"input": 3, "output": 15}},
        {"id": "B", "provider": "p1", "name": "b", "price": {"input": 2, "output": 10}},
    ]
    config = build_config(scripted_server, models, providers=providers, fallback={"cooldown_s": 0})
    data = config.model_dump(mode="json", exclude_none=True)
    path = tmp_path / "config.json"
    path.write_text(json.dumps(data))
    cli = Cli(capsys)
    scripted_server.script("a", status(404))
    scripted_server.script("b", ok("From B", usage=(1000, 2000)), ok("Again B", usage=(1000, 2000)))
    assert cli.json("--config", str(path), "run", "--agent", "agent", "Hi")["cost_usd"] == pytest.approx(0.022)
    scripted_server.script("a", ok("From A", usage=(1000, 1000)))
    cli.json("--config", str(path), "run", "--agent", "agent", "Hi")

    spend = cli.json("history", "spend")
    assert spend["agents"] == [
        {"agent": "agent", "runs": 2, "answered": 2, "substitute_answers": 1, "cost_usd": pytest.approx(0.04)}
    ]
    by_model = {m["model"]: m for m in spend["models"]}
    assert by_model["B"]["substitute_answers"] == 1 and by_model["B"]["cost_usd"] == pytest.approx(0.022)
    assert by_model["A"]["answers"] == 1 and by_model["A"]["cost_usd"] == pytest.approx(0.018)

    code, out, _ = cli("history", "spend")
    assert code == 0
    assert "agent" in out and "$0.0400" in out and "$0.0220" in out and "SUBSTITUTE" in out
    code, out, _ = cli("history")
    assert "B instead of A" in out and "$0.0220" in out
    run_id = HistoryStore().query()[-1].id
    code, out, _ = cli("history", "show", str(run_id))
    assert "Cost: $0.0220" in out


def test_a_rehearsed_failure_is_marked_and_counts_in_no_success_rate(
    scripted_server: ScriptedServer, tmp_path: Path
) -> None:
    scripted_server.script("a", ok("From A"))
    path = _config(scripted_server, tmp_path)
    assert _run("--config", str(path), "run", "--agent", "agent", "Hi").returncode == 0
    scripted_server.script("b", ok("From B"))
    done = _run("--config", str(path), "run", "--agent", "agent", "--simulate", "A=500", "Hi")
    assert done.returncode == 0, done.stderr
    text = _run("history", "--agent", "agent").stdout
    assert "rehearsal: B instead of A" in text
    stats = {s["model"]: s for s in json.loads(_run("history", "stats", "--json").stdout)["models"]}
    assert stats["A"]["success_rate"] == 1 and stats["A"]["attempts"] == 1
