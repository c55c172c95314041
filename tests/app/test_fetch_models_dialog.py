"""Fetch models: the user picks what to import (filter, Select all / none)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt

from modeldesk.app.document import Document
from modeldesk.app.views.dialogs.fetch_models_dialog import TICK_ALL_UP_TO, FetchModelsDialog
from modeldesk.app.views.settings.models_tab import ModelsTab
from modeldesk.core.edits import PutItem
from modeldesk.core.schema import Model, Provider
from tests.app.helpers import answer_modal, show_active
from tests.support.scripted_server import ScriptedServer


def _models(names: list[str]) -> list[Model]:
    return [Model(id=n, provider="lab", name=n) for n in names]


def test_long_lists_start_unticked_and_select_all_follows_the_filter(qtbot: Any) -> None:
    names = [f"llama-{i}" for i in range(TICK_ALL_UP_TO)] + ["qwen-7b", "qwen-14b"]
    dialog = show_active(qtbot, FetchModelsDialog("lab", _models(names)))
    assert dialog.selected() == [] and not dialog.import_button.isEnabled()
    qtbot.keyClicks(dialog.filter_edit, "qwen")
    qtbot.mouseClick(dialog.select_all_button, Qt.MouseButton.LeftButton)
    assert [m.id for m in dialog.selected()] == ["qwen-7b", "qwen-14b"]
    assert dialog.count_label.text() == "2 selected"
    dialog.filter_edit.clear()
    dialog.list.item(0).setCheckState(Qt.CheckState.Checked)
    assert [m.id for m in dialog.selected()] == ["llama-0", "qwen-7b", "qwen-14b"]
    qtbot.keyClicks(dialog.filter_edit, "14b")
    qtbot.mouseClick(dialog.select_none_button, Qt.MouseButton.LeftButton)
    assert [m.id for m in dialog.selected()] == ["llama-0", "qwen-7b"]


def test_fetch_imports_only_the_ticked_models(
    qtbot: Any, document: Document, scripted_server: ScriptedServer, qasync_loop: Any
) -> None:
    tab = show_active(qtbot, ModelsTab(document), (1100, 800))
    scripted_server.model_names = ["lab-a", "lab-b", "lab-c"]
    document.perform(PutItem("providers", Provider(id="lab", kind="openai", base_url=scripted_server.openai_url)))
    tab.providers.select("lab")

    def only_b(dialog: FetchModelsDialog) -> None:
        qtbot.mouseClick(dialog.select_none_button, Qt.MouseButton.LeftButton)
        dialog.list.item(1).setCheckState(Qt.CheckState.Checked)
        qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)

    answer_modal(FetchModelsDialog, only_b)
    with qtbot.waitSignal(tab.providers.fetch_finished, timeout=10_000) as finished:
        qtbot.mouseClick(tab.providers.fetch_button, Qt.MouseButton.LeftButton)
    assert finished.args == ["lab", 1]
    assert [m.id for m in document.config.models if m.provider == "lab"] == ["lab-b"]
