"""`modeldesk providers`: check that providers answer, and list the models they serve."""

from __future__ import annotations

import argparse
import asyncio
import fnmatch

from modeldesk.core.edits import AddItem, Batch
from modeldesk.core.errors import ModelDeskError
from modeldesk.core.model_import import plan_import
from modeldesk.core.schema import Model, Provider, dump_config
from modeldesk.runtime.errors import ProviderError
from modeldesk.runtime.provider_probe import DEFAULT_TIMEOUT_S, check_providers, list_models
from modeldesk.runtime.providers import RemoteModel

from .argparsing import seconds
from .common import (
    Session,
    SubParsers,
    add_group,
    add_json_flag,
    add_parser,
    clean_text,
    command,
    print_json,
    table,
    wants_json,
)


class UnknownProviderError(ModelDeskError):
    code = "unknown_provider"


def register(subparsers: SubParsers) -> None:
    group = add_group(subparsers, "providers", "Check providers and list the models they serve.")
    check = add_parser(
        group, "check", "Ask each provider for its model list and show whether it answered, and how fast."
    )
    check.add_argument("provider", nargs="?", metavar="ID", help="only this provider (default: every enabled one)")
    _add_timeout(check)
    add_json_flag(check)
    check.set_defaults(handler=run_check)
    models = add_parser(group, "models", "List the models a provider serves, marking those already in the config.")
    models.add_argument("provider", metavar="ID", help="the provider to ask")
    _add_timeout(models)
    add_json_flag(models)
    models.add_argument(
        "--import", dest="import_models", action="store_true", help="add the served models missing from the config"
    )
    models.add_argument("--match", metavar="GLOB", help="with --import: only names matching GLOB (gpt-4o*)")
    models.add_argument("--dry-run", action="store_true", help="with --import: show what would be added")
    models.set_defaults(handler=run_models)
    from .registry import register_provider_commands

    register_provider_commands(group)
    from .detect import register_detect

    register_detect(group)


def _add_timeout(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--timeout",
        type=seconds,
        default=DEFAULT_TIMEOUT_S,
        metavar="S",
        help=f"seconds to wait for each provider (default {DEFAULT_TIMEOUT_S:g})",
    )


def _provider(session: Session, provider_id: str) -> Provider:
    provider = session.resolver.providers.get(provider_id)
    if provider is None:
        known = ", ".join(sorted(session.resolver.providers)) or "none"
        raise UnknownProviderError(f"There is no provider '{provider_id}' (known: {known}).")
    return provider


@command
def run_check(args: argparse.Namespace) -> int:
    session = Session(args)
    if args.provider:
        providers = [_provider(session, args.provider)]
    else:
        providers = [p for p in session.resolver.providers.values() if p.enabled]
    results = asyncio.run(check_providers(providers, timeout_s=args.timeout))
    if wants_json(args):
        print_json({"providers": [r.to_json() for r in results]})
    elif not results:
        print("No enabled providers.")
    else:
        print(
            table(
                ("PROVIDER", "KIND", "STATUS", "LATENCY", "MODELS", "ERROR"),
                (
                    (
                        r.provider,
                        r.kind,
                        "ok" if r.ok else "error",
                        f"{r.latency_ms} ms" if r.latency_ms is not None else None,
                        r.model_count,
                        None if r.ok else (f"{r.status} {r.error}" if r.status else r.error),
                    )
                    for r in results
                ),
            )
        )
    return 0 if all(r.ok for r in results) else 1


@command
def run_models(args: argparse.Namespace) -> int:
    if (args.match or args.dry_run) and not args.import_models:
        raise ModelDeskError("--match and --dry-run go with --import.")
    session = Session(args)
    provider = _provider(session, args.provider)
    try:
        remote = asyncio.run(list_models(provider, timeout_s=args.timeout))
    except ProviderError as exc:
        raise ModelDeskError(f"Provider '{provider.id}' did not list its models: {exc.message}") from None
    if args.import_models:
        return _import_models(args, session, provider, remote)
    # Which config models already point at each remote name on this provider.
    configured: dict[str, list[str]] = {}
    for model in session.resolver.models.values():
        if model.provider == provider.id:
            configured.setdefault(model.name, []).append(model.id)
    if wants_json(args):
        print_json(
            {
                "provider": provider.id,
                "models": [
                    {
                        "name": m.id,
                        "label": m.label,
                        "context_window": m.context_window,
                        "configured": configured.get(m.id, []),
                    }
                    for m in remote
                ],
            }
        )
    else:
        print(
            table(
                ("NAME", "LABEL", "CONTEXT", "IN CONFIG AS"),
                ((m.id, m.label, m.context_window, configured.get(m.id) or None) for m in remote),
            )
        )
    return 0


def _import_models(args: argparse.Namespace, session: Session, provider: Provider, remote: list[RemoteModel]) -> int:
    """`providers models ID --import [--match GLOB] [--dry-run]`: the same import as the
    app's Fetch models and `providers detect --add` (ids, catalog facts, reasons)."""
    chosen = [m for m in remote if not args.match or fnmatch.fnmatchcase(m.id, args.match)]
    plan = plan_import(session.config, provider.id, chosen, reserved=session.policy_model_ids())
    if plan.models and not args.dry_run:
        label = f"Import models of {provider.id}"
        session.apply(Batch(tuple(AddItem("models", m) for m in plan.models), label=label))
    skipped = [{"name": name, "reason": "already in the config"} for name in plan.already]
    skipped += [{"name": s.name, "reason": s.reason} for s in plan.skipped]
    if wants_json(args):
        added = [dump_config(m) for m in plan.models]
        print_json({"provider": provider.id, "dry_run": bool(args.dry_run), "added": added, "skipped": skipped})
        return 0
    if plan.models:
        print(
            table(
                ("ID", "NAME", "CONTEXT", "TOOLS", "VISION", "PRICE IN/OUT $/M"),
                (
                    (
                        m.id,
                        m.name,
                        m.context_window,
                        _known(m.capabilities.tools),
                        _known(m.capabilities.vision),
                        _price(m),
                    )
                    for m in plan.models
                ),
            )
        )
    for item in skipped:
        print(clean_text(f"skipped {item['name']}: {item['reason']}", keep_newlines=False))
    verb = "would be added" if args.dry_run else "added"
    count = len(plan.models)
    print(
        f"{count} model{'' if count == 1 else 's'} {verb}."
        + (" Nothing was written (dry run)." if args.dry_run else "")
    )
    return 0


def _known(value: bool | None) -> str | None:
    return None if value is None else ("yes" if value else "no")


def _price(model: Model) -> str | None:
    price = model.price
    if price.input is None and price.output is None:
        return None
    return f"{_number(price.input)} / {_number(price.output)}"


def _number(value: float | None) -> str:
    return "?" if value is None else f"{value:g}"
