"""The resolution preview: the resolver's trace as a table for each layer that can win,
delegated runs, tasks, strict mode, and the no-model error in the user's words."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QTabWidget, QWidget

from modeldesk.app.models.trace_model import TraceModel
from modeldesk.app.views.resolution_view import ResolutionPreview
from modeldesk.core.edits import SetAgentModels, SetSetting, SetTaskModel, UpdateItem
from modeldesk.core.resolver import TraceStep
from modeldesk.core.store import ConfigStore
from tests.app.helpers import shown_in_tabs, spy_on
from tests.app.squads_support import table_rows, type_model

CALL_NOT_SET = ("Call model", "(not set)", "skipped", "not set")
AGENT_NOT_SET = ("Agent's preferred models", "(not set)", "skipped", "not set")


def make_preview(qtbot: Any, document: Any, agent_id: str | None) -> ResolutionPreview:
    preview = ResolutionPreview(document)
    qtbot.addWidget(preview)
    preview.resize(760, 620)
    preview.show()
    qtbot.waitExposed(preview)
    preview.set_agent(agent_id)
    return preview


def test_trace_model_passes_the_model_tester(qtmodeltester: Any) -> None:
    model = TraceModel()
    model.set_rows(
        [
            TraceStep("call", None, "skipped", "not set"),
            TraceStep("agent", [], "skipped", "empty list"),
            TraceStep("settings", ["a", "b"], "used", "used: a, b"),
        ]
    )
    qtmodeltester.check(model)
    assert table_rows(model) == [
        CALL_NOT_SET,
        ("Agent's preferred models", "(empty list)", "skipped", "empty list"),
        ("Settings default", "a, b", "used", "used: a, b"),
    ]
    assert model.index(2, 0).data(Qt.ItemDataRole.FontRole).bold()


@pytest.mark.parametrize(
    ("agent_id", "source", "rows"),
    [
        pytest.param(
            "analyst",
            "agent",
            [
                CALL_NOT_SET,
                ("Agent's preferred models", "claude-sonnet-4, gpt-4o", "used", "used: claude-sonnet-4, gpt-4o"),
            ],
            id="agent",
        ),
        pytest.param(
            "researcher",
            "project",
            [
                CALL_NOT_SET,
                AGENT_NOT_SET,
                ("Project default", "claude-opus-4, gpt-4.1", "used", "used: claude-opus-4, gpt-4.1"),
            ],
            id="project",
        ),
        pytest.param(
            "helper",
            "settings",
            [
                CALL_NOT_SET,
                AGENT_NOT_SET,
                ("Project default", "(not set)", "skipped", "agent has no project"),
                ("Settings default", "claude-sonnet-4, gpt-4o", "used", "used: claude-sonnet-4, gpt-4o"),
            ],
            id="settings",
        ),
    ],
)
def test_the_first_usable_layer_wins(
    qtbot: Any, document: Any, agent_id: str, source: str, rows: list[tuple[str, ...]]
) -> None:
    preview = make_preview(qtbot, document, agent_id)
    assert table_rows(preview.chat_trace_model) == rows
    assert preview.chat_resolution is not None and preview.chat_resolution.source == source
    assert not preview.error_label.isVisible()
    assert not preview.task_box.isVisible()


def test_result_line_names_models_and_source(qtbot: Any, document: Any) -> None:
    preview = make_preview(qtbot, document, "analyst")
    assert preview.result_label.text() == (
        "Runs on <b>claude-sonnet-4</b>, then gpt-4o — from Agent's preferred models"
    )


def test_call_model_wins_and_lists_are_comma_separated(qtbot: Any, document: Any) -> None:
    preview = make_preview(qtbot, document, "analyst")
    type_model(qtbot, preview.call_combo, "gpt-4.1, o3-mini")
    assert table_rows(preview.chat_trace_model) == [
        ("Call model", "gpt-4.1, o3-mini", "used", "used: gpt-4.1, o3-mini"),
    ]


def test_delegated_run_parent_then_request(qtbot: Any, document: Any) -> None:
    preview = make_preview(qtbot, document, "helper")
    qtbot.mouseClick(preview.delegated_radio, Qt.MouseButton.LeftButton)
    assert preview.parent_combo.isVisible() and preview.request_combo.isVisible()
    assert not preview.call_combo.isVisible()
    type_model(qtbot, preview.request_combo, "gpt-4o-mini")
    assert table_rows(preview.chat_trace_model) == [
        AGENT_NOT_SET,
        ("Parent run's model", "(not set)", "skipped", "not set"),
        ("Request model", "gpt-4o-mini", "used", "used: gpt-4o-mini"),
    ]
    type_model(qtbot, preview.parent_combo, "gpt-4o")
    assert table_rows(preview.chat_trace_model) == [
        AGENT_NOT_SET,
        ("Parent run's model", "gpt-4o", "used", "used: gpt-4o"),
    ]
    # The sub-agent's own list still comes first.
    preview.set_agent("analyst")
    assert table_rows(preview.chat_trace_model) == [
        ("Agent's preferred models", "claude-sonnet-4, gpt-4o", "used", "used: claude-sonnet-4, gpt-4o"),
    ]


def test_task_trace(qtbot: Any, document: Any) -> None:
    preview = make_preview(qtbot, document, "escalation")
    preview.task_combo.setFocus()
    qtbot.keyClicks(preview.task_combo.lineEdit(), "title")
    assert preview.task_box.isVisible()
    assert preview.task_box.title() == "Task “title”"
    # The settings map has an entry for the chat primary (claude-opus-4): it wins over '*'.
    assert table_rows(preview.task_trace_model) == [
        ("Agent's task model", "(not set)", "skipped", "not set"),
        ("Project task model", "(not set)", "skipped", "not set"),
        ("Settings task model", "claude-haiku-4", "used", "entry 'claude-opus-4' used: claude-haiku-4"),
    ]
    assert preview.task_result_label.text() == "Runs on <b>claude-haiku-4</b> — from Settings task model"

    preview.set_agent("analyst")
    assert table_rows(preview.task_trace_model) == [
        ("Agent's task model", "gpt-4o-mini", "used", "used: gpt-4o-mini"),
    ]
    preview.set_agent("responder")
    qtbot.keyClick(preview.task_combo.lineEdit(), Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(preview.task_combo.lineEdit(), "summary")
    assert table_rows(preview.task_trace_model)[-1] == (
        "Project task model",
        "claude-haiku-4",
        "used",
        "entry '*' used: claude-haiku-4",
    )
    # Known task names are offered.
    assert [preview.task_combo.itemText(i) for i in range(preview.task_combo.count())] == ["summary", "title"]


def test_no_model_configured_error_in_the_users_words(qtbot: Any, document: Any) -> None:
    document.perform(SetSetting(("default_agent_model",), None))
    preview = make_preview(qtbot, document, "helper")
    assert preview.error_label.isVisible()
    text = preview.error_label.text()
    assert "No usable model for agent 'helper'" in text
    assert "agent editor" in text and "Settings → Models → Default agent model" in text
    assert "Open settings" in text
    assert not preview.result_label.isVisible()
    # The layers tried before giving up are still listed.
    assert table_rows(preview.chat_trace_model) == [
        CALL_NOT_SET,
        AGENT_NOT_SET,
        ("Project default", "(not set)", "skipped", "agent has no project"),
        ("Settings default", "(not set)", "skipped", "not set"),
        ("Organization policy", "(not set)", "skipped", "no organization policy"),
    ]
    with qtbot.waitSignal(document.open_settings_requested) as requested:
        preview.error_label.linkActivated.emit("open-settings")
    assert requested.args == ["default_agent_model"]


def test_follows_edits_and_undo(qtbot: Any, document: Any) -> None:
    preview = make_preview(qtbot, document, "helper")
    document.perform(SetAgentModels("helper", ("gpt-4.1",)))
    assert preview.chat_resolution is not None and preview.chat_resolution.source == "agent"
    assert table_rows(preview.chat_trace_model)[-1] == (
        "Agent's preferred models",
        "gpt-4.1",
        "used",
        "used: gpt-4.1",
    )
    document.undo_stack.undo()
    assert preview.chat_resolution is not None and preview.chat_resolution.source == "settings"


def test_warnings_and_strict_mode(qtbot: Any, document: Any) -> None:
    preview = make_preview(qtbot, document, "fact-checker")
    assert preview.warnings_label.isVisible()
    assert "agent: 'claude-3-haiku' removed: model disabled" in preview.warnings_label.text()
    qtbot.mouseClick(preview.strict_check, Qt.MouseButton.LeftButton)
    assert preview.error_label.isVisible()
    assert preview.error_label.text() == "Model 'claude-3-haiku' (agent) cannot be used: model disabled."


def test_no_agent_and_unknown_agent(qtbot: Any, document: Any) -> None:
    preview = make_preview(qtbot, document, None)
    assert preview.title_label.text() == "Choose an agent to see which models it would run on."
    assert preview.chat_trace_model.rowCount() == 0
    assert not preview.options_box.isEnabled()
    preview.set_agent("gone")
    assert preview.chat_trace_model.rowCount() == 0


def test_project_override(qtbot: Any, document: Any) -> None:
    preview = make_preview(qtbot, document, "researcher")
    assert preview.project_combo.currentText() == "(the agent's own project)"
    preview.project_combo.setFocus()
    qtbot.keyClick(preview.project_combo, Qt.Key.Key_Down)
    assert preview.project_combo.currentData() == "support"
    assert table_rows(preview.chat_trace_model)[-1] == ("Project default", "gpt-4o-mini", "used", "used: gpt-4o-mini")
    # A task looks in the chosen project's task models too.
    qtbot.keyClicks(preview.task_combo.lineEdit(), "summary")
    assert table_rows(preview.task_trace_model)[-1] == (
        "Project task model",
        "claude-haiku-4",
        "used",
        "entry '*' used: claude-haiku-4",
    )


def preview_in_tabs(qtbot: Any, document: Any, agent_id: str) -> tuple[QTabWidget, ResolutionPreview, QWidget]:
    """The preview in a tab beside another, shown, as on the Agents page."""
    preview = ResolutionPreview(document)
    tabs, other = shown_in_tabs(qtbot, preview, (760, 620))
    preview.set_agent(agent_id)
    return tabs, preview, other


def test_only_edits_that_concern_the_agent_shown_recompute_it(
    qtbot: Any, document: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At 10,000 agents, redrawing the preview for every edit of another agent cost most of
    an edit's time on the GUI thread."""
    recomputed = spy_on(monkeypatch, ResolutionPreview, "refresh")
    _tabs, preview, _other = preview_in_tabs(qtbot, document, "analyst")
    shown = len(recomputed)

    document.perform(SetAgentModels("researcher", ["o3-mini"]))  # another agent
    document.perform(UpdateItem("agents", "triage", {"name": "Sorter"}))
    assert len(recomputed) == shown
    document.perform(SetAgentModels("analyst", ["o3-mini"]))  # the agent shown
    assert len(recomputed) == shown + 1
    assert preview.chat_resolution is not None and list(preview.chat_resolution.models) == ["o3-mini"]
    document.perform(SetSetting(("default_agent_model",), ["gpt-4o"]))  # what every agent inherits
    assert len(recomputed) == shown + 2


def test_a_hidden_preview_catches_up_once_when_shown(
    qtbot: Any, document: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    recomputed = spy_on(monkeypatch, ResolutionPreview, "refresh")
    tabs, preview, other = preview_in_tabs(qtbot, document, "analyst")
    shown = len(recomputed)

    tabs.setCurrentWidget(other)
    document.perform(SetAgentModels("researcher", ["o3-mini"]))  # another agent: nothing to catch up
    tabs.setCurrentWidget(preview)
    assert len(recomputed) == shown

    tabs.setCurrentWidget(other)
    document.perform(SetAgentModels("analyst", ["o3-mini"]))
    document.perform(SetAgentModels("analyst", ["gpt-4o"]))
    assert len(recomputed) == shown  # hidden: the edits wait
    tabs.setCurrentWidget(preview)
    assert len(recomputed) == shown + 1  # once for both
    assert preview.chat_resolution is not None and list(preview.chat_resolution.models) == ["gpt-4o"]
    tabs.setCurrentWidget(other)
    tabs.setCurrentWidget(preview)
    assert len(recomputed) == shown + 1  # nothing new: shown again, not recomputed


def test_a_reload_refreshes_the_preview(
    qtbot: Any, document: Any, config_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    recomputed = spy_on(monkeypatch, ResolutionPreview, "refresh")
    tabs, preview, other = preview_in_tabs(qtbot, document, "analyst")
    shown = len(recomputed)
    other_program = ConfigStore(config_file)

    # Another program gave the agent a task model: the task list and trace follow.
    other_program.apply(SetTaskModel("agents", "digest", ("gpt-4o-mini",), owner_id="analyst"))
    document.reload()
    assert len(recomputed) == shown + 1
    assert "digest" in [preview.task_combo.itemText(i) for i in range(preview.task_combo.count())]

    tabs.setCurrentWidget(other)  # hidden: the reload waits until it is shown
    other_program.apply(SetAgentModels("analyst", ("gpt-4.1",)))
    document.reload()
    assert len(recomputed) == shown + 1
    tabs.setCurrentWidget(preview)
    assert len(recomputed) == shown + 2
    assert preview.chat_resolution is not None and list(preview.chat_resolution.models) == ["gpt-4.1"]
