"""Limits on input that can be huge: a file's size, its nesting depth and the length of a
number in it. Every JSON file ModelDesk reads (the config, the policy, an import, the
cooldown store) goes through :func:`read_file` / :func:`parse_json`, so all get the same
limits; only regular files are read (a FIFO or a device is refused).

A file beyond a limit is refused with a :class:`~modeldesk.core.errors.ConfigError` that
names the limit (and the place, where there is one), like any other broken file; the
parser's own exceptions (``RecursionError``, the ``ValueError`` about integer digits) never
reach the user as a traceback.

* **Size**: :data:`MAX_CONFIG_BYTES` (32 MiB, about 25 times a 10,000-agent workspace). A
  bigger file is not read at all, so nothing holds hundreds of megabytes in memory; it is
  left untouched and never overwritten, and no copy is made (it is its own copy).
* **Nesting**: :data:`MAX_NESTING` (64) levels of arrays and objects; a config needs fewer
  than 10, so a deeper file never loads. The text is checked before it is parsed
  (:func:`deeper_than`), and the error names this limit and the place where the text goes
  past it.
* **Numbers**: an integer of more than :data:`MAX_INT_DIGITS` digits (Python's limit on
  converting text to int; a config needs 10).
"""

from __future__ import annotations

import json
import os
import re
import stat
import sys
from typing import Any, BinaryIO

from .errors import ConfigError

MAX_CONFIG_BYTES = 32 * 1024 * 1024
MAX_INT_DIGITS = sys.get_int_max_str_digits() or 4300
MAX_NESTING = 64


def check_size(size: int, where: str, limit: int | None = None) -> None:
    """Refuse a file of ``size`` bytes beyond ``limit`` (:data:`MAX_CONFIG_BYTES` unless given)."""
    limit = MAX_CONFIG_BYTES if limit is None else limit
    if size > limit:
        place = (
            f"the file is {_mib(size)}, over the limit of {_mib(limit)} for a config; "
            "it is left untouched (a config of 10,000 agents is about 2 MiB: check that this is the right file)"
            if limit == MAX_CONFIG_BYTES
            else f"more than {_mib(limit)}, over the limit of {_mib(limit)}; it was not read"
        )
        raise ConfigError(f"{where}: {place}", [place])


def read_file(path: str | os.PathLike[str], where: str, limit: int | None = None) -> bytes:
    """The bytes of the regular file ``path`` (see :func:`read_file_stat`)."""
    return read_file_stat(path, where, limit)[0]


def read_file_stat(path: str | os.PathLike[str], where: str, limit: int | None = None) -> tuple[bytes, os.stat_result]:
    """The bytes of the regular file ``path``, at most ``limit`` of them.

    A FIFO, a device (``/dev/zero``), a socket or a folder is refused without reading: it
    has no size to check and may never end (opening a FIFO alone waits for a writer, so it
    is opened non-blocking). A file that grows while read is cut at the limit and refused.
    ``OSError`` (a missing file, no permission) is left to the caller. Returns the bytes
    and the file's status as it was opened."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    with os.fdopen(fd, "rb") as handle:
        status = os.fstat(fd)
        if not stat.S_ISREG(status.st_mode):
            place = f"not a regular file ({_kind(status.st_mode)}); only a regular file is read"
            raise ConfigError(f"{where}: {place}", [place])
        check_size(status.st_size, where, limit)
        return read_stream(handle, where, limit), status


def read_stream(stream: BinaryIO, where: str, limit: int | None = None) -> bytes:
    """At most ``limit`` bytes from ``stream`` (stdin, a pipe); more is refused, never read."""
    limit = MAX_CONFIG_BYTES if limit is None else limit
    data = stream.read(limit + 1)
    if len(data) > limit:
        place = f"more than {_mib(limit)}, over the limit of {_mib(limit)}; the rest was not read"
        raise ConfigError(f"{where}: {place}", [place])
    return data


def read_json_file(path: str | os.PathLike[str], where: str | None = None) -> Any:
    """The JSON document in the regular file ``path`` (``-``: standard input), read and
    parsed within every limit; a missing or unreadable file is a :class:`ConfigError` too."""
    if str(path) == "-":
        where = where or "standard input"
        try:
            raw = read_stream(sys.stdin.buffer, where)
        except OSError as exc:
            raise ConfigError(f"Cannot read {where}: {exc.strerror or exc}") from None
        return parse_json(raw, where)
    where = where or str(path)
    try:
        raw = read_file(path, where)
    except FileNotFoundError:
        raise ConfigError(f"The file {path} does not exist.") from None
    except OSError as exc:
        raise ConfigError(f"Cannot read {where}: {exc.strerror or exc}") from None
    return parse_json(raw, where)


def parse_json(raw: bytes, where: str) -> Any:
    """``raw`` (UTF-8, a BOM allowed) as JSON within every limit: size, nesting, digits.
    Anything wrong is a :class:`ConfigError` naming ``where`` and the place in the text."""
    check_size(len(raw), where)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{where}: not UTF-8 text (byte {exc.start})", [f"byte {exc.start}: not UTF-8"]) from None
    if deeper_than(raw):
        raise too_deep(text, where)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        place = f"line {exc.lineno}, column {exc.colno}: {exc.msg}"
        # Says what the file is not before the parser's own detail.
        raise ConfigError(f"{where}: not valid JSON ({place})", [place]) from None
    except (RecursionError, ValueError) as exc:  # a limit (nesting, digits)
        raise parse_error(exc, text, where) or exc from None


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a file"


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


# For :func:`deeper_than`: every byte but brackets and quotes goes, ``{}`` become ``[]``.
_DROP = bytes(i for i in range(256) if i not in b'[]{}"')
_FOLD = bytes.maketrans(b"{}", b"[]")


def deeper_than(data: bytes | str, limit: int = MAX_NESTING) -> bool:
    """Whether the JSON text ``data`` nests arrays and objects more than ``limit`` levels.

    Checked before parsing, so a deep document never reaches the parser's recursion, and
    in C-speed passes over bytes (a 10,000-agent config: ~15 ms): escaped backslashes and
    quotes go, then every byte but brackets and quotes, then the strings; then innermost
    pairs are removed ``limit`` times, and anything left was nested deeper. Broken text
    gets some answer; the parser then reports it as broken."""
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return False
    if b"\\" in raw:
        raw = raw.replace(b"\\\\", b"").replace(b'\\"', b"")
    brackets = raw.translate(_FOLD, _DROP)
    if b'"' in brackets:
        brackets = b"".join(brackets.split(b'"')[::2])  # what lies between quotes was a string
    for _ in range(limit):
        if not brackets:
            return False
        brackets = brackets.replace(b"[]", b"")
    return bool(brackets)


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
