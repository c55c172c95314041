"""Typed errors of the core. Each carries a stable ``code`` for `--json` output and a
message a person can act on."""

from __future__ import annotations

from typing import Any


class ModelDeskError(Exception):
    """Base class: ``code`` is stable and machine-readable, ``str(exc)`` is for people."""

    code = "error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def to_json(self) -> dict[str, dict[str, str]]:
        return {"error": {"code": self.code, "message": self.message}}


class ConfigError(ModelDeskError):
    """The config file cannot be used as it is; the message names the file and the place.

    ``problems`` lists each problem on its own (``"agents[3].model: ..."``), for tools that
    show them one by one."""

    code = "invalid_config"

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems: list[str] = list(problems or [])


class ConfigTooNewError(ConfigError):
    """The file was written by a newer ModelDesk; it is left untouched."""

    code = "config_too_new"


class StoreError(ModelDeskError):
    """Reading or writing the file failed (permissions, lock, disk)."""

    code = "store_error"


class EditError(ModelDeskError):
    """An edit does not fit the config (unknown id, duplicate model, bad value)."""

    code = "invalid_edit"


class ResolutionError(ModelDeskError):
    """No usable model could be resolved. ``code`` says why."""

    code = "resolution_error"

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        if code:
            self.code = code
        # Filled by the resolver where known: the layers considered before giving up
        # (a list of TraceStep) and the warnings so far, so the app can show why.
        self.trace: list[Any] = []
        self.warnings: list[str] = []


class NoModelConfiguredError(ResolutionError):
    code = "no_model_configured"


class UnknownAgentError(ResolutionError):
    code = "unknown_agent"


class UnusableModelError(ResolutionError):
    """Strict mode: a listed model is unknown, disabled or on a missing/disabled provider."""

    code = "unusable_model"
