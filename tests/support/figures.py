"""Figures the reliability suite reports: each test records what it did (kills, edits,
documents fuzzed, commands swept) and the suite prints them in its summary, so the CI log
shows the numbers behind docs/reliability.md without `pytest -s`."""

from __future__ import annotations

FIGURES: list[tuple[str, str]] = []


def record(name: str, text: str) -> None:
    """Report ``text`` under ``name`` in the test session's summary."""
    FIGURES.append((name, text))
