"""Fault names and their parsing, for rehearsing an outage (see :mod:`.simulate`, which
injects them). Kept apart from the transports so the app's panel and the CLI can list and
check faults without loading the HTTP stack."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

# Every fault, with what it stands for (shown by `run --help` and the app's panel).
FAULTS: dict[str, str] = {
    "429": "rate limited (HTTP 429)",
    "429:retry-after=N": "rate limited, with Retry-After: N seconds",
    "500": "internal server error",
    "503": "service unavailable",
    "529": "overloaded (Anthropic's 529)",
    "timeout": "the read times out",
    "reset": "the connection is reset before any answer",
    "context": "the prompt is longer than the context window",
    "auth": "the key is refused (HTTP 401)",
    "quota": "the account's quota or credit is used up",
    "cut:N": "the stream breaks after N characters",
    "empty": "a complete answer with no text",
    "refusal": "the model refuses to answer, after a few words",
}
_FAULT = re.compile(
    r"^(?:(429)(?::retry-after=(\d+(?:\.\d+)?))?|(500|503|529|timeout|reset|context|auth|quota|empty|refusal)|cut:(\d+))$"
)


@dataclass(frozen=True)
class Fault:
    spec: str  # as written: "429:retry-after=2"
    kind: str  # "429", "500", ..., "cut", "empty"
    retry_after: float | None = None
    cut_after: int = 0

    def describe(self) -> str:
        if self.kind == "cut":
            return f"the stream breaks after {self.cut_after} characters"
        if self.retry_after is not None:
            return f"rate limited, with Retry-After: {self.retry_after:g} s"
        return FAULTS[self.kind]


def parse_fault(text: str) -> Fault:
    """A fault from its name (see :data:`FAULTS`); ValueError names the ones known."""
    spec = text.strip().lower()
    match = _FAULT.match(spec)
    if match is None:
        raise ValueError(f"unknown fault '{text}'; known: {', '.join(FAULTS)}")
    if match.group(1):
        retry = float(match.group(2)) if match.group(2) is not None else None
        return Fault(spec, "429", retry_after=retry)
    if match.group(4) is not None:
        return Fault(spec, "cut", cut_after=int(match.group(4)))
    return Fault(spec, match.group(3))


@dataclass
class Simulation:
    """Faults by model id or provider id (a model's own entry wins), and what was injected."""

    faults: dict[str, Fault] = field(default_factory=dict)
    injected: list[tuple[str, str]] = field(default_factory=list)  # (model id, fault spec)

    def fault_for(self, model_id: str, provider_id: str) -> Fault | None:
        return self.faults.get(model_id) or self.faults.get(provider_id)


def parse_simulations(specs: Iterable[str] | Mapping[str, str]) -> Simulation:
    """``["A=429", "B=cut:40"]`` (or ``{"A": "429"}``) as a :class:`Simulation`; the target is a
    model id or a provider id. ValueError says what is wrong with an item."""
    items = specs.items() if isinstance(specs, Mapping) else (_split(spec) for spec in specs)
    faults: dict[str, Fault] = {}
    for target, fault in items:
        if not target:
            raise ValueError("a simulated fault needs a model or provider: MODEL=FAULT")
        faults[target] = parse_fault(fault)
    return Simulation(faults)


def unknown_targets(simulation: Simulation, model_ids: Iterable[str], provider_ids: Iterable[str]) -> list[str]:
    """The simulated targets that are neither a known model nor a known provider: a typo
    there would rehearse nothing, silently."""
    known = set(model_ids) | set(provider_ids)
    return [target for target in simulation.faults if target not in known]


def _split(spec: str) -> tuple[str, str]:
    target, sep, fault = spec.partition("=")
    if not sep:
        raise ValueError(f"'{spec}' is not MODEL=FAULT (faults: {', '.join(FAULTS)})")
    return target.strip(), fault.strip()
