"""The runtime: runs a request on an agent's resolved model list with retries, backoff,
fallback and cooldown, over real provider APIs (``httpx``).

Qt-free like the core: nothing here imports PySide6, shiboken6 or qasync. The app calls
:func:`run_agent` from its qasync loop, the CLI from ``asyncio``.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .cooldown import ActiveCooldown, CooldownTracker, default_cooldown_path
    from .errors import ERROR_CLASSES, ErrorClass, ProviderError
    from .events import (
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
        RunEvent,
        Starting,
        TextDelta,
    )
    from .runner import Attempt, RunResult, run_agent
    from .secrets import EnvKeyringSecrets, SecretSource

# Where each public name lives. The package imports a module only when one of its names is
# first used, so `from modeldesk.runtime.policy import ...` (the CLI's listings) does not
# pull in the runner and httpx.
_HOMES = {
    "ActiveCooldown": "cooldown",
    "CooldownTracker": "cooldown",
    "default_cooldown_path": "cooldown",
    "ERROR_CLASSES": "errors",
    "ErrorClass": "errors",
    "ProviderError": "errors",
    "Attempt": "runner",
    "RunResult": "runner",
    "run_agent": "runner",
    "EnvKeyringSecrets": "secrets",
    "SecretSource": "secrets",
    **dict.fromkeys(
        (
            "AllFailed",
            "Answered",
            "AttemptFailed",
            "AttemptStarted",
            "Cancelled",
            "CooldownStarted",
            "CooldownUsed",
            "ErrorSummary",
            "FallingBack",
            "ModelSkipped",
            "OutputWithdrawn",
            "Retrying",
            "RunEvent",
            "Starting",
            "TextDelta",
        ),
        "events",
    ),
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value


__all__ = [
    "ERROR_CLASSES",
    "ActiveCooldown",
    "AllFailed",
    "Answered",
    "Attempt",
    "AttemptFailed",
    "AttemptStarted",
    "Cancelled",
    "CooldownStarted",
    "CooldownTracker",
    "CooldownUsed",
    "EnvKeyringSecrets",
    "ErrorClass",
    "ErrorSummary",
    "FallingBack",
    "ModelSkipped",
    "OutputWithdrawn",
    "ProviderError",
    "Retrying",
    "RunEvent",
    "RunResult",
    "SecretSource",
    "Starting",
    "TextDelta",
    "default_cooldown_path",
    "run_agent",
]
