"""Fixtures for the attacks: the scripted provider server on 127.0.0.1."""

from __future__ import annotations

from tests.app.squads_support import qasync_loop  # noqa: F401 (a fixture for the app's test runs)
from tests.support.redis_server import redis_url  # noqa: F401 (a fixture: a real redis-server)
from tests.support.scripted_server import scripted_server  # noqa: F401 (a fixture for the attacks)
