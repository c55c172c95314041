"""Declaring a command's arguments and reading them: parsers and groups, the shared
flags (--json, --dry-run, models, fallback options) and model lists from arguments or
standard input."""

from __future__ import annotations

import argparse
import functools
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, TypeAlias

from modeldesk.core import limits
from modeldesk.core.errors import EditError, ModelDeskError

from .argparsing import seconds
from .output import Handler, command

if TYPE_CHECKING:
    from modeldesk.core.setting_fields import NumberField, SwitchField


class UsageError(ModelDeskError):
    """Arguments that parse but do not make sense together."""

    code = "usage"


# A string: argparse's action class is generic to type checkers only.
SubParsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def add_parser(subparsers: SubParsers, name: str, help_text: str, **kwargs: Any) -> argparse.ArgumentParser:
    """A sub-command parser whose ``--help`` shows the same text as the listing. It takes
    ``--config`` too, so the file may be named after the command (`agents list --config F`)
    as well as before it; given in both places, the later one wins. An epilog (examples)
    keeps its line breaks."""
    if kwargs.get("epilog"):
        kwargs.setdefault("formatter_class", argparse.RawDescriptionHelpFormatter)
    parser = subparsers.add_parser(name, help=help_text, description=help_text, **kwargs)
    parser.add_argument(
        "--config", metavar="PATH", default=argparse.SUPPRESS, help="config file (as before the command)"
    )
    return parser


def add_json_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON for scripts instead of text")


def add_command(
    group: SubParsers,
    name: str,
    help_text: str,
    handler: Handler,
    *,
    epilog: str | None = None,
    json_flag: bool = True,
) -> argparse.ArgumentParser:
    """A sub-command running ``handler`` (errors handled by :func:`command`), with
    ``--json`` unless told otherwise. The epilog (examples) keeps its line breaks."""
    parser = add_parser(group, name, help_text, epilog=epilog, formatter_class=argparse.RawDescriptionHelpFormatter)
    if json_flag:
        add_json_flag(parser)
    parser.set_defaults(handler=command(handler))
    return parser


def add_model_option(parser: argparse.ArgumentParser, flag: str, help_text: str) -> None:
    """A repeatable option naming models (``--model a --model b`` or ``--model a,b``)."""
    parser.add_argument(flag, action="append", metavar="M", help=help_text)


def add_timeout_option(parser: argparse.ArgumentParser, default_s: float, each: str) -> None:
    """``--timeout S``: how long to wait for ``each`` ("each provider")."""
    parser.add_argument(
        "--timeout",
        type=seconds,
        default=default_s,
        metavar="S",
        help=f"seconds to wait for {each} (default {default_s:g})",
    )


@functools.cache
def fallback_fields() -> dict[str, NumberField | SwitchField]:
    """Every fallback setting that is a number or a switch, as declared in the schema
    (read when first asked: `resolve` runs without the schema, see core/fast_read.py)."""
    from modeldesk.core.schema import FallbackSettings
    from modeldesk.core.setting_fields import setting_fields

    return setting_fields(FallbackSettings)


def add_fallback_option_arguments(
    parser: argparse.ArgumentParser, value_help: str, *, epilog: str, names: Iterable[str] | None = None
) -> None:
    """OPTION and VALUE of a fallback setting (``names``: those offered, default all); the
    help lists each with its range or choices, default and description, as declared."""
    fields = fallback_fields()
    offered = [name for name in (fields if names is None else names) if name in fields]
    parser.add_argument("option", choices=offered, metavar="OPTION", help="one of: " + ", ".join(offered))
    parser.add_argument("value", nargs="?", help=value_help)
    width = max(map(len, offered))
    options = "\n".join(f"  {name.ljust(width)}  {fields[name].describe()}" for name in offered)
    parser.epilog = f"Options:\n{options}\n\n{epilog}"


def fallback_value(option: str, text: str) -> int | float | bool | str:
    """A fallback setting's value from the command line."""
    try:
        return fallback_fields()[option].parse(text)
    except ValueError as exc:
        raise EditError(f"fallback option {option}: {exc}") from None


def setting_text(value: object) -> str:
    """A setting's value as it is typed: ``true``/``false`` for a switch."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def add_models_argument(parser: argparse.ArgumentParser, *, required: bool) -> None:
    parser.add_argument(
        "models",
        nargs="+" if required else "*",
        metavar="M",
        help="model ids in priority order, primary first (commas also work)",
    )


def add_dry_run_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dry-run", action="store_true", help="show what would change, write nothing")


def add_group(subparsers: SubParsers, name: str, help_text: str) -> SubParsers:
    """A command group (``agents``, ``squads``...): ``modeldesk NAME`` alone prints its help."""
    parser = add_parser(subparsers, name, help_text)
    group = parser.add_subparsers(dest=f"{name}_command", metavar="SUBCOMMAND")
    parser.set_defaults(handler=lambda args: _print_help(parser))
    return group


def _print_help(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


def read_stdin_text() -> str:
    """Standard input as text, at most 32 MiB of it (endless input is refused, not read
    into memory); bytes that are not UTF-8 are a clear error, not a traceback."""
    if hasattr(sys.stdin, "buffer"):
        raw = limits.read_stream(sys.stdin.buffer, "standard input")
    else:
        raw = sys.stdin.read(limits.MAX_CONFIG_BYTES + 1).encode("utf-8")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UsageError(f"Standard input is not UTF-8 text (byte {exc.start}).") from None


def split_models(values: Iterable[str] | None) -> list[str]:
    """Model ids from repeated and/or comma-separated arguments, spaces around each removed.

    Blank entries are kept as written (``--model ""``): the resolver reports them as blank,
    which is what a person testing the skipping rules wants to see.
    """
    out: list[str] = []
    for value in values or []:
        out.extend(part.strip() for part in value.split(","))
    return out


def clean_models(values: Iterable[str] | None) -> list[str]:
    """Model ids for writing to the file: like :func:`split_models`, blanks dropped."""
    return [m for m in split_models(values) if m]
