"""`modeldesk models`: the model registry, and replacing one model in agents' lists."""

from __future__ import annotations

import argparse
from collections import Counter

from modeldesk.core.bulk import ReplaceModel, Scope, SquadScope, UsingModelScope
from modeldesk.core.schema import model_list

from .common import (
    Session,
    UsageError,
    add_group,
    add_json_flag,
    add_parser,
    command,
    print_json,
    table,
    wants_json,
)
from .squads import run_bulk


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    group = add_group(subparsers, "models", "List the model registry and replace a model in agents' lists.")

    p = add_parser(group, "list", "Every known model (the config's and the organization policy's) and whether it can be used.")
    add_json_flag(p)
    p.set_defaults(handler=list_models)

    p = add_parser(
        group, "replace",
        "Put NEW where OLD is in agents' preferred lists: every agent using OLD, or one squad.",
        epilog="Example: modeldesk models replace gpt-4o gpt-4.1 --dry-run",
    )
    p.add_argument("old", metavar="OLD")
    p.add_argument("new", metavar="NEW")
    p.add_argument("--squad", metavar="S", help="only the agents of this squad")
    p.add_argument("--dry-run", action="store_true", help="show what would change, write nothing")
    add_json_flag(p)
    p.set_defaults(handler=replace)


@command
def list_models(args: argparse.Namespace) -> int:
    session = Session(args)
    resolver = session.resolver
    own = {m.id for m in session.config.models}
    used = Counter(m.strip() for a in session.config.agents for m in model_list(a.model))
    rows = [
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
    if wants_json(args):
        print_json({"models": rows})
        return 0
    if not rows:
        print("No models yet: add providers and models in the app (Settings → Models) or the config file.")
        return 0
    print(table(
        ("ID", "PROVIDER", "NAME", "FROM", "AGENTS", "STATUS"),
        ((r["id"], r["provider"], r["name"], r["origin"], r["agents"], r["problem"] or "ok") for r in rows),
    ))
    return 0


@command
def replace(args: argparse.Namespace) -> int:
    old, new = args.old.strip(), args.new.strip()
    if not old or not new:
        raise UsageError("OLD and NEW must be model ids.")
    if old == new:
        raise UsageError("OLD and NEW are the same model.")
    session = Session(args)
    scope: Scope = SquadScope(args.squad) if args.squad else UsingModelScope(old)
    warnings = session.model_warnings([new])
    # Only agents' lists change; say where else OLD is still named so nothing is missed.
    settings = session.config.settings
    if old in model_list(settings.default_agent_model):
        warnings.append(f"Settings → Default agent model still lists '{old}' (not changed here)")
    for project in session.config.projects:
        if old in model_list(project.default_model):
            warnings.append(f"project '{project.id}' default model still lists '{old}' (not changed here)")
    return run_bulk(args, session, scope, ReplaceModel(old, new), warnings)
