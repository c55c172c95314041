"""The values a provider call is made of: the request, the chunks of its answer, and a
model as a provider lists it."""

from __future__ import annotations

from dataclasses import dataclass

from modeldesk.core.text import one_line

from ..conversation import Conversation

# Longest model id or label taken from a server's model list.
MAX_NAME_CHARS = 256


@dataclass(frozen=True)
class ChatRequest:
    """One chat call. ``model`` is the provider-side name, not the config id."""

    model: str
    prompt: str
    system: str | None = None
    max_tokens: int | None = None
    stream: bool = True
    # Text an earlier model streamed before its stream broke: this model continues it
    # (``on_stream_break: "continue"``).
    prefix: str | None = None
    # A whole conversation (the gateway); ``prompt`` and ``system`` are then not used.
    conversation: Conversation | None = None


@dataclass(frozen=True)
class TextChunk:
    text: str


@dataclass(frozen=True)
class ToolCallChunk:
    """A piece of a tool call: ``index`` counts the answer's calls from 0; the first piece
    of a call carries its ``id`` and ``name``, every piece a fragment of its JSON
    ``arguments``."""

    index: int
    id: str | None
    name: str | None
    arguments: str = ""


@dataclass(frozen=True)
class Progress:
    """The provider sent something that is not text (role header, ping): it is alive."""


@dataclass(frozen=True)
class Finished:
    usage: dict[str, int] | None = None
    # Why the model stopped, in Chat Completions' words (stop, length, tool_calls,
    # content_filter); None when the provider did not say.
    stop_reason: str | None = None


Chunk = TextChunk | ToolCallChunk | Progress | Finished


@dataclass(frozen=True)
class RemoteModel:
    """A model as a provider lists it."""

    id: str
    label: str | None = None
    context_window: int | None = None

    @classmethod
    def listed(cls, raw_id: object, raw_label: object = None, context_window: int | None = None) -> RemoteModel | None:
        """A model from a server's list, or None when its id cannot be used as a name.

        Surrounding whitespace is dropped (an id ending in a newline); an id holding
        control or format characters, or a very long one, is skipped: it could not be
        shown or typed back. A label that is not text is ignored."""
        if not isinstance(raw_id, str):
            return None
        model_id = raw_id.strip()
        if not model_id or len(model_id) > MAX_NAME_CHARS or one_line(model_id) != model_id:
            return None
        label = one_line(raw_label)[:MAX_NAME_CHARS] if isinstance(raw_label, str) else ""
        return cls(model_id, label or None, context_window)
