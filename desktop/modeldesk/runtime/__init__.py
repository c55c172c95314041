"""The runtime: runs a request on an agent's resolved model list with retries, backoff,
fallback and cooldown, over real provider APIs (``httpx``).

Qt-free like the core: nothing here imports PySide6, shiboken6 or qasync. The app calls
:func:`run_agent` from its qasync loop, the CLI from ``asyncio``.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from . import events
from .events import *  # noqa: F403 - every event is a small dataclass: cheap to import at once

if TYPE_CHECKING:
    from .cooldown import ActiveCooldown, CooldownTracker, default_cooldown_path
    from .errors import ERROR_CLASSES, ErrorClass, ProviderError
    from .runner import Attempt, RunResult, run_agent
    from .secrets import EnvKeyringSecrets, SecretSource

# Where each public name besides the events lives. The package imports a module only when
# one of its names is first used, so `from modeldesk.runtime.policy import ...` (the CLI's
# listings) does not pull in the runner and httpx.
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
    "Attempt",
    "CooldownTracker",
    "EnvKeyringSecrets",
    "ErrorClass",
    "ProviderError",
    "RunResult",
    "SecretSource",
    "default_cooldown_path",
    "run_agent",
]
__all__ += events.__all__
