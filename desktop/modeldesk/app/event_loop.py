"""The app's asyncio event loop (qasync) and what asyncio.run would have set up on it."""

from __future__ import annotations

import asyncio
import sys

import qasync  # after PySide6 on purpose
from PySide6.QtCore import QCoreApplication

# Cancelled timers are dropped once this many callbacks have been scheduled since the last
# sweep: at most this many dead timers are kept, whatever their delays.
SWEEP_EVERY = 64


class AppEventLoop(qasync.QEventLoop):
    """qasync's loop, without the timers of cancelled callbacks.

    qasync starts one Qt timer per ``call_later``/``call_at`` and keeps it, with its
    handle, until it fires, even once the handle is cancelled. asyncio's timeouts cancel
    and reschedule theirs all the time (every ``asyncio.timeout`` that ends in time,
    httpx's reads, a stream's idle clock), so each test run left a dozen timers set for
    the run's whole budget (300 s by default) and the app grew with every run until they
    expired. Every :data:`SWEEP_EVERY` callbacks the cancelled ones are killed now.
    """

    def __init__(self, app: QCoreApplication | None = None) -> None:
        super().__init__(app)
        self._callbacks_added = 0

    def _add_callback(self, handle: asyncio.Handle, delay: float = 0) -> asyncio.Handle:
        self._callbacks_added += 1
        if self._callbacks_added % SWEEP_EVERY == 0:
            self.drop_cancelled_timers()
        return super()._add_callback(handle, delay)

    def drop_cancelled_timers(self) -> int:
        """Kill the Qt timers of cancelled callbacks; returns how many there were."""
        timer = self._timer
        callbacks: dict[int, asyncio.Handle] = timer._SimpleTimer__callbacks
        cancelled = [timer_id for timer_id, handle in callbacks.items() if handle.cancelled()]
        for timer_id in cancelled:
            timer.killTimer(timer_id)
            del callbacks[timer_id]
        return len(cancelled)

    def timer_count(self) -> int:
        """Qt timers the loop keeps for scheduled callbacks (cancelled ones included)."""
        return len(self._timer._SimpleTimer__callbacks)


def install_asyncgen_hooks(loop: asyncio.AbstractEventLoop) -> None:
    """Let ``loop`` close async generators that are dropped unfinished.

    asyncio's own ``run_forever`` installs these hooks; qasync's does not, so a stream
    generator httpx leaves behind after a run would be finalized with no loop and print
    "async generator ignored GeneratorExit". Hooks someone else installed are kept.
    """
    hooks = sys.get_asyncgen_hooks()
    firstiter = getattr(loop, "_asyncgen_firstiter_hook", None)
    finalizer = getattr(loop, "_asyncgen_finalizer_hook", None)
    if hooks.firstiter is None and hooks.finalizer is None and firstiter and finalizer:
        sys.set_asyncgen_hooks(firstiter=firstiter, finalizer=finalizer)
