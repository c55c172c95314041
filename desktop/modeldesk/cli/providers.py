"""`modeldesk providers`: add, change, enable and remove providers, store a key in the OS
keyring (`set-key`: read from a hidden prompt or standard input), check that providers
answer, and list (or import) the models they serve."""

from __future__ import annotations

import argparse
import asyncio
import fnmatch
import getpass
import logging
import sys
from typing import Any

from modeldesk.core.edits import AddItem, Batch, UpdateItem
from modeldesk.core.errors import ModelDeskError
from modeldesk.core.item_edits import RemoveProvider
from modeldesk.core.key_value import UnusableKey, clean_key
from modeldesk.core.model_import import plan_import
from modeldesk.core.schema import Model, Provider, dump_config
from modeldesk.core.text import clean_text
from modeldesk.core.urls import plain_http_key_warning
from modeldesk.runtime.errors import ProviderError
from modeldesk.runtime.provider_probe import DEFAULT_TIMEOUT_S, check_providers, list_models
from modeldesk.runtime.providers import RemoteModel

from . import items
from .arguments import (
    SubParsers,
    UsageError,
    add_dry_run_flag,
    add_group,
    add_json_flag,
    add_parser,
    add_timeout_option,
    read_stdin_text,
)
from .config_file import Session, add_enable_commands, validated
from .output import command, emit_warnings, print_json, table, wants_json


class UnknownProviderError(ModelDeskError):
    code = "unknown_provider"


def register(subparsers: SubParsers) -> None:
    group = add_group(subparsers, "providers", "Check providers and list the models they serve.")
    check = add_parser(
        group, "check", "Ask each provider for its model list and show whether it answered, and how fast."
    )
    check.add_argument("provider", nargs="?", metavar="ID", help="only this provider (default: every enabled one)")
    add_timeout_option(check, DEFAULT_TIMEOUT_S, "each provider")
    add_json_flag(check)
    check.set_defaults(handler=run_check)
    models = add_parser(group, "models", "List the models a provider serves, marking those already in the config.")
    models.add_argument("provider", metavar="ID", help="the provider to ask")
    add_timeout_option(models, DEFAULT_TIMEOUT_S, "each provider")
    add_json_flag(models)
    models.add_argument(
        "--import", dest="import_models", action="store_true", help="add the served models missing from the config"
    )
    models.add_argument("--match", metavar="GLOB", help="with --import: only names matching GLOB (gpt-4o*)")
    models.add_argument("--dry-run", action="store_true", help="with --import: show what would be added")
    models.set_defaults(handler=run_models)
    register_provider_commands(group)
    from .detect import register_detect

    register_detect(group)


def _provider(session: Session, provider_id: str) -> Provider:
    provider = session.resolver.providers.get(provider_id)
    if provider is None:
        raise items.no_such("provider", provider_id, sorted(session.resolver.providers), UnknownProviderError)
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


# --- adding and changing providers ---


PROVIDER_KINDS = ("openai", "anthropic", "simulated")


class KeyringError(ModelDeskError):
    code = "keyring_error"


# --- providers ----------------------------------------------------------------------


def register_provider_commands(group: SubParsers) -> None:
    p = items.command(
        group,
        "add",
        "Add a provider (an OpenAI-compatible server, the Anthropic API, or the offline simulated kind).",
        add_provider,
        "provider",
        epilog="Examples:\n"
        "  modeldesk providers add openai --kind openai --base-url https://api.openai.com/v1 --key-env OPENAI_API_KEY\n"
        "  modeldesk providers add local --kind openai --base-url http://127.0.0.1:11434/v1\n"
        "  modeldesk providers add anthropic --kind anthropic --base-url https://api.anthropic.com\n"
        "    then: modeldesk providers set-key anthropic\n"
        "  modeldesk providers add demo --kind simulated       (answers in-process; no URL, no key)",
    )
    p.add_argument("--kind", required=True, choices=PROVIDER_KINDS, help="the API it speaks")
    p.add_argument("--base-url", metavar="URL", help="for openai: up to and including /v1 (not for simulated)")
    _key_options(p)
    p.add_argument("--label", help="a name for people")
    p.add_argument("--disabled", action="store_true", help="add it switched off")

    p = items.command(group, "set", "Change a provider's kind, URL, key reference or label.", set_provider, "provider")
    p.add_argument("--kind", choices=PROVIDER_KINDS)
    p.add_argument("--base-url", metavar="URL")
    _key_options(p)
    p.add_argument("--no-key", action="store_true", help="the provider needs no key")
    p.add_argument("--label")

    p = items.command(
        group,
        "remove",
        "Remove a provider. Refused while models use it, unless --with-models removes them too.",
        remove_provider,
        "provider",
    )
    p.add_argument("--with-models", action="store_true", help="also remove the models it serves")
    add_dry_run_flag(p)

    add_enable_commands(
        group,
        "providers",
        _find_provider,
        on="Switch a provider on",
        off="Switch a provider off (its models are skipped)",
    )

    p = items.command(
        group,
        "set-key",
        "Store a provider's API key in the OS keyring (read from stdin or a hidden prompt; never echoed).",
        set_key,
        "provider",
        epilog="Examples:\n"
        "  modeldesk providers set-key openai            (asks, without echo)\n"
        '  printf %s "$KEY" | modeldesk providers set-key openai\n\n'
        'The config keeps only the entry\'s name: api_key = {"keyring": ENTRY}.',
    )
    p.add_argument("--entry", metavar="NAME", help="the keyring entry name (default: the provider's, else its id)")


def _key_options(parser: argparse.ArgumentParser) -> None:
    key = parser.add_mutually_exclusive_group()
    key.add_argument("--key-env", metavar="VAR", help="the key is in this environment variable")
    key.add_argument("--key-keyring", metavar="ENTRY", help="the key is in this OS keyring entry (service 'modeldesk')")


def _key_ref(args: argparse.Namespace) -> dict[str, str] | None:
    if args.key_env:
        return {"env": args.key_env}
    if args.key_keyring:
        return {"keyring": args.key_keyring}
    return None


def _find_provider(session: Session, provider_id: str) -> Provider:
    provider: Provider | None = items.own_item(session, "providers", provider_id)
    if provider is None:
        raise items.no_such("provider in the config", provider_id, (p.id for p in session.config.providers))
    return provider


def _provider_json(provider: Provider) -> dict[str, Any]:
    return provider.model_dump(mode="json", exclude_none=True)


def add_provider(args: argparse.Namespace) -> int:
    session = Session(args, create=True)
    if args.base_url is None and args.kind != "simulated":
        raise UsageError(f"A provider of kind {args.kind} needs --base-url URL.")
    fields: dict[str, Any] = {"id": args.provider, "kind": args.kind}
    if args.base_url is not None:
        fields["base_url"] = args.base_url
    ref = _key_ref(args)
    if ref is not None:
        fields["api_key"] = ref
    if args.label:
        fields["label"] = args.label
    if args.disabled:
        fields["enabled"] = False
    provider = validated(Provider, fields, "Cannot add this provider")
    session.apply(AddItem("providers", provider))
    return _provider_report(args, provider, f"Added provider {provider.id}.", _transport_warning(provider))


def set_provider(args: argparse.Namespace) -> int:
    session = Session(args)
    provider = _find_provider(session, args.provider)
    changes: dict[str, Any] = {}
    if args.kind:
        changes["kind"] = args.kind
    if args.base_url:
        changes["base_url"] = args.base_url
    ref = _key_ref(args)
    if ref is not None and args.no_key:
        raise UsageError("Give a key reference or --no-key, not both.")
    if ref is not None:
        changes["api_key"] = ref
    if args.no_key:
        changes["api_key"] = None
    if args.label is not None:
        changes["label"] = args.label or None
    if not changes:
        raise UsageError("Nothing to change: give --kind, --base-url, --key-env, --key-keyring, --no-key or --label.")
    validated(Provider, provider.model_dump(exclude_unset=True) | changes, "Cannot change this provider")
    session.apply(UpdateItem("providers", provider.id, changes))
    updated = session.config.provider(provider.id)
    assert updated is not None
    return _provider_report(args, updated, f"Changed provider {provider.id}.", _transport_warning(updated))


def remove_provider(args: argparse.Namespace) -> int:
    session = Session(args)
    provider = _find_provider(session, args.provider)
    models = [m.id for m in session.config.models if m.provider == provider.id]
    edit = RemoveProvider(provider.id, with_models=args.with_models)
    # Checked on a copy, so a dry run refuses exactly what the apply would refuse.
    from modeldesk.core.edits import apply_edit

    apply_edit(session.config.model_copy(deep=True), edit)
    warnings = session.still_named(models) if models else []
    if not args.dry_run:
        session.apply(edit)
    if wants_json(args):
        print_json(
            {"removed": provider.id, "removed_models": models, "dry_run": bool(args.dry_run), "warnings": warnings}
        )
        return 0
    emit_warnings(warnings)
    verb = "Would remove" if args.dry_run else "Removed"
    print(f"{verb} provider {provider.id}" + (f" and its models: {', '.join(models)}." if models else "."))
    if args.dry_run:
        print("Nothing was written (dry run).")
    return 0


def set_key(args: argparse.Namespace) -> int:
    import keyring

    from modeldesk.runtime.keyring_errors import keyring_error_text
    from modeldesk.runtime.secrets import KEYRING_SERVICE

    session = Session(args)
    provider = _find_provider(session, args.provider)
    current = provider.api_key
    entry = args.entry or (current.keyring if current is not None and current.keyring else provider.id)
    key = _read_key(provider.id)
    try:
        keyring.set_password(KEYRING_SERVICE, entry, key)
    except Exception as exc:  # noqa: BLE001 - the library and each backend (D-Bus, KWallet...) raise their own
        # The library's own text goes to the log file only; the person reads what it means.
        logging.getLogger("modeldesk.cli").warning("keyring refused to store a key: %s: %s", type(exc).__name__, exc)
        raise KeyringError(
            f"Cannot store the key for {provider.id} in the OS keyring. {keyring_error_text(exc)} "
            f"For an environment variable: modeldesk providers set {provider.id} --key-env VAR"
        ) from None
    changed = current is None or current.keyring != entry
    if changed:
        session.apply(UpdateItem("providers", provider.id, {"api_key": {"keyring": entry}}))
    if wants_json(args):
        print_json(
            {"provider": provider.id, "keyring_entry": entry, "service": KEYRING_SERVICE, "config_changed": changed}
        )
    else:
        note = f" The provider now reads it from there (was: {_ref_text(current)})." if changed else ""
        print(f"Stored the key for {provider.id} in the OS keyring (entry '{entry}').{note}")
    return 0


def _ref_text(ref: Any) -> str:
    if ref is None:
        return "no key"
    return f"environment variable {ref.env}" if ref.env else f"keyring entry '{ref.keyring}'"


def _read_key(provider_id: str) -> str:
    """The key from stdin (piped) or a prompt that does not echo; surrounding whitespace
    (the newline of `echo`, a CRLF) removed, and a control or non-ASCII character refused
    without echoing the key (:func:`clean_key`)."""
    if sys.stdin is not None and not sys.stdin.isatty():
        key = read_stdin_text()
    else:
        try:
            key = getpass.getpass(f"API key for {provider_id} (not shown): ")
        except EOFError:
            key = ""
    try:
        key = clean_key(key, "what was given")
    except UnusableKey as exc:
        raise UsageError(f"Nothing was stored: {exc}.") from None
    if not key:
        raise UsageError("No key was given; nothing was stored.")
    if " " in key:
        raise UsageError("The key holds spaces; nothing was stored.")
    return key


def _transport_warning(provider: Provider) -> list[str]:
    """The warning `config validate` gives for a key sent over plain http to another host."""
    text = plain_http_key_warning(provider.id, provider.base_url, provider.api_key is not None)
    return [] if text is None else [text]


def _provider_report(args: argparse.Namespace, provider: Provider, summary: str, warnings: list[str]) -> int:
    if wants_json(args):
        print_json({"provider": _provider_json(provider), "warnings": warnings})
    else:
        emit_warnings(warnings)
        print(clean_text(summary))
    return 0


# --- models -------------------------------------------------------------------------
