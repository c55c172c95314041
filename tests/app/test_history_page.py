"""The History page and the recording of the app's Test runs: real runs against the
scripted server on 127.0.0.1 land in the user's run history (SQLite in the isolated state
folder), the page filters them, a row opens its attempt timeline, and a damaged history
database never stops a run."""

from __future__ import annotations

import dataclasses
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from modeldesk.app.document import Document
from modeldesk.app.main_window import MainWindow
from modeldesk.app.models.runs_model import RunsModel, answered_text
from modeldesk.app.services.history_records import history_recorder, stats_text
from modeldesk.app.views.history_page import ANY_AGENT, HistoryPage, run_summary
from modeldesk.app.views.test_run_panel import TestRunPanel
from modeldesk.core.history import AttemptRecord, HistoryStore, ModelStats, RunRecord, with_prompt
from modeldesk.core.store import ConfigStore
from tests.app.helpers import show_active
from tests.app.squads_support import table_rows
from tests.app.test_test_run_panel import scripted_config
from tests.support.scripted_server import ScriptedServer, ok, status


def fell_back_run(agent: str = "analyst") -> RunRecord:
    return RunRecord(
        agent=agent,
        models=["claude-sonnet-4", "gpt-4o"],
        attempts=[
            AttemptRecord("claude-sonnet-4", "failed", 503, "server_error", "Service unavailable", 420),
            AttemptRecord("gpt-4o", "answered", None, None, None, 800),
        ],
        answered_by="gpt-4o",
        source="agent",
        input_tokens=12,
        output_tokens=30,
        latency_ms=1700,
        origin="cli",
        started_at=1_700_000_000.0,
    )


def failed_run(agent: str = "triage") -> RunRecord:
    return RunRecord(
        agent=agent,
        models=["gpt-4o-mini"],
        attempts=[AttemptRecord("gpt-4o-mini", "failed", 401, "auth", "Invalid API key", 90)],
        error_code="all_models_failed",
        error_message="Every model failed; the last error was 401 Invalid API key.",
        source="project",
        latency_ms=95,
        origin="app",
        started_at=1_700_000_100.0,
    )


def plain_run(agent: str = "helper") -> RunRecord:
    return RunRecord(
        agent=agent,
        models=["claude-sonnet-4", "gpt-4o"],
        attempts=[AttemptRecord("claude-sonnet-4", "answered", elapsed_ms=640)],
        answered_by="claude-sonnet-4",
        source="settings",
        latency_ms=650,
        started_at=1_700_000_200.0,
    )


@pytest.fixture
def history(store: ConfigStore) -> HistoryStore:
    history = HistoryStore()  # in the test's own state folder (tests/conftest.py)
    for run in (fell_back_run(), failed_run(), plain_run()):
        history.record(dataclasses.replace(run, config_path=str(store.path.absolute())))  # runs of this file
    return history


def make_page(qtbot: Any, document: Document) -> HistoryPage:
    return show_active(qtbot, HistoryPage(document), (1100, 700))


def test_runs_read_at_a_glance(qtbot: Any, qtmodeltester: Any, document: Document, history: HistoryStore) -> None:
    page = make_page(qtbot, document)
    qtmodeltester.check(page.runs_model)
    rows = table_rows(page.runs_model)
    # Newest first; who answered says "instead of" when the run fell back.
    assert [(r[1], r[2], r[3], r[6]) for r in rows] == [
        ("General helper", "claude-sonnet-4", "1", "CLI"),
        ("Ticket triage", "failed: all_models_failed", "1", "app"),
        ("Analyst", "gpt-4o instead of claude-sonnet-4", "2", "CLI"),
    ]
    assert rows[2][4:6] == ("1.7 s", "12 → 30")
    fell_back = page.runs_model.index(2, RunsModel.ANSWERED)
    failed = page.runs_model.index(1, RunsModel.ANSWERED)
    assert fell_back.data(Qt.ItemDataRole.ForegroundRole) != failed.data(Qt.ItemDataRole.ForegroundRole)
    assert page.count_label.text() == "3 runs"


@pytest.mark.parametrize("theme", ["Light", "Dark"])
def test_the_from_column_reads_at_4_5_to_1_in_light_and_dark(
    qtbot: Any, document: Document, history: HistoryStore, theme: str
) -> None:
    from PySide6.QtGui import QPalette

    from modeldesk.app.colours import contrast
    from modeldesk.app.views.app_menus import apply_theme

    apply_theme(theme)
    try:
        page = make_page(qtbot, document)
        palette = page.runs_view.palette()
        text = palette.color(QPalette.ColorRole.Text)
        grounds = [palette.color(QPalette.ColorRole.Base), palette.color(QPalette.ColorRole.AlternateBase)]
        assert (grounds[0].lightness() < 128) == (theme == "Dark")
        for row in range(page.runs_model.rowCount()):
            colour = page.runs_model.index(row, RunsModel.ORIGIN).data(Qt.ItemDataRole.ForegroundRole).color()
            assert min(contrast(colour, ground) for ground in grounds) >= 4.5, (theme, colour.name())
            # Still quieter than the text beside it: it is context.
            assert contrast(colour, grounds[0]) < contrast(text, grounds[0])
    finally:
        apply_theme("System")


def test_a_row_opens_its_attempt_timeline(qtbot: Any, document: Document, history: HistoryStore) -> None:
    page = make_page(qtbot, document)
    page.runs_view.setFocus()
    page.select_row(0)
    qtbot.keyClick(page.runs_view, Qt.Key.Key_End, Qt.KeyboardModifier.ControlModifier)
    assert page.current_run().agent == "analyst"
    assert page.timeline_model.kinds() == ["attempt_failed", "answered"]
    assert page.timeline_model.texts() == [
        "claude-sonnet-4 failed after 420 ms: 503 Service unavailable (server_error)",
        "gpt-4o answered in 800 ms",
    ]
    assert [e.time_text for e in page.timeline_model.rows()] == ["+0.00 s", "+0.42 s"]
    summary = page.summary_label.text()
    assert "Resolved from Agent's preferred models: claude-sonnet-4, gpt-4o" in summary
    assert "Answered by gpt-4o instead of claude-sonnet-4 in 1.7 s · tokens 12 → 30" in summary
    qtbot.keyClick(page.runs_view, Qt.Key.Key_Up)
    assert page.timeline_model.kinds() == ["attempt_failed", "all_failed"]
    assert page.timeline_model.texts()[1].startswith("Every model failed")


def test_filters_by_agent_model_failed_and_fell_back(qtbot: Any, document: Document, history: HistoryStore) -> None:
    page = make_page(qtbot, document)
    # The lists offer the config's agents and models (filled when the page is shown).
    assert page.agent_combo.findText("Note taker (note-taker)") > 0 and page.model_combo.findText("gpt-4o") > 0
    page.agent_combo.setFocus()
    page.agent_combo.lineEdit().selectAll()
    qtbot.keyClicks(page.agent_combo, "analyst")
    qtbot.keyClick(page.agent_combo, Qt.Key.Key_Return)
    assert [r[1] for r in table_rows(page.runs_model)] == ["Analyst"]
    page.set_filters(model="gpt-4o")  # runs that tried or listed it
    assert [r[1] for r in table_rows(page.runs_model)] == ["General helper", "Analyst"]
    qtbot.mouseClick(page.fell_back_check, Qt.MouseButton.LeftButton)
    assert [r[1] for r in table_rows(page.runs_model)] == ["Analyst"]
    page.set_filters(failed=True)
    assert [r[1] for r in table_rows(page.runs_model)] == ["Ticket triage"]
    page.set_filters(agent="nobody")
    assert page.runs_model.rowCount() == 0
    assert page.summary_label.text() == "No recorded run matches these filters."
    page.set_filters()
    assert page.agent_combo.currentText() == ANY_AGENT
    assert page.runs_model.rowCount() == 3
    # The agent's name, as listed, filters too (typed, with Enter).
    page.agent_combo.setFocus()
    page.agent_combo.lineEdit().selectAll()
    qtbot.keyClicks(page.agent_combo, "Ticket triage")
    qtbot.keyClick(page.agent_combo, Qt.Key.Key_Return)
    assert [r[1] for r in table_rows(page.runs_model)] == ["Ticket triage"]


def test_empty_and_damaged_history(qtbot: Any, document: Document) -> None:
    page = make_page(qtbot, document)
    assert page.runs_model.rowCount() == 0
    assert page.summary_label.text().startswith("No runs recorded yet")
    path = HistoryStore().path
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"this is not a database" * 100)
    page.refresh()
    assert page.message_label.isVisible()
    assert "damaged" in page.message_label.text()


def test_texts() -> None:
    assert answered_text(fell_back_run()) == "gpt-4o instead of claude-sonnet-4"
    assert answered_text(plain_run()) == "claude-sonnet-4"
    assert stats_text(None) == ""
    assert stats_text(ModelStats("m", attempts=26, answered=23, failed=2, median_latency_ms=840)) == (
        "92% of 25 · 840 ms"
    )
    assert stats_text(ModelStats("m", attempts=1, answered=0, failed=0, median_latency_ms=None)) == ""
    refused = RunRecord("", [], error_code="invalid_token", origin="serve", client="curl/8.5.0", refused=True)
    assert answered_text(refused) == "refused: invalid_token"
    assert "Refused by the gateway before any agent ran (invalid_token)" in run_summary(refused)


# --- recording the Test run ---------------------------------------------------------------


@pytest.fixture
def run_window(qtbot: Any, tmp_path: Path, scripted_server: ScriptedServer, qasync_loop: Any) -> Iterator[MainWindow]:
    store = ConfigStore(tmp_path / "config.json")
    store.save(scripted_config(scripted_server))
    document = Document(store)
    window = show_active(qtbot, MainWindow(document), (1280, 820))
    window.agents_page.select_agent("tester")
    yield window
    window.close()
    document.undo_stack.clear()


def run_and_record(qtbot: Any, panel: TestRunPanel, prompt: str) -> None:
    recorder = history_recorder()
    with qtbot.waitSignals([panel.run_finished, recorder.recorded], timeout=10_000):
        panel.prompt_edit.setFocus()
        panel.prompt_edit.clear()
        qtbot.keyClicks(panel.prompt_edit, prompt)
        qtbot.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)


def test_test_runs_are_recorded_and_shown(qtbot: Any, run_window: MainWindow, scripted_server: ScriptedServer) -> None:
    panel = run_window.agents_page.test_run
    scripted_server.script("gpt-a", status(500), status(500))
    scripted_server.script("gpt-b", ok("From the backup."))
    run_and_record(qtbot, panel, "Say hello")
    runs = HistoryStore().query()
    assert len(runs) == 1
    run = runs[0]
    assert (run.agent, run.models, run.answered_by, run.source, run.origin) == (
        "tester",
        ["primary", "backup"],
        "backup",
        "agent",
        "app",
    )
    assert [a.outcome for a in run.attempts] == ["failed", "failed", "answered"]
    assert run.config_path == str(run_window.document.store.path)
    assert run.prompt is None  # prompts are kept only when the user turns that on
    assert (run.input_tokens, run.output_tokens) == (3, 5)

    run_window.pages.setCurrentWidget(run_window.history_page)
    page = run_window.history_page
    assert table_rows(page.runs_model)[0][1:3] == ("Tester", "backup instead of primary")
    assert page.timeline_model.kinds() == ["attempt_failed", "attempt_failed", "answered"]

    # A run recorded while the page is showing appears at once.
    scripted_server.script("gpt-a", ok("Hi"))
    run_and_record(qtbot, panel, "Again")
    assert table_rows(page.runs_model)[0][1:3] == ("Tester", "primary")
    assert page.runs_model.rowCount() == 2


def test_a_damaged_history_never_stops_a_run(
    qtbot: Any, run_window: MainWindow, scripted_server: ScriptedServer
) -> None:
    path = HistoryStore().path
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"garbage, not SQLite " * 200)
    panel = run_window.agents_page.test_run
    scripted_server.script("gpt-a", ok("Still answered."))
    recorder = history_recorder()
    with qtbot.waitSignals([panel.run_finished, recorder.failed], timeout=10_000):
        panel.prompt_edit.setFocus()
        qtbot.keyClicks(panel.prompt_edit, "Hello")
        qtbot.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)
    assert panel.result is not None and panel.result.ok
    assert panel.answer_edit.toPlainText() == "Still answered."
    message = run_window.statusBar().currentMessage()
    assert message.startswith("The run was not recorded in the history:") and "damaged" in message
    assert path.read_bytes().startswith(b"garbage")  # left alone for the user to look at
    assert os.path.getsize(path) > 0


def test_model_records_beside_each_model_in_the_registry_and_picker(
    qtbot: Any, document: Document, history: HistoryStore
) -> None:
    from modeldesk.app.models.registry_model import RegistryModel
    from modeldesk.app.services.history_records import model_records
    from modeldesk.app.widgets.model_picker import COLUMNS, ModelPickerDialog

    model_records().invalidate()
    registry = RegistryModel(document)
    registry.set_rows(document.config.models)
    record = {
        registry.row_value(row).id: registry.index(row, RegistryModel.COLUMNS.index("Success · median")).data()
        for row in range(registry.rowCount())
    }
    assert record["claude-sonnet-4"] == "50% of 2 · 640 ms"
    assert record["gpt-4o"] == "100% of 1 · 800 ms"
    assert record["gpt-4o-mini"] == "0% of 1"
    assert record["o3-mini"] == ""  # never run

    picker = show_active(qtbot, ModelPickerDialog(document))
    column = COLUMNS.index("Success · median")
    texts = {}
    for group_row in range(picker.source.rowCount()):
        group = picker.source.item(group_row)
        for row in range(group.rowCount()):
            texts[group.child(row, 0).text()] = group.child(row, column).text()
    assert texts["GPT-4o (gpt-4o)"] == "100% of 1 · 800 ms"
    picker.reject()

    # A run recorded by the app refreshes the records.
    history.record(dataclasses.replace(plain_run(), config_path=str(document.store.path.absolute())))
    history.record(plain_run())  # another file's run (none named): not this file's record
    history_recorder().recorded.emit(0)
    assert model_records().text("claude-sonnet-4", document.store.path) == "67% of 3 · 640 ms"


def test_a_locked_history_is_reported_and_the_run_goes_on(
    qtbot: Any, run_window: MainWindow, scripted_server: ScriptedServer
) -> None:
    store = HistoryStore()
    store.record(plain_run())  # the database exists, in WAL mode
    recorder = history_recorder()
    recorder.timeout_ms, saved_timeout = 200, recorder.timeout_ms
    # Another program (here: this test) holds the write lock for the whole run.
    holder = sqlite3.connect(store.path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        panel = run_window.agents_page.test_run
        scripted_server.script("gpt-a", ok("Answered anyway."))
        with qtbot.waitSignals([panel.run_finished, recorder.failed], timeout=10_000):
            panel.prompt_edit.setFocus()
            qtbot.keyClicks(panel.prompt_edit, "Hello")
            qtbot.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)
        assert panel.result is not None and panel.result.ok
        assert panel.answer_edit.toPlainText() == "Answered anyway."
        assert "busy" in run_window.statusBar().currentMessage()
    finally:
        holder.execute("ROLLBACK")
        holder.close()
        recorder.timeout_ms = saved_timeout
    assert store.count() == 1  # the run was skipped, nothing half-written


def test_history_settings_and_clear(
    qtbot: Any, document: Document, history: HistoryStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = make_page(qtbot, document)
    assert page.keep_spin.value() == 10_000 and not page.prompts_check.isChecked()
    assert page.path_label.text() == f"Kept in {history.path}"

    # Prompts are kept only once turned on.
    page.prompts_check.setFocus()
    qtbot.keyClick(page.prompts_check, Qt.Key.Key_Space)
    assert history.settings().record_prompts
    history.record(with_prompt(plain_run("analyst"), "What changed last week?"))
    page.refresh()
    page.select_row(0)
    assert page.summary_label.text().endswith("\nPrompt: What changed last week?")

    # Keeping fewer runs than there are asks first (it cannot be undone).
    answers = [QMessageBox.StandardButton.No, QMessageBox.StandardButton.Yes]
    monkeypatch.setattr(QMessageBox, "question", lambda *args, **kwargs: answers.pop(0))
    page.keep_spin.setFocus()
    page.keep_spin.selectAll()
    qtbot.keyClicks(page.keep_spin, "2")
    qtbot.keyClick(page.keep_spin, Qt.Key.Key_Return)
    assert history.count() == 4 and page.keep_spin.value() == 10_000  # "No" put it back
    page.keep_spin.selectAll()
    qtbot.keyClicks(page.keep_spin, "2")
    qtbot.keyClick(page.keep_spin, Qt.Key.Key_Return)
    assert history.count() == 2 and history.settings().keep_runs == 2
    assert page.runs_model.rowCount() == 2

    monkeypatch.setattr(QMessageBox, "question", lambda *args, **kwargs: QMessageBox.StandardButton.Yes)
    qtbot.mouseClick(page.clear_button, Qt.MouseButton.LeftButton)
    assert history.count() == 0 and page.runs_model.rowCount() == 0


def test_showing_the_page_creates_no_database(qtbot: Any, document: Document) -> None:
    page = make_page(qtbot, document)
    assert not page.store_path.exists()
    assert page.keep_spin.value() == 10_000 and not page.clear_button.isEnabled()


def test_runs_of_the_cli_and_the_app_land_in_one_history(
    qtbot: Any, run_window: MainWindow, scripted_server: ScriptedServer
) -> None:
    """A real `modeldesk run` process and a Test run at the same time: both are recorded
    (concurrent writers lose nothing) and the History page shows them side by side."""
    scripted_server.script("gpt-a", status(500), status(500), ok("From the app."))
    scripted_server.script("gpt-b", ok("From the CLI."))
    config = str(run_window.document.store.path)
    cli = subprocess.Popen(
        [sys.executable, "-m", "modeldesk", "--config", config, "run", "--agent", "tester", "Hello from the CLI"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ | {"PYTHONUNBUFFERED": "1"},
    )
    try:
        panel = run_window.agents_page.test_run
        run_and_record(qtbot, panel, "Hello from the app")
        _out, err = cli.communicate(timeout=60)
    finally:
        if cli.poll() is None:
            cli.kill()
    assert cli.returncode == 0, err
    runs = HistoryStore().query()
    assert sorted(run.origin for run in runs) == ["app", "cli"]
    page = run_window.history_page
    run_window.pages.setCurrentWidget(page)
    rows = {row[6]: row for row in table_rows(page.runs_model)}
    assert set(rows) == {"app", "CLI"}
    assert all(row[1] == "Tester" for row in rows.values())
    answered = {run.origin: run.answered_by for run in runs}
    assert set(answered.values()) <= {"primary", "backup"} and all(answered.values())


def test_spend_per_agent_and_model_and_each_runs_cost(qtbot: Any, qtmodeltester: Any, document: Document) -> None:
    store = HistoryStore()
    for agent, by, costs in (("analyst", "gpt-4o", [None, 0.022]), ("analyst", "claude-sonnet-4", [0.018])):
        tried = ["claude-sonnet-4", "gpt-4o"][: len(costs)]
        attempts = [
            AttemptRecord(m, "answered" if m == by else "failed", 200 if m == by else 503, cost_usd=c, elapsed_ms=800)
            for m, c in zip(tried, costs, strict=True)
        ]
        known = [c for c in costs if c is not None]
        store.record(
            RunRecord(
                agent=agent,
                models=["claude-sonnet-4", "gpt-4o"],
                attempts=attempts,
                answered_by=by,
                latency_ms=900,
                cost_usd=sum(known),
            )
        )
    store.record(plain_run())  # no cost known
    page = make_page(qtbot, document)
    qtmodeltester.check(page.agent_spend_model)
    qtmodeltester.check(page.model_spend_model)
    assert table_rows(page.agent_spend_model) == [
        ("analyst", "2", "2", "1", "$0.0400"),
        ("helper", "1", "1", "0", "-"),
    ]
    assert table_rows(page.model_spend_model) == [
        ("claude-sonnet-4", "3", "2", "0", "$0.0180"),
        ("gpt-4o", "1", "1", "1", "$0.0220"),
    ]
    page.set_filters(agent="analyst")
    assert [r[0] for r in table_rows(page.agent_spend_model)] == ["analyst"]
    page.select_row(1)  # the older analyst run: gpt-4o stood in
    assert "cost $0.0220" in page.summary_label.text()
    assert page.timeline_model.texts()[-1] == "gpt-4o answered in 800 ms · $0.0220"
    page.details.setCurrentWidget(page.spend_box)
    assert page.agent_spend_view.isVisible() and page.model_spend_view.isVisible()


def test_a_rehearsal_is_marked_and_counts_in_no_success_rate(
    qtbot: Any, run_window: MainWindow, scripted_server: ScriptedServer
) -> None:
    panel = run_window.agents_page.test_run
    scripted_server.script("gpt-a", ok("Real answer."))
    run_and_record(qtbot, panel, "Real")
    panel.simulate_edit.setFocus()
    qtbot.keyClicks(panel.simulate_edit, "primary=500")
    scripted_server.script("gpt-b", ok("From the backup."))
    run_and_record(qtbot, panel, "Rehearse")
    runs = HistoryStore().query()
    assert [run.simulated for run in runs] == [True, False]
    # The healthy primary keeps its record: the injected failure is not held against it.
    assert stats_text(HistoryStore().model_stats()["primary"]).startswith("100% of 1")

    run_window.pages.setCurrentWidget(run_window.history_page)
    page = run_window.history_page
    assert table_rows(page.runs_model)[0][2] == "rehearsal: backup instead of primary"
    assert "Rehearsal" in page.summary_label.text() or "rehearsal" in page.summary_label.text()


def test_filters_follow_agent_edits_not_squad_edits(qtbot: Any, document: Document, history: HistoryStore) -> None:
    from PySide6.QtTest import QSignalSpy

    from modeldesk.core.edits import UpdateItem

    page = make_page(qtbot, document)
    refills = QSignalSpy(page.agent_combo.model().modelReset)
    document.perform(UpdateItem("squads", "support-desk", {"name": "Help desk"}))
    assert refills.count() == 0
    document.perform(UpdateItem("agents", "triage", {"name": "Sorter"}))
    assert refills.count() == 1
    assert page.agent_combo.findText("Sorter (triage)") >= 0
