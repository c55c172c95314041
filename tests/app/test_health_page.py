"""The Health page: keys and references on opening, Check all against a real local server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from modeldesk.app.document import Document
from modeldesk.app.views.health_page import HealthPage
from modeldesk.core.store import ConfigStore
from tests.app.helpers import show_active
from tests.core.helpers import write_json
from tests.support.scripted_server import ScriptedServer


@pytest.fixture
def lab_document(qtbot: Any, tmp_path: Path, scripted_server: ScriptedServer) -> Iterator[Document]:
    scripted_server.model_names = ["small-1"]
    path = write_json(
        tmp_path / "config.json",
        {
            "schema_version": 1,
            "providers": [
                {"id": "lab", "kind": "openai", "base_url": scripted_server.openai_url},
                {
                    "id": "cloud",
                    "kind": "openai",
                    "base_url": "http://127.0.0.1:9/v1",
                    "api_key": {"env": "HEALTH_TEST_KEY"},
                },
            ],
            "models": [
                {"id": "small", "provider": "lab", "name": "small-1"},
                {"id": "big", "provider": "cloud", "name": "big-1"},
                {"id": "old", "provider": "lab", "name": "old-1", "enabled": False},
            ],
            "settings": {"default_agent_model": "small"},
            "agents": [{"id": "writer", "name": "Writer", "model": ["old", "small"]}, {"id": "plain", "name": "Plain"}],
        },
    )
    doc = Document(ConfigStore(path))
    yield doc
    doc.undo_stack.clear()
    doc.deleteLater()


def _column(table: Any, column: int) -> list[str]:
    return [table.item(row, column).text() for row in range(table.rowCount())]


def test_opening_checks_keys_and_references_offline(
    qtbot: Any,
    lab_document: Document,
    qasync_loop: Any,
    scripted_server: ScriptedServer,
) -> None:
    page = HealthPage(lab_document)
    with qtbot.waitSignal(page.check_finished, timeout=10_000) as finished:
        show_active(qtbot, page, (1000, 700))
    assert finished.args == [False]
    assert scripted_server.requests == []  # no network before Check all
    assert _column(page.providers_table, 2) == ["None needed", "Missing — environment variable HEALTH_TEST_KEY"]
    assert _column(page.providers_table, 3) == ["Not checked", "Not checked"]
    problems = [page.problems_list.item(i).text() for i in range(page.problems_list.count())]
    assert any("HEALTH_TEST_KEY is not set" in p for p in problems)
    assert any(p.startswith("agent writer: its preferred models list 'old': model disabled") for p in problems)
    assert _column(page.agents_table, 0) == ["Writer (writer)"]


def test_check_all_shows_latency_without_blocking(
    qtbot: Any,
    lab_document: Document,
    qasync_loop: Any,
    scripted_server: ScriptedServer,
) -> None:
    page = HealthPage(lab_document)
    with qtbot.waitSignal(page.check_finished, timeout=10_000):
        show_active(qtbot, page, (1000, 700))
    page.probe_box.setChecked(True)
    with qtbot.waitSignal(page.check_finished, timeout=15_000) as finished:
        qtbot.mouseClick(page.check_button, Qt.MouseButton.LeftButton)
        # The click returned at once: the requests run on the loop, the busy bar shows.
        assert not finished.signal_triggered
        assert page.busy.isVisible() and not page.check_button.isEnabled()
    assert finished.args == [False]  # the cloud provider stays key-less and unreachable
    assert not page.busy.isVisible() and page.check_button.isEnabled()
    reach = dict(zip(_column(page.providers_table, 0), _column(page.providers_table, 3), strict=False))
    latency = dict(zip(_column(page.providers_table, 0), _column(page.providers_table, 4), strict=False))
    assert reach["lab"] == "Reachable" and latency["lab"].endswith(" ms")
    assert reach["cloud"].startswith("Unreachable")
    probed = dict(zip(_column(page.providers_table, 0), _column(page.providers_table, 5), strict=False))
    assert probed["lab"] == "1/1 answered"
    assert [r.model for r in scripted_server.chat_requests()] == ["small-1"]


def test_an_edit_made_while_hidden_is_checked_when_shown_again(
    qtbot: Any, lab_document: Document, qasync_loop: Any
) -> None:
    from PySide6.QtWidgets import QLabel, QTabWidget

    from modeldesk.core.edits import SetAgentModels

    tabs = QTabWidget()
    page = HealthPage(lab_document)
    tabs.addTab(QLabel("elsewhere"), "Elsewhere")
    tabs.addTab(page, "Health")
    tabs.setCurrentWidget(page)
    with qtbot.waitSignal(page.check_finished, timeout=10_000):
        show_active(qtbot, tabs, (1000, 700))
    assert _column(page.agents_table, 0) == ["Writer (writer)"]
    tabs.setCurrentIndex(0)
    lab_document.perform(SetAgentModels("writer", ("small",)))  # the disabled model goes
    with qtbot.waitSignal(page.check_finished, timeout=10_000):
        tabs.setCurrentWidget(page)
    assert _column(page.agents_table, 0) == []


def test_problem_and_ok_cells_take_the_new_theme_colours(qtbot: Any, lab_document: Document, qasync_loop: Any) -> None:
    """Switching Dark -> Light recolours the report's cells: the dark theme's pale red and
    green on a white table were hard to read."""
    from modeldesk.app.colours import ok_colour, problem_colour
    from modeldesk.app.views.app_menus import apply_theme

    apply_theme("Dark")
    try:
        page = HealthPage(lab_document)
        with qtbot.waitSignal(page.check_finished, timeout=10_000):
            show_active(qtbot, page, (1000, 700))
        key_missing = page.providers_table.item(1, 2)
        resolves = page.agents_table.item(0, 1)
        dark_problem = problem_colour()
        assert key_missing.foreground().color() == dark_problem

        apply_theme("Light")
        assert problem_colour() != dark_problem
        assert key_missing.foreground().color() == problem_colour()
        assert resolves.foreground().color() == ok_colour()
        assert page.providers_table.item(0, 2).foreground().style() == Qt.BrushStyle.NoBrush  # "None needed"
    finally:
        apply_theme("System")
