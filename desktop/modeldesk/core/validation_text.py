"""Validation problems in words, in one place: every pydantic error the user can cause (a
config file read by the store or `config validate`, a value given to the CLI, a form in the
app, an edit) is told by these functions, so each surface says the same sentence.

A problem reads ``place: what is wrong``, where the place is a path into the file as people
read it (``agents[3].model``, ``settings.fallback.retries``), without the names pydantic
gives the members of a union, which are not in the file."""

from __future__ import annotations

import re
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from .schema import IDENTIFIER_PATTERN

TOP_LEVEL = "(top level)"

# What a pattern asks for, in words (the pattern itself means nothing to most people).
PATTERN_WORDS = {
    IDENTIFIER_PATTERN: "use letters, digits and . _ : / @ + - only, starting with a letter or digit",
}

# Names pydantic puts into an error's location for the member of a union that was tried
# (``str``, ``list[str]``, ``function-after[...]``); they are not keys of the file.
_UNION_MEMBER = re.compile(r"^(str|int|float|bool|none|[a-z-]+\[.*\])$")

# pydantic's error types, in the project's words (its own sentences name Python types:
# "Input should be a valid dictionary or instance of ApiKeyRef").
_TYPE_WORDS = {
    "missing": "required, but not given",
    "string_type": "expected text",
    "list_type": "expected a list ([...])",
    "dict_type": "expected an object ({...})",
    "model_type": "expected an object ({...})",
    "model_attributes_type": "expected an object ({...})",
    "int_type": "expected a whole number",
    "int_parsing": "expected a whole number",
    "int_from_float": "expected a whole number",
    "float_type": "expected a number",
    "float_parsing": "expected a number",
    "bool_type": "expected true or false",
    "bool_parsing": "expected true or false",
    "finite_number": "expected a finite number",
}
# An object of these classes is written in the file as shown.
_OBJECT_WORDS = {
    "ApiKeyRef": 'expected {"env": "VARIABLE"} or {"keyring": "ENTRY"}: the file names where the key is kept, '
    "never the key itself",
}
# Bounds: pydantic's error type -> the sentence, from its ``ctx``.
_BOUND_WORDS = {
    "greater_than": "must be more than {gt}",
    "greater_than_equal": "must be {ge} or more",
    "less_than": "must be less than {lt}",
    "less_than_equal": "must be {le} or less",
    "too_long": "must have at most {max_length} items",
    "string_too_long": "must be at most {max_length} characters long",
}

# Errors about a field the input does not have (pydantic's "missing", and "required" that
# the schema raises for a field only some kinds need).
_ABSENT = frozenset({"missing", "required"})

# What is said when a ModelValue (text or list of text) is neither.
_MODEL_VALUE_MESSAGES = {_TYPE_WORDS["string_type"], _TYPE_WORDS["list_type"]}
MODEL_VALUE_WORDS = "expected a model id (text) or a list of model ids"


def error_place(loc: tuple[Any, ...] | list[Any], data: Any = None) -> str:
    """A pydantic error location as a path people read: ``agents[3].model``.

    With ``data`` (the input that was validated), a name is kept only when it is a key of
    the input, which tells union member names from field names exactly; without it, names
    shaped like pydantic's union member names are left out.
    """
    out = ""
    node: Any = data
    track = data is not None
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
            node = node[part] if track and isinstance(node, list) and 0 <= part < len(node) else None
            continue
        key = str(part)
        if track:
            if isinstance(node, dict):
                if key not in node and out:
                    # Not a key of the input: a union member's name (a missing field is
                    # placed by the caller, which knows the error type; see schema_problems).
                    continue
                node = node.get(key)
            elif out:
                continue  # a union member name under a scalar or list
        elif out and _UNION_MEMBER.match(key):
            continue
        out += f".{key}" if out else key
    return out or TOP_LEVEL


def error_message(error: ErrorDetails) -> str:
    """What is wrong, for one pydantic error."""
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind == "extra_forbidden":
        return "unknown field (check the spelling)"
    if kind == "string_pattern_mismatch":
        return PATTERN_WORDS.get(str(ctx.get("pattern", "")), "not in the expected form")
    if kind in ("model_type", "model_attributes_type") and str(ctx.get("class_name")) in _OBJECT_WORDS:
        return _OBJECT_WORDS[str(ctx["class_name"])]
    if kind in _TYPE_WORDS:
        return _TYPE_WORDS[kind]
    if kind == "string_too_short":
        return (
            "must not be empty"
            if ctx.get("min_length") == 1
            else f"must be at least {ctx.get('min_length')} characters long"
        )
    if kind == "literal_error":
        return f"must be {ctx.get('expected')}"
    if kind in _BOUND_WORDS:
        try:
            return _BOUND_WORDS[kind].format(**{k: _bound(v) for k, v in ctx.items()})
        except (KeyError, IndexError):
            pass
    return str(error["msg"]).removeprefix("Value error, ")


def _bound(value: Any) -> Any:
    """A bound as people write it: 1 rather than 1.0."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def schema_problems(exc: ValidationError, data: Any = None) -> list[str]:
    """Each validation error as ``place: message``; several messages for one place are
    joined, so a value that is neither text nor a list reads as one problem."""
    by_place: dict[str, list[str]] = {}
    for error in exc.errors(include_url=False):
        loc = tuple(error["loc"])
        if error["type"] in _ABSENT and loc:
            # The missing key is not in the data, so it is placed after its parent.
            parent = error_place(loc[:-1], data)
            place = f"{parent}.{loc[-1]}" if parent != TOP_LEVEL else str(loc[-1])
        else:
            place = error_place(loc, data)
        message = error_message(error)
        messages = by_place.setdefault(place, [])
        if message not in messages:
            messages.append(message)
    out = []
    for place, messages in by_place.items():
        said = [MODEL_VALUE_WORDS] if set(messages) == _MODEL_VALUE_MESSAGES else messages
        out.append(f"{place}: {' or '.join(said)}")
    return out


def problems_text(exc: ValidationError, data: Any = None) -> str:
    """All problems on one line, ``; ``-separated (for an error message)."""
    return "; ".join(schema_problems(exc, data))


def first_problem(exc: ValidationError, data: Any = None) -> str:
    """The first problem, for a form that shows one line at a time."""
    problems = schema_problems(exc, data)
    return problems[0] if problems else str(exc)
