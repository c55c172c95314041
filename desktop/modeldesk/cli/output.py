"""What a command prints and how it ends: every handler runs inside :func:`command`
(errors become exit codes, output is cleaned of keys and terminal control), and prints
JSON, tables or warnings with these.

Exit codes: 0 success, 1 failure (a ModelDesk error: the message on stderr, or
``{"error": {"code", "message"}}`` on stdout with ``--json``), 2 bad usage (argparse).
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, TextIO

from modeldesk.core.errors import ModelDeskError
from modeldesk.core.redaction import redact
from modeldesk.core.text import clean_text, escape_unsafe

Handler = Callable[[argparse.Namespace], int]


def wants_json(args: argparse.Namespace) -> bool:
    return bool(getattr(args, "json", False))


class _CleanStream:
    """A text stream that passes everything written through :func:`redact` (first, while
    a key is whole) and then :func:`clean_text`: the last guard, so no print of provider
    or file text anywhere in a command can reach the terminal with a key or with escape
    sequences, even one that forgot to clean its text."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream.write(clean_text(redact(text)))
        return len(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


@contextlib.contextmanager
def clean_output() -> Iterator[None]:
    """stdout and stderr cleaned of control characters for the block (see _CleanStream)."""
    saved = sys.stdout, sys.stderr
    sys.stdout = _CleanStream(saved[0])
    sys.stderr = _CleanStream(saved[1])
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved


def command(handler: Handler) -> Handler:
    """Wrap a handler: ModelDesk errors become exit code 1 with a message (or JSON), and
    everything it prints is cleaned of terminal control (:func:`clean_output`)."""

    @functools.wraps(handler)
    def run(args: argparse.Namespace) -> int:
        with clean_output():  # error messages too: they may quote a reply or a file
            try:
                return handler(args)
            except ModelDeskError as exc:
                return fail(args, exc)
            except BrokenPipeError:
                # The reader (`| head`) went away: stop quietly, without a traceback at exit.
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
                return 1
            except KeyboardInterrupt:
                from .main import report_interrupted

                return report_interrupted(as_json=wants_json(args), command=getattr(args, "command", None))

    return run


def fail(args: argparse.Namespace, exc: ModelDeskError) -> int:
    if wants_json(args):
        print_json(exc.to_json())
    else:
        print(f"modeldesk: {clean_text(exc.message)}", file=sys.stderr)
    return 1


def emit_warnings(warnings: Iterable[str]) -> None:
    for text in warnings:
        print(f"warning: {clean_text(text)}", file=sys.stderr)


def print_json(data: Any) -> None:
    # json escapes C0 controls inside strings; C1 controls (an 8-bit CSI), format
    # characters (bidi overrides) and lone surrogates are escaped here too: the data is
    # kept exactly, and the output stream's cleaning finds nothing to remove from it.
    print(escape_unsafe(json.dumps(data, indent=2, ensure_ascii=False)))


def print_listing(args: argparse.Namespace, key: str, rows: list[Any], empty: str, render: Callable[[], str]) -> int:
    """A list command's output: ``{key: rows}`` with --json, else ``empty`` or ``render()``."""
    if wants_json(args):
        print_json({key: rows})
    else:
        print(render() if rows else empty)
    return 0


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A plain text table (columns padded to their widest cell)."""
    text_rows = [[_cell(c) for c in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in text_rows:
        for index, cell in enumerate(row):
            widths[index] = max(widths[index], len(cell))
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in text_rows]
    return "\n".join(lines)


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, (list, tuple)):
        return clean_text(_ids(value), keep_newlines=False) if value else "[]"
    return clean_text(str(value), keep_newlines=False)


def _ids(models: Sequence[str]) -> str:
    # A blank entry is shown quoted, so it is visible in a table.
    return ", ".join(m if m.strip() else repr(m) for m in models)


def models_text(models: Sequence[str]) -> str:
    """A preferred-model list for people; empty means the agent inherits."""
    return _ids(models) if models else "(inherit)"
