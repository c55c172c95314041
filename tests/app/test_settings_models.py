"""Settings → Models, driven as a user would: Default agent model, task models, fallback
defaults, providers (keyring, Check, Fetch models against a real local server) and the
model registry."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QDialog, QMessageBox

from modeldesk.app.document import Document, wait_for_saves
from modeldesk.app.models.providers_model import ProvidersModel
from modeldesk.app.models.registry_model import RegistryModel
from modeldesk.app.models.task_rules_model import TaskModelsModel
from modeldesk.app.views.dialogs.fetch_models_dialog import FetchModelsDialog
from modeldesk.app.views.dialogs.model_dialog import ModelDialog
from modeldesk.app.views.dialogs.provider_dialog import ProviderDialog
from modeldesk.app.views.dialogs.task_model_dialog import TaskModelDialog
from modeldesk.app.views.settings.fallback_form import FallbackForm
from modeldesk.app.views.settings.models_tab import ModelsTab
from modeldesk.app.widgets.fallback_fields import SwitchBox
from modeldesk.core.edits import PutItem
from modeldesk.core.schema import FallbackSettings, Provider
from modeldesk.core.setting_fields import number_fields, setting_fields
from tests.app.helpers import answer_modal, show_active
from tests.app.test_model_list_editor import answer_picker
from tests.support.memory_keyring import MemoryKeyring
from tests.support.scripted_server import ScriptedServer, status


@pytest.fixture
def tab(qtbot: Any, document: Document) -> ModelsTab:
    return show_active(qtbot, ModelsTab(document), (1100, 800))


def on_disk(config_file: Path) -> dict[str, Any]:
    wait_for_saves()  # saves run in a worker thread
    return json.loads(config_file.read_text())


def click(qtbot: Any, button: Any) -> None:
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


# --- default agent model --------------------------------------------------------------


def test_default_agent_model_is_a_priority_list_without_the_hint(
    qtbot: Any, tab: ModelsTab, config_file: Path, document: Document
) -> None:
    editor = tab.default_editor
    assert not editor.hint_label.isVisible()
    assert editor.models() == ["claude-sonnet-4", "gpt-4o"]
    answer_picker(qtbot, "qwen")
    click(qtbot, editor.add_button)
    assert on_disk(config_file)["settings"]["default_agent_model"] == ["claude-sonnet-4", "gpt-4o", "qwen2.5-7b"]
    editor.select_row(0)
    click(qtbot, editor.remove_button)
    click(qtbot, editor.remove_button)
    click(qtbot, editor.remove_button)
    assert "default_agent_model" not in on_disk(config_file)["settings"]
    assert editor.inherited_label.isVisible()
    assert "Not set" in editor.inherited_label.text()
    for _ in range(4):
        document.undo_stack.undo()
    assert editor.models() == ["claude-sonnet-4", "gpt-4o"]
    assert on_disk(config_file)["settings"]["default_agent_model"] == ["claude-sonnet-4", "gpt-4o"]


def test_focus_field_scrolls_and_focuses(qtbot: Any, tab: ModelsTab) -> None:
    tab.focus_field("fallback.cooldown_s")
    qtbot.waitUntil(tab.fallback_form.boxes["cooldown_s"].hasFocus)
    tab.focus_field("default_agent_model")
    qtbot.waitUntil(tab.default_editor.view.hasFocus)


def test_sections_below_the_first_screen_are_built_when_they_come_into_view(qtbot: Any, document: Document) -> None:
    tab = show_active(qtbot, ModelsTab(document), (1100, 420))
    fallback = tab.lazy_sections["fallback"]
    qtbot.wait(50)  # a turn or two: what is in view is built by now, and only that
    assert not fallback.built
    assert tab.findChild(FallbackForm) is None
    scroll = tab.verticalScrollBar()
    scroll.setValue(scroll.maximum())
    qtbot.waitUntil(lambda: fallback.built)
    assert tab.fallback_form.boxes["cooldown_s"].value() == document.config.settings.fallback.cooldown_s


def test_asking_for_a_section_not_built_yet_builds_it_and_scrolls_to_it(qtbot: Any, document: Document) -> None:
    tab = show_active(qtbot, ModelsTab(document), (1100, 420))
    assert not tab.lazy_sections["fallback"].built
    tab.focus_field("fallback.cooldown_s")  # as the sidebar and the "Open settings" links do
    box = tab.fallback_form.boxes["cooldown_s"]
    # At once, not on Qt's next turn: the field is in view and has the focus.
    assert not box.visibleRegion().isEmpty()
    qtbot.waitUntil(box.hasFocus)


# --- fallback defaults ----------------------------------------------------------------


def test_fallback_form_is_built_from_the_schema(qtbot: Any, document: Document) -> None:
    form = FallbackForm(document)
    qtbot.addWidget(form)
    # Every number is a spin box, every switch (enabled, on_stream_break, ...) a drop-down of
    # its words; settings of other kinds (the shared state) are not in this form.
    assert list(form.boxes) == list(setting_fields(FallbackSettings))
    assert set(number_fields(FallbackSettings)) < set(form.boxes) and "state" not in form.boxes
    stream_break = form.boxes["on_stream_break"]
    assert isinstance(stream_break, SwitchBox)
    assert [stream_break.itemText(i) for i in range(stream_break.count())] == ["withdraw", "continue"]
    assert stream_break.value() == "withdraw" and form.boxes["enabled"].value() is True
    for name, words in (
        ("on_refusal", ["fallback", "stop"]),
        ("failover", ["after_retries", "at_once"]),
        ("cost", ["any", "not_more", "free_only"]),
    ):
        box = form.boxes[name]
        assert isinstance(box, SwitchBox) and [box.itemText(i) for i in range(box.count())] == words
    cooldown = FallbackSettings.model_fields["cooldown_s"]
    assert cooldown.description in form.boxes["cooldown_s"].toolTip()
    assert "Default: 60" in form.boxes["cooldown_s"].toolTip()
    assert form.boxes["retries"].maximum() == 20
    assert form.boxes["jitter"].maximum() == 1


def test_fallback_reset_buttons_line_up(qtbot: Any, document: Document) -> None:
    """One column of Reset buttons, down to the rows whose default is a word ("default
    after_retries" pushed its button out of line)."""
    form = show_active(qtbot, FallbackForm(document), (900, 800))
    lefts = {name: button.mapTo(form, QPoint(0, 0)).x() for name, button in form.reset_buttons.items()}
    assert len(set(lefts.values())) == 1, lefts


def test_fallback_value_typed_saved_reset_and_undone(
    qtbot: Any, tab: ModelsTab, document: Document, config_file: Path
) -> None:
    box = tab.fallback_form.boxes["retries"]
    reset = tab.fallback_form.reset_buttons["retries"]
    assert not reset.isEnabled()
    box.setFocus()
    qtbot.waitUntil(box.hasFocus)
    box.selectAll()
    qtbot.keyClicks(box, "5")
    qtbot.keyClick(box, Qt.Key.Key_Return)
    assert on_disk(config_file)["settings"]["fallback"] == {"retries": 5}
    assert reset.isEnabled()
    click(qtbot, reset)
    assert "fallback" not in on_disk(config_file)["settings"]
    assert box.value() == 2
    document.undo_stack.undo()
    assert box.value() == 5
    document.undo_stack.undo()
    assert box.value() == 2
    assert "fallback" not in on_disk(config_file)["settings"]


# --- task models ----------------------------------------------------------------------


def test_task_models_model_passes_the_model_tester(qtmodeltester: Any, document: Document) -> None:
    model = TaskModelsModel(document)
    from modeldesk.app.views.settings.task_models_editor import rules_of

    model.set_rows(rules_of(document.config.settings.task_models))
    qtmodeltester.check(model, force_py=True)


def test_add_edit_and_remove_a_task_rule(qtbot: Any, tab: ModelsTab, document: Document, config_file: Path) -> None:
    editor = tab.task_models

    def fill(dialog: TaskModelDialog) -> None:
        qtbot.keyClicks(dialog.task_edit, "tags")
        dialog.models_editor.add_model("gpt-4o-mini")
        dialog.models_editor.add_model("llama-3.2-3b")
        click(qtbot, dialog.buttons.button(dialog.buttons.StandardButton.Ok))

    answer_modal(TaskModelDialog, fill)
    click(qtbot, editor.add_button)
    assert on_disk(config_file)["settings"]["task_models"]["tags"] == {"*": ["gpt-4o-mini", "llama-3.2-3b"]}

    # Edit the selected (new) rule: only for claude-opus-4 chats now.
    def refill(dialog: TaskModelDialog) -> None:
        assert dialog.task() == "tags"
        dialog.chat_combo.setCurrentIndex(dialog.chat_combo.findData("claude-opus-4"))
        click(qtbot, dialog.buttons.button(dialog.buttons.StandardButton.Ok))

    answer_modal(TaskModelDialog, refill)
    click(qtbot, editor.edit_button)
    assert on_disk(config_file)["settings"]["task_models"]["tags"] == {"claude-opus-4": ["gpt-4o-mini", "llama-3.2-3b"]}

    click(qtbot, editor.remove_button)
    assert "tags" not in on_disk(config_file)["settings"]["task_models"]
    document.undo_stack.undo()
    assert "tags" in on_disk(config_file)["settings"]["task_models"]


def test_task_dialog_needs_a_task_and_a_model_and_escape_cancels(qtbot: Any, tab: ModelsTab, config_file: Path) -> None:
    before = config_file.read_text()
    problems: list[str] = []

    def fill(dialog: TaskModelDialog) -> None:
        click(qtbot, dialog.buttons.button(dialog.buttons.StandardButton.Ok))
        problems.append(dialog.error_label.text())
        qtbot.keyClicks(dialog.task_edit, "tags")
        click(qtbot, dialog.buttons.button(dialog.buttons.StandardButton.Ok))
        problems.append(dialog.error_label.text())
        qtbot.keyClick(dialog, Qt.Key.Key_Escape)

    answer_modal(TaskModelDialog, fill)
    click(qtbot, tab.task_models.add_button)
    assert problems == ["Name the task (for example “title”).", "Add at least one model to run the task on."]
    wait_for_saves()  # saves run in a worker thread
    assert config_file.read_text() == before


# --- providers ------------------------------------------------------------------------


def test_providers_model_passes_the_model_tester(qtmodeltester: Any, document: Document) -> None:
    model = ProvidersModel()
    model.set_rows(document.config.providers)
    model.set_status("openai", "Checking…")
    qtmodeltester.check(model, force_py=True)


def test_add_provider_keeps_the_key_in_the_keyring_only(
    qtbot: Any, tab: ModelsTab, config_file: Path, memory_keyring: MemoryKeyring
) -> None:
    def fill(dialog: ProviderDialog) -> None:
        qtbot.keyClicks(dialog.id_edit, "openrouter")
        dialog.url_edit.setText("https://openrouter.ai/api/v1")
        click(qtbot, dialog.key_keyring)
        qtbot.keyClicks(dialog.secret_edit, "sk-or-VERY-SECRET")
        click(qtbot, dialog.buttons.button(dialog.buttons.StandardButton.Ok))

    answer_modal(ProviderDialog, fill)
    click(qtbot, tab.providers.add_button)
    wait_for_saves()  # saves run in a worker thread
    text = config_file.read_text()
    assert "sk-or-VERY-SECRET" not in text
    provider = next(p for p in on_disk(config_file)["providers"] if p["id"] == "openrouter")
    assert provider["api_key"] == {"keyring": "openrouter"}
    assert memory_keyring.values[("modeldesk", "openrouter")] == "sk-or-VERY-SECRET"


def test_provider_dialog_refuses_bad_input_and_cancel_stores_nothing(
    qtbot: Any,
    memory_keyring: MemoryKeyring,
) -> None:
    dialog = ProviderDialog(taken_ids={"openai"})
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.keyClicks(dialog.id_edit, "openai")
    click(qtbot, dialog.buttons.button(dialog.buttons.StandardButton.Ok))
    assert "already a provider" in dialog.error_label.text()
    dialog.id_edit.setText("other")
    dialog.url_edit.setText("ftp://nope")
    click(qtbot, dialog.buttons.button(dialog.buttons.StandardButton.Ok))
    assert "http" in dialog.error_label.text()
    dialog.url_edit.setText("http://127.0.0.1:1/v1")
    click(qtbot, dialog.key_keyring)
    qtbot.keyClicks(dialog.secret_edit, "secret")
    with qtbot.waitSignal(dialog.finished):
        qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert dialog.result() == QDialog.DialogCode.Rejected
    assert dialog.provider() is None
    assert memory_keyring.values == {}


def add_local_provider(document: Document, server: ScriptedServer) -> None:
    document.perform(PutItem("providers", Provider(id="lab", kind="openai", base_url=server.openai_url)))


def test_check_shows_latency_without_blocking(
    qtbot: Any,
    tab: ModelsTab,
    document: Document,
    scripted_server: ScriptedServer,
    qasync_loop: Any,
) -> None:
    scripted_server.model_names = ["lab-small", "lab-large"]
    add_local_provider(document, scripted_server)
    section = tab.providers
    section.select("lab")
    with qtbot.waitSignal(section.check_finished, timeout=10_000) as finished:
        click(qtbot, section.check_button)
        # The click returned at once: the request runs on the loop, not in the click.
        assert not finished.signal_triggered
    assert finished.args == ["lab", True]
    status = section.model.index(section.model.rows().index(document.config.provider("lab")), 5).data()
    assert status.startswith("OK · 2 models · ")
    assert status.endswith(" ms")
    assert section.check_button.isEnabled()


def test_check_reports_a_failure(
    qtbot: Any,
    tab: ModelsTab,
    document: Document,
    scripted_server: ScriptedServer,
    qasync_loop: Any,
) -> None:
    scripted_server.script_models(status(401, "bad key"))
    add_local_provider(document, scripted_server)
    tab.providers.select("lab")
    with qtbot.waitSignal(tab.providers.check_finished, timeout=10_000) as finished:
        click(qtbot, tab.providers.check_button)
    assert finished.args == ["lab", False]
    assert tab.providers.model.status["lab"].text.startswith("Failed:")
    assert not tab.providers.model.status["lab"].ok


def test_fetch_models_imports_new_ones_as_one_undo_step(
    qtbot: Any,
    tab: ModelsTab,
    document: Document,
    config_file: Path,
    scripted_server: ScriptedServer,
    qasync_loop: Any,
) -> None:
    scripted_server.model_names = ["lab-small", "gpt-4o", "/models/Phi-4.gguf", "???"]
    add_local_provider(document, scripted_server)
    tab.providers.select("lab")
    offered: list[list[str]] = []

    def import_all(dialog: FetchModelsDialog) -> None:
        offered.append([m.id for m in dialog.selected()])
        dialog.accept()

    answer_modal(FetchModelsDialog, import_all)
    with qtbot.waitSignal(tab.providers.fetch_finished, timeout=10_000) as finished:
        click(qtbot, tab.providers.fetch_button)
    assert offered == [["lab-small", "lab/gpt-4o", "Phi-4"]]  # a short list comes ticked
    assert finished.args == ["lab", 3]
    models = {m["id"]: m for m in on_disk(config_file)["models"]}
    assert models["lab-small"]["provider"] == "lab"
    assert models["lab/gpt-4o"]["name"] == "gpt-4o"  # the plain id belongs to OpenAI's model
    assert models["Phi-4"]["name"] == "/models/Phi-4.gguf"  # llama.cpp lists the file it loaded
    assert "skipped 1 (???: no id can be made from this name" in tab.providers.model.status["lab"].text
    # Fetching again adds nothing.
    with qtbot.waitSignal(tab.providers.fetch_finished, timeout=10_000) as finished:
        click(qtbot, tab.providers.fetch_button)
    assert finished.args == ["lab", 0]
    document.undo_stack.undo()
    assert document.config.model("lab-small") is None


def test_remove_provider_asks_first(
    qtbot: Any, tab: ModelsTab, document: Document, monkeypatch: pytest.MonkeyPatch
) -> None:
    questions: list[str] = []

    def answer(*args: Any, **kwargs: Any) -> QMessageBox.StandardButton:
        questions.append(args[2])
        return QMessageBox.StandardButton.Yes

    monkeypatch.setattr(QMessageBox, "question", answer)
    tab.providers.select("local")
    click(qtbot, tab.providers.remove_button)
    assert "2 models stay in the registry" in questions[0]
    assert document.config.provider("local") is None
    # Its models stay, flagged.
    assert document.resolver.model_problem("qwen2.5-7b") == "provider 'local' missing"


# --- model registry -------------------------------------------------------------------


def test_registry_model_passes_the_model_tester(qtmodeltester: Any, document: Document) -> None:
    model = RegistryModel(document)
    model.set_rows(document.config.models)
    qtmodeltester.check(model, force_py=True)


def test_enable_checkbox_is_an_undoable_edit(qtbot: Any, tab: ModelsTab, document: Document) -> None:
    registry = tab.registry
    row = [m.id for m in registry.model.rows()].index("claude-3-haiku")
    index = registry.model.index(row, 0)
    assert index.data(Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Unchecked
    registry.table.scrollTo(index)
    rect = registry.table.visualRect(index)
    # The check box sits at the left of the cell.
    qtbot.mouseClick(
        registry.table.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(rect.left() + 10, rect.center().y())
    )
    assert document.config.model("claude-3-haiku").enabled
    assert document.undo_stack.undoText() == "Enable Claude 3 Haiku (retired)"
    document.undo_stack.undo()
    assert not document.config.model("claude-3-haiku").enabled


def test_add_model_through_the_dialog(qtbot: Any, tab: ModelsTab, document: Document, config_file: Path) -> None:
    def fill(dialog: ModelDialog) -> None:
        qtbot.keyClicks(dialog.id_edit, "mistral-small")
        dialog.provider_combo.setCurrentIndex(dialog.provider_combo.findData("local"))
        dialog.context_spin.setValue(32000)
        dialog.capability_boxes["tools"].setCheckState(Qt.CheckState.Checked)
        click(qtbot, dialog.buttons.button(dialog.buttons.StandardButton.Ok))

    answer_modal(ModelDialog, fill)
    click(qtbot, tab.registry.add_button)
    saved = next(m for m in on_disk(config_file)["models"] if m["id"] == "mistral-small")
    assert saved == {
        "id": "mistral-small",
        "provider": "local",
        "name": "mistral-small",
        "context_window": 32000,
        "capabilities": {"tools": True},
        "enabled": True,
    }
    assert tab.registry.current().id == "mistral-small"


def test_remove_model_keeps_it_flagged_in_agent_lists(
    qtbot: Any, tab: ModelsTab, document: Document, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    tab.registry.select("o3-mini")
    click(qtbot, tab.registry.remove_button)
    assert document.config.model("o3-mini") is None
    assert document.config.agent("fact-checker").model == ["o3-mini", "claude-3-haiku"]
    assert document.resolver.model_problem("o3-mini") == "unknown model"


def test_edit_model_keeps_its_id_and_cancel_changes_nothing(
    qtbot: Any, tab: ModelsTab, document: Document, config_file: Path
) -> None:
    tab.registry.select("o3-mini")

    def rename(dialog: ModelDialog) -> None:
        assert not dialog.id_edit.isEnabled()  # agents refer to the id
        dialog.label_edit.setText("o3 mini (reasoning)")
        dialog.capability_boxes["vision"].setCheckState(Qt.CheckState.PartiallyChecked)  # unknown
        click(qtbot, dialog.buttons.button(dialog.buttons.StandardButton.Ok))

    answer_modal(ModelDialog, rename)
    click(qtbot, tab.registry.edit_button)
    model = document.config.model("o3-mini")
    assert model.label == "o3 mini (reasoning)"
    assert model.capabilities.vision is None
    wait_for_saves()  # saves run in a worker thread
    before = config_file.read_text()

    def cancel(dialog: ModelDialog) -> None:
        dialog.label_edit.setText("never saved")
        qtbot.keyClick(dialog, Qt.Key.Key_Escape)

    answer_modal(ModelDialog, cancel)
    click(qtbot, tab.registry.edit_button)
    wait_for_saves()  # saves run in a worker thread
    assert config_file.read_text() == before


def test_edit_provider_to_use_an_environment_variable(
    qtbot: Any, tab: ModelsTab, document: Document, config_file: Path
) -> None:
    tab.providers.select("anthropic")

    def use_env(dialog: ProviderDialog) -> None:
        assert dialog.key_keyring.isChecked()
        click(qtbot, dialog.key_env)
        qtbot.keyClicks(dialog.env_edit, "ANTHROPIC_API_KEY")
        assert not dialog.secret_edit.isEnabled()
        click(qtbot, dialog.buttons.button(dialog.buttons.StandardButton.Ok))

    answer_modal(ProviderDialog, use_env)
    click(qtbot, tab.providers.edit_button)
    saved = next(p for p in on_disk(config_file)["providers"] if p["id"] == "anthropic")
    assert saved["api_key"] == {"env": "ANTHROPIC_API_KEY"}
    document.undo_stack.undo()
    assert document.config.provider("anthropic").api_key.keyring == "anthropic"
