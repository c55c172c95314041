"""Every step of a run, as a typed event.

The runner calls ``on_event`` with one of these as each step happens; the app shows them
in its timeline and the CLI prints them to stderr. ``describe()`` gives the line a person
reads, in the words of SPEC §4::

    Starting (models: A, B)
    A failed: 429 rate limited
    Retrying A in 0.4 s (2/3)
    Falling back to B
    B answered (1.2 s)

Events are frozen values; ``kind`` is a stable snake_case name for logs and JSON.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar

__all__ = [
    "AllFailed",
    "Answered",
    "AttemptFailed",
    "AttemptStarted",
    "Cancelled",
    "CooldownStarted",
    "CooldownUsed",
    "ErrorSummary",
    "FallingBack",
    "FaultSimulated",
    "ModelSkipped",
    "Note",
    "OutputKept",
    "OutputWithdrawn",
    "Retrying",
    "RunEvent",
    "RunEventBase",
    "Starting",
    "TextDelta",
    "ToolCallDelta",
]


def _seconds(value: float) -> str:
    """0.05 s, 0.4 s, 1.2 s, 12 s: enough digits to be useful, no more."""
    if value < 0.095:
        return f"{value:.2f} s"
    return f"{value:.1f} s" if value < 10 else f"{value:.0f} s"


def _characters(count: int) -> str:
    return f"{count} character" if count == 1 else f"{count} characters"


@dataclass(frozen=True)
class RunEventBase:
    kind: ClassVar[str] = "event"

    def describe(self) -> str:  # pragma: no cover - every subclass overrides
        raise NotImplementedError

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, **asdict(self), "text": self.describe()}


@dataclass(frozen=True)
class ErrorSummary:
    """What went wrong in one attempt, without the exception object."""

    error_class: str
    status: int | None
    message: str
    elapsed_s: float

    def headline(self) -> str:
        return f"{self.status} {self.message}" if self.status is not None else self.message


@dataclass(frozen=True)
class Starting(RunEventBase):
    kind: ClassVar[str] = "starting"
    models: tuple[str, ...]

    def describe(self) -> str:
        return f"Starting (models: {', '.join(self.models)})"


@dataclass(frozen=True)
class CooldownUsed(RunEventBase):
    """The run starts past the primary because an earlier run fell back (SPEC §4 cooldown)."""

    kind: ClassVar[str] = "cooldown_used"
    model: str
    skipped: tuple[str, ...]
    seconds_left: float

    def describe(self) -> str:
        return (
            f"Starting at {self.model}: cooldown after {', '.join(self.skipped)} failed "
            f"({_seconds(self.seconds_left)} left)"
        )


@dataclass(frozen=True)
class AttemptStarted(RunEventBase):
    kind: ClassVar[str] = "attempt_started"
    model: str
    attempt: int
    attempts: int

    def describe(self) -> str:
        return f"Trying {self.model} ({self.attempt}/{self.attempts})"


@dataclass(frozen=True)
class TextDelta(RunEventBase):
    """A piece of streamed answer text. ``describe()`` is the text itself."""

    kind: ClassVar[str] = "text"
    model: str
    text: str

    def describe(self) -> str:
        return self.text


@dataclass(frozen=True)
class ToolCallDelta(RunEventBase):
    """A piece of a tool call the model is making (see
    :class:`~modeldesk.runtime.providers.ToolCallChunk`): ``index`` counts the answer's
    calls, the first piece carries ``call_id`` and ``name``."""

    kind: ClassVar[str] = "tool_call"
    model: str
    index: int
    call_id: str | None
    name: str | None
    arguments: str

    def describe(self) -> str:
        return f"tool call {self.name}" if self.name else self.arguments


@dataclass(frozen=True)
class AttemptFailed(RunEventBase):
    kind: ClassVar[str] = "attempt_failed"
    model: str
    error: ErrorSummary

    def describe(self) -> str:
        if self.error.error_class == "refusal":
            return f"{self.model} {self.error.message}"  # "A refused: …"
        return f"{self.model} failed: {self.error.headline()}"


@dataclass(frozen=True)
class OutputWithdrawn(RunEventBase):
    """Text streamed by a failed attempt is not part of the answer; views must drop it."""

    kind: ClassVar[str] = "output_withdrawn"
    model: str
    chars: int

    def describe(self) -> str:
        return f"Withdrew {_characters(self.chars)} of partial output from {self.model}"


@dataclass(frozen=True)
class Retrying(RunEventBase):
    """The next attempt on ``model`` starts after ``delay_s``; ``attempt`` is its number."""

    kind: ClassVar[str] = "retrying"
    model: str
    delay_s: float
    attempt: int
    attempts: int

    def describe(self) -> str:
        return f"Retrying {self.model} in {_seconds(self.delay_s)} ({self.attempt}/{self.attempts})"


@dataclass(frozen=True)
class FallingBack(RunEventBase):
    kind: ClassVar[str] = "falling_back"
    to_model: str
    reason: str = ""

    def describe(self) -> str:
        return f"Falling back to {self.to_model}"


@dataclass(frozen=True)
class ModelSkipped(RunEventBase):
    kind: ClassVar[str] = "model_skipped"
    model: str
    reason: str

    def describe(self) -> str:
        return f"Skipping {self.model}: {self.reason}"


@dataclass(frozen=True)
class Answered(RunEventBase):
    kind: ClassVar[str] = "answered"
    model: str
    elapsed_s: float
    usage: dict[str, int] | None = None
    stop_reason: str | None = None  # stop, length, tool_calls, content_filter; None: not said

    def describe(self) -> str:
        return f"{self.model} answered ({_seconds(self.elapsed_s)})"


@dataclass(frozen=True)
class CooldownStarted(RunEventBase):
    kind: ClassVar[str] = "cooldown_started"
    model: str  # the model later runs start at (the one that answered)
    primary: str  # the model cooling down
    seconds: float
    reason: str = "rate_limit"

    def describe(self) -> str:
        if self.reason == "quota":
            return f"{self.primary} is out of quota: skipped for {_seconds(self.seconds)}"
        if self.model == self.primary:
            return f"{self.primary} is cooling down for {_seconds(self.seconds)}"
        return f"Next runs start at {self.model} for {_seconds(self.seconds)} ({self.primary} is cooling down)"


@dataclass(frozen=True)
class AllFailed(RunEventBase):
    """The run ended without an answer; ``code`` is the stable error code of the result."""

    kind: ClassVar[str] = "all_failed"
    code: str
    message: str

    def describe(self) -> str:
        return self.message


@dataclass(frozen=True)
class Cancelled(RunEventBase):
    """The run was cancelled; nothing more is sent. ``model`` is the attempt in flight."""

    kind: ClassVar[str] = "cancelled"
    model: str | None = None
    elapsed_s: float = field(default=0.0)

    def describe(self) -> str:
        return "Cancelled"


@dataclass(frozen=True)
class Note(RunEventBase):
    """Something the user should know that is not a step: a store that cannot be reached,
    every model cooling down, a probe's outcome."""

    kind: ClassVar[str] = "note"
    message: str

    def describe(self) -> str:
        return self.message


@dataclass(frozen=True)
class FaultSimulated(RunEventBase):
    """The failure that follows was injected on purpose (``--simulate``, the Simulate panel)."""

    kind: ClassVar[str] = "fault_simulated"
    model: str
    fault: str

    def describe(self) -> str:
        return f"Simulated fault on {self.model}: {self.fault}"


@dataclass(frozen=True)
class OutputKept(RunEventBase):
    """``on_stream_break: "continue"``: the partial text stays and the next attempt continues it."""

    kind: ClassVar[str] = "output_kept"
    model: str
    chars: int

    def describe(self) -> str:
        return f"Kept {_characters(self.chars)} from {self.model}; the next attempt continues the answer"


RunEvent = (
    Starting
    | CooldownUsed
    | AttemptStarted
    | TextDelta
    | ToolCallDelta
    | AttemptFailed
    | OutputWithdrawn
    | Retrying
    | FallingBack
    | ModelSkipped
    | Answered
    | CooldownStarted
    | AllFailed
    | Cancelled
    | Note
    | FaultSimulated
    | OutputKept
)
"""Any event the runner emits."""
