"""Fixtures for the app tests: a sample workspace saved in a temp config file and a
Document over it. Each test gets its own file (the suite conftest isolates user dirs)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from modeldesk.core.samples import sample_config
from modeldesk.core.store import ConfigStore


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "config.json"
    ConfigStore(path).save(sample_config())
    return path


@pytest.fixture
def store(config_file: Path) -> ConfigStore:
    return ConfigStore(config_file)


@pytest.fixture
def document(qtbot: object, store: ConfigStore) -> Iterator[object]:
    from modeldesk.app.document import Document

    doc = Document(store)
    yield doc
    doc.undo_stack.clear()
    doc.deleteLater()
