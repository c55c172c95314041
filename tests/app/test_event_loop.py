"""The app's event loop: qasync's, without the Qt timers of cancelled callbacks."""

from __future__ import annotations

import asyncio
import gc
from typing import Any

from modeldesk.app.event_loop import SWEEP_EVERY, AppEventLoop

TIMEOUTS = 2_000


def live_handles() -> int:
    gc.collect()
    return sum(1 for o in gc.get_objects() if isinstance(o, asyncio.Handle))


def test_timeouts_that_end_in_time_leave_no_timers_behind(qtbot: Any, qasync_loop: AppEventLoop) -> None:
    # What a test run does a few dozen times: a timeout of minutes around work that ends
    # at once (its timer is cancelled), and sleeps that fire (their timers go as they fire).
    async def brief_waits() -> None:
        for _ in range(TIMEOUTS):
            async with asyncio.timeout(300):
                await asyncio.sleep(0)

    handles_before = live_handles()
    task = qasync_loop.create_task(brief_waits())
    qtbot.waitUntil(task.done, timeout=60_000)
    task.result()
    # qasync alone kept all 2,000 cancelled timers (and their handles) for 300 s.
    assert qasync_loop.timer_count() <= SWEEP_EVERY
    assert live_handles() - handles_before <= SWEEP_EVERY


def test_a_cancelled_callback_never_runs_and_a_due_one_does(qtbot: Any, qasync_loop: AppEventLoop) -> None:
    ran: list[str] = []
    cancelled = [qasync_loop.call_later(0.05, ran.append, f"cancelled {i}") for i in range(SWEEP_EVERY)]
    for handle in cancelled:
        handle.cancel()
    for i in range(SWEEP_EVERY):  # enough to sweep the cancelled ones away meanwhile
        qasync_loop.call_later(0.01, ran.append, f"due {i}")
    assert qasync_loop.timer_count() < 2 * SWEEP_EVERY
    qtbot.waitUntil(lambda: len(ran) == SWEEP_EVERY, timeout=5_000)
    qtbot.wait(100)  # past the cancelled ones' time
    assert ran == [f"due {i}" for i in range(SWEEP_EVERY)]
    assert qasync_loop.timer_count() == 0
