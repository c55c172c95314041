"""`modeldesk squads`: groups of agents, and setting every member's models at once."""

from __future__ import annotations

import argparse
from typing import Any

from modeldesk.core.bulk import (
    BulkChange,
    Change,
    PlannedChange,
    Scope,
    SetList,
    SquadScope,
    plan_bulk_change,
    plan_edit,
    sentence,
)
from modeldesk.core.edits import AddItem, RemoveItem
from modeldesk.core.errors import EditError
from modeldesk.core.item_edits import ChangeSquadMembers
from modeldesk.core.schema import Squad
from modeldesk.core.text import clean_text

from . import items
from .arguments import (
    SubParsers,
    add_command,
    add_dry_run_flag,
    add_group,
    add_models_argument,
    clean_models,
)
from .config_file import Session, validated
from .output import emit_warnings, models_text, print_json, print_listing, table, wants_json
from .resolution import resolution_json, try_chat


def register(subparsers: SubParsers) -> None:
    group = add_group(subparsers, "squads", "List, add, rename, remove squads, edit members, set a squad's models.")
    add_command(group, "list", "Every squad with its member agents and their effective models.", list_squads)

    p = items.new_command(
        group,
        "squad",
        "Add a squad of existing agents.",
        add_squad,
        epilog="Example: modeldesk squads add research --name Research --agents analyst,writer",
    )
    p.add_argument("--agents", default="", metavar="A,B", help="member agent ids, comma-separated")

    p = items.command(
        group,
        "set-model",
        "Set the preferred models of every agent in a squad (one step); shows each change.",
        set_model,
        "squad",
        metavar="SQUAD",
        epilog="Example: modeldesk squads set-model research claude-sonnet-4 gpt-4o --dry-run",
    )
    add_models_argument(p, required=True)
    add_dry_run_flag(p)

    items.rename_command(
        group,
        "squad",
        "Give a squad a new id and/or a new display name.",
        rename_squad,
        epilog="Examples:\n  modeldesk squads rename research labs\n  modeldesk squads rename research --name 'R&D'",
    )

    p = add_command(group, "remove", "Remove squads (their agents stay).", remove_squads)
    p.add_argument("squads", nargs="+", metavar="ID")
    add_dry_run_flag(p)

    for name, adding in (("add-member", True), ("remove-member", False)):
        p = items.command(
            group,
            name,
            "Add agents to a squad (each once, at the end)." if adding else "Take agents out of a squad.",
            change_members,
            "squad",
            metavar="SQUAD",
            epilog=f"Example: modeldesk squads {name} research analyst writer",
        )
        p.add_argument("agents", nargs="+", metavar="AGENT", help="agent ids (commas also work)")
        p.set_defaults(adding=adding)


def list_squads(args: argparse.Namespace) -> int:
    session = Session(args)
    squads: list[dict[str, Any]] = [
        {
            "id": squad.id,
            "name": squad.name,
            "agents": [{"id": a, **resolution_json(*try_chat(session.resolver, a))} for a in squad.agents],
        }
        for squad in session.config.squads
    ]

    def render() -> str:
        blocks = []
        for squad in squads:
            block = f"{squad['id']}: {squad['name']} ({len(squad['agents'])} agents)"
            if squad["agents"]:
                block += "\n" + table(
                    ("AGENT", "EFFECTIVE", "SOURCE"),
                    (
                        (
                            m["id"],
                            ", ".join(m["models"]) if m["models"] else f"error: {m['error']['code']}",
                            m["source"],
                        )
                        for m in squad["agents"]
                    ),
                )
            blocks.append(block)
        return "\n\n".join(blocks)

    return print_listing(
        args, "squads", squads, "No squads yet. Add one with: modeldesk squads add ID --name NAME --agents A,B", render
    )


def add_squad(args: argparse.Namespace) -> int:
    session = Session(args, create=True)
    members = list(dict.fromkeys(a.strip() for a in args.agents.split(",") if a.strip()))
    missing = [a for a in members if session.config.agent(a) is None]
    if missing:
        raise EditError(f"Cannot add squad '{args.squad}': unknown agent(s): {', '.join(missing)}")
    squad = validated(Squad, {"id": args.squad, "name": args.name, "agents": members}, "Cannot add this squad")
    session.apply(AddItem("squads", squad))
    if wants_json(args):
        print_json({"squad": {"id": squad.id, "name": squad.name, "agents": members}})
    else:
        print(f"Added squad {squad.id} with {len(members)} agent(s).")
    return 0


def _squad_json(squad: Squad) -> dict[str, Any]:
    return {"id": squad.id, "name": squad.name, "agents": list(squad.agents)}


def _find_squad(session: Session, squad_id: str) -> Squad:
    squad = session.config.squad(squad_id)
    if squad is None:
        raise items.no_such("squad", squad_id, (s.id for s in session.config.squads))
    return squad


def rename_squad(args: argparse.Namespace) -> int:
    session, new_id = items.rename(args, "squads", Squad, _find_squad, args.squad)
    squad = _find_squad(session, new_id)
    if wants_json(args):
        print_json({"squad": _squad_json(squad)})
    else:
        print(clean_text(f"Squad {args.squad} is now {squad.id} ({squad.name})."))
    return 0


def remove_squads(args: argparse.Namespace) -> int:
    session = Session(args)
    ids = list(dict.fromkeys(args.squads))
    for squad_id in ids:
        _find_squad(session, squad_id)
    session.apply(*(RemoveItem("squads", s) for s in ids))
    if wants_json(args):
        print_json({"removed": ids, "dry_run": session.dry_run})
    else:
        verb = "Would remove" if session.dry_run else "Removed"
        print(f"{verb} squad(s): {', '.join(ids)}." + (" Nothing was written (dry run)." if session.dry_run else ""))
    return 0


def change_members(args: argparse.Namespace) -> int:
    agents = clean_models(args.agents)
    session = Session(args)
    squad = _find_squad(session, args.squad)
    not_members = [a for a in agents if a not in squad.agents]
    if not args.adding and not_members:
        raise EditError(f"Change members of squad {squad.id}: not a member: {', '.join(not_members)}")
    edit = (
        ChangeSquadMembers(args.squad, add=tuple(agents))
        if args.adding
        else ChangeSquadMembers(args.squad, remove=tuple(agents))
    )
    session.apply(edit)
    squad = _find_squad(session, args.squad)
    if wants_json(args):
        print_json({"squad": _squad_json(squad)})
    else:
        print(f"Squad {squad.id}: {', '.join(squad.agents) or '(no members)'}.")
    return 0


def set_model(args: argparse.Namespace) -> int:
    models = clean_models(args.models)
    session = Session(args)
    return run_bulk(args, session, SquadScope(args.squad), SetList(tuple(models)), session.model_warnings(models))


def run_bulk(args: argparse.Namespace, session: Session, scope: Scope, change: Change, warnings: list[str]) -> int:
    """Preview a bulk change, and apply it unless ``--dry-run`` (shared with `models replace`)."""
    # The app's bulk dialog plans with the same function: a dry run shows what is applied.
    plan = plan_bulk_change(session.config, scope, change, resolver=session.resolver)
    if not args.dry_run:
        # Exactly this plan; refused, changing nothing, if an agent changed meanwhile.
        session.apply(plan_edit(plan, BulkChange(scope, change).label))
    changed = [c for c in plan if c.changed]
    if wants_json(args):
        print_json(
            {
                "scope": scope.describe(),
                "change": change.describe(),
                "dry_run": bool(args.dry_run),
                "changes": [_change_json(c) for c in plan],
                "changed": len(changed),
                "warnings": warnings,
            }
        )
        return 0
    emit_warnings(warnings)
    print(f"{sentence(change.describe())} for {scope.describe()}:")
    if plan:
        print(
            table(
                ("AGENT", "BEFORE", "", "AFTER", "NOTE"),
                ((c.agent_id, models_text(c.before), "->", models_text(c.after), c.note) for c in plan),
            )
        )
    else:
        print("  (no agents in scope)")
    verb = "would change" if args.dry_run else "changed"
    print(f"{len(changed)} agent(s) {verb}." + (" Nothing was written (dry run)." if args.dry_run else ""))
    return 0


def _change_json(change: PlannedChange) -> dict[str, Any]:
    return {
        "agent": change.agent_id,
        "before": list(change.before),
        "after": list(change.after),
        "changed": change.changed,
        "note": change.note,
    }
