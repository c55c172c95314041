"""Views follow the document's change records: an edit of a collection a view does not
show leaves it alone, a related one rebuilds it (at once if seen, else when next shown),
and a whole reload always does. Rebuilds are counted through the views' own models'
signals, or a spy on the rebuilding method where a view has no model of its own."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtTest import QSignalSpy
from PySide6.QtWidgets import QLabel, QTabWidget, QWidget

from modeldesk.app.document import Document
from modeldesk.app.views.projects_page import ProjectsPage
from modeldesk.app.views.serve_aliases import AliasesBox
from modeldesk.app.views.settings.fallback_form import FallbackForm
from modeldesk.app.views.settings.model_registry import ModelRegistry
from modeldesk.app.views.settings.models_tab import ModelsTab
from modeldesk.app.views.settings.providers_section import ProvidersSection
from modeldesk.app.views.settings.task_models_editor import TaskModelsEditor
from modeldesk.app.views.squads_page import SquadsPage
from modeldesk.app.widgets.model_list_editor import ModelListEditor
from modeldesk.app.widgets.when_shown import follow_when_shown
from modeldesk.core.edits import Edit, RemoveAgent, SetSetting, UpdateItem
from modeldesk.core.store import ConfigStore
from tests.app.helpers import show_active, spy_on

RENAME_SQUAD = UpdateItem("squads", "support-desk", {"name": "Help desk"})
RENAME_PROJECT = UpdateItem("projects", "support", {"name": "Support"})
RENAME_AGENT = UpdateItem("agents", "triage", {"name": "Sorter"})
SET_RETRIES = SetSetting(("fallback", "retries"), 4)
RELABEL_PROVIDER = UpdateItem("providers", "local", {"label": "Local server"})
SET_ALIASES = SetSetting(("serve", "aliases"), {"claude-*haiku*": "triage"})


def rebuilds(signals: list[Any]) -> Callable[[], int]:
    spies = [QSignalSpy(signal) for signal in signals]
    return lambda: sum(spy.count() for spy in spies)


def test_a_hidden_view_catches_up_once_when_shown_and_ignores_unrelated_edits(qtbot: Any, document: Document) -> None:
    tabs = show_active(qtbot, QTabWidget(), (400, 300))
    front, back = QLabel("front"), QWidget()
    tabs.addTab(front, "Front")
    tabs.addTab(back, "Back")
    refreshed: list[None] = []
    follow_when_shown(back, document, ("squads",), lambda: refreshed.append(None))

    document.perform(RENAME_PROJECT)  # not a squad: nothing to do, not even later
    tabs.setCurrentWidget(back)
    assert refreshed == []
    tabs.setCurrentWidget(front)
    document.perform(RENAME_SQUAD)
    document.perform(UpdateItem("squads", "research-team", {"name": "Lab"}))
    assert refreshed == []  # hidden: only marked stale
    tabs.setCurrentWidget(back)
    assert len(refreshed) == 1  # one catch-up for both edits
    document.undo_stack.undo()  # shown: at once
    assert len(refreshed) == 2
    document.undo_stack.undo()
    document.undo_stack.undo()  # the project rename's undo: unrelated
    assert len(refreshed) == 3


def test_a_reload_refreshes_every_follower(qtbot: Any, document: Document) -> None:
    widget = show_active(qtbot, QWidget())
    refreshed: list[None] = []
    follow_when_shown(widget, document, ("squads",), lambda: refreshed.append(None))
    document.reloaded.emit()
    assert len(refreshed) == 1


def test_projects_page_follows_projects_not_squads(qtbot: Any, document: Document) -> None:
    page = show_active(qtbot, ProjectsPage(document), (1100, 760))
    count = rebuilds([page.projects_model.dataChanged, page.projects_model.modelReset])
    document.perform(RENAME_SQUAD)
    assert count() == 0
    document.perform(RENAME_PROJECT)
    assert count() >= 1
    assert "Support" in [page.projects_model.row_value(r).project.name for r in range(page.projects_model.rowCount())]


def test_squads_page_follows_a_squad_edit(qtbot: Any, document: Document) -> None:
    page = show_active(qtbot, SquadsPage(document), (1100, 760))
    page.select_squad("research-team")
    count = rebuilds([page.squads_model.dataChanged, page.squads_model.modelReset])
    members = rebuilds([page.members_model.dataChanged, page.members_model.modelReset])
    document.perform(UpdateItem("projects", "research", {"default_model": ["gpt-4o"]}))
    assert count() == 0  # the squads table shows nothing a project changes
    assert members() >= 1  # what the members run on may have changed
    document.perform(RENAME_SQUAD)
    assert count() >= 1
    assert "Help desk" in [page.squads_model.row_value(r).name for r in range(page.squads_model.rowCount())]


@pytest.mark.parametrize(
    ("view", "method", "unrelated", "related"),
    [
        (FallbackForm, "_refresh", RENAME_AGENT, SET_RETRIES),
        (ModelsTab, "_refresh", RENAME_SQUAD, SET_RETRIES),
        (AliasesBox, "refresh", RENAME_AGENT, SET_ALIASES),
        (ModelRegistry, "refresh", RENAME_AGENT, RELABEL_PROVIDER),
        (ProvidersSection, "refresh", SET_RETRIES, RELABEL_PROVIDER),
        (TaskModelsEditor, "refresh", RENAME_SQUAD, SET_RETRIES),
    ],
)
def test_settings_and_serve_sections_skip_unrelated_edits(
    qtbot: Any,
    document: Document,
    monkeypatch: pytest.MonkeyPatch,
    view: type[QWidget],
    method: str,
    unrelated: Edit,
    related: Edit,
) -> None:
    calls = spy_on(monkeypatch, view, method)
    show_active(qtbot, view(document), (900, 700))  # type: ignore[call-arg]
    built = len(calls)
    document.perform(unrelated)
    assert len(calls) == built
    document.perform(related)
    assert len(calls) == built + 1


def test_a_model_list_repaints_for_registry_edits_only(qtbot: Any, document: Document) -> None:
    editor = ModelListEditor(document)
    editor.set_models(["gpt-4o", "claude-sonnet-4"])
    show_active(qtbot, editor)
    repaints = QSignalSpy(editor.model.dataChanged)
    document.perform(RENAME_AGENT)
    document.perform(SET_RETRIES)
    assert repaints.count() == 0
    document.perform(RELABEL_PROVIDER)
    assert repaints.count() == 1


def test_the_aliases_follow_agents_coming_and_going_row_by_row(
    qtbot: Any, document: Document, config_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Renaming an agent changes nothing the aliases show; removing one an alias names
    flags just that row (one ``dataChanged`` for it, no reset), and undo unflags it."""
    document.perform(SetSetting(("serve", "aliases"), {"claude-*haiku*": "triage", "gpt-*": "helper", "o*": "triage"}))
    refreshes = spy_on(monkeypatch, AliasesBox, "refresh")
    box = show_active(qtbot, AliasesBox(document), (700, 400))
    built = len(refreshes)
    cells = QSignalSpy(box.model.dataChanged)
    reshaped = rebuilds([box.model.modelReset, box.model.rowsInserted, box.model.rowsRemoved, box.model.layoutChanged])

    def choices() -> list[str]:
        return [box.agent_combo.itemText(i) for i in range(box.agent_combo.count())]

    document.perform(RENAME_AGENT)
    document.perform(UpdateItem("agents", "helper", {"instruction": "Anything."}))
    assert len(refreshes) == built  # not even read

    document.perform(RemoveAgent("helper"))
    assert box.model.rows() == [
        ("claude-*haiku*", "triage", True),
        ("gpt-*", "helper", False),
        ("o*", "triage", True),
    ]
    assert [(args[0].row(), args[1].row()) for args in (cells.at(i) for i in range(cells.count()))] == [(1, 1)]
    assert reshaped() == 0
    assert "helper" not in choices()
    document.undo_stack.undo()
    assert box.model.row_value(1) == ("gpt-*", "helper", True) and cells.count() == 2 and reshaped() == 0
    assert "helper" in choices()

    # A reload (another program set the aliases) reads them all again.
    assert document.wait_saved()
    ConfigStore(config_file).apply(SetSetting(("serve", "aliases"), {"gpt-*": "analyst"}))
    document.reload()
    assert box.model.rows() == [("gpt-*", "analyst", True)]
