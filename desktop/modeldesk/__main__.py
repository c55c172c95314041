"""`modeldesk`: the desktop app when no command is given, the command line otherwise.

Only what the chosen path needs is imported: a command loads its own module (see
:mod:`modeldesk.cli.main`), Qt is loaded only to open the app, and the gateway's server
stack only for `modeldesk serve`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def launch_app(config_path: str | None) -> int:
    """Open the desktop app on ``config_path`` (the default config when None)."""
    from modeldesk.app_launch import app_start_problem

    problem = app_start_problem()
    if problem is not None:  # no display or no Qt: a message, not a core dump or traceback
        print(f"modeldesk: {problem}", file=sys.stderr)
        return 1
    from modeldesk.app.application import run_app

    return run_app(config_path=config_path)


def launch_serve(args: argparse.Namespace) -> int:
    """Run the gateway (`modeldesk serve`): the serve layer, which the CLI does not import."""
    from modeldesk.serve.command import run_serve

    return run_serve(args)


def main(argv: Sequence[str] | None = None) -> int:
    from modeldesk.cli.main import parse_args, run_command

    args = parse_args(sys.argv[1:] if argv is None else argv)
    from modeldesk.logs import setup_logging

    setup_logging()  # run attempts and errors go to the log file (see modeldesk.logs)
    if args.command is None:
        return launch_app(args.config)
    if args.command == "serve":
        return launch_serve(args)
    return run_command(args)


if __name__ == "__main__":
    sys.exit(main())
