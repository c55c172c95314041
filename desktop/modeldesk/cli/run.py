"""`modeldesk run`: run a prompt for an agent with retries and fallback.

The answer streams to stdout and every step of the fallback chain goes to stderr in
plain words (SPEC §4), so ``modeldesk run ... > answer.txt`` keeps just the answer.
With ``--json`` the result object is printed at the end instead of the text.

Withdrawn output: when a stream breaks after some text was printed, that text cannot be
taken back from a terminal or a pipe. A line break is printed to stdout and the
withdrawal is reported on stderr; the next attempt's text follows. Use ``--json`` or
``--no-stream`` when only the final answer may reach stdout.

Exit codes: 0 answered, 1 no answer (every model failed, a stop error, the budget ran
out, nothing to resolve), 2 bad usage, 130 interrupted (Ctrl+C).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from typing import TextIO

from modeldesk.core.errors import ResolutionError
from modeldesk.runtime import CooldownTracker, RunEvent, run_agent
from modeldesk.runtime.events import Cancelled, OutputWithdrawn, TextDelta
from modeldesk.runtime.policy import CAPABILITIES
from modeldesk.runtime.simulate import parse_simulations

from .common import Session, add_json_flag, add_parser, command, emit_warnings, print_json, split_models, wants_json

EXIT_INTERRUPTED = 130


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = add_parser(
        subparsers,
        "run",
        "Run a prompt for an agent, trying its models in order with retries and fallback.",
        epilog="Examples:\n"
        '  modeldesk run --agent analyst "Summarise the report"\n'
        '  modeldesk run --agent analyst --model gpt-4o,local-llama --json "Say hello"\n'
        '  echo "Long prompt" | modeldesk run --agent analyst -\n\n'
        "The answer goes to stdout, the steps of the fallback chain to stderr.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--agent", required=True, metavar="ID", help="the agent to run")
    parser.add_argument(
        "--model",
        action="append",
        metavar="M",
        help="model(s) for this run instead of the agent's list; repeat or separate with commas",
    )
    parser.add_argument("--no-stream", action="store_true", help="ask providers for one complete answer")
    parser.add_argument("--max-tokens", type=int, metavar="N", help="longest answer, in tokens")
    parser.add_argument(
        "--needs",
        action="append",
        choices=CAPABILITIES,
        metavar="CAP",
        help=f"a capability the request needs ({', '.join(CAPABILITIES)}); models known to lack it are skipped",
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="do not print the steps on stderr")
    parser.add_argument(
        "--simulate",
        action="append",
        metavar="MODEL=FAULT",
        help="rehearse an outage: MODEL (or a provider id) fails with FAULT on every attempt; repeatable. "
        "Faults: 429, 429:retry-after=N, 500, 503, 529, timeout, reset, context, auth, quota, cut:N, empty",
    )
    add_json_flag(parser)
    parser.add_argument("prompt", metavar="PROMPT", help="the prompt; '-' reads it from stdin")
    parser.set_defaults(handler=run)


@command
def run(args: argparse.Namespace) -> int:
    if args.max_tokens is not None and args.max_tokens < 1:
        print("modeldesk: --max-tokens must be at least 1", file=sys.stderr)
        return 2
    prompt = sys.stdin.read() if args.prompt == "-" else args.prompt
    try:
        simulation = parse_simulations(args.simulate) if args.simulate else None
    except ValueError as exc:
        print(f"modeldesk: --simulate: {exc}", file=sys.stderr)
        return 2
    session = Session(args)
    call = split_models(args.model) if args.model else None
    try:
        resolution = session.resolver.chat(args.agent, call=call)
    except ResolutionError as exc:
        if wants_json(args):
            print_json(exc.to_json() | {"attempts": []})
        else:
            print(f"modeldesk: {exc.message}", file=sys.stderr)
        return 1
    emit_warnings(resolution.warnings)
    printer = _Printer(json_mode=wants_json(args), quiet=args.quiet)
    coro = run_agent(
        session.config,
        args.agent,
        prompt,
        models=resolution.models,
        stream=not args.no_stream,
        on_event=printer,
        cooldowns=CooldownTracker.for_config(session.store.path, session.config.settings.fallback.state),
        simulate=simulation,
        needs=frozenset(args.needs or ()),
        max_tokens=args.max_tokens,
        policy=session.policy,
    )
    try:
        result = asyncio.run(coro)
    except KeyboardInterrupt:
        # asyncio.run has cancelled the run (the runner emitted Cancelled) before this.
        printer.finish_text()
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (`modeldesk run ... | head -1`): stop quietly, and keep
        # Python from complaining again when it flushes stdout at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    if wants_json(args):
        print_json(result.to_json())
    else:
        printer.finish_text()
        if not result.ok:
            assert result.error is not None
            print(f"modeldesk: {result.error['message']}", file=sys.stderr)
    return 0 if result.ok else 1


class _Printer:
    """Prints run events: answer text to stdout, steps to stderr."""

    def __init__(self, *, json_mode: bool, quiet: bool, out: TextIO | None = None, err: TextIO | None = None) -> None:
        self.json_mode = json_mode
        self.quiet = quiet
        self.out = out or sys.stdout
        self.err = err or sys.stderr
        self._line_open = False  # stdout holds text not yet ended by a newline

    def __call__(self, event: RunEvent) -> None:
        if isinstance(event, TextDelta):
            if not self.json_mode and event.text:
                self.out.write(event.text)
                self.out.flush()
                self._line_open = not event.text.endswith("\n")
            return
        if isinstance(event, OutputWithdrawn):
            self.finish_text()
        if isinstance(event, Cancelled):
            self.finish_text()
        if not self.quiet:
            print(f"[modeldesk] {event.describe()}", file=self.err, flush=True)

    def finish_text(self) -> None:
        if self._line_open:
            self.out.write("\n")
            self.out.flush()
            self._line_open = False
