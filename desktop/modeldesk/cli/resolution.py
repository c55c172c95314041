"""The options `resolve` and `run` share (the layers a run's model list comes from), the
resolution they ask for, and how a resolution is printed."""

from __future__ import annotations

import argparse
from collections.abc import Iterable
from typing import Any

from modeldesk.core.errors import ModelDeskError
from modeldesk.core.fast_read import fast_resolver
from modeldesk.core.paths import config_path, policy_path
from modeldesk.core.resolution_text import layer_label
from modeldesk.core.resolver import Resolution, Resolver, TraceStep
from modeldesk.core.text import clean_text

from .arguments import UsageError, add_model_option, split_models
from .output import table


def add_resolution_options(parser: argparse.ArgumentParser, *, verb: str = "resolve") -> None:
    """The options `resolve` and `run` share: the layers a run's model list comes from."""
    parser.add_argument("--agent", required=True, metavar="ID", help=f"the agent to {verb}")
    add_model_option(
        parser,
        "--model",
        "model(s) passed to this run (the 'call' layer); repeat or separate with commas. "
        "In a delegated run this is the request model.",
    )
    parser.add_argument("--delegated", action="store_true", help=f"{verb} as a sub-agent called by another agent")
    add_model_option(parser, "--parent-model", "the parent run's model(s); implies --delegated")
    add_model_option(
        parser, "--request-model", "the model(s) the caller passed (typically the chat model); implies --delegated"
    )
    parser.add_argument("--project", metavar="P", help="use this project instead of the agent's own")
    parser.add_argument("--task", metavar="T", help=f"{verb} background task T (title, summary, ...): its models")
    parser.add_argument("--strict", action="store_true", help="fail on any unusable model id instead of skipping it")


def reading_resolver(args: argparse.Namespace) -> Resolver:
    """The resolver for a command that only reads the config: over the file as read
    plainly when it validated before (core/fast_read.py: no pydantic), else read and
    validated in full, which leaves the note that lets the next command skip that."""
    resolver = fast_resolver(config_path(getattr(args, "config", None)), policy_path())
    if resolver is not None:
        return resolver
    from .config_file import check_config_exists, open_store

    store = open_store(args)
    check_config_exists(args, store)
    return Resolver(*store.load_for_reading())


def resolve_for(resolver: Resolver, args: argparse.Namespace) -> tuple[Resolution, Resolution]:
    """The chat resolution and the one the command uses (the task's with --task, else the
    chat one again), from the options of :func:`add_resolution_options`."""
    call = split_models(args.model) if args.model else None
    parent = split_models(args.parent_model) if args.parent_model else None
    request = split_models(args.request_model) if args.request_model else None
    delegated = args.delegated or parent is not None or request is not None
    if delegated and call is not None and request is not None:
        raise UsageError("In a delegated run --model is the request model; give --model or --request-model, not both.")
    chat = resolver.chat(
        args.agent,
        call=call,
        delegated=delegated,
        parent=parent,
        request=request,
        project=args.project,
        strict=args.strict,
    )
    if args.task is None:
        return chat, chat
    return chat, resolver.task(args.agent, args.task, chat=chat, strict=args.strict, project=args.project)


def source_text(source: str) -> str:
    """The layer a list came from: its id (what --json and the trace say) and its words."""
    label = layer_label(source)
    return source if label == source else f"{source} ({label})"


def trace_table(trace: Iterable[TraceStep]) -> str:
    return table(("LAYER", "OUTCOME", "VALUE", "REASON"), ((s.layer, s.outcome, s.value, s.reason) for s in trace))


def resolution_text(resolution: Resolution) -> str:
    """The models, the source and the trace table, as the CLI prints them."""
    lines = [
        f"Models: {', '.join(resolution.models)}",
        f"Source: {source_text(resolution.source)}",
        "",
        trace_table(resolution.trace),
    ]
    if resolution.warnings:
        lines += ["", "Warnings:"] + [f"  - {w}" for w in resolution.warnings]
    return clean_text("\n".join(lines))


def resolution_json(resolution: Resolution | None, error: ModelDeskError | None) -> dict[str, Any]:
    """The effective-model part of an agent in `agents list/show --json`."""
    if resolution is None:
        assert error is not None
        # The resolver's warnings so far (an unknown id it removed) often say why it failed.
        warnings = list(getattr(error, "warnings", []))
        return {"models": None, "source": None, "warnings": warnings, "error": error.to_json()["error"]}
    return {"models": resolution.models, "source": resolution.source, "warnings": resolution.warnings, "error": None}


def try_chat(resolver: Resolver, agent_id: str) -> tuple[Resolution | None, ModelDeskError | None]:
    """An agent's effective chat models, or the error that prevents them (not raised)."""
    try:
        return resolver.chat(agent_id), None
    except ModelDeskError as exc:
        return None, exc
