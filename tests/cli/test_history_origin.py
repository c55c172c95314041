"""`modeldesk history` tells where each run came from: the gateway's requests by their
client (User-Agent), and `--origin` keeps one kind."""

from __future__ import annotations

from typing import Any

from modeldesk.core.history import AttemptRecord, HistoryStore, RunRecord


def seed() -> None:
    store = HistoryStore()
    answered = [AttemptRecord("gpt-4o", "answered", elapsed_ms=300)]
    store.record(RunRecord("helper", ["gpt-4o"], answered, answered_by="gpt-4o", origin="cli"))
    store.record(RunRecord("helper", ["gpt-4o"], answered, answered_by="gpt-4o", origin="app"))
    store.record(
        RunRecord(
            "coder",
            ["gpt-4o"],
            answered,
            answered_by="gpt-4o",
            origin="serve",
            client="claude-cli/2.1.332 (external, cli)\x1b[31m",
        )
    )
    store.record(RunRecord("coder", ["gpt-4o"], answered, answered_by="gpt-4o", origin="serve", client=None))


def test_list_names_the_client_and_filters_by_origin(cli: Any) -> None:
    seed()
    code, out, _ = cli("history")
    assert code == 0
    header, *rows = out.splitlines()
    assert header.split()[:7] == ["ID", "TIME", "AGENT", "ANSWERED", "BY", "SOURCE", "FROM"]
    froms = [row.split()[6] for row in rows]  # ID, date, time, agent, answered by, source (-)
    assert froms == ["serve", "claude-cli/2.1.332", "app", "cli"]

    data = cli.json("history", "--origin", "serve")
    assert [(r["agent"], r["origin"]) for r in data["runs"]] == [("coder", "serve"), ("coder", "serve")]
    assert data["runs"][1]["client"].startswith("claude-cli/2.1.332 (external, cli)")
    code, out, _ = cli("history", "list", "--origin", "app")
    assert code == 0 and len(out.splitlines()) == 2


def test_show_names_the_client_as_plain_text(cli: Any) -> None:
    seed()
    run_id = cli.json("history", "--origin", "serve")["runs"][1]["id"]
    code, out, _ = cli("history", "show", str(run_id))
    assert code == 0
    assert "Client: claude-cli/2.1.332 (external, cli)" in out
    assert "\x1b" not in out  # the client's bytes are data, never terminal control


def test_a_refused_gateway_request_reads_as_refused(cli: Any) -> None:
    HistoryStore().record(
        RunRecord(
            "",
            [],
            error_code="invalid_token",
            error_message="This gateway needs its token.",
            origin="serve",
            client="curl/8.5.0",
            refused=True,
        )
    )
    code, out, _ = cli("history")
    assert code == 0
    (row,) = out.splitlines()[1:]
    assert row.split()[3:6] == ["-", "refused:", "invalid_token"]  # ID, date, time, agent, answered by
    run_id = cli.json("history")["runs"][0]["id"]
    code, out, _ = cli("history", "show", str(run_id))
    assert "Agent: -" in out and "Answered by: refused: invalid_token" in out
    assert "Error: This gateway needs its token." in out and "Client: curl/8.5.0" in out
