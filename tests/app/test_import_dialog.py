"""File → Export… and File → Import…: a real export file written by the dialog, the
import preview (added / changed / conflicting) with the keep-or-replace choice, one undo
step, and an export imported into an empty config resolving every agent the same way."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from modeldesk.app.document import Document, wait_for_saves
from modeldesk.app.main_window import MainWindow
from modeldesk.app.views.dialogs.import_dialog import (
    ExportDialog,
    ImportDialog,
    import_file,
    read_import_file,
)
from modeldesk.core.edits import SetAgentModels, UpdateItem
from modeldesk.core.errors import ConfigError
from modeldesk.core.schema import Config
from modeldesk.core.store import ConfigStore
from tests.app.helpers import answer_modal, show_active
from tests.app.squads_support import table_rows


@pytest.fixture
def empty_document(qtbot: Any, tmp_path: Path) -> Any:
    store = ConfigStore(tmp_path / "empty" / "config.json")
    store.save(Config())
    document = Document(store)
    yield document
    document.undo_stack.clear()


def export_with_dialog(qtbot: Any, document: Document, path: Path, *ticked: tuple[str, str]) -> ExportDialog:
    dialog = show_active(qtbot, ExportDialog(document, path=path))
    if ticked:
        qtbot.mouseClick(dialog.chosen_radio, Qt.MouseButton.LeftButton)
        for kind, item_id in ticked:
            dialog.set_checked(kind, item_id)
    dialog.buttons.button(dialog.buttons.StandardButton.Ok).click()
    assert dialog.result() == ExportDialog.DialogCode.Accepted, dialog.error_label.text()
    return dialog


def test_export_everything_then_import_into_an_empty_config(
    qtbot: Any, document: Document, empty_document: Document, tmp_path: Path
) -> None:
    path = tmp_path / "out.json"
    dialog = export_with_dialog(qtbot, document, path)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["modeldesk_export"] == 1
    assert [a["id"] for a in data["agents"]] == [a.id for a in document.config.agents]
    assert "SECRET" not in path.read_text(encoding="utf-8")
    assert dialog.done_message() == f"Exported to {path}"

    bundle, warnings = read_import_file(path)
    preview = show_active(qtbot, ImportDialog(empty_document, bundle, path.name, warnings))
    plan = preview.plan
    assert plan is not None and not plan.conflicting and not plan.changed
    assert preview.summary_label.text().startswith(f"{len(plan.added)} added, 0 changed, 0 conflicting")
    assert not preview.keep_radio.isEnabled()  # no conflicts: nothing to choose
    assert table_rows(preview.model)[0][:3] == ("Add", "provider", "anthropic")
    steps = empty_document.undo_stack.count()
    preview.import_button.click()
    assert empty_document.undo_stack.count() == steps + 1
    assert empty_document.undo_stack.undoText() == "Import out.json"
    wait_for_saves()  # saves run in a worker thread
    saved = ConfigStore(empty_document.store.path).load()
    for agent in document.config.agents:
        here, there = document.resolver.chat(agent.id), empty_document.resolver.chat(agent.id)
        assert (there.models, there.source) == (here.models, here.source), agent.id
    assert [a.id for a in saved.agents] == [a.id for a in document.config.agents]
    empty_document.undo_stack.undo()
    wait_for_saves()
    assert ConfigStore(empty_document.store.path).load().agents == []


def test_conflicts_are_kept_unless_replace_is_chosen(qtbot: Any, document: Document, tmp_path: Path) -> None:
    path = tmp_path / "research.json"
    export_with_dialog(qtbot, document, path, ("squad", "research-team"))
    exported = json.loads(path.read_text(encoding="utf-8"))
    assert [a["id"] for a in exported["agents"]] == ["analyst", "researcher", "fact-checker"]
    assert [p["id"] for p in exported["projects"]] == ["research"]

    # Since the export, the analyst changed here.
    document.perform(SetAgentModels("analyst", ("o3-mini",)))
    bundle, warnings = read_import_file(path)
    dialog = show_active(qtbot, ImportDialog(document, bundle, path.name, warnings))
    assert dialog.summary_label.text().startswith("0 added, 0 changed, 1 conflicting")
    assert dialog.keep_radio.isChecked()
    assert table_rows(dialog.model) == [("Keep ours", "agent", "analyst", "model: o3-mini → claude-sonnet-4, gpt-4o")]
    assert not dialog.import_button.isEnabled()  # keeping ours leaves nothing to write
    dialog.show_unchanged.setFocus()
    qtbot.keyClick(dialog.show_unchanged, Qt.Key.Key_Space)
    assert ("Unchanged", "agent", "researcher") in [r[:3] for r in table_rows(dialog.model)]

    dialog.replace_radio.setFocus()
    qtbot.keyClick(dialog.replace_radio, Qt.Key.Key_Space)
    assert dialog.summary_label.text().startswith("0 added, 1 changed, 1 conflicting")
    assert ("Change", "agent", "analyst") in [r[:3] for r in table_rows(dialog.model)]
    dialog.import_button.click()
    assert document.config.agent("analyst").model == ["claude-sonnet-4", "gpt-4o"]
    document.undo_stack.undo()
    assert document.config.agent("analyst").model == ["o3-mini"]


def test_the_preview_follows_edits_of_what_the_file_holds_only(qtbot: Any, document: Document, tmp_path: Path) -> None:
    path = tmp_path / "research.json"
    export_with_dialog(qtbot, document, path, ("squad", "research-team"))
    bundle, warnings = read_import_file(path)
    dialog = show_active(qtbot, ImportDialog(document, bundle, path.name, warnings))
    assert dialog.summary_label.text().startswith("0 added, 0 changed, 0 conflicting")
    planned = dialog.plan
    # The support squad's agents are not in the file: the plan is not even made again.
    document.perform(SetAgentModels("triage", ("o3-mini",)))
    document.perform(UpdateItem("squads", "support-desk", {"name": "Help desk"}))
    assert dialog.plan is planned
    # The analyst is: editing it here makes it a conflict at once.
    document.perform(SetAgentModels("analyst", ("o3-mini",)))
    assert dialog.plan is not planned
    assert dialog.summary_label.text().startswith("0 added, 0 changed, 1 conflicting")
    document.undo_stack.undo()
    assert dialog.summary_label.text().startswith("0 added, 0 changed, 0 conflicting")


def test_export_refuses_without_a_choice_or_a_folder(qtbot: Any, document: Document, tmp_path: Path) -> None:
    dialog = show_active(qtbot, ExportDialog(document, path=tmp_path / "nowhere" / "x.json"))
    dialog.buttons.button(dialog.buttons.StandardButton.Ok).click()
    assert dialog.isVisible() and "does not exist" in dialog.error_label.text()
    dialog.path_edit.setText(str(tmp_path / "x.json"))
    qtbot.mouseClick(dialog.chosen_radio, Qt.MouseButton.LeftButton)
    dialog.buttons.button(dialog.buttons.StandardButton.Ok).click()
    assert dialog.isVisible() and dialog.error_label.text().startswith("Tick at least one")
    # The filter narrows a long list.
    qtbot.keyClicks(dialog.filter_edit, "support")
    visible = [
        dialog.items_list.item(r).text()
        for r in range(dialog.items_list.count())
        if not dialog.items_list.item(r).isHidden()
    ]
    assert visible == ["project  Customer support (support)", "squad  Support desk (support-desk)"]
    assert not (tmp_path / "x.json").exists()


def test_unreadable_files_are_refused_with_a_message(qtbot: Any, document: Document, tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"modeldesk_export": 1, "agents": [', encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid JSON"):
        read_import_file(broken)
    wrong = tmp_path / "wrong.json"
    wrong.write_text(json.dumps({"modeldesk_export": 1, "agents": [{"id": "x"}]}), encoding="utf-8")
    with pytest.raises(ConfigError, match="not a valid ModelDesk export"):
        read_import_file(wrong)
    window = show_active(qtbot, MainWindow(document))
    texts: list[str] = []
    seen = answer_modal(QMessageBox, lambda box: (texts.append(box.text()), box.accept()))
    assert import_file(window, document, broken) is None
    assert seen and "not valid JSON" in texts[0]


def test_file_menu_has_import_and_export(qtbot: Any, document: Document) -> None:
    window = show_active(qtbot, MainWindow(document))
    texts = [a.text() for a in window.menuBar().actions()[0].menu().actions()]
    assert "&Import…" in texts and "&Export…" in texts
    window.export_action.trigger()
    dialog = window.findChild(ExportDialog)
    assert dialog is not None and dialog.isVisible()
    assert dialog.path_edit.text() == str(document.store.path.parent / "modeldesk-export.json")
    dialog.buttons.button(dialog.buttons.StandardButton.Ok).click()
    assert window.statusBar().currentMessage().startswith("Exported to ")


def test_import_is_off_while_a_broken_file_pauses_editing(qtbot: Any, document: Document, config_file: Path) -> None:
    window = show_active(qtbot, MainWindow(document))
    assert window.import_action.isEnabled()
    config_file.write_text('{"schema_version": 1, "agents": [', encoding="utf-8")
    with qtbot.waitSignal(document.paused_changed):
        document.reload_if_changed()
    assert not window.import_action.isEnabled()
    assert not window.projects_page.isEnabled()
    assert window.export_action.isEnabled()  # exporting what is shown changes nothing
