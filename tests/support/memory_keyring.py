"""An in-memory keyring backend for tests: secrets go to a dict, never to a real keyring.

with installed_memory_keyring() as ring:   # or the ``memory_keyring`` fixture
    ...
    assert ring.values[("modeldesk", "entry")] == "secret"
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import keyring
import pytest
from keyring.backend import KeyringBackend


class MemoryKeyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def __init__(self, values: dict[tuple[str, str], str] | None = None) -> None:
        super().__init__()
        self.values: dict[tuple[str, str], str] = {} if values is None else values

    def get_password(self, service: str, username: str) -> str | None:
        return self.values.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.values[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.values.pop((service, username), None)


@contextlib.contextmanager
def installed_memory_keyring(values: dict[tuple[str, str], str] | None = None) -> Iterator[MemoryKeyring]:
    """Install a MemoryKeyring for the duration of the block, then put back the old one."""
    previous = keyring.get_keyring()
    ring = MemoryKeyring(values)
    keyring.set_keyring(ring)
    try:
        yield ring
    finally:
        keyring.set_keyring(previous)


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    with installed_memory_keyring() as ring:
        yield ring
