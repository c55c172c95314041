"""Argument parsing and dispatch for `modeldesk [--config PATH] COMMAND ...`.

Each command group lives in its own module with a ``register(subparsers)`` function that
adds its parsers and sets ``handler`` (a function ``(args) -> int`` returning the exit code).

Only the module of the command being run is imported: `modeldesk resolve` must start fast
and never load httpx, asyncio or the runtime that `run` needs. The full parser (every
command) is built for `modeldesk --help` and for a command name that is not known.
The desktop app (no command) is started by :mod:`modeldesk.__main__`, not from here.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from importlib import import_module
from types import TracebackType

from modeldesk import __version__

from .argparsing import IntermixedParser

# Command name -> the module under modeldesk.cli that registers it, in the order `--help`
# lists them.
COMMANDS: dict[str, str] = {
    "resolve": "resolve",
    "run": "run",
    "agents": "agents",
    "squads": "squads",
    "projects": "projects",
    "models": "models",
    "settings": "settings",
    "providers": "providers",
    "config": "config",
    "doctor": "doctor",
    "serve": "serve",
    "history": "history",
    "cooldowns": "cooldowns",
    "export": "transfer",
    "import": "transfer",
    "install-desktop": "desktop",
    "uninstall-desktop": "desktop",
    "install-service": "service",
    "uninstall-service": "service",
    "completion": "completion",
}
# Kept for callers that iterate the modules.
COMMAND_MODULES = tuple(dict.fromkeys(COMMANDS.values()))

# Options of `modeldesk` itself that take a value (the command name comes after them).
_VALUE_OPTIONS = ("--config",)


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser for ``command`` alone, or for every command when ``command`` is None."""
    parser = IntermixedParser(
        prog="modeldesk",
        description="Decide which LLM model each agent uses, and keep agents running when a model fails. "
        "With no command, the desktop app opens.",
    )
    parser.add_argument("--version", action="version", version=f"modeldesk {__version__}")
    parser.add_argument(
        "--config",
        metavar="PATH",
        help="config file (default: $MODELDESK_CONFIG, else the user config dir's modeldesk/config.json)",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    modules = COMMAND_MODULES if command is None else (COMMANDS[command],)
    for module in modules:
        import_module(f"modeldesk.cli.{module}").register(subparsers)
    return parser


def command_name(argv: Sequence[str]) -> str | None:
    """The command word in ``argv`` (the first argument that is not an option of
    `modeldesk` itself or its value), or None when there is none."""
    index = 0
    while index < len(argv):
        arg = argv[index]
        if arg == "--":
            return argv[index + 1] if index + 1 < len(argv) else None
        if arg.startswith("-"):
            # `--config PATH` (or an unambiguous prefix such as `--conf PATH`) takes the
            # next argument; `--config=PATH` and flags do not.
            if "=" not in arg and len(arg) > 2 and any(o.startswith(arg) for o in _VALUE_OPTIONS):
                index += 1
            index += 1
            continue
        return arg
    return None


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    """Parse ``argv`` with a parser holding only the command named in it (all commands when
    it names none or an unknown one, so `--help` and the "invalid choice" error list them)."""
    name = command_name(argv)
    return build_parser(name if name in COMMANDS else None).parse_args(list(argv))


def run_command(args: argparse.Namespace) -> int:
    install_redacting_excepthook()
    return int(args.handler(args))


EXIT_INTERRUPTED = 130
INTERRUPTED = "Interrupted (Ctrl+C); nothing more was sent."


def report_interrupted(*, as_json: bool, command: str | None) -> int:
    """Ctrl+C outside a running request: a line (or, with --json, the error object; `run`'s
    with its empty attempt list) instead of a traceback, and exit 130."""
    if as_json:
        import json

        data: dict[str, object] = {"error": {"code": "cancelled", "message": INTERRUPTED}}
        if command == "run":
            data["attempts"] = []
        print(json.dumps(data, indent=2))
    else:
        print("modeldesk: interrupted", file=sys.stderr)
    return EXIT_INTERRUPTED


def interrupted(argv: Sequence[str]) -> int:
    """:func:`report_interrupted` for Ctrl+C before the arguments were parsed (modules are
    still loading in the first fraction of a second): --json and the command are read from
    ``argv`` as written."""
    words = list(argv)
    options = words[: words.index("--")] if "--" in words else words
    return report_interrupted(as_json="--json" in options, command=command_name(words))


def install_redacting_excepthook() -> None:
    """An unexpected exception's traceback is printed with every key and password this
    process has read redacted (its messages may quote them: a URL, a header)."""
    import traceback

    from modeldesk.core.redaction import redact

    def hook(kind: type[BaseException], error: BaseException, trace: TracebackType | None) -> None:
        sys.stderr.write(redact("".join(traceback.format_exception(kind, error, trace))))

    sys.excepthook = hook


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command. Without a command there is nothing to run here: the usage is
    printed (exit 2); `modeldesk` itself opens the app in that case."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    try:
        args = parse_args(arguments)
        if args.command is None:
            build_parser().print_usage(sys.stderr)
            print("modeldesk: give a command (see --help); without one, `modeldesk` opens the app", file=sys.stderr)
            return 2
        return run_command(args)
    except KeyboardInterrupt:
        return interrupted(arguments)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
