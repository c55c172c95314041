"""`modeldesk models`: list, add, change, enable and remove the model registry's entries, and
replace one model in agents' lists."""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path
from typing import Any

from modeldesk.core.bulk import ReplaceModel, Scope, SquadScope, UsingModelScope
from modeldesk.core.checks import model_values
from modeldesk.core.edits import AddItem, Batch, RemoveItem, UpdateItem
from modeldesk.core.errors import EditError
from modeldesk.core.history import HistoryError, HistoryStore, ModelStats
from modeldesk.core.schema import Model, model_list
from modeldesk.core.text import clean_text

from . import items
from .arguments import SubParsers, UsageError, add_command, add_dry_run_flag, add_group
from .config_file import Session, add_enable_commands, validated
from .output import emit_warnings, print_json, print_listing, table, wants_json
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


# --- adding and changing models ---


def register_model_commands(group: SubParsers) -> None:
    p = add_command(
        group,
        "add",
        "Add a model to the registry.",
        add_model,
        epilog="Example: modeldesk models add gpt-4o --provider openai --name gpt-4o --context-window 128000",
    )
    p.add_argument("model", metavar="ID")
    p.add_argument("--provider", required=True, metavar="P", help="the provider that serves it")
    p.add_argument("--name", metavar="NAME", help="the name the provider knows it by (default: the id)")
    _model_options(p)
    p.add_argument("--disabled", action="store_true", help="add it switched off")

    p = add_command(group, "set", "Change a model's provider, name, label, context window or capabilities.", set_model)
    p.add_argument("model", metavar="ID")
    p.add_argument("--provider", metavar="P")
    p.add_argument("--name", metavar="NAME")
    _model_options(p)

    p = add_command(
        group, "remove", "Remove models from the registry (lists naming them are left as written).", remove_models
    )
    p.add_argument("ids", nargs="+", metavar="ID")
    add_dry_run_flag(p)

    add_enable_commands(group, "models", _find_model, on="Switch models on", off="Switch models off (runs skip them)")


def _model_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--label", help="a name for people ('' clears it)")
    parser.add_argument("--context-window", type=int, metavar="TOKENS", help="its context window (0 clears it)")
    parser.add_argument("--tools", choices=("yes", "no", "unknown"), help="whether it can call tools")
    parser.add_argument("--vision", choices=("yes", "no", "unknown"), help="whether it reads images")


def _tri(value: str) -> bool | None:
    return {"yes": True, "no": False}.get(value)


def _model_changes(args: argparse.Namespace, model: Model | None) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    if getattr(args, "provider", None):
        changes["provider"] = args.provider
    if getattr(args, "name", None):
        changes["name"] = args.name
    if args.label is not None:
        changes["label"] = args.label or None
    if args.context_window is not None:
        changes["context_window"] = args.context_window or None
    if args.tools is not None or args.vision is not None:
        capabilities = model.capabilities.model_dump() if model is not None else {}
        if args.tools is not None:
            capabilities["tools"] = _tri(args.tools)
        if args.vision is not None:
            capabilities["vision"] = _tri(args.vision)
        changes["capabilities"] = {k: v for k, v in capabilities.items() if v is not None}
    return changes


def _find_model(session: Session, model_id: str) -> Model:
    model: Model | None = items.own_item(session, "models", model_id)
    if model is None:
        raise EditError(f"There is no model '{model_id}' in the config.")
    return model


def _provider_warning(session: Session, provider_id: str) -> list[str]:
    if provider_id not in session.resolver.providers:
        return [f"there is no provider '{provider_id}' yet; runs skip the model until it exists"]
    return []


def add_model(args: argparse.Namespace) -> int:
    session = Session(args, create=True)
    fields: dict[str, Any] = {"id": args.model, "provider": args.provider, "name": args.name or args.model}
    fields |= {k: v for k, v in _model_changes(args, None).items() if v is not None and k not in fields}
    if args.disabled:
        fields["enabled"] = False
    model = validated(Model, fields, "Cannot add this model")
    warnings = _provider_warning(session, model.provider)
    session.apply(AddItem("models", model))
    return _model_report(args, model, f"Added model {model.id} ({model.provider}: {model.name}).", warnings)


def set_model(args: argparse.Namespace) -> int:
    session = Session(args)
    model = _find_model(session, args.model)
    changes = _model_changes(args, model)
    if not changes:
        raise UsageError("Nothing to change: give --provider, --name, --label, --context-window, --tools or --vision.")
    validated(Model, model.model_dump(exclude_unset=True) | changes, "Cannot change this model")
    warnings = _provider_warning(session, changes["provider"]) if "provider" in changes else []
    session.apply(UpdateItem("models", model.id, changes))
    updated = session.config.model(model.id)
    assert updated is not None
    return _model_report(args, updated, f"Changed model {model.id}.", warnings)


def remove_models(args: argparse.Namespace) -> int:
    session = Session(args)
    ids = list(dict.fromkeys(args.ids))
    for model_id in ids:
        _find_model(session, model_id)
    warnings = session.still_named(ids)
    if not args.dry_run:
        session.apply(Batch(tuple(RemoveItem("models", m) for m in ids), label="Remove models"))
    if wants_json(args):
        print_json({"removed": ids, "dry_run": bool(args.dry_run), "warnings": warnings})
        return 0
    emit_warnings(warnings)
    verb = "Would remove" if args.dry_run else "Removed"
    print(f"{verb} model(s): {', '.join(ids)}." + (" Nothing was written (dry run)." if args.dry_run else ""))
    return 0


def _model_report(args: argparse.Namespace, model: Model, summary: str, warnings: list[str]) -> int:
    if wants_json(args):
        print_json({"model": model.model_dump(mode="json", exclude_none=True), "warnings": warnings})
    else:
        emit_warnings(warnings)
        print(clean_text(summary))
    return 0
