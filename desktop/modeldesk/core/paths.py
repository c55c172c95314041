"""Where ModelDesk's files live.

The user's config: ``--config PATH``, else ``$MODELDESK_CONFIG``, else the platform's user
config folder (``~/.config/modeldesk/config.json`` on Linux). The organization policy:
``$MODELDESK_POLICY``, else the platform's site config folder (``/etc/xdg/modeldesk/policy.json``
on Linux).
"""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "modeldesk"
CONFIG_ENV = "MODELDESK_CONFIG"
POLICY_ENV = "MODELDESK_POLICY"


def _expand(value: str) -> Path:
    return Path(os.path.expandvars(os.path.expanduser(value)))


def config_path(cli_value: str | None = None) -> Path:
    """The config file to use: the CLI value, else the environment, else the default."""
    if cli_value:
        return _expand(cli_value)
    env = os.environ.get(CONFIG_ENV, "").strip()
    if env:
        return _expand(env)
    # Loaded only for a default (~10 ms): the app's first window names a given file sooner.
    import platformdirs

    return Path(platformdirs.user_config_dir(APP_NAME)) / "config.json"


def policy_path() -> Path:
    """The organization policy file (read-only to ModelDesk; it may not exist)."""
    env = os.environ.get(POLICY_ENV, "").strip()
    if env:
        return _expand(env)
    import platformdirs

    return Path(platformdirs.site_config_dir(APP_NAME)) / "policy.json"
