"""`modeldesk resolve`: which models an agent's run (or task) would use, and why.

Nothing is sent to any provider; this is the resolver's answer with its trace.
"""

from __future__ import annotations

import argparse
import sys

from modeldesk.core.errors import ResolutionError
from modeldesk.core.resolver import Resolution

from .arguments import SubParsers, add_command
from .output import print_json, wants_json
from .resolution import add_resolution_options, reading_resolver, resolution_text, resolve_for, trace_table


def register(subparsers: SubParsers) -> None:
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
    add_resolution_options(parser)


def run(args: argparse.Namespace) -> int:
    resolver = reading_resolver(args)
    try:
        chat, result = resolve_for(resolver, args)
    except ResolutionError as exc:
        if not wants_json(args) and exc.trace:
            print(trace_table(exc.trace), file=sys.stderr)
        raise
    if wants_json(args):
        data = result.to_json()
        if args.task is not None:
            # The task maps are keyed on the chat primary: say which one this was.
            data |= {
                "task": args.task,
                "chat_model": chat.primary,
                "chat": {"models": chat.models, "source": chat.source},
            }
        print_json(data)
    else:
        print(_human(args, chat, result))
    return 0


def _human(args: argparse.Namespace, chat: Resolution, result: Resolution) -> str:
    if args.task is None:
        return resolution_text(result)
    return f"Task '{args.task}' for agent '{args.agent}' (chat model: {chat.primary})\n" + resolution_text(result)
