"""`modeldesk serve`: the command's arguments and help.

The gateway itself lives in :mod:`modeldesk.serve`, a layer beside the CLI that the CLI
does not import; the `modeldesk` program (:mod:`modeldesk.__main__`) starts it, as it
starts the app when no command is given.
"""

from __future__ import annotations

import argparse
import sys

from modeldesk.runtime.serve_status import DEFAULT_HOST, DEFAULT_PORT

from .arguments import SubParsers, add_parser


def register(subparsers: SubParsers) -> None:
    parser = add_parser(
        subparsers,
        "serve",
        "Serve every agent to other tools: an OpenAI- and Anthropic-compatible gateway on this machine.",
        epilog="Examples:\n"
        "  modeldesk serve\n"
        "  modeldesk serve --port 9000\n"
        "  modeldesk serve --host 0.0.0.0 --token-file ~/.config/modeldesk/serve-token\n\n"
        "Point a tool at it: OPENAI_BASE_URL=http://127.0.0.1:8642/v1 or ANTHROPIC_BASE_URL=http://127.0.0.1:8642,\n"
        "and use an agent id as the model name. See docs/serve.md.",
    )
    parser.add_argument("--host", default=DEFAULT_HOST, help=f"address to listen on (default {DEFAULT_HOST})")
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, metavar="P", help=f"port to listen on (default {DEFAULT_PORT})"
    )
    parser.add_argument(
        "--token-file",
        metavar="PATH",
        help="file holding the token every request must carry (Authorization: Bearer or x-api-key); "
        "required to listen on anything but loopback",
    )
    parser.set_defaults(handler=_started_by_program)


def _started_by_program(args: argparse.Namespace) -> int:
    print("modeldesk: the gateway starts from the `modeldesk` program: run `modeldesk serve`", file=sys.stderr)
    return 2
