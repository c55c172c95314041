"""`modeldesk history`: the recorded runs (which model answered, every attempt), per-model
statistics, and the history's settings."""

from __future__ import annotations

import argparse
from datetime import datetime
from typing import Any

from modeldesk.core.history import HistoryStore, RunRecord, money_text
from modeldesk.core.text import clean_text

from .argparsing import count, row_id
from .arguments import SubParsers, UsageError, add_command, add_json_flag, add_parser
from .output import command, print_json, table, wants_json

HISTORY_EPILOG = """Examples:
  modeldesk history
  modeldesk history --agent analyst --failed --limit 20
  modeldesk history --model gpt-4o --json
  modeldesk history --origin serve
  modeldesk history stats
  modeldesk history spend --agent analyst
  modeldesk history settings --keep 50000 --record-prompts off

The database is history.sqlite3 in the user state folder ($MODELDESK_HISTORY overrides it)."""


def register(subparsers: SubParsers) -> None:
    # `modeldesk history [filters]` lists the runs; its sub-commands do the rest.
    parser = add_parser(
        subparsers,
        "history",
        "The recorded runs: which model answered, and every attempt.",
        epilog=HISTORY_EPILOG,
    )
    _filters(parser)
    add_json_flag(parser)
    parser.set_defaults(handler=command(list_runs))
    group = parser.add_subparsers(dest="history_command", metavar="SUBCOMMAND")
    p = add_command(group, "list", "Recorded runs, newest first (the same as `modeldesk history`).", list_runs)
    _filters(p)
    p = add_command(group, "show", "One recorded run with its attempt timeline.", show_run)
    p.add_argument("run", type=row_id, metavar="RUN_ID")
    p = add_command(group, "stats", "Per model: attempts, success rate, median latency of answers.", stats)
    p.add_argument("models", nargs="*", metavar="M", help="only these models")
    p = add_command(
        group, "spend", "What the runs cost, per agent and per model, and how many answers were substitutes.", spend
    )
    p.add_argument("--agent", metavar="A", help="only this agent's runs")
    p = add_command(group, "settings", "Show or change how many runs are kept and whether prompts are.", settings)
    p.add_argument("--keep", type=count, metavar="N", help="keep the newest N runs (default 10000)")
    p.add_argument("--record-prompts", choices=("on", "off"), help="store the prompt text of each run (default off)")
    add_command(group, "clear", "Delete every recorded run.", clear)


def _filters(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--agent", metavar="A", help="only runs of this agent")
    parser.add_argument("--model", metavar="M", help="only runs that tried or answered with this model")
    parser.add_argument("--failed", action="store_true", help="only runs no model answered")
    parser.add_argument("--fell-back", action="store_true", help="only runs answered by another model than the primary")
    parser.add_argument(
        "--origin",
        choices=ORIGINS,
        help="only runs from the app's Test run, `modeldesk run`, or the gateway (`modeldesk serve`)",
    )
    parser.add_argument("--limit", type=count, default=100, metavar="N", help="at most N runs (default 100)")


ORIGINS = ("app", "cli", "serve")


def _from(run: RunRecord) -> str:
    """Where a run came from; a gateway request by its client (the User-Agent's first word)."""
    if run.origin == "serve" and run.client:
        return run.client.split()[0][:48]
    return run.origin


def _store() -> HistoryStore:
    return HistoryStore()


def _when(run: RunRecord) -> str:
    return datetime.fromtimestamp(run.started_at).astimezone().strftime("%Y-%m-%d %H:%M:%S")


def _answer(run: RunRecord) -> str:
    if run.refused:
        return f"refused: {run.error_code or 'error'}"  # by the gateway, before any agent ran
    if run.answered_by is None:
        text = f"failed: {run.error_code or 'error'}"
    elif run.fell_back:
        text = f"{run.answered_by} instead of {run.primary}"
    else:
        text = run.answered_by
    # Faults were injected (run --simulate): not a real failure, and in no success rate.
    return f"rehearsal: {text}" if run.simulated else text


def list_runs(args: argparse.Namespace) -> int:
    if args.limit < 0:
        raise UsageError("--limit must be 0 or more.")
    store = _store()
    runs = store.query(
        agent=args.agent,
        model=args.model,
        failed=args.failed,
        limit=args.limit,
        fell_back=args.fell_back,
        origin=args.origin,
    )
    if wants_json(args):
        print_json({"path": str(store.path), "runs": [r.to_json() for r in runs]})
        return 0
    if not runs:
        filtered = args.agent or args.model or args.failed or args.fell_back or args.origin
        print("No recorded runs" + (" match." if filtered else " yet."))
        return 0
    print(
        table(
            ("ID", "TIME", "AGENT", "ANSWERED BY", "SOURCE", "FROM", "ATTEMPTS", "LATENCY", "COST"),
            (
                (
                    r.id,
                    _when(r),
                    r.agent or None,  # a refused request that named no agent
                    _answer(r),
                    r.source,
                    _from(r),
                    len(r.attempts),
                    f"{r.latency_ms} ms",
                    money_text(r.cost_usd),
                )
                for r in runs
            ),
        )
    )
    return 0


def show_run(args: argparse.Namespace) -> int:
    run = _store().get(args.run)
    if run is None:
        raise UsageError(f"There is no recorded run {args.run}.")
    if wants_json(args):
        print_json(run.to_json())
        return 0
    lines = [
        f"Run {run.id} at {_when(run)} ({run.origin})",
        f"Agent: {run.agent or '-'}" + (f", task {run.task}" if run.task else ""),
        f"Models: {', '.join(run.models)} (from {run.source or '-'})",
        f"Answered by: {_answer(run)}",
        f"Latency: {run.latency_ms} ms",
    ]
    if run.origin == "serve":
        lines.append(f"Client: {run.client or '(no User-Agent)'}")
    if run.input_tokens is not None or run.output_tokens is not None:
        lines.append(f"Tokens: {run.input_tokens or 0} in, {run.output_tokens or 0} out")
    if run.cost_usd is not None:
        lines.append(f"Cost: {money_text(run.cost_usd)}")
    if run.error_message:
        lines.append(f"Error: {run.error_message}")
    if run.config_path:
        lines.append(f"Config: {run.config_path}")
    print(clean_text("\n".join(lines)))
    print()
    print(
        table(
            ("#", "MODEL", "OUTCOME", "STATUS", "ERROR CLASS", "ELAPSED", "COST", "ERROR"),
            (
                (i, a.model, a.outcome, a.status, a.error_class, f"{a.elapsed_ms} ms", money_text(a.cost_usd), a.error)
                for i, a in enumerate(run.attempts, start=1)
            ),
        )
    )
    return 0


def stats(args: argparse.Namespace) -> int:
    found = _store().model_stats(args.models or None)
    rows = [s.to_json() for s in found.values()]
    if wants_json(args):
        print_json({"models": rows})
        return 0
    if not rows:
        print("No recorded attempts yet.")
        return 0

    def rate(value: Any) -> str:
        return "-" if value is None else f"{value * 100:.0f}%"

    print(
        table(
            ("MODEL", "ATTEMPTS", "ANSWERED", "FAILED", "SUCCESS", "MEDIAN LATENCY"),
            (
                (
                    r["model"],
                    r["attempts"],
                    r["answered"],
                    r["failed"],
                    rate(r["success_rate"]),
                    None if r["median_latency_ms"] is None else f"{r['median_latency_ms']} ms",
                )
                for r in rows
            ),
        )
    )
    return 0


def spend(args: argparse.Namespace) -> int:
    found = _store().spend(agent=args.agent)
    if wants_json(args):
        print_json(found.to_json())
        return 0
    if not found.agents:
        print("No recorded runs" + (" for that agent." if args.agent else " yet."))
        return 0
    print(
        table(
            ("AGENT", "RUNS", "ANSWERED", "SUBSTITUTE ANSWERS", "SPEND"),
            ((a.agent, a.runs, a.answered, a.substitute_answers, money_text(a.cost_usd)) for a in found.agents),
        )
    )
    print()
    print(
        table(
            ("MODEL", "ATTEMPTS", "ANSWERS", "AS SUBSTITUTE", "SPEND"),
            ((m.model, m.attempts, m.answers, m.substitute_answers, money_text(m.cost_usd)) for m in found.models),
        )
    )
    print("\nSpend is the tokens each provider reported times the registry's prices; '-' means not known.")
    return 0


def settings(args: argparse.Namespace) -> int:
    store = _store()
    if args.keep is None and args.record_prompts is None:
        current = store.settings()
    else:
        record = None if args.record_prompts is None else args.record_prompts == "on"
        current = store.set_settings(keep_runs=args.keep, record_prompts=record)
    if wants_json(args):
        print_json({"path": str(store.path), "keep_runs": current.keep_runs, "record_prompts": current.record_prompts})
    else:
        print(f"History: {store.path}")
        prompts = "recorded" if current.record_prompts else "not recorded"
        print(f"Keeps the newest {current.keep_runs:,} runs; prompts are {prompts}.")
    return 0


def clear(args: argparse.Namespace) -> int:
    removed = _store().clear()
    if wants_json(args):
        print_json({"removed": removed})
    else:
        print(f"Removed {removed} recorded run(s).")
    return 0
