"""The run history database: recording, querying, statistics, retention, several writing
processes at once, and a damaged or locked file that must never stop a run."""

from __future__ import annotations

import multiprocessing
import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest

from modeldesk.core.history import (
    RECORD_TIMEOUT_MS,
    AttemptRecord,
    HistoryError,
    HistoryStore,
    HistoryWriter,
    RunRecord,
    default_history_path,
    record_or_warn,
)


def answered(agent: str = "a", models: tuple[str, ...] = ("m1", "m2"), by: str = "m1", ms: int = 100) -> RunRecord:
    attempts = [AttemptRecord(m, "failed", 503, "server_error", "503 Service Unavailable", 10) for m in models]
    attempts = [a for a in attempts if a.model != by][: models.index(by)]
    attempts.append(AttemptRecord(by, "answered", 200, None, None, ms))
    return RunRecord(agent=agent, models=list(models), attempts=attempts, answered_by=by, source="agent", latency_ms=ms)


def failed(agent: str = "a", models: tuple[str, ...] = ("m1",)) -> RunRecord:
    attempts = [AttemptRecord(m, "failed", 500, "server_error", "boom", 5) for m in models]
    return RunRecord(
        agent=agent, models=list(models), attempts=attempts, error_code="all_failed", error_message="every model failed"
    )


def test_default_path_is_in_the_user_state_folder(tmp_path: Path) -> None:
    path = default_history_path()
    assert path.name == "history.sqlite3" and "state" in str(path)


def test_records_round_trip_newest_first(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "h.sqlite3")
    first = store.record(answered(by="m2", ms=250))
    second = store.record(failed(agent="b"))
    runs = store.query()
    assert [r.id for r in runs] == [second, first]
    run = store.get(first)
    assert run is not None
    assert run.answered_by == "m2" and run.primary == "m1" and run.fell_back
    assert [(a.model, a.outcome, a.status) for a in run.attempts] == [("m1", "failed", 503), ("m2", "answered", 200)]
    assert run.to_json()["fell_back"] is True
    assert runs[0].error_code == "all_failed" and not runs[0].ok


def test_query_filters(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "h.sqlite3")
    store.record(answered(agent="a"))
    store.record(answered(agent="b", models=("m3",), by="m3"))
    store.record(failed(agent="a", models=("m4",)))
    assert {r.agent for r in store.query(agent="b")} == {"b"}
    assert [r.answered_by for r in store.query(model="m3")] == ["m3"]
    assert [r.agent for r in store.query(model="m4")] == ["a"]
    assert [r.error_code for r in store.query(failed=True)] == ["all_failed"]
    assert len(store.query(limit=2)) == 2
    assert store.query(agent="nobody") == []


def test_model_stats_success_rate_and_median_latency(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "h.sqlite3")
    for ms in (100, 300, 200):
        store.record(answered(models=("m1",), by="m1", ms=ms))
    store.record(failed(models=("m1",)))
    stats = store.model_stats()
    assert stats["m1"].answered == 3 and stats["m1"].failed == 1
    assert stats["m1"].success_rate == pytest.approx(0.75)
    assert stats["m1"].median_latency_ms == 200
    assert set(store.model_stats(["m1"])) == {"m1"}


def test_prompt_only_kept_when_turned_on(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "h.sqlite3")
    run = RunRecord(agent="a", models=["m1"], prompt="secret plans")
    store.record(run)
    assert store.query()[0].prompt is None
    store.set_settings(record_prompts=True)
    store.record(run)
    assert store.query()[0].prompt == "secret plans"


def test_retention_keeps_the_newest_runs(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "h.sqlite3")
    assert store.settings().keep_runs == 10_000
    store.set_settings(keep_runs=5)
    ids = [store.record(answered()) for _ in range(12)]
    assert [r.id for r in store.query(limit=None)] == list(reversed(ids[-5:]))
    with sqlite3.connect(store.path) as connection:
        orphans = connection.execute("SELECT COUNT(*) FROM attempts WHERE run_id <= ?", (ids[-6],)).fetchone()[0]
    assert orphans == 0
    store.set_settings(keep_runs=2)
    assert store.count() == 2
    with pytest.raises(HistoryError):
        store.set_settings(keep_runs=0)


def test_database_is_in_wal_mode_and_private(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "sub" / "h.sqlite3")
    store.record(answered())
    with sqlite3.connect(store.path) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.path.stat().st_mode & 0o777 == 0o600


def _writer(path: str, agent: str, count: int, kept: bool = False) -> None:
    store = HistoryStore(path)
    writer = HistoryWriter(store) if kept else store
    for _ in range(count):
        writer.record(answered(agent=agent))
    if isinstance(writer, HistoryWriter):
        writer.close()


@pytest.mark.parametrize("kept", [False, True], ids=["a connection per run", "kept connections"])
def test_several_processes_writing_at_once_lose_nothing(tmp_path: Path, kept: bool) -> None:
    path = tmp_path / "h.sqlite3"
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_writer, args=(str(path), f"w{i}", 60, kept and i % 2 == 0)) for i in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
        assert worker.exitcode == 0
    store = HistoryStore(path)
    assert store.count() == 240
    for i in range(4):
        assert len(store.query(agent=f"w{i}", limit=None)) == 60


def test_a_corrupt_file_is_reported_and_skipped(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    path.write_bytes(b"this is not a database at all" * 100)
    store = HistoryStore(path)
    with pytest.raises(HistoryError) as caught:
        store.record(answered())
    assert "damaged" in caught.value.message and str(path) in caught.value.message
    warning = record_or_warn(store, answered())
    assert warning is not None and "not recorded" in warning
    assert path.read_bytes().startswith(b"this is not")  # left for the user to inspect


def test_a_locked_database_is_reported_not_waited_on_forever(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    HistoryStore(path).record(answered())
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        warning = record_or_warn(HistoryStore(path, timeout_ms=50), answered())
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert warning is not None and "busy" in warning
    assert HistoryStore(path).count() == 1


def test_an_unwritable_folder_is_reported(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert record_or_warn(HistoryStore(blocker / "h.sqlite3"), answered()) is not None


def test_reading_a_missing_history_gives_nothing(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "none.sqlite3")
    assert store.query() == [] and store.model_stats() == {} and store.count() == 0
    assert not store.path.exists()


# --- cost and spend ---------------------------------------------------------------------

OLD_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT INTO meta VALUES ('schema_version', '1');
CREATE TABLE runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT, started_at REAL NOT NULL, config TEXT, agent TEXT NOT NULL,
    task TEXT, source TEXT, models TEXT NOT NULL, answered_by TEXT, error_code TEXT, error_message TEXT,
    input_tokens INTEGER, output_tokens INTEGER, latency_ms INTEGER NOT NULL, origin TEXT NOT NULL, prompt TEXT
);
CREATE TABLE attempts (
    run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE, position INTEGER NOT NULL,
    model TEXT NOT NULL, outcome TEXT NOT NULL, status INTEGER, error_class TEXT, error TEXT,
    elapsed_ms INTEGER NOT NULL, PRIMARY KEY (run_id, position)
);
INSERT INTO runs (started_at, agent, models, answered_by, latency_ms, origin)
    VALUES (1.0, 'old', '["m1"]', 'm1', 10, 'cli');
INSERT INTO attempts VALUES (1, 0, 'm1', 'answered', 200, NULL, NULL, 10);
"""


def costed(agent: str, models: tuple[str, ...], by: str | None, costs: list[float | None]) -> RunRecord:
    """A run whose attempts (one per model, in order, up to ``by``) cost ``costs``."""
    tried = list(models[: models.index(by) + 1]) if by else list(models)
    attempts = [
        AttemptRecord(m, "answered" if m == by else "failed", 200 if m == by else 503, cost_usd=c)
        for m, c in zip(tried, costs, strict=True)
    ]
    known = [c for c in costs if c is not None]
    return RunRecord(
        agent=agent, models=list(models), attempts=attempts, answered_by=by, cost_usd=sum(known) if known else None
    )


def test_a_history_from_before_costs_gains_the_columns_and_keeps_its_runs(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    with sqlite3.connect(path) as connection:
        connection.executescript(OLD_SCHEMA)
    store = HistoryStore(path)
    old = store.query()
    assert [(r.agent, r.answered_by, r.cost_usd) for r in old] == [("old", "m1", None)]
    store.record(costed("new", ("m1",), "m1", [0.25]))
    assert HistoryStore(path).query()[0].cost_usd == 0.25  # a second store finds the columns there
    with sqlite3.connect(path) as connection:
        columns = [row[1] for row in connection.execute("PRAGMA table_info(attempts)")]
    assert columns.count("cost_usd") == 1


def test_each_attempts_cost_is_kept(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "h.sqlite3")
    run_id = store.record(costed("a", ("m1", "m2"), "m2", [None, 0.5]))
    run = store.get(run_id)
    assert run is not None and [a.cost_usd for a in run.attempts] == [None, 0.5] and run.cost_usd == 0.5
    assert run.to_json()["cost_usd"] == 0.5 and run.to_json()["attempts"][1]["cost_usd"] == 0.5


def test_spend_per_agent_and_per_model_with_substitute_answers(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "h.sqlite3")
    store.record(costed("writer", ("m1", "m2"), "m1", [0.5]))
    store.record(costed("writer", ("m1", "m2"), "m2", [0.125, 0.25]))
    store.record(costed("writer", ("m1", "m2"), None, [None, None]))
    store.record(costed("coder", ("m2",), "m2", [1.0]))
    spend = store.spend()
    agents = {a.agent: a for a in spend.agents}
    assert (agents["writer"].runs, agents["writer"].answered, agents["writer"].substitute_answers) == (3, 2, 1)
    assert agents["writer"].cost_usd == pytest.approx(0.875)
    assert agents["coder"].cost_usd == pytest.approx(1.0) and agents["coder"].substitute_answers == 0
    models = {m.model: m for m in spend.models}
    assert (models["m1"].attempts, models["m1"].answers, models["m1"].substitute_answers) == (3, 1, 0)
    assert models["m1"].cost_usd == pytest.approx(0.625)
    assert (models["m2"].answers, models["m2"].substitute_answers) == (2, 1)
    assert models["m2"].cost_usd == pytest.approx(1.25)
    assert [a.agent for a in store.spend(agent="coder").agents] == ["coder"]
    assert spend.to_json()["agents"][0]["cost_usd"] is not None


def test_rehearsals_are_marked_and_left_out_of_success_rates(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "h.sqlite3")
    for _ in range(2):
        store.record(answered(models=("m1",), by="m1"))
    rehearsal = failed(models=("m1",))
    for _ in range(3):
        store.record(RunRecord(**{**rehearsal.__dict__, "simulated": True}))
    stats = store.model_stats()["m1"]
    assert (stats.attempts, stats.answered, stats.success_rate) == (2, 2, 1.0)
    runs = store.query()
    assert [r.simulated for r in runs] == [True, True, True, False, False]
    assert runs[0].to_json()["simulated"] is True


def test_a_history_from_before_rehearsals_gains_the_column_and_keeps_its_runs(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    with sqlite3.connect(path) as connection:
        connection.executescript(OLD_SCHEMA)
    old = HistoryStore(path).query()
    assert [(r.agent, r.simulated) for r in old] == [("old", False)]
    assert HistoryStore(path).model_stats()["m1"].answered == 1
    with sqlite3.connect(path) as connection:
        columns = [row[1] for row in connection.execute("PRAGMA table_info(runs)")]
    assert columns.count("simulated") == 1


def test_a_database_from_before_the_client_column_gains_it_and_keeps_its_runs(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    old = HistoryStore(path)
    old.record(RunRecord(agent="a", models=["m"], answered_by="m"))
    with sqlite3.connect(path) as connection:
        connection.execute("ALTER TABLE runs DROP COLUMN client")
    store = HistoryStore(path)
    store.record(RunRecord(agent="b", models=["m"], answered_by="m", origin="serve", client="claude-cli/1.0"))
    runs = store.query()
    assert [(r.agent, r.origin, r.client) for r in runs] == [("b", "serve", "claude-cli/1.0"), ("a", "cli", None)]
    assert runs[0].to_json()["client"] == "claude-cli/1.0"


def test_refused_requests_are_marked_kept_from_an_older_database_and_in_no_spend(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    HistoryStore(path).record(RunRecord(agent="a", models=["m"], answered_by="m"))
    with sqlite3.connect(path) as connection:
        connection.execute("ALTER TABLE runs DROP COLUMN refused")  # as written before refusals were kept
    store = HistoryStore(path)
    store.record(RunRecord(agent="", models=[], error_code="invalid_token", origin="serve", refused=True))
    runs = store.query()
    assert [(r.agent, r.refused, r.error_code) for r in runs] == [("", True, "invalid_token"), ("a", False, None)]
    assert runs[0].to_json()["refused"] is True and runs[1].to_json()["refused"] is False
    assert [a.agent for a in store.spend().agents] == ["a"]
    assert store.spend(agent="").agents == []


def _first_opener(paths: multiprocessing.Queue, start: Any, results: multiprocessing.Queue, name: str) -> None:
    """Record one run in each new database named on ``paths``, all openers starting together."""
    while (path := paths.get()) is not None:
        start.wait()
        store = HistoryStore(path, timeout_ms=RECORD_TIMEOUT_MS)
        if int(name[1:]) % 2:  # half of them as the gateway's writer records: a kept connection
            writer = HistoryWriter(store)
            results.put(record_or_warn(writer, answered(agent=name)))
            writer.close()
        else:
            results.put(record_or_warn(store, answered(agent=name)))


def test_openers_of_a_new_database_at_once_all_record_their_run(tmp_path: Path) -> None:
    # Several first opens of one new file at the same moment, from threads of this process
    # and from other processes (the gateway's recorder, a CLI run, the app): converting a new
    # file to WAL takes its write lock without SQLite's busy handler, so a loser used to get
    # "busy" at once and its run went unrecorded.
    threads, processes, rounds = 4, 4, 150
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(threads + processes)
    results = context.Queue()
    queues = [context.Queue() for _ in range(threads + processes)]
    workers: list[Any] = [
        context.Process(target=_first_opener, args=(queues[i], start, results, f"p{i}"), daemon=True)
        for i in range(processes)
    ]
    workers += [
        threading.Thread(target=_first_opener, args=(queues[processes + i], start, results, f"t{i}"), daemon=True)
        for i in range(threads)
    ]
    for worker in workers:
        worker.start()
    recorded: list[int] = []
    warnings: list[str] = []
    try:
        for round_ in range(rounds):
            path = tmp_path / f"h{round_}.sqlite3"
            for queue in queues:
                queue.put(str(path))
            warnings += [w for _ in workers if (w := results.get(timeout=60)) is not None]
            recorded.append(HistoryStore(path).count())
    finally:
        for queue in queues:
            queue.put(None)
        for worker in workers:
            worker.join(60)
    assert warnings == []
    assert recorded == [len(workers)] * rounds


# --- many runs from one thread: a batch, a kept connection -----------------------------


def test_a_batch_is_recorded_in_one_transaction_with_retention(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "h.sqlite3")
    store.set_settings(keep_runs=3)
    ids = store.record_many([answered(agent=f"a{i}") for i in range(5)])
    assert ids == sorted(ids) and len(set(ids)) == 5
    assert [r.agent for r in store.query(limit=None)] == ["a4", "a3", "a2"]
    assert [r.id for r in store.query(limit=None)] == ids[:1:-1]
    # One transaction: a batch that fails midway leaves nothing of it.
    broken = RunRecord(agent="x", models=[], attempts=[AttemptRecord("m", "answered", 200, None, None, float("nan"))])
    with pytest.raises(ValueError, match="NaN"):
        store.record_many([answered(agent="b"), broken])
    assert [r.agent for r in store.query(limit=None)] == ["a4", "a3", "a2"]


def test_a_writer_keeps_its_connection_and_every_run_is_seen_at_once(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "h.sqlite3")
    writer = HistoryWriter(store)
    reader = HistoryStore(store.path)
    try:
        first = writer.record(answered(agent="one"))
        kept = writer._connection
        for i in range(3):
            writer.record(answered(agent=f"r{i}"))
            assert reader.count() == i + 2  # committed: another connection sees it
        assert writer._connection is kept is not None
        assert writer.record_many([answered(agent="x"), failed(agent="y")]) == [first + 4, first + 5]
        assert [r.agent for r in reader.query(limit=2)] == ["y", "x"]
    finally:
        writer.close()
    assert writer._connection is None
    with sqlite3.connect(store.path) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_writer_opens_a_history_removed_meanwhile_anew(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    writer = HistoryWriter(HistoryStore(path))
    try:
        writer.record(answered(agent="before"))
        for leftover in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            leftover.unlink(missing_ok=True)
        writer.record(answered(agent="after"))
    finally:
        writer.close()
    assert [r.agent for r in HistoryStore(path).query(limit=None)] == ["after"]


def test_a_writer_reports_a_locked_database_and_writes_again_once_it_is_free(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    writer = HistoryWriter(HistoryStore(path, timeout_ms=50))
    try:
        writer.record(answered(agent="first"))
        holder = sqlite3.connect(path, isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")
        try:
            warning = record_or_warn(writer, answered(agent="lost"))
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        assert warning is not None and "busy" in warning
        assert record_or_warn(writer, answered(agent="again")) is None
    finally:
        writer.close()
    assert [r.agent for r in HistoryStore(path).query(limit=None)] == ["again", "first"]


def test_every_connection_commits_without_waiting_for_the_disk(tmp_path: Path) -> None:
    # synchronous is a setting of each connection, not of the file: the first one's
    # NORMAL used to leave every later connection of the store at FULL.
    store = HistoryStore(tmp_path / "h.sqlite3")
    for _ in range(2):
        with store._connect() as connection:
            assert connection.execute("PRAGMA synchronous").fetchone()[0] == 1
