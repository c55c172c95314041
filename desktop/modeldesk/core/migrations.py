"""Upgrading older config files, one small step per version.

Each step takes the raw JSON data of version N and returns version N+1; steps run in a
chain up to :data:`~modeldesk.core.schema.SCHEMA_VERSION`. They work on plain data (before
validation) and leave anything they do not recognise alone, so validation afterwards still
points at the user's own mistakes.

The store migrates on write only: read-only commands see the upgraded config in memory,
and the first save keeps a copy of the original as ``config.json.v<N>.bak`` before the
upgraded file replaces it.

Version 0 is the pre-release format (files without ``schema_version``):

* ``settings.default_model`` was the default agent model (now ``default_agent_model``);
* an agent's models were spread over ``model`` (primary, a string), ``models`` (a list) and
  ``fallback_models`` (a list); they become one ``model`` list in that order;
* a provider's key was named by ``api_key_env`` (now ``api_key: {"env": ...}``);
* a squad's members were ``members`` (now ``agents``).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from .schema import SCHEMA_VERSION, as_model_value

MigrationStep = Callable[[dict[str, Any]], dict[str, Any]]

# from_version -> step producing from_version + 1
MIGRATIONS: dict[int, MigrationStep] = {}


class MigrationError(ValueError):
    """The data cannot be upgraded as it is; the message names the place."""


def migration(from_version: int) -> Callable[[MigrationStep], MigrationStep]:
    """Register a step from ``from_version`` to ``from_version + 1``."""

    def register(step: MigrationStep) -> MigrationStep:
        if from_version in MIGRATIONS:
            raise RuntimeError(f"two migrations from version {from_version}")
        MIGRATIONS[from_version] = step
        return step

    return register


def file_version(data: dict[str, Any]) -> int:
    """The ``schema_version`` of raw config data (0 when absent)."""
    version = data.get("schema_version", 0)
    if isinstance(version, bool) or not isinstance(version, int) or version < 0:
        raise MigrationError(f"schema_version: expected a whole number, found {version!r}")
    return version


def migrate(data: dict[str, Any]) -> dict[str, Any]:
    """A migrated copy of ``data`` at the current version (``data`` is not modified).

    Data already at the current version is returned as a copy unchanged. Newer data is a
    :class:`MigrationError`; the store checks for it first and reports it with the file name.
    """
    version = file_version(data)
    if version > SCHEMA_VERSION:
        raise MigrationError(f"schema_version {version} is newer than {SCHEMA_VERSION}")
    out = copy.deepcopy(data)
    while version < SCHEMA_VERSION:
        step = MIGRATIONS.get(version)
        if step is None:  # pragma: no cover - a gap in the registry is a programming error
            raise RuntimeError(f"no migration from version {version}")
        out = step(out)
        version += 1
        out["schema_version"] = version
    return out


def _dicts(data: dict[str, Any], key: str) -> list[tuple[int, dict[str, Any]]]:
    items = data.get(key)
    if not isinstance(items, list):
        return []
    return [(index, item) for index, item in enumerate(items) if isinstance(item, dict)]


def _as_strings(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, list):
        return list(value)
    return [value]


@migration(0)
def _v0_to_v1(data: dict[str, Any]) -> dict[str, Any]:
    settings = data.get("settings")
    if isinstance(settings, dict) and "default_model" in settings:
        old = settings.pop("default_model")
        current = settings.get("default_agent_model")
        if current is not None and current != old:
            raise MigrationError(
                "settings: both 'default_model' (old name) and 'default_agent_model' are set and differ; "
                "keep one of them"
            )
        settings["default_agent_model"] = old

    for index, agent in _dicts(data, "agents"):
        if "models" not in agent and "fallback_models" not in agent:
            continue
        primary = agent.get("model")
        merged: list[Any] = []
        for entry in (
            _as_strings(primary)
            + _as_strings(agent.pop("models", None))
            + _as_strings(agent.pop("fallback_models", None))
        ):
            if entry not in merged:
                merged.append(entry)
        if any(not isinstance(entry, str) for entry in merged):
            raise MigrationError(f"agents[{index}]: model lists may hold only model ids (text)")
        # A list the person wrote stays a list, even with one model in it.
        value = as_model_value(merged, like=primary if primary is not None else [])
        if value is None:
            agent.pop("model", None)
        else:
            agent["model"] = value

    for _, provider in _dicts(data, "providers"):
        if "api_key_env" in provider and "api_key" not in provider:
            provider["api_key"] = {"env": provider.pop("api_key_env")}

    for index, squad in _dicts(data, "squads"):
        if "members" in squad:
            if "agents" in squad:
                raise MigrationError(f"squads[{index}]: both 'members' (old name) and 'agents' are set")
            squad["agents"] = squad.pop("members")
    return data
