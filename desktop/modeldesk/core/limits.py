"""Limits on input that can be huge: the config file's size, its nesting depth and the
length of a number in it.

A file beyond a limit is refused with a :class:`~modeldesk.core.errors.ConfigError` that
names the limit (and the place, where there is one), like any other broken file; the
parser's own exceptions (``RecursionError``, the ``ValueError`` about integer digits) never
reach the user as a traceback.

* **Size**: :data:`MAX_CONFIG_BYTES` (32 MiB, about 25 times a 10,000-agent workspace). A
  bigger file is not read at all, so nothing holds hundreds of megabytes in memory; it is
  left untouched and never overwritten, and no copy is made (it is its own copy).
* **Nesting**: :data:`MAX_NESTING` (64) levels of arrays and objects; a config needs fewer
  than 10, so a deeper file never loads. It is enforced where it costs nothing on a normal
  file: the JSON parser and every later step (an upgrade's copy, validation) stop on their
  recursion limit, and that is reported as this limit, with the place where the text goes
  past it.
* **Numbers**: an integer of more than :data:`MAX_INT_DIGITS` digits (Python's limit on
  converting text to int; a config needs 10).
"""

from __future__ import annotations

import re
import sys

from .errors import ConfigError

MAX_CONFIG_BYTES = 32 * 1024 * 1024
MAX_INT_DIGITS = sys.get_int_max_str_digits() or 4300
MAX_NESTING = 64


def check_size(size: int, where: str) -> None:
    """Refuse a file of ``size`` bytes beyond :data:`MAX_CONFIG_BYTES`."""
    if size > MAX_CONFIG_BYTES:
        place = (
            f"the file is {_mib(size)}, over the limit of {_mib(MAX_CONFIG_BYTES)} for a config; "
            "it is left untouched (a config of 10,000 agents is about 2 MiB: check that this is the right file)"
        )
        raise ConfigError(f"{where}: {place}", [place])


def parse_error(exc: BaseException, text: str, where: str) -> ConfigError | None:
    """The :class:`ConfigError` for a parser failure that is a limit (nesting, digits), or
    None when ``exc`` is something else. Called only after parsing failed."""
    if isinstance(exc, RecursionError):
        return too_deep(text, where)
    if isinstance(exc, ValueError) and "digits" in str(exc):
        match = re.search(rf"\d{{{MAX_INT_DIGITS + 1},}}", text)
        start = match.start() if match else 0
        digits = len(match.group()) if match else 0
        line, column = _line_column(text, start)
        place = (
            f"line {line}, column {column}: a number of {digits:,} digits; "
            f"numbers are limited to {MAX_INT_DIGITS:,} digits"
        )
        return ConfigError(f"{where}: {place}", [place])
    return None


def too_deep(text: str, where: str) -> ConfigError:
    """The error for a document nested too deeply to read (the parser, or a later step
    such as an upgrade's copy, ran out of recursion), naming :data:`MAX_NESTING` and the
    place where the text first goes past it."""
    line, column = _too_deep_at(text, MAX_NESTING)
    place = (
        f"line {line}, column {column}: nested more than {MAX_NESTING} levels deep, the limit "
        "(a ModelDesk config needs fewer than 10)"
    )
    return ConfigError(f"{where}: {place}", [place])


def _too_deep_at(text: str, limit: int) -> tuple[int, int]:
    """Where the nesting (brackets outside strings) first goes past ``limit``, as (line,
    column); the end of the text if it never does. Run only on the error path."""
    depth = 0
    in_string = escaped = False
    for index, char in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > limit:
                return _line_column(text, index)
        elif char in "]}":
            depth -= 1
    return _line_column(text, len(text))


def _line_column(text: str, index: int) -> tuple[int, int]:
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


def _mib(size: int) -> str:
    return f"{size / (1024 * 1024):,.1f} MiB"
