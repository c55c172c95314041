"""`modeldesk models`: the model registry, and replacing one model in agents' lists."""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path
from typing import Any

from modeldesk.core.bulk import ReplaceModel, Scope, SquadScope, UsingModelScope
from modeldesk.core.checks import model_values
from modeldesk.core.history import HistoryError, HistoryStore, ModelStats
from modeldesk.core.schema import model_list

from .common import (
    Session,
    SubParsers,
    UsageError,
    add_command,
    add_dry_run_flag,
    add_group,
    print_listing,
    table,
)
from .squads import run_bulk

_AGENT_LIST = re.compile(r"agents\[\d+\]\.model")


def register(subparsers: SubParsers) -> None:
    group = add_group(subparsers, "models", "List the model registry and replace a model in agents' lists.")
    add_command(
        group,
        "list",
        "Every known model (the config's and the organization policy's) and whether it can be used.",
        list_models,
    )

    p = add_command(
        group,
        "replace",
        "Put NEW where OLD is in agents' preferred lists: every agent using OLD, or one squad.",
        replace,
        epilog="Example: modeldesk models replace gpt-4o gpt-4.1 --dry-run",
    )
    p.add_argument("old", metavar="OLD")
    p.add_argument("new", metavar="NEW")
    p.add_argument("--squad", metavar="S", help="only the agents of this squad")
    add_dry_run_flag(p)

    from .model_info import register_info

    register_info(group)
    from .registry import register_model_commands

    register_model_commands(group)


def list_models(args: argparse.Namespace) -> int:
    session = Session(args)
    resolver = session.resolver
    own = {m.id for m in session.config.models}
    used = Counter(m.strip() for a in session.config.agents for m in model_list(a.model))
    rows: list[dict[str, Any]] = [
        {
            "id": model.id,
            "provider": model.provider,
            "name": model.name,
            "label": model.label,
            "enabled": model.enabled,
            "origin": "config" if model.id in own else "policy",
            "problem": resolver.model_problem(model.id),
            "agents": used.get(model.id, 0),
        }
        for model in resolver.models.values()
    ]
    rows.sort(key=lambda r: (r["provider"], r["id"]))
    stats = _history_stats([r["id"] for r in rows], session.store.path)
    for row in rows:
        found = stats.get(row["id"])
        row["success_rate"] = None if found is None else found.success_rate
        row["median_latency_ms"] = None if found is None else found.median_latency_ms
    return print_listing(
        args,
        "models",
        rows,
        "No models yet: add providers and models in the app (Settings → Models) or the config file.",
        lambda: table(
            ("ID", "PROVIDER", "NAME", "FROM", "AGENTS", "STATUS", "SUCCESS", "MEDIAN"),
            (
                (
                    r["id"],
                    r["provider"],
                    r["name"],
                    r["origin"],
                    r["agents"],
                    r["problem"] or "ok",
                    None if r["success_rate"] is None else f"{r['success_rate'] * 100:.0f}%",
                    None if r["median_latency_ms"] is None else f"{r['median_latency_ms']} ms",
                )
                for r in rows
            ),
        ),
    )


def _history_stats(model_ids: list[str], config: Path) -> dict[str, ModelStats]:
    """Success rate and median latency from this config file's runs in the history;
    nothing when it cannot be read (listing the registry never fails on the history)."""
    try:
        return HistoryStore().model_stats(model_ids, config=config)
    except HistoryError:
        return {}


def replace(args: argparse.Namespace) -> int:
    old, new = args.old.strip(), args.new.strip()
    if not old or not new:
        raise UsageError("OLD and NEW must be model ids.")
    if old == new:
        raise UsageError("OLD and NEW are the same model.")
    session = Session(args)
    scope: Scope = SquadScope(args.squad) if args.squad else UsingModelScope(old)
    warnings = session.model_warnings([new])
    # Only agents' preferred lists change; name every other place that still lists OLD
    # (defaults, task models) so nothing is missed.
    for place, value in model_values(session.config):
        if not _AGENT_LIST.fullmatch(place) and old in (m.strip() for m in model_list(value)):
            warnings.append(f"{place} still lists '{old}' (not changed here)")
    return run_bulk(args, session, scope, ReplaceModel(old, new), warnings)
