"""The attempts of a run as its events tell them.

The runner's :class:`~modeldesk.runtime.runner.RunResult` lists every attempt, but a run
that is interrupted (Ctrl+C in `modeldesk run`, a client that leaves the gateway) never
returns one. Whoever follows the events keeps an :class:`AttemptLog`, so the record of such
a run still says which models were tried and how each ended.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from .events import Answered, AttemptFailed, AttemptStarted, Cancelled, ModelSkipped, RunEvent
from .runner import Attempt


class AttemptLog:
    """Feed it every run event with :meth:`note`; :attr:`attempts` is the list so far."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.attempts: list[Attempt] = []
        self._clock = clock
        self._attempt_started = clock()

    def note(self, event: RunEvent) -> None:
        if isinstance(event, AttemptStarted):
            self._attempt_started = self._clock()
        elif isinstance(event, AttemptFailed):
            e = event.error
            self.attempts.append(
                Attempt(event.model, "failed", e.status, e.message, e.error_class, round(e.elapsed_s * 1000))
            )
        elif isinstance(event, Answered):
            self.attempts.append(Attempt(event.model, "answered", 200, elapsed_ms=round(event.elapsed_s * 1000)))
        elif isinstance(event, ModelSkipped):
            self.attempts.append(Attempt(event.model, "skipped", error=event.reason))
        elif isinstance(event, Cancelled) and event.model is not None:
            # The attempt in flight: how long it ran before the cancel.
            elapsed_ms = round((self._clock() - self._attempt_started) * 1000)
            self.attempts.append(Attempt(event.model, "cancelled", elapsed_ms=elapsed_ms))
