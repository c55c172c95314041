"""`modeldesk`: the desktop app when no command is given, the command line otherwise;
`modeldesk-app`: the app alone.

Only what the chosen path needs is imported: a command loads its own module (see
:mod:`modeldesk.cli.main`), Qt is loaded only to open the app, and the gateway's server
stack only for `modeldesk serve`. Both entry points check first that the app can start
here (a display, PySide6), and say why not instead of a core dump or a traceback. Ctrl+C
while modules are still loading ends the command as Ctrl+C during its work does: exit 130
and a line (JSON with --json), never a traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import argparse


def launch_app(config_path: str | None) -> int:
    """Open the desktop app on ``config_path`` (the default config when None)."""
    from modeldesk.app_launch import app_start_problem

    problem = app_start_problem()
    if problem is not None:  # no display or no Qt: a message, not a core dump or traceback
        print(f"modeldesk: {problem}", file=sys.stderr)
        return 1
    from modeldesk.app.application import run_app

    return run_app(config_path=config_path)


class InterruptAfterLoading:
    """Ctrl+C while the block loads modules is noted, and raised when the block ends.

    Python raises KeyboardInterrupt wherever the interpreter happens to be; inside the
    import machinery's own callbacks it is printed as "Exception ignored" and lost. So
    while the command's modules load (a fraction of a second), SIGINT only sets a flag.
    Left alone when SIGINT is not Python's default (ignored, or another handler), or off
    the main thread. Imports inside, so that importing this module stays instant.
    """

    def __init__(self) -> None:
        self.noted = False
        self.replaced = False

    def __enter__(self) -> None:
        import signal
        import threading

        if threading.current_thread() is threading.main_thread() and (
            signal.getsignal(signal.SIGINT) is signal.default_int_handler
        ):
            signal.signal(signal.SIGINT, self._note)
            self.replaced = True

    def _note(self, number: int, frame: object) -> None:
        self.noted = True

    def __exit__(self, *exc_info: object) -> None:
        if self.replaced:
            import signal

            signal.signal(signal.SIGINT, signal.default_int_handler)
        if self.noted:
            raise KeyboardInterrupt


def launch_serve(args: argparse.Namespace) -> int:
    """Run the gateway (`modeldesk serve`): the serve layer, which the CLI does not import."""
    from modeldesk.serve.command import run_serve

    return run_serve(args)


def opens_the_app(argv: Sequence[str]) -> tuple[bool, str | None]:
    """Whether ``argv`` only opens the app (nothing, or ``--config PATH``), and the path.
    The app then starts without the command line's parser, which, given no command,
    loads every command's module to list them. Anything else (``--help``, a command, an
    abbreviated option) goes to the parser."""
    words = list(argv)
    if not words:
        return True, None
    if len(words) == 1 and words[0].startswith("--config="):
        return True, words[0].removeprefix("--config=")
    if len(words) == 2 and words[0] == "--config" and not words[1].startswith("-"):
        return True, words[1]
    return False, None


def main(argv: Sequence[str] | None = None) -> int:
    try:
        words = sys.argv[1:] if argv is None else argv
        app_only, config = opens_the_app(words)
        if app_only:
            return launch_app(config)  # the app sets up its log file itself, off its first frame
        with InterruptAfterLoading():
            from modeldesk.cli.main import parse_args, run_command

            args = parse_args(words)
        if args.command is None:
            return launch_app(args.config)
        from modeldesk.logs import setup_logging

        setup_logging()  # run attempts and errors go to the log file (see modeldesk.logs)
        if args.command == "serve":
            return launch_serve(args)
        return run_command(args)
    except KeyboardInterrupt:
        from modeldesk.cli.main import interrupted

        return interrupted(sys.argv[1:] if argv is None else argv)


def app_main(argv: Sequence[str] | None = None) -> int:
    """The `modeldesk-app` entry point: the app alone, no command line, no console."""
    import argparse

    parser = argparse.ArgumentParser(prog="modeldesk-app", description="Open the ModelDesk desktop app.")
    parser.add_argument("--config", metavar="PATH", help="config file (default: as for `modeldesk`)")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    try:
        return launch_app(args.config)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
