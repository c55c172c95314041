"""What the config store says when a file cannot be used: each error names the file and
the place, and says what happens next (the file is kept, nothing is overwritten). The
store (store.py) decides when; this module holds the wording."""

from __future__ import annotations

from pathlib import Path

from .errors import ConfigError, ConfigTooNewError, EditError, StoreError
from .schema import SCHEMA_VERSION


def cannot_read(path: Path, exc: OSError) -> StoreError:
    return StoreError(f"Cannot read {path}: {exc.strerror}")


def cannot_read_policy(path: Path, exc: OSError) -> ConfigError:
    return ConfigError(f"Cannot read the organization policy {path}: {exc.strerror}")


def cannot_write(path: Path, exc: OSError) -> StoreError:
    return StoreError(f"Cannot write {path}: {exc.strerror or exc}")


def cannot_back_up(path: Path, exc: OSError) -> StoreError:
    return StoreError(f"Cannot keep a backup of {path} before upgrading it: {exc.strerror}")


def policy_too_new(where: str, version: int) -> ConfigTooNewError:
    return ConfigTooNewError(
        f"{where} has schema_version {version}, newer than this ModelDesk reads ({SCHEMA_VERSION}); update ModelDesk."
    )


def config_too_new(path: Path, version: int) -> ConfigTooNewError:
    return ConfigTooNewError(
        f"{path} was written by a newer ModelDesk (schema_version {version}; this one reads "
        f"{SCHEMA_VERSION}). It is left untouched: update ModelDesk to use it."
    )


def not_an_object(where: str) -> ConfigError:
    place = "line 1, column 1: expected a JSON object {...} at the top"
    return ConfigError(f"{where}: {place}", [place])


def invalid(where: str, problems: list[str]) -> ConfigError:
    message = f"{where} is not a valid ModelDesk config:\n" + "\n".join(f"  {p}" for p in problems)
    return ConfigError(message, problems)


def note_not_overwritten(error: ConfigError, kept: Path | None) -> ConfigError:
    """``error`` with what happens to the broken file: the copy kept, and no overwriting."""
    if kept is not None:
        error.message += f"\nA copy was kept as {kept.name}; the file will not be overwritten until it is fixed."
    else:
        error.message += "\nThe file will not be overwritten until it is fixed."
    error.args = (error.message,)
    return error


def change_invalid(problems: list[str]) -> EditError:
    return EditError("The change would make the config invalid:\n" + "\n".join(f"  {p}" for p in problems))
