"""The sub-commands agents, squads, projects and providers share, used as ``items.NAME``:
one acting on an item named by its id (:func:`command`), `add ID --name NAME [--model M]`
(:func:`new_command`), `rename ID [NEW_ID] [--name NAME]` (:func:`rename_command`) and
`set-task-model`'s TASK with its models or --clear; each declared here with the reading
of its arguments."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterable
from typing import Any, Literal

from pydantic import BaseModel

from modeldesk.core.edits import check_model_list
from modeldesk.core.errors import EditError, ModelDeskError
from modeldesk.core.item_edits import Renamable, RenameItem
from modeldesk.core.schema import as_model_value

from .arguments import SubParsers, UsageError, add_command, add_model_option, add_models_argument, clean_models
from .config_file import Session, validated
from .output import Handler


def command(
    group: SubParsers,
    name: str,
    help_text: str,
    handler: Handler,
    item: str,
    *,
    metavar: str = "ID",
    epilog: str | None = None,
) -> argparse.ArgumentParser:
    """A sub-command acting on one config item, named by the first argument (``item``: its
    name in the parsed arguments)."""
    parser = add_command(group, name, help_text, handler, epilog=epilog)
    parser.add_argument(item, metavar=metavar)
    return parser


# --- add ---------------------------------------------------------------------------


def new_command(
    group: SubParsers, item: str, help_text: str, handler: Handler, *, epilog: str, models_help: str | None = None
) -> argparse.ArgumentParser:
    """`add ID --name NAME`, with ``--model M`` when ``models_help`` says what the models
    are for (read by :func:`new_fields`)."""
    parser = command(group, "add", help_text, handler, item, epilog=epilog)
    parser.add_argument("--name", required=True, help="display name")
    if models_help is not None:
        add_model_option(parser, "--model", models_help)
    return parser


def new_fields(
    args: argparse.Namespace, item_id: str, what: str, models_field: str
) -> tuple[dict[str, Any], list[str]]:
    """The fields of a new agent or project (``what``) from `add`'s arguments, its models
    under ``models_field`` as the file writes them; and the models."""
    models = check_model_list(clean_models(args.model), f"{what} '{item_id}'")
    fields: dict[str, Any] = {"id": item_id, "name": args.name}
    if models:
        fields[models_field] = as_model_value(models)
    return fields, models


# --- rename ------------------------------------------------------------------------


def rename_command(
    group: SubParsers, item: str, help_text: str, handler: Handler, *, epilog: str, new_id_help: str | None = None
) -> None:
    """`rename ID [NEW_ID] [--name NAME]` of agents, squads and projects (read by
    :func:`rename`)."""
    parser = command(group, "rename", help_text, handler, item, epilog=epilog)
    parser.add_argument("new_id", nargs="?", metavar="NEW_ID", help=new_id_help)
    parser.add_argument("--name", help="the new display name")


def rename(
    args: argparse.Namespace,
    collection: Renamable,
    kind: type[BaseModel],
    check: Callable[[Session, str], object],
    item_id: str,
) -> tuple[Session, str]:
    """Carry out `rename`: ``check`` refuses an unknown id in the command's own words;
    the session and the id the item has now."""
    if args.new_id is None and args.name is None:
        raise UsageError("Give a new id, --name, or both.")
    session = Session(args)
    check(session, item_id)
    new_id = args.new_id or item_id
    if new_id != item_id:
        validated(kind, {"id": new_id, "name": "x"}, "Cannot use this id")
    session.apply(RenameItem(collection, item_id, new_id, args.name))
    return session, new_id


# --- models and task models ----------------------------------------------------------


def task_arguments(parser: argparse.ArgumentParser) -> None:
    """TASK and its models, of `set-task-model` (agents and projects)."""
    parser.add_argument("task", metavar="TASK", help="the task: title, summary, ...")
    add_models_argument(parser, required=False)


def models_or_clear(args: argparse.Namespace, refusal: str) -> list[str]:
    """The models given, when they or ``--clear`` are given but not both (else ``refusal``)."""
    models = clean_models(args.models)
    if args.clear == bool(models):
        raise UsageError(refusal)
    return models


# --- look-ups --------------------------------------------------------------------------


def no_such(what: str, item_id: str, known: Iterable[str], error: type[ModelDeskError] = EditError) -> ModelDeskError:
    """The error for an id that names no ``what`` ("provider", "squad in the config"): it
    lists the ids there are, to pick from."""
    names = ", ".join(known) or "none"
    kind, _, where = what.partition(" ")
    return error(f"There is no {kind} '{item_id}'{' ' + where if where else ''} (known: {names}).")


def own_item(session: Session, collection: Literal["models", "providers"], item_id: str) -> Any:
    """The config file's own model or provider ``item_id``, or None; one the organization
    policy brings is refused: it cannot be changed here."""
    found = session.config.find(collection, item_id)
    if found is not None:
        return found[1]
    if item_id in getattr(session.resolver, collection):
        kind = collection[:-1].capitalize()
        raise EditError(f"{kind} '{item_id}' comes from the organization policy and cannot be changed here.")
    return None
