"""The argument parser class of every `modeldesk` command.

argparse matches a positional list (``nargs="*"``) as soon as it can, so in
``agents set-model x --json a b`` the list is already taken (empty) when ``a b`` come
after the option, and the command fails. Leaf commands (those without sub-commands) are
therefore parsed with ``parse_known_intermixed_args``: options may come before, between
or after list arguments. Groups (``agents``, ``squads``...) parse as usual, since
argparse cannot intermix around a sub-command.

Kept free of heavy imports: `modeldesk --help` loads only this and argparse.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any


class IntermixedParser(argparse.ArgumentParser):
    """An ArgumentParser whose leaf commands accept options anywhere among positionals."""

    _intermixing = False

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        if args is not None:
            _check_text(self, args)
        # parse_known_intermixed_args calls parse_known_args twice itself: those calls
        # take the ordinary path.
        if self._intermixing or self._subparsers is not None:
            return super().parse_known_args(args, namespace)
        if args is not None and "--" in args:
            # Intermixed parsing loses the "--" separator (Python < 3.13). When nothing after
            # it looks like an option it is not needed; otherwise the line parses as written,
            # so `run --agent a -- "-x"` sends "-x".
            split = list(args).index("--")
            rest = list(args)[split + 1 :]
            if any(arg.startswith("-") for arg in rest):
                return super().parse_known_args(args, namespace)
            args = list(args)[:split] + rest
        self._intermixing = True
        try:
            return self.parse_known_intermixed_args(args, namespace)
        finally:
            self._intermixing = False

    def add_subparsers(self, **kwargs: Any) -> Any:
        kwargs.setdefault("parser_class", IntermixedParser)
        return super().add_subparsers(**kwargs)


def _check_text(parser: argparse.ArgumentParser, args: Sequence[str]) -> None:
    """Refuse arguments that are not UTF-8 (Python keeps such bytes as lone surrogates,
    which cannot be printed or saved) with a usage error instead of a traceback later."""
    for position, arg in enumerate(args, start=1):
        try:
            arg.encode("utf-8")
        except UnicodeEncodeError:
            raw = arg.encode("utf-8", "surrogateescape")
            shown = raw.decode("ascii", "backslashreplace")
            parser.error(f"argument {position} ({shown}) is not valid UTF-8 text")


# Value types for arguments: argparse turns their ArgumentTypeError into a usage error
# naming the option, so a bad number never reaches a command (or a traceback).

MAX_TIMEOUT_S = 3600.0
MAX_ROW_ID = (1 << 63) - 1  # SQLite's largest integer


def seconds(text: str) -> float:
    """A timeout in seconds: a finite number above 0 and at most an hour (not nan, inf, -1)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number of seconds") from None
    if not 0 < value <= MAX_TIMEOUT_S:  # also false for nan
        raise argparse.ArgumentTypeError(f"'{text}' is not a number of seconds above 0 and at most {MAX_TIMEOUT_S:g}")
    return value


def row_id(text: str) -> int:
    """A positive whole number that fits a database id (a run's number in the history)."""
    digits = text.strip()
    if not digits.isdigit() or len(digits) > 19 or not 1 <= int(digits) <= MAX_ROW_ID:
        raise argparse.ArgumentTypeError(f"'{text[:40]}' is not a run number (a whole number from 1)")
    return int(digits)


def count(text: str) -> int:
    """A whole number from 0 that fits a database integer (a limit, a number of runs)."""
    digits = text.strip()
    if not digits.isdigit() or len(digits) > 19 or int(digits) > MAX_ROW_ID:
        raise argparse.ArgumentTypeError(f"'{text[:40]}' is not a whole number from 0")
    return int(digits)
