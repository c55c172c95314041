"""Argument parsing and dispatch for `modeldesk [--config PATH] COMMAND ...`.

Each command group lives in its own module with a ``register(subparsers)`` function that
adds its parsers and sets ``handler`` (a function ``(args) -> int`` returning the exit code).
"""

from __future__ import annotations

import argparse
import sys
from importlib import import_module

from .argparsing import IntermixedParser

# Command modules, in the order `--help` lists them.
COMMAND_MODULES = ("resolve", "run", "agents", "squads", "projects", "models", "settings", "providers", "config", "doctor", "history", "transfer")


def build_parser() -> argparse.ArgumentParser:
    parser = IntermixedParser(
        prog="modeldesk",
        description="Decide which LLM model each agent uses, and keep agents running when a model fails. "
        "With no command, the desktop app opens.",
    )
    parser.add_argument(
        "--config",
        metavar="PATH",
        help="config file (default: $MODELDESK_CONFIG, else the user config dir's modeldesk/config.json)",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        import_module(f"modeldesk.cli.{name}").register(subparsers)
    return parser


def main(argv: list[str]) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        from modeldesk.app.application import run_app

        return run_app(config_path=args.config)
    return int(args.handler(args))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
