"""The app's asyncio event loop (qasync) and what asyncio.run would have set up on it."""

from __future__ import annotations

import asyncio
import sys


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
