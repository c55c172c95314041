"""`modeldesk run`: run a prompt for an agent with retries and fallback.

The answer streams to stdout and every step of the fallback chain goes to stderr in
plain words (SPEC §4), so ``modeldesk run ... > answer.txt`` keeps just the answer.
With ``--json`` the result object is printed at the end instead of the text.

Withdrawn output: when a stream breaks after some text was printed, that text cannot be
taken back from a terminal or a pipe. A line break is printed to stdout and the
withdrawal is reported on stderr; the next attempt's text follows. Use ``--json`` or
``--no-stream`` when only the final answer may reach stdout.

Every run is recorded in the run history (:mod:`modeldesk.core.history`); a history that
cannot be written is reported as a warning and never stops the run.

Exit codes: 0 answered, 1 no answer (every model failed, a stop error, the budget ran
out, nothing to resolve, an empty prompt), 2 bad usage, 130 interrupted (Ctrl+C; with
``--json`` the result so far is printed, with the error code ``cancelled``).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from typing import Any, TextIO

from modeldesk.core.errors import ModelDeskError
from modeldesk.core.history import RECORD_TIMEOUT_MS, HistoryStore, RunRecord, record_or_warn
from modeldesk.core.resolver import Resolution
from modeldesk.core.text import clean_text
from modeldesk.runtime import CooldownTracker, RunEvent, RunResult, run_agent
from modeldesk.runtime.attempt_log import AttemptLog
from modeldesk.runtime.events import Cancelled, OutputWithdrawn, TextDelta
from modeldesk.runtime.history_record import run_record
from modeldesk.runtime.policy import CAPABILITIES
from modeldesk.runtime.secrets import key_transport_warnings
from modeldesk.runtime.simulate import Simulation, parse_simulations, unknown_targets

from .arguments import SubParsers, UsageError, add_json_flag, add_parser, read_stdin_text
from .config_file import Session
from .output import command, emit_warnings, print_json, wants_json
from .resolution import add_resolution_options, resolve_for


class EmptyPromptError(ModelDeskError):
    code = "empty_prompt"


EXIT_INTERRUPTED = 130


def register(subparsers: SubParsers) -> None:
    parser = add_parser(
        subparsers,
        "run",
        "Run a prompt for an agent, trying its models in order with retries and fallback.",
        epilog="Examples:\n"
        '  modeldesk run --agent analyst "Summarise the report"\n'
        '  modeldesk run --agent analyst --model gpt-4o,local-llama --json "Say hello"\n'
        '  modeldesk run --agent helper --parent-model gpt-4o "Check the figures"\n'
        '  modeldesk run --agent analyst --task title "Title for: quarterly report"\n'
        '  echo "Long prompt" | modeldesk run --agent analyst -\n\n'
        "The models are those `modeldesk resolve` shows for the same options.\n"
        "The answer goes to stdout, the steps of the fallback chain to stderr.",
    )
    add_resolution_options(parser, verb="run")
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
    try:
        args.simulation = parse_simulations(args.simulate) if args.simulate else None
    except ValueError as exc:
        print(f"modeldesk: --simulate: {exc}", file=sys.stderr)
        return 2
    outcome = _Outcome(args)
    try:
        return _run(args, outcome)
    except ModelDeskError as exc:
        # Anything that stops the run before it starts (a broken config, an unknown agent,
        # no usable model): the same JSON shape as a failed run, attempts included.
        outcome.record_failure(exc.code, exc.message, getattr(exc, "warnings", []))
        if wants_json(args):
            print_json(exc.to_json() | {"attempts": [], **outcome.extra()})
            return 1
        outcome.emit_history_warning()
        raise


def _run(args: argparse.Namespace, outcome: _Outcome) -> int:
    prompt = read_stdin_text() if args.prompt == "-" else args.prompt
    if not prompt.strip():
        raise EmptyPromptError("The prompt is empty; nothing was sent.")
    outcome.prompt = prompt
    session = Session(args)
    outcome.config_path = str(session.store.path.absolute())
    if args.simulation is not None:
        _check_simulated_targets(args.simulation, session)
    _, resolution = resolve_for(session.resolver, args)
    outcome.resolution = resolution
    emit_warnings(resolution.warnings)
    if args.simulation is not None:
        emit_warnings(_idle_simulations(args.simulation, session, resolution))
    used = {session.resolver.models[m].provider for m in resolution.models}
    emit_warnings(key_transport_warnings(p for p in session.resolver.providers.values() if p.id in used))
    printer = _Printer(json_mode=wants_json(args), quiet=args.quiet)
    coro = run_agent(
        session.config,
        args.agent,
        prompt,
        models=resolution.models,
        stream=not args.no_stream,
        on_event=printer,
        cooldowns=CooldownTracker.for_config(session.store.path, session.config.settings.fallback.state),
        simulate=args.simulation,
        needs=frozenset(args.needs or ()),
        max_tokens=args.max_tokens,
        policy=session.policy,
    )
    try:
        result = asyncio.run(coro)
    except KeyboardInterrupt:
        # asyncio.run has cancelled the run (the runner emitted Cancelled) before this.
        printer.finish_text()
        interrupted = RunResult(
            attempts=printer.attempt_log.attempts,
            elapsed_s=time.monotonic() - outcome.started,
            error={"code": "cancelled", "message": "Interrupted (Ctrl+C); nothing more was sent."},
        )
        outcome.record(interrupted)
        if wants_json(args):
            print_json(interrupted.to_json() | outcome.extra())
        else:
            outcome.emit_history_warning()
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (`modeldesk run ... | head -1`): stop quietly, and keep
        # Python from complaining again when it flushes stdout at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        outcome.record(
            RunResult(attempts=printer.attempt_log.attempts, error={"code": "cancelled", "message": "output closed"})
        )
        return 1
    outcome.record(result)
    if wants_json(args):
        print_json(result.to_json() | outcome.extra())
    else:
        printer.finish_text()
        outcome.emit_history_warning()
        if not result.ok:
            assert result.error is not None
            print(f"modeldesk: {clean_text(result.error['message'])}", file=sys.stderr)
    return 0 if result.ok else 1


def _check_simulated_targets(simulation: Simulation, session: Session) -> None:
    """A --simulate target that names nothing known is refused: it would rehearse nothing."""
    models, providers = session.resolver.models, session.resolver.providers
    unknown = unknown_targets(simulation, models, providers)
    if unknown:
        names = ", ".join(f"'{t}'" for t in unknown)
        known = ", ".join(sorted(models)[:20]) or "none"
        raise UsageError(
            f"--simulate: there is no model or provider {names} (models: {known}"
            + (", ..." if len(models) > 20 else "")
            + "); nothing was run."
        )


def _idle_simulations(simulation: Simulation, session: Session, resolution: Resolution) -> list[str]:
    """Warnings for simulated targets this run never tries (known, but not in its list)."""
    tried_providers = {session.resolver.models[m].provider for m in resolution.models}
    return [
        f"--simulate {target}: this run does not try it (models: {', '.join(resolution.models)})"
        for target in simulation.faults
        if target not in resolution.models and target not in tried_providers
    ]


class _Outcome:
    """What the run resolved to and its history record, filled in as the run goes."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.started = time.monotonic()
        self.started_at = time.time()
        self.resolution: Resolution | None = None
        self.config_path: str | None = None
        self.prompt: str | None = None
        self.history_warning: str | None = None

    def extra(self) -> dict[str, Any]:
        """The resolver's part of the JSON: the list run, its source and the warnings."""
        warnings = list(self.resolution.warnings) if self.resolution is not None else []
        if self.history_warning:
            warnings.append(self.history_warning)
        data: dict[str, Any] = {
            "models": None if self.resolution is None else list(self.resolution.models),
            "source": None if self.resolution is None else self.resolution.source,
            "warnings": warnings,
        }
        if self.args.task is not None:
            data["task"] = self.args.task
        return data

    def record(self, result: RunResult) -> None:
        resolution = self.resolution
        record = run_record(
            result,
            agent=self.args.agent,
            models=[] if resolution is None else resolution.models,
            source=None if resolution is None else resolution.source,
            config_path=self.config_path,
            origin="cli",
            task=self.args.task,
            prompt=self.prompt,
            started_at=self.started_at,
        )
        self._store(record)

    def record_failure(self, code: str, message: str, warnings: list[str]) -> None:
        if code in ("empty_prompt", "usage"):
            return  # nothing was run
        self._store(
            RunRecord(
                agent=self.args.agent,
                models=[],
                error_code=code,
                error_message=message,
                config_path=self.config_path,
                origin="cli",
                task=self.args.task,
                prompt=self.prompt,
                started_at=self.started_at,
                latency_ms=round((time.monotonic() - self.started) * 1000),
            )
        )

    def _store(self, record: RunRecord) -> None:
        self.history_warning = record_or_warn(HistoryStore(timeout_ms=RECORD_TIMEOUT_MS), record)

    def emit_history_warning(self) -> None:
        if self.history_warning:
            emit_warnings([self.history_warning])


class _Printer:
    """Prints run events: answer text to stdout, steps to stderr."""

    def __init__(self, *, json_mode: bool, quiet: bool, out: TextIO | None = None, err: TextIO | None = None) -> None:
        self.json_mode = json_mode
        self.quiet = quiet
        self.out = out or sys.stdout
        self.err = err or sys.stderr
        self._line_open = False  # stdout holds text not yet ended by a newline
        # The attempts so far, from the events: what `--json` prints when Ctrl+C ends the
        # run before the runner returns its result.
        self.attempt_log = AttemptLog()

    def __call__(self, event: RunEvent) -> None:
        self.attempt_log.note(event)
        if isinstance(event, TextDelta):
            # Model output is data: escape sequences in it must not drive the terminal.
            text = clean_text(event.text)
            if not self.json_mode and text:
                self.out.write(text)
                self.out.flush()
                self._line_open = not text.endswith("\n")
            return
        if isinstance(event, OutputWithdrawn):
            self.finish_text()
        if isinstance(event, Cancelled):
            self.finish_text()
        if not self.quiet:
            print(f"[modeldesk] {clean_text(event.describe(), keep_newlines=False)}", file=self.err, flush=True)

    def finish_text(self) -> None:
        if self._line_open:
            self.out.write("\n")
            self.out.flush()
            self._line_open = False
