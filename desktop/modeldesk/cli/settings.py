"""`modeldesk settings`: the default agent model, task models and fallback defaults."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from modeldesk.core.edits import Edit, SetSetting, SetTaskModel
from modeldesk.core.redaction import url_without_password
from modeldesk.core.schema import WILDCARD, as_model_value, model_list

from . import items
from .arguments import (
    SubParsers,
    UsageError,
    add_command,
    add_fallback_option_arguments,
    add_group,
    add_models_argument,
    clean_models,
    fallback_value,
    setting_text,
)
from .config_file import Session
from .output import emit_warnings, models_text, print_json, table, wants_json


def register(subparsers: SubParsers) -> None:
    group = add_group(
        subparsers, "settings", "Show and change Settings → Models: default agent model, task models, fallback."
    )
    add_command(group, "show", "Show the default agent model, task models and fallback defaults.", show)

    p = add_command(
        group,
        "set-default-model",
        "Set the default agent model (primary first): used by every agent without a model of its own.",
        set_default_model,
        epilog="Example: modeldesk settings set-default-model claude-sonnet-4 gpt-4o",
    )
    add_models_argument(p, required=False)
    p.add_argument("--clear", action="store_true", help="remove the default agent model")

    p = add_command(
        group,
        "set-task-model",
        "Set the models a background task runs on, for one chat model or any ('*'); --clear removes it.",
        set_task_model,
        epilog="Examples:\n"
        "  modeldesk settings set-task-model title gpt-4o-mini\n"
        "  modeldesk settings set-task-model title claude-haiku-4 --chat claude-opus-4\n"
        "  modeldesk settings set-task-model title --clear",
    )
    items.task_arguments(p)
    p.add_argument(
        "--chat",
        default=WILDCARD,
        metavar="C",
        help="only when the chat runs on model C (default: '*', any chat model)",
    )
    p.add_argument("--clear", action="store_true", help="remove this entry")

    p = add_command(
        group,
        "set-fallback",
        "Set a fallback default (retries, timeouts, cooldown...); agents may override it.",
        set_fallback,
    )
    add_fallback_option_arguments(
        p,
        "the new value (a number, or one of the option's words)",
        epilog="Examples:\n"
        "  modeldesk settings set-fallback retries 3\n"
        "  modeldesk settings set-fallback enabled false",
    )
    p.add_argument("--reset", action="store_true", help="go back to the built-in default")

    p = add_command(
        group,
        "set-alias",
        "Serve an agent under another model name or glob (`modeldesk serve`); --clear removes it.",
        set_alias,
        epilog="Examples:\n"
        "  modeldesk settings set-alias 'claude-*haiku*' quick\n"
        "  modeldesk settings set-alias 'gpt-*' coder\n"
        "  modeldesk settings set-alias 'gpt-*' --clear\n\n"
        "A request's model is an agent id first; else the aliases are tried in the order they were added.",
    )
    p.add_argument("pattern", metavar="PATTERN", help="a model name, or a glob with * ? [...]")
    p.add_argument("agent", metavar="AGENT", nargs="?", help="the agent that answers it")
    p.add_argument("--clear", action="store_true", help="remove this alias")


def _settings_json(session: Session) -> dict[str, Any]:
    settings = session.config.settings
    return {
        "default_agent_model": model_list(settings.default_agent_model),
        "task_models": {
            task: {key: model_list(v) for key, v in entries.items()} for task, entries in settings.task_models.items()
        },
        "fallback": _fallback_json(settings.fallback.model_dump()),
        "serve": {"aliases": dict(settings.serve.aliases)},
    }


def _fallback_json(fallback: dict[str, Any]) -> dict[str, Any]:
    """The fallback settings as shown: a Redis URL's password is never printed."""
    state = fallback.get("state")
    if isinstance(state, dict) and state.get("redis"):
        fallback["state"] = state | {"redis": url_without_password(str(state["redis"]))}
    return fallback


def show(args: argparse.Namespace) -> int:
    session = Session(args)
    data = _settings_json(session)
    if wants_json(args):
        print_json(data)
        return 0
    print(f"Default agent model: {', '.join(data['default_agent_model']) or '(not set)'}")
    if data["task_models"]:
        print("\nTask models:")
        print(
            table(
                ("TASK", "CHAT MODEL", "MODELS"),
                ((task, key, value) for task, entries in data["task_models"].items() for key, value in entries.items()),
            )
        )
    print("\nFallback defaults:")
    print(table(("OPTION", "VALUE"), data["fallback"].items()))
    if data["serve"]["aliases"]:
        print("\nGateway aliases (model name or glob -> agent):")
        print(table(("PATTERN", "AGENT"), data["serve"]["aliases"].items()))
    return 0


def _models_or_clear(args: argparse.Namespace, what: str) -> list[str]:
    models = clean_models(args.models)
    if args.clear == bool(models):
        raise UsageError(f"Give model ids, or --clear to remove {what}.")
    return models


def _write(args: argparse.Namespace, edit: Edit, models: list[str], summary: Callable[[Session], str]) -> int:
    """Apply one settings edit and report the settings now saved (warning about models
    that cannot be used yet)."""
    session = Session(args, create=True)
    warnings = session.model_warnings(models)
    session.apply(edit)
    if wants_json(args):
        print_json({"settings": _settings_json(session), "warnings": warnings})
    else:
        emit_warnings(warnings)
        print(summary(session))
    return 0


def set_default_model(args: argparse.Namespace) -> int:
    models = _models_or_clear(args, "the default agent model")
    # One model is written as a plain string, several as a list (as a person would).
    edit = SetSetting(("default_agent_model",), as_model_value(models))
    summary = f"Default agent model: {models_text(models) if models else '(not set)'}"
    return _write(args, edit, models, lambda _: summary)


def set_task_model(args: argparse.Namespace) -> int:
    models = _models_or_clear(args, "the entry")
    chat = args.chat.strip() or WILDCARD
    key = "any chat model" if chat == WILDCARD else f"chat model {chat}"
    edit = SetTaskModel("settings", args.task, tuple(models), chat=chat)
    summary = f"Task {args.task} ({key}): {', '.join(models) if models else '(removed)'}"
    return _write(args, edit, models, lambda _: summary)


def set_fallback(args: argparse.Namespace) -> int:
    if args.reset == (args.value is not None):
        raise UsageError("Give a value, or --reset to use the built-in default.")
    value = None if args.value is None else fallback_value(args.option, args.value)
    edit = SetSetting(("fallback", args.option), value)
    return _write(
        args,
        edit,
        [],
        lambda session: f"{args.option} = {setting_text(getattr(session.config.settings.fallback, args.option))}",
    )


def set_alias(args: argparse.Namespace) -> int:
    if args.clear == bool(args.agent):
        raise UsageError("Give the agent that answers PATTERN, or --clear to remove the alias.")
    session = Session(args, create=True)
    aliases = dict(session.config.settings.serve.aliases)
    if args.clear:
        if args.pattern not in aliases:
            raise UsageError(f"There is no alias '{args.pattern}'.")
        del aliases[args.pattern]
    else:
        if session.config.agent(args.agent) is None:
            emit_warnings(
                [f"there is no agent '{args.agent}' yet: requests for '{args.pattern}' get 404 until there is"]
            )
        aliases[args.pattern] = args.agent
    edit = SetSetting(("serve", "aliases"), aliases or None)
    verb = "removed" if args.clear else f"-> {args.agent}"
    return _write(args, edit, [], lambda _: f"Alias {args.pattern} {verb}")
