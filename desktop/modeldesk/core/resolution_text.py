"""The resolver's layers in the user's words: one wording for the app (the agents table,
the Resolution tab, Health, History, Squads, Projects) and the CLI's `resolve` and `run`.
The ids (``agent-task``) stay what the file, the trace and ``--json`` use."""

from __future__ import annotations

from collections.abc import Sequence

# Layer names as the user knows the places where a model is set (SPEC §3).
LAYER_LABELS: dict[str, str] = {
    "call": "Call model",
    "agent": "Agent's preferred models",
    "parent": "Parent run's model",
    "request": "Request model",
    "project": "Project default",
    "settings": "Settings default",
    "organization": "Organization policy",
    "agent-task": "Agent's task model",
    "project-task": "Project task model",
    "settings-task": "Settings task model",
    "organization-task": "Organization task model",
    "chat-model": "Chat models",
}


def layer_label(layer: str) -> str:
    """A resolver layer (or source) name in the user's words; unknown names pass through."""
    return LAYER_LABELS.get(layer, layer)


# Where a list that is not set comes from, in a sentence ("Inherits gpt-4o from …").
INHERITED_FROM: dict[str, str] = {
    "project": "the project's default model",
    "settings": "Settings → Default agent model",
    "organization": "the organization policy",
}


def inherits_text(models: Sequence[str], source: str) -> str:
    """What an empty list falls back to: "Inherits gpt-4o, claude from the organization policy."."""
    return f"Inherits {', '.join(models)} from {INHERITED_FROM.get(source, layer_label(source))}."
