"""The config file as the gateway sees it: read again when it changed on disk.

Every request asks :meth:`LiveConfig.current`, which compares the file's identity
(modification time, size, inode) with the one last read and, when it changed, reads the
file again in a worker thread (a 10,000-agent file must not hold the event loop). A
file that cannot be read keeps the last good config, with one warning in the log per
broken version of the file. Edits from the app, the CLI or an editor thus apply to the
very next request.
"""

from __future__ import annotations

import asyncio
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from modeldesk.core.errors import ModelDeskError
from modeldesk.core.resolver import Resolver
from modeldesk.core.schema import Config, Policy
from modeldesk.core.store import ConfigStore
from modeldesk.runtime.cooldown import CooldownTracker

log = logging.getLogger(__name__)

Identity = tuple[int, int, int] | None


def _identity(path: Path) -> Identity:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)


@dataclass(frozen=True)
class Snapshot:
    """One version of the config with what is derived from it once."""

    config: Config
    policy: Policy | None
    resolver: Resolver
    cooldowns: CooldownTracker


class LiveConfig:
    def __init__(self, path: Path, policy_path: Path | None = None) -> None:
        self.path = path
        self.store = ConfigStore(path, policy_path)
        self._seen: tuple[Identity, Identity] | None = None
        self._snapshot: Snapshot | None = None
        self._lock = asyncio.Lock()
        self.warning: str | None = None

    def load_now(self) -> Snapshot:
        """Read the file (at start: a broken file stops the gateway with the store's message)."""
        seen = self._identities()
        self._snapshot = self._read()
        self._seen = seen
        return self._snapshot

    def _identities(self) -> tuple[Identity, Identity]:
        return (_identity(self.path), _identity(self.store.policy_path))

    def _read(self) -> Snapshot:
        config = self.store.load()
        policy = self.store.load_policy()
        return Snapshot(
            config,
            policy,
            Resolver(config, policy),
            CooldownTracker.for_config(self.path, config.settings.fallback.state),
        )

    async def current(self) -> Snapshot:
        seen = self._identities()
        if self._snapshot is not None and seen == self._seen:
            return self._snapshot
        async with self._lock:
            if self._snapshot is not None and self._identities() == self._seen:
                return self._snapshot
            seen = self._identities()
            try:
                snapshot = await asyncio.to_thread(self._read)
            except ModelDeskError as exc:
                if self._snapshot is None:
                    raise
                if self._seen != seen:
                    self.warning = f"{self.path} cannot be read; serving its last good version: {exc.message}"
                    log.warning("%s", self.warning)
                self._seen = seen
                return self._snapshot
            self.warning = None
            self._snapshot, self._seen = snapshot, seen
            log.info("config reloaded from %s", self.path)
            return snapshot
