"""What a person writes for a model choice, and the words a model list may hold. Free of
pydantic, so the resolver and the commands that only read a config (core/fast_read.py)
load without it; core/schema.py declares the config's fields with these.

A *ModelValue* is a single model id or an ordered list of ids (primary first, then
fallbacks). It is stored exactly as written, so a hand-edited ``"model": "gpt-4o"`` stays a
string when the app saves the file. Use :func:`model_list` to read any ModelValue as a list.
"""

from __future__ import annotations

ModelValue = str | list[str]
"""A model id, or an ordered list of model ids (primary first)."""

TaskModelMap = dict[str, ModelValue]
"""For one task: chat model id (or ``"*"`` for any) -> model(s) to run the task on."""

WILDCARD = "*"

# In a model list, "default" (any case) means "inherit": the resolver skips it, so it can be
# no model's id.
PLACEHOLDER = "default"


def model_list(value: ModelValue | None) -> list[str]:
    """Any ModelValue as a list, in the order written (no filtering)."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return list(value)


def as_model_value(models: list[str], like: ModelValue | None = None) -> ModelValue | None:
    """Turn a list back into the form the user prefers.

    An empty list means "not set" (``None``). A single model is written as a string when
    the previous value was a string (or there was none); otherwise a list is kept.
    """
    if not models:
        return None
    if len(models) == 1 and (like is None or isinstance(like, str)):
        return models[0]
    return list(models)
