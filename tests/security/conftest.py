"""Fixtures for the attack suite: the scripted provider server."""

from __future__ import annotations

from tests.support.scripted_server import scripted_server  # noqa: F401 (a fixture)
