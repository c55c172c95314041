"""The registry from the command line: `providers add|remove|set|enable|disable|set-key`,
`models add|remove|set|enable|disable`.

Keys: `providers set-key` reads the key from standard input (when it is not a terminal) or
from a hidden prompt, stores it in the OS keyring and points the provider at that entry.
The key is never echoed, printed, or written to the config file.
"""

from __future__ import annotations

import argparse
import getpass
import logging
import sys
from collections.abc import Sequence
from typing import Any

from modeldesk.core.checks import model_values
from modeldesk.core.edits import AddItem, Batch, Collection, RemoveItem, UpdateItem
from modeldesk.core.errors import EditError, ModelDeskError
from modeldesk.core.item_edits import RemoveProvider
from modeldesk.core.key_value import UnusableKey, clean_key
from modeldesk.core.schema import Model, Provider, model_list
from modeldesk.core.urls import plain_http_key_warning

from .common import (
    Session,
    SubParsers,
    UsageError,
    add_command,
    add_dry_run_flag,
    clean_text,
    emit_warnings,
    print_json,
    read_stdin_text,
    validated,
    wants_json,
)

PROVIDER_KINDS = ("openai", "anthropic", "simulated")


class KeyringError(ModelDeskError):
    code = "keyring_error"


# --- providers ----------------------------------------------------------------------


def register_provider_commands(group: SubParsers) -> None:
    p = add_command(
        group,
        "add",
        "Add a provider (an OpenAI-compatible server, the Anthropic API, or the offline simulated kind).",
        add_provider,
        epilog="Examples:\n"
        "  modeldesk providers add openai --kind openai --base-url https://api.openai.com/v1 --key-env OPENAI_API_KEY\n"
        "  modeldesk providers add local --kind openai --base-url http://127.0.0.1:11434/v1\n"
        "  modeldesk providers add anthropic --kind anthropic --base-url https://api.anthropic.com\n"
        "    then: modeldesk providers set-key anthropic\n"
        "  modeldesk providers add demo --kind simulated       (answers in-process; no URL, no key)",
    )
    p.add_argument("provider", metavar="ID")
    p.add_argument("--kind", required=True, choices=PROVIDER_KINDS, help="the API it speaks")
    p.add_argument("--base-url", metavar="URL", help="for openai: up to and including /v1 (not for simulated)")
    _key_options(p)
    p.add_argument("--label", help="a name for people")
    p.add_argument("--disabled", action="store_true", help="add it switched off")

    p = add_command(group, "set", "Change a provider's kind, URL, key reference or label.", set_provider)
    p.add_argument("provider", metavar="ID")
    p.add_argument("--kind", choices=PROVIDER_KINDS)
    p.add_argument("--base-url", metavar="URL")
    _key_options(p)
    p.add_argument("--no-key", action="store_true", help="the provider needs no key")
    p.add_argument("--label")

    p = add_command(
        group,
        "remove",
        "Remove a provider. Refused while models use it, unless --with-models removes them too.",
        remove_provider,
    )
    p.add_argument("provider", metavar="ID")
    p.add_argument("--with-models", action="store_true", help="also remove the models it serves")
    add_dry_run_flag(p)

    for name, enabled in (("enable", True), ("disable", False)):
        verb = "Switch a provider on" if enabled else "Switch a provider off (its models are skipped)"
        p = add_command(group, name, verb + ".", _toggle("providers", enabled))
        p.add_argument("ids", nargs="+", metavar="ID")

    p = add_command(
        group,
        "set-key",
        "Store a provider's API key in the OS keyring (read from stdin or a hidden prompt; never echoed).",
        set_key,
        epilog="Examples:\n"
        "  modeldesk providers set-key openai            (asks, without echo)\n"
        '  printf %s "$KEY" | modeldesk providers set-key openai\n\n'
        'The config keeps only the entry\'s name: api_key = {"keyring": ENTRY}.',
    )
    p.add_argument("provider", metavar="ID")
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
    provider = session.config.provider(provider_id)
    if provider is None:
        known = ", ".join(p.id for p in session.config.providers) or "none"
        if provider_id in session.resolver.providers:
            raise EditError(f"Provider '{provider_id}' comes from the organization policy and cannot be changed here.")
        raise EditError(f"There is no provider '{provider_id}' in the config (known: {known}).")
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
    warnings = _still_named(session, models) if models else []
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

    for name, enabled in (("enable", True), ("disable", False)):
        verb = "Switch models on" if enabled else "Switch models off (runs skip them)"
        p = add_command(group, name, verb + ".", _toggle("models", enabled))
        p.add_argument("ids", nargs="+", metavar="ID")


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
    model = session.config.model(model_id)
    if model is None:
        if model_id in session.resolver.models:
            raise EditError(f"Model '{model_id}' comes from the organization policy and cannot be changed here.")
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
    warnings = _still_named(session, ids)
    if not args.dry_run:
        session.apply(Batch(tuple(RemoveItem("models", m) for m in ids), label="Remove models"))
    if wants_json(args):
        print_json({"removed": ids, "dry_run": bool(args.dry_run), "warnings": warnings})
        return 0
    emit_warnings(warnings)
    verb = "Would remove" if args.dry_run else "Removed"
    print(f"{verb} model(s): {', '.join(ids)}." + (" Nothing was written (dry run)." if args.dry_run else ""))
    return 0


def _still_named(session: Session, model_ids: Sequence[str]) -> list[str]:
    """Places that still list the removed models: left as written, skipped by runs."""
    wanted = set(model_ids)
    return [
        f"{place} still lists '{m}' (runs skip it as an unknown model)"
        for place, value in model_values(session.config)
        for m in dict.fromkeys(x.strip() for x in model_list(value))
        if m in wanted
    ]


def _model_report(args: argparse.Namespace, model: Model, summary: str, warnings: list[str]) -> int:
    if wants_json(args):
        print_json({"model": model.model_dump(mode="json", exclude_none=True), "warnings": warnings})
    else:
        emit_warnings(warnings)
        print(clean_text(summary))
    return 0


# --- shared -------------------------------------------------------------------------


def _toggle(collection: Collection, enabled: bool) -> Any:
    def handler(args: argparse.Namespace) -> int:
        session = Session(args)
        ids = list(dict.fromkeys(args.ids))
        for item_id in ids:
            if collection == "providers":
                _find_provider(session, item_id)
            else:
                _find_model(session, item_id)
        edits = tuple(UpdateItem(collection, i, {"enabled": enabled}) for i in ids)
        session.apply(Batch(edits, label=f"{'Enable' if enabled else 'Disable'} {collection}"))
        if wants_json(args):
            print_json({"ids": ids, "enabled": enabled})
        else:
            print(f"{'Enabled' if enabled else 'Disabled'} {collection[:-1]}(s): {', '.join(ids)}.")
        return 0

    return handler
