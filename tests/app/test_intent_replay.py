"""One intent, one edit: each app action that changes a list others share (a squad's
members, removing agents, deleting a project, a task-model rule, filling facts from the
catalog, a provider or model edited in its dialog) is the core's intent edit, worked out under
the store's lock. So when the command line (another process) changes the same file before
the app's edit is saved, the replay keeps both changes.

Each test: the page is shown, the real CLI changes the file, then the user acts through
the page without the app having looked at the file again."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QMessageBox

from modeldesk.app.document import Document, wait_for_saves
from modeldesk.app.views.agent_editor import AgentEditor
from modeldesk.app.views.agent_task_models import AgentTaskModelDialog
from modeldesk.app.views.agents_page import AgentsPage
from modeldesk.app.views.dialogs.model_dialog import ModelDialog
from modeldesk.app.views.dialogs.provider_dialog import ProviderDialog
from modeldesk.app.views.dialogs.task_model_dialog import TaskModelDialog
from modeldesk.app.views.projects_page import ProjectsPage
from modeldesk.app.views.settings.model_registry import ModelRegistry
from modeldesk.app.views.settings.providers_section import ProvidersSection
from modeldesk.app.views.settings.task_models_editor import TaskModelsEditor, rules_of
from modeldesk.app.views.squads_page import SquadsPage
from tests.app.helpers import answer_modal, show_active


def cli(config: Path, *args: str) -> None:
    """The real command line, in another process."""
    subprocess.run(
        [sys.executable, "-m", "modeldesk", "--config", str(config), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )


def on_disk(path: Path) -> dict[str, Any]:
    wait_for_saves()
    return json.loads(path.read_text())


def members(path: Path, squad_id: str) -> list[str]:
    return next(s["agents"] for s in on_disk(path)["squads"] if s["id"] == squad_id)


def test_adding_a_squad_member_keeps_one_the_cli_added(qtbot: Any, document: Document, config_file: Path) -> None:
    page = show_active(qtbot, SquadsPage(document), (1100, 700))
    page.select_squad("research-team")
    cli(config_file, "squads", "add-member", "research-team", "helper")
    page.agent_combo.setEditText("triage")
    page.add_member()
    assert members(config_file, "research-team") == ["analyst", "researcher", "fact-checker", "helper", "triage"]
    qtbot.waitUntil(lambda: "helper" in document.config.squad("research-team").agents)
    document.undo_stack.undo()  # the opposite change, not the old list: the CLI's member stays
    assert members(config_file, "research-team") == ["analyst", "researcher", "fact-checker", "helper"]


def test_removing_a_squad_member_keeps_one_the_cli_added(qtbot: Any, document: Document, config_file: Path) -> None:
    page = show_active(qtbot, SquadsPage(document), (1100, 700))
    page.select_squad("research-team")
    page.select_member("analyst")
    cli(config_file, "squads", "add-member", "research-team", "helper")
    page.remove_member()
    assert members(config_file, "research-team") == ["researcher", "fact-checker", "helper"]
    document.undo_stack.undo()  # back in its place, the CLI's member kept
    assert members(config_file, "research-team") == ["analyst", "researcher", "fact-checker", "helper"]


def test_removing_an_agent_keeps_a_member_the_cli_added_to_its_squad(
    qtbot: Any, document: Document, config_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = show_active(qtbot, AgentsPage(document), (1100, 700))
    page.select_agent("analyst")
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    cli(config_file, "squads", "add-member", "research-team", "helper")
    page.remove_selected()
    assert members(config_file, "research-team") == ["researcher", "fact-checker", "helper"]
    assert "analyst" not in {a["id"] for a in on_disk(config_file)["agents"]}


def test_deleting_a_project_moves_an_agent_the_cli_put_in_it(qtbot: Any, document: Document, config_file: Path) -> None:
    page = show_active(qtbot, ProjectsPage(document), (1100, 760))
    page.select_project("research")
    cli(config_file, "agents", "set-project", "research", "helper")
    dialog = page.delete_project()
    assert dialog is not None
    dialog.move_radio.setChecked(True)
    assert dialog.target() == "support"
    dialog.buttons.button(dialog.buttons.StandardButton.Ok).click()
    data = on_disk(config_file)
    assert [p["id"] for p in data["projects"]] == ["support"]
    projects = {a["id"]: a.get("project") for a in data["agents"]}
    assert projects["helper"] == "support"  # not left naming a project that is gone
    assert projects["analyst"] == "support"


def test_a_task_model_added_in_the_agent_editor_keeps_one_the_cli_set(
    qtbot: Any, document: Document, config_file: Path
) -> None:
    editor = show_active(qtbot, AgentEditor(document), (640, 700))
    editor.set_agent("helper")
    editor.task_section.set_expanded(True)
    cli(config_file, "agents", "set-task-model", "helper", "title", "gpt-4o-mini")

    def fill(dialog: AgentTaskModelDialog) -> None:
        dialog.task_edit.setText("summary")
        dialog.models_editor.add_model("claude-haiku-4")
        dialog.accept()

    answer_modal(AgentTaskModelDialog, fill)
    editor.task_models.add_item()
    helper = next(a for a in on_disk(config_file)["agents"] if a["id"] == "helper")
    assert helper["task_models"] == {"title": "gpt-4o-mini", "summary": "claude-haiku-4"}


def test_a_project_task_rule_removed_in_the_app_keeps_one_the_cli_set(
    qtbot: Any, document: Document, config_file: Path
) -> None:
    page = show_active(qtbot, ProjectsPage(document), (1100, 760))
    page.select_project("support")
    rules = page.task_models.rows()
    assert rules
    page.task_models.select(page.task_models.key(rules[0]))
    cli(config_file, "projects", "set-task-model", "support", "tags", "gpt-4o-mini")
    page.task_models.remove_item()
    support = next(p for p in on_disk(config_file)["projects"] if p["id"] == "support")
    assert support["task_models"]["tags"] == {"*": "gpt-4o-mini"}
    assert rules[1:] == [r for r in rules_of(support["task_models"]) if r[0] != "tags"]


def test_a_settings_task_rule_added_in_the_app_keeps_one_the_cli_set(
    qtbot: Any, document: Document, config_file: Path
) -> None:
    editor = show_active(qtbot, TaskModelsEditor(document), (800, 400))
    cli(config_file, "settings", "set-task-model", "tags", "gpt-4o-mini")

    def fill(dialog: TaskModelDialog) -> None:
        dialog.task_edit.setText("digest")
        dialog.models_editor.add_model("claude-haiku-4")
        dialog.accept()

    answer_modal(TaskModelDialog, fill)
    editor.add_item()
    task_models = on_disk(config_file)["settings"]["task_models"]
    assert task_models["tags"] == {"*": "gpt-4o-mini"} and task_models["digest"] == {"*": "claude-haiku-4"}


def test_fill_from_catalog_keeps_a_label_the_cli_set(qtbot: Any, document: Document, config_file: Path) -> None:
    registry = show_active(qtbot, ModelRegistry(document), (1000, 500))
    cli(config_file, "models", "set", "gpt-4o", "--label", "Our GPT", "--context-window", "5000")
    registry.fill_from_catalog()
    model = next(m for m in on_disk(config_file)["models"] if m["id"] == "gpt-4o")
    assert model["label"] == "Our GPT" and model["context_window"] == 5000  # the CLI's values
    assert model["capabilities"]["tools"] is True and model["price"]["input"] > 0  # the catalog's


def test_editing_a_model_saves_only_what_the_dialog_changed(qtbot: Any, document: Document, config_file: Path) -> None:
    registry = show_active(qtbot, ModelRegistry(document), (1000, 500))
    registry.select("o3-mini")
    cli(config_file, "models", "set", "o3-mini", "--context-window", "4242")

    def relabel(dialog: ModelDialog) -> None:
        dialog.label_edit.setText("o3 mini (reasoning)")
        dialog.buttons.button(dialog.buttons.StandardButton.Ok).click()

    answer_modal(ModelDialog, relabel)
    registry.edit_item()
    model = next(m for m in on_disk(config_file)["models"] if m["id"] == "o3-mini")
    assert model["label"] == "o3 mini (reasoning)" and model["context_window"] == 4242


def test_editing_a_provider_saves_only_what_the_dialog_changed(
    qtbot: Any, document: Document, config_file: Path
) -> None:
    section = show_active(qtbot, ProvidersSection(document), (1000, 500))
    section.select("anthropic")
    cli(config_file, "providers", "set", "anthropic", "--label", "Corp Anthropic")

    def use_env(dialog: ProviderDialog) -> None:
        dialog.key_env.click()
        dialog.env_edit.setText("ANTHROPIC_API_KEY")
        dialog.buttons.button(dialog.buttons.StandardButton.Ok).click()

    answer_modal(ProviderDialog, use_env)
    section.edit_item()
    provider = next(p for p in on_disk(config_file)["providers"] if p["id"] == "anthropic")
    assert provider["api_key"] == {"env": "ANTHROPIC_API_KEY"} and provider["label"] == "Corp Anthropic"
