"""Tiny timing harness for bench/: best-of-N wall time and a ratio against a baseline
measured in the same run, so results compare across machines."""

from __future__ import annotations

import time
from collections.abc import Callable


def best_of(fn: Callable[[], object], repeat: int = 5) -> float:
    """The fastest of ``repeat`` runs, in seconds (the least disturbed by other work)."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def report(name: str, measured: float, baseline: float, baseline_name: str) -> None:
    print(f"{name:<46} {measured * 1000:9.2f} ms   {measured / baseline:7.2f}x {baseline_name}")


def header(title: str) -> None:
    print(f"\n== {title}")
    print(f"{'case':<46} {'time':>12}   ratio")
