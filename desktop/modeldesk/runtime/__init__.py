"""The runtime: runs a request on an agent's resolved model list with retries, backoff,
fallback and cooldown, over real provider APIs (``httpx``).

Qt-free like the core: nothing here imports PySide6, shiboken6 or qasync. The app calls
:func:`run_agent` from its qasync loop, the CLI from ``asyncio``.
"""

from __future__ import annotations

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
