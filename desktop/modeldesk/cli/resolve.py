"""`modeldesk resolve`: which models an agent's run (or task) would use, and why.

Nothing is sent to any provider; this is the resolver's answer with its trace.
"""

from __future__ import annotations

import argparse
import sys

from modeldesk.core.errors import ResolutionError
from modeldesk.core.resolver import Resolution

from .common import Session, UsageError, add_command, print_json, resolution_text, split_models, trace_table, wants_json


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = add_command(
        subparsers,
        "resolve",
        "Show which models an agent would use (primary first), the layer they come from, and the trace.",
        run,
        epilog="Examples:\n"
        "  modeldesk resolve --agent analyst\n"
        "  modeldesk resolve --agent analyst --model gpt-4o,claude-sonnet-4 --json\n"
        "  modeldesk resolve --agent helper --parent-model gpt-4o\n"
        "  modeldesk resolve --agent analyst --task title",
    )
    parser.add_argument("--agent", required=True, metavar="ID", help="the agent to resolve")
    parser.add_argument(
        "--model",
        action="append",
        metavar="M",
        help="model(s) passed to this run (the 'call' layer); repeat or separate with commas. "
        "In a delegated run this is the request model.",
    )
    parser.add_argument("--delegated", action="store_true", help="resolve as a sub-agent called by another agent")
    parser.add_argument(
        "--parent-model", action="append", metavar="M", help="the parent run's model(s); implies --delegated"
    )
    parser.add_argument(
        "--request-model",
        action="append",
        metavar="M",
        help="the model(s) the caller passed (typically the chat model); implies --delegated",
    )
    parser.add_argument("--project", metavar="P", help="use this project instead of the agent's own")
    parser.add_argument("--task", metavar="T", help="resolve the model for background task T (title, summary, ...)")
    parser.add_argument("--strict", action="store_true", help="fail on any unusable model id instead of skipping it")


def run(args: argparse.Namespace) -> int:
    call = split_models(args.model) if args.model else None
    parent = split_models(args.parent_model) if args.parent_model else None
    request = split_models(args.request_model) if args.request_model else None
    delegated = args.delegated or parent is not None or request is not None
    if delegated and call is not None and request is not None:
        raise UsageError("In a delegated run --model is the request model; give --model or --request-model, not both.")
    resolver = Session(args).resolver
    try:
        chat = resolver.chat(
            args.agent,
            call=call,
            delegated=delegated,
            parent=parent,
            request=request,
            project=args.project,
            strict=args.strict,
        )
        result = (
            chat
            if args.task is None
            else resolver.task(args.agent, args.task, chat=chat, strict=args.strict, project=args.project)
        )
    except ResolutionError as exc:
        if not wants_json(args) and exc.trace:
            print(trace_table(exc.trace), file=sys.stderr)
        raise
    if wants_json(args):
        print_json(result.to_json())
    else:
        print(_human(args, chat, result))
    return 0


def _human(args: argparse.Namespace, chat: Resolution, result: Resolution) -> str:
    if args.task is None:
        return resolution_text(result)
    return f"Task '{args.task}' for agent '{args.agent}' (chat model: {chat.primary})\n" + resolution_text(result)
