"""Small helpers shared by the form dialogs: labels from schema fields, readable errors."""

from __future__ import annotations

from pydantic import ValidationError
from pydantic.fields import FieldInfo


def field_label(info: FieldInfo, name: str) -> str:
    """The field's declared title, else its name in words."""
    return info.title or name.replace("_", " ").capitalize()


def first_error(exc: Exception) -> str:
    """One line a person can act on, from a pydantic error (or any other)."""
    if isinstance(exc, ValidationError):
        error = exc.errors()[0]
        where = ".".join(str(p) for p in error["loc"])
        message = str(error["msg"]).removeprefix("Value error, ")
        return f"{where}: {message}" if where else message
    return str(exc)
