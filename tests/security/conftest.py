"""Fixtures for the attacks: the scripted provider server on 127.0.0.1."""

from __future__ import annotations

from tests.support.redis_server import redis_url  # noqa: F401 (a fixture: a real redis-server)
from tests.support.scripted_server import scripted_server  # noqa: F401 (a fixture for the attacks)
