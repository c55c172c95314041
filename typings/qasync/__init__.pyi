# Type information for the parts of qasync ModelDesk uses: qasync ships none (no py.typed, no
# stubs), and without it `@asyncSlot()` would make every decorated method untyped under --strict.
import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, ParamSpec, TypeVar

from PySide6.QtCore import QCoreApplication, QObject

_P = ParamSpec("_P")
_T = TypeVar("_T")

# The loop's timers: one Qt timer per scheduled callback, by timer id (name-mangled).
class _SimpleTimer(QObject):
    _SimpleTimer__callbacks: dict[int, asyncio.Handle]

# On Linux and macOS qasync.QEventLoop is its selector-based loop.
class QEventLoop(asyncio.SelectorEventLoop):
    _timer: _SimpleTimer
    def _add_callback(self, handle: asyncio.Handle, delay: float = 0) -> asyncio.Handle: ...
    def __init__(
        self, app: QCoreApplication | None = None, set_running_loop: bool = False, already_running: bool = False
    ) -> None: ...
    def __enter__(self) -> QEventLoop: ...
    def __exit__(self, *exc_info: object) -> None: ...

# The wrapper schedules the coroutine on the running loop and returns its task.
def asyncSlot(
    *args: type, **kwargs: Any
) -> Callable[[Callable[_P, Coroutine[Any, Any, _T]]], Callable[_P, asyncio.Task[_T]]]: ...
def asyncClose(fn: Callable[_P, Coroutine[Any, Any, Any]]) -> Callable[_P, None]: ...
