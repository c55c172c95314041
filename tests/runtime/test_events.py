"""Event lines read exactly as SPEC §4 shows them."""

from __future__ import annotations

import dataclasses

import pytest

from modeldesk.runtime.events import (
    AllFailed,
    Answered,
    AttemptFailed,
    AttemptStarted,
    Cancelled,
    CooldownStarted,
    CooldownUsed,
    ErrorSummary,
    FallingBack,
    ModelSkipped,
    OutputWithdrawn,
    Retrying,
    Starting,
    TextDelta,
)


def test_spec_examples() -> None:
    assert Starting(("A", "B")).describe() == "Starting (models: A, B)"
    assert (
        AttemptFailed("A", ErrorSummary("rate_limit", 429, "rate limited", 0.1)).describe()
        == "A failed: 429 rate limited"
    )
    assert Retrying("A", 0.4, 2, 3).describe() == "Retrying A in 0.4 s (2/3)"
    assert FallingBack("B", "A failed").describe() == "Falling back to B"
    assert Answered("B", 1.2).describe() == "B answered (1.2 s)"


def test_other_lines() -> None:
    assert AttemptStarted("A", 1, 3).describe() == "Trying A (1/3)"
    assert AttemptFailed("A", ErrorSummary("connection", None, "connection failed", 0.0)).describe() == (
        "A failed: connection failed"
    )
    assert OutputWithdrawn("A", 12).describe() == "Withdrew 12 characters of partial output from A"
    assert OutputWithdrawn("A", 1).describe() == "Withdrew 1 character of partial output from A"
    assert ModelSkipped("B", "does not support vision").describe() == "Skipping B: does not support vision"
    assert CooldownUsed("B", ("A",), 42.4).describe() == "Starting at B: cooldown after A failed (42 s left)"
    assert CooldownStarted("B", "A", 60).describe() == "Next runs start at B for 60 s (A is cooling down)"
    assert AllFailed("all_models_failed", "Every model failed.").describe() == "Every model failed."
    assert Cancelled("A", 0.2).describe() == "Cancelled"
    assert TextDelta("A", "Hel").describe() == "Hel"


def test_seconds_are_rounded_for_people() -> None:
    assert Retrying("A", 0.012, 2, 3).describe() == "Retrying A in 0.01 s (2/3)"
    assert Answered("B", 12.34).describe() == "B answered (12 s)"


def test_events_are_frozen_and_serialise() -> None:
    event = Retrying("A", 0.4, 2, 3)
    assert event.to_json() == {
        "kind": "retrying",
        "model": "A",
        "delay_s": 0.4,
        "attempt": 2,
        "attempts": 3,
        "text": "Retrying A in 0.4 s (2/3)",
    }
    with pytest.raises(dataclasses.FrozenInstanceError):
        event.model = "B"  # type: ignore[misc]
