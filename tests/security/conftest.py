"""Fixtures for the attacks: the scripted provider server on 127.0.0.1."""

from __future__ import annotations

from tests.support.scripted_server import scripted_server  # noqa: F401 (a fixture for the attacks)
