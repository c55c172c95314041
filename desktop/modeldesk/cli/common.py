"""Helpers shared by the CLI commands: opening the store, reading model lists from
arguments, printing JSON or tables, and turning errors into exit codes.

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
from typing import TYPE_CHECKING, Any, TextIO, TypeAlias, TypeVar

from pydantic import BaseModel, ValidationError

from modeldesk.core import limits
from modeldesk.core.errors import EditError, ModelDeskError
from modeldesk.core.paths import CONFIG_ENV, config_path
from modeldesk.core.redaction import redact
from modeldesk.core.resolver import Resolution, Resolver, TraceStep
from modeldesk.core.schema import Config, FallbackSettings, Policy
from modeldesk.core.setting_fields import setting_fields
from modeldesk.core.store import ConfigStore
from modeldesk.core.text import clean_text as clean_text  # re-exported: every command uses it
from modeldesk.core.text import escape_unsafe
from modeldesk.core.validation_text import schema_problems

if TYPE_CHECKING:  # the edits are imported by the commands that change the config only
    from modeldesk.core.edits import Edit

ItemT = TypeVar("ItemT", bound=BaseModel)

Handler = Callable[[argparse.Namespace], int]


class UsageError(ModelDeskError):
    """Arguments that parse but do not make sense together."""

    code = "usage"


class ConfigNotFoundError(ModelDeskError):
    """The config file named by --config or $MODELDESK_CONFIG does not exist."""

    code = "config_not_found"


# --- parsers ------------------------------------------------------------------------


# A string: argparse's action class is generic to type checkers only.
SubParsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def add_parser(subparsers: SubParsers, name: str, help_text: str, **kwargs: Any) -> argparse.ArgumentParser:
    """A sub-command parser whose ``--help`` shows the same text as the listing. It takes
    ``--config`` too, so the file may be named after the command (`agents list --config F`)
    as well as before it; given in both places, the later one wins."""
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


# Every fallback setting that is a number or a switch, as declared in the schema.
FALLBACK_FIELDS = setting_fields(FallbackSettings)


def add_fallback_option_arguments(
    parser: argparse.ArgumentParser, value_help: str, *, epilog: str, names: Iterable[str] | None = None
) -> None:
    """OPTION and VALUE of a fallback setting (``names``: those offered, default all); the
    help lists each with its range or choices, default and description, as declared."""
    offered = [name for name in (FALLBACK_FIELDS if names is None else names) if name in FALLBACK_FIELDS]
    parser.add_argument("option", choices=offered, metavar="OPTION", help="one of: " + ", ".join(offered))
    parser.add_argument("value", nargs="?", help=value_help)
    width = max(map(len, offered))
    options = "\n".join(f"  {name.ljust(width)}  {FALLBACK_FIELDS[name].describe()}" for name in offered)
    parser.epilog = f"Options:\n{options}\n\n{epilog}"


def fallback_value(option: str, text: str) -> int | float | bool | str:
    """A fallback setting's value from the command line."""
    try:
        return FALLBACK_FIELDS[option].parse(text)
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


def add_resolution_options(parser: argparse.ArgumentParser, *, verb: str = "resolve") -> None:
    """The options `resolve` and `run` share: the layers a run's model list comes from."""
    parser.add_argument("--agent", required=True, metavar="ID", help=f"the agent to {verb}")
    parser.add_argument(
        "--model",
        action="append",
        metavar="M",
        help="model(s) passed to this run (the 'call' layer); repeat or separate with commas. "
        "In a delegated run this is the request model.",
    )
    parser.add_argument("--delegated", action="store_true", help=f"{verb} as a sub-agent called by another agent")
    parser.add_argument(
        "--parent-model", action="append", metavar="M", help="the parent run's model(s); implies --delegated"
    )
    parser.add_argument(
        "--request-model",
        action="append",
        metavar="M",
        help="the model(s) the caller passed (typically the chat model); implies --delegated",
    )
    parser.add_argument("--project", metavar="P", help="use this project instead of the agent's own")
    parser.add_argument("--task", metavar="T", help=f"{verb} background task T (title, summary, ...): its models")
    parser.add_argument("--strict", action="store_true", help="fail on any unusable model id instead of skipping it")


def resolve_for(resolver: Resolver, args: argparse.Namespace) -> tuple[Resolution, Resolution]:
    """The chat resolution and the one the command uses (the task's with --task, else the
    chat one again), from the options of :func:`add_resolution_options`."""
    call = split_models(args.model) if args.model else None
    parent = split_models(args.parent_model) if args.parent_model else None
    request = split_models(args.request_model) if args.request_model else None
    delegated = args.delegated or parent is not None or request is not None
    if delegated and call is not None and request is not None:
        raise UsageError("In a delegated run --model is the request model; give --model or --request-model, not both.")
    chat = resolver.chat(
        args.agent,
        call=call,
        delegated=delegated,
        parent=parent,
        request=request,
        project=args.project,
        strict=args.strict,
    )
    if args.task is None:
        return chat, chat
    return chat, resolver.task(args.agent, args.task, chat=chat, strict=args.strict, project=args.project)


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


# --- running ------------------------------------------------------------------------


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


def open_store(args: argparse.Namespace) -> ConfigStore:
    return ConfigStore(config_path(getattr(args, "config", None)))


def chosen_path(args: argparse.Namespace) -> str | None:
    """How the config file was named: ``"--config"``, ``"$MODELDESK_CONFIG"``, or ``None``
    for the default location (which may rightly not exist yet)."""
    if getattr(args, "config", None):
        return "--config"
    if os.environ.get(CONFIG_ENV, "").strip():
        return f"${CONFIG_ENV}"
    return None


def check_config_exists(args: argparse.Namespace, store: ConfigStore) -> None:
    """A config file named on purpose must exist for a command that reads it: a typo in
    --config otherwise reads as an empty config ("There is no agent 'x'")."""
    how = chosen_path(args)
    if how is not None and not store.exists():
        raise ConfigNotFoundError(f"The config file {store.path} (from {how}) does not exist.")


def check_config_folder(args: argparse.Namespace, store: ConfigStore) -> None:
    """A config file named on purpose is created in an existing folder only: a mistyped
    path must not leave a tree of new folders behind."""
    folder = store.path.parent
    if chosen_path(args) is not None and not store.exists() and not folder.is_dir():
        what = "is not a folder" if folder.exists() else "does not exist"
        raise ConfigNotFoundError(
            f"Cannot create {store.path}: the folder {folder} {what}. Create the folder first, or check the path."
        )


class Session:
    """The store, the config and the policy, read once for a command.

    ``create``: the command may create the file (adding things); otherwise a config file
    named by --config or $MODELDESK_CONFIG must exist."""

    def __init__(self, args: argparse.Namespace, *, create: bool = False) -> None:
        self.args = args
        self.store = open_store(args)
        if create:
            check_config_folder(args, self.store)
        else:
            check_config_exists(args, self.store)
        self.config: Config = self.store.load()
        self.policy: Policy | None = self.store.load_policy()
        self._resolver: Resolver | None = None

    @property
    def resolver(self) -> Resolver:
        if self._resolver is None:
            self._resolver = Resolver(self.config, self.policy)
        return self._resolver

    @property
    def dry_run(self) -> bool:
        return bool(getattr(self.args, "dry_run", False))

    def apply(self, *edits: Edit) -> Config:
        """Write through the store (re-read under its lock) and refresh the view. With
        ``--dry-run`` the edits are applied to a copy in memory instead, so the command
        reports exactly what the apply would give and nothing is written."""
        from modeldesk.core.edits import apply_edit

        if self.dry_run:
            preview = self.config.model_copy(deep=True)
            for edit in edits:
                apply_edit(preview, edit)
            self.config = preview
            self._resolver = None
            return preview
        check_config_folder(self.args, self.store)
        self.config = self.store.apply(*edits)
        self._resolver = None
        return self.config

    def policy_model_ids(self) -> set[str]:
        """The organization policy's model ids: a model added to the config must not take
        one of them (the config's would hide the policy's)."""
        return {m.id for m in self.policy.models} if self.policy is not None else set()

    def model_warnings(self, models: Sequence[str]) -> list[str]:
        """Warnings for ids that cannot be used yet. Lists may still name them: the
        registry can come from the policy or be filled in later, and the resolver skips
        unusable ids with a warning of its own."""
        return [
            f"'{model_id}': {problem}; runs skip it until that is fixed"
            for model_id in models
            if (problem := self.resolver.model_problem(model_id)) is not None
        ]


def validated(kind: type[ItemT], fields: dict[str, Any], what: str) -> ItemT:
    """A new config item from command-line fields; problems name the field."""
    try:
        return kind.model_validate(fields)
    except ValidationError as exc:
        raise EditError(f"{what}: " + "; ".join(schema_problems(exc, fields))) from None


def emit_warnings(warnings: Iterable[str]) -> None:
    for text in warnings:
        print(f"warning: {clean_text(text)}", file=sys.stderr)


# --- output -------------------------------------------------------------------------


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


def trace_table(trace: Iterable[TraceStep]) -> str:
    return table(("LAYER", "OUTCOME", "VALUE", "REASON"), ((s.layer, s.outcome, s.value, s.reason) for s in trace))


def resolution_text(resolution: Resolution) -> str:
    """The models, the source and the trace table, as the CLI prints them."""
    lines = [
        f"Models: {', '.join(resolution.models)}",
        f"Source: {resolution.source}",
        "",
        trace_table(resolution.trace),
    ]
    if resolution.warnings:
        lines += ["", "Warnings:"] + [f"  - {w}" for w in resolution.warnings]
    return clean_text("\n".join(lines))


def resolution_json(resolution: Resolution | None, error: ModelDeskError | None) -> dict[str, Any]:
    """The effective-model part of an agent in `agents list/show --json`."""
    if resolution is None:
        assert error is not None
        # The resolver's warnings so far (an unknown id it removed) often say why it failed.
        warnings = list(getattr(error, "warnings", []))
        return {"models": None, "source": None, "warnings": warnings, "error": error.to_json()["error"]}
    return {"models": resolution.models, "source": resolution.source, "warnings": resolution.warnings, "error": None}


def try_chat(resolver: Resolver, agent_id: str) -> tuple[Resolution | None, ModelDeskError | None]:
    """An agent's effective chat models, or the error that prevents them (not raised)."""
    try:
        return resolver.chat(agent_id), None
    except ModelDeskError as exc:
        return None, exc
