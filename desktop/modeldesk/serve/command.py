"""`modeldesk serve` as the `modeldesk` program runs it (after the CLI parsed the arguments)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from modeldesk.core.errors import ModelDeskError
from modeldesk.core.paths import CONFIG_ENV, config_path

from .server import ServeError, serve


def run_serve(args: argparse.Namespace) -> int:
    path = config_path(getattr(args, "config", None)).absolute()
    named = bool(getattr(args, "config", None)) or bool(os.environ.get(CONFIG_ENV, "").strip())
    if named and not path.exists():
        print(f"modeldesk: the config file {path} does not exist", file=sys.stderr)
        return 1
    if not 0 <= args.port <= 65535:
        print(f"modeldesk: --port must be between 0 and 65535, not {args.port}", file=sys.stderr)
        return 2
    try:
        return serve(path, args.host, args.port, Path(args.token_file).expanduser() if args.token_file else None)
    except ServeError as exc:
        print(f"modeldesk: {exc}", file=sys.stderr)
        return 1
    except ModelDeskError as exc:
        print(f"modeldesk: {exc.message}", file=sys.stderr)
        return 1
