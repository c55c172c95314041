"""Opening the config file for a command: which file (--config, $MODELDESK_CONFIG or the
default), whether it must exist, and the :class:`Session` that reads it once and writes
edits through the store."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel, ValidationError

from modeldesk.core.errors import EditError, ModelDeskError
from modeldesk.core.paths import CONFIG_ENV, config_path
from modeldesk.core.resolver import Resolver
from modeldesk.core.schema import Config, Policy
from modeldesk.core.store import ConfigStore
from modeldesk.core.validation_text import schema_problems

from .arguments import SubParsers, add_command

if TYPE_CHECKING:  # the edits are imported by the commands that change the config only
    from modeldesk.core.edits import Collection, Edit


ItemT = TypeVar("ItemT", bound=BaseModel)


class ConfigNotFoundError(ModelDeskError):
    """The config file named by --config or $MODELDESK_CONFIG does not exist."""

    code = "config_not_found"


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

    def still_named(self, model_ids: Sequence[str]) -> list[str]:
        """Places that still list removed models: left as written, skipped by runs."""
        from modeldesk.core.checks import model_values
        from modeldesk.core.schema import model_list

        wanted = set(model_ids)
        return [
            f"{place} still lists '{m}' (runs skip it as an unknown model)"
            for place, value in model_values(self.config)
            for m in dict.fromkeys(x.strip() for x in model_list(value))
            if m in wanted
        ]


def validated(kind: type[ItemT], fields: dict[str, Any], what: str) -> ItemT:
    """A new config item from command-line fields; problems name the field."""
    try:
        return kind.model_validate(fields)
    except ValidationError as exc:
        raise EditError(f"{what}: " + "; ".join(schema_problems(exc, fields))) from None


def toggle_handler(
    collection: Collection, enabled: bool, check: Callable[[Session, str], object]
) -> Callable[[argparse.Namespace], int]:
    """The handler of `providers enable/disable` and `models enable/disable`: ``check``
    refuses an unknown id (in the command's own words) before anything is written."""

    def handler(args: argparse.Namespace) -> int:
        from modeldesk.core.edits import Batch, UpdateItem

        from .output import print_json, wants_json

        session = Session(args)
        ids = list(dict.fromkeys(args.ids))
        for item_id in ids:
            check(session, item_id)
        edits = tuple(UpdateItem(collection, i, {"enabled": enabled}) for i in ids)
        session.apply(Batch(edits, label=f"{'Enable' if enabled else 'Disable'} {collection}"))
        if wants_json(args):
            print_json({"ids": ids, "enabled": enabled})
        else:
            print(f"{'Enabled' if enabled else 'Disabled'} {collection[:-1]}(s): {', '.join(ids)}.")
        return 0

    return handler


def add_enable_commands(
    group: SubParsers, collection: Collection, check: Callable[[Session, str], object], *, on: str, off: str
) -> None:
    """The `enable` and `disable` commands of ``collection`` (``on`` and ``off``: their help)."""
    for name, enabled, help_text in (("enable", True, on), ("disable", False, off)):
        parser = add_command(group, name, help_text + ".", toggle_handler(collection, enabled, check))
        parser.add_argument("ids", nargs="+", metavar="ID")
