"""The welcome dialog's own-setup choices: an empty workspace, then Detect local servers
or the provider dialog opened over it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog

from modeldesk.app.application import follow_first_run, open_config
from modeldesk.app.document import Document
from modeldesk.app.main_window import MainWindow
from modeldesk.app.views.dialogs.detect_dialog import DetectDialog
from modeldesk.app.views.dialogs.first_run_dialog import FirstRunDialog, StartChoice
from modeldesk.app.views.dialogs.provider_dialog import ProviderDialog
from modeldesk.core.store import ConfigStore
from tests.app.helpers import answer_modal


def _choose(qtbot: Any, button: str) -> None:
    answer_modal(FirstRunDialog, lambda d: qtbot.mouseClick(getattr(d, button), Qt.MouseButton.LeftButton))


def test_detect_local_servers_starts_empty_and_opens_detection(qtbot: Any, tmp_path: Path, qasync_loop: Any) -> None:
    path = tmp_path / "config.json"
    _choose(qtbot, "detect_button")
    choices: list[StartChoice] = []
    config = open_config(ConfigStore(path), first_run=choices)
    assert config is not None and choices == [StartChoice.DETECT]
    assert json.loads(path.read_text()) == {"schema_version": 1}
    document = Document(ConfigStore(path))
    window = MainWindow(document)
    qtbot.addWidget(window)
    seen = answer_modal(DetectDialog, lambda d: d.reject())
    follow_first_run(window, StartChoice.DETECT)
    assert len(seen) == 1
    assert window.pages.currentWidget() is window.settings_page


def test_add_a_provider_opens_the_dialog_with_presets(qtbot: Any, tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    _choose(qtbot, "provider_button")
    choices: list[StartChoice] = []
    assert open_config(ConfigStore(path), first_run=choices) is not None
    window = MainWindow(Document(ConfigStore(path)))
    qtbot.addWidget(window)

    def pick_groq(dialog: ProviderDialog) -> None:
        dialog.apply_preset("groq")
        dialog.accept()

    answer_modal(ProviderDialog, pick_groq)
    follow_first_run(window, choices[0])
    provider = window.document.config.provider("groq")
    assert provider is not None
    assert (provider.kind, provider.base_url, provider.label) == ("openai", "https://api.groq.com/openai/v1", "Groq")
    assert provider.api_key is not None and provider.api_key.env == "GROQ_API_KEY"


def test_presets_fill_in_and_follow_the_choice(qtbot: Any) -> None:
    dialog = ProviderDialog(taken_ids={"ollama"})
    qtbot.addWidget(dialog)
    dialog.apply_preset("anthropic")
    assert dialog.id_edit.text() == "anthropic"
    assert dialog.kind_combo.currentData() == "anthropic"
    assert dialog.url_edit.text() == "https://api.anthropic.com"
    assert dialog.key_env.isChecked() and dialog.env_edit.text() == "ANTHROPIC_API_KEY"
    dialog.apply_preset("ollama")  # the id follows while the user has not typed one
    assert dialog.id_edit.text() == "ollama-2"  # "ollama" is taken
    assert dialog.url_edit.text() == "http://127.0.0.1:11434/v1"
    assert dialog.key_none.isChecked()
    assert dialog.label_edit.text() == "Ollama"
    dialog.accept()
    assert dialog.result() == QDialog.DialogCode.Accepted
    provider = dialog.provider()
    assert provider is not None and provider.api_key is None and provider.id == "ollama-2"


def _contrast(one: Any, other: Any) -> float:
    def luminance(colour: Any) -> float:
        def channel(value: int) -> float:
            c = value / 255
            return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

        return 0.2126 * channel(colour.red()) + 0.7152 * channel(colour.green()) + 0.0722 * channel(colour.blue())

    high, low = sorted((luminance(one), luminance(other)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_start_empty_shows_the_first_step_and_readable_notes(qtbot: Any, tmp_path: Path, qasync_loop: Any) -> None:
    from PySide6.QtGui import QPalette
    from PySide6.QtWidgets import QLabel

    from modeldesk.app.widgets.model_picker import ModelPickerDialog

    # The welcome dialog's notes read at a glance (WCAG asks 4.5:1 for text).
    welcome = FirstRunDialog(tmp_path / "config.json")
    qtbot.addWidget(welcome)
    welcome.show()
    window_colour = welcome.palette().color(QPalette.ColorRole.Window)
    for label in welcome.findChildren(QLabel):
        if label.text() and label.isVisibleTo(welcome):
            assert label.isEnabled(), label.text()
            assert _contrast(label.palette().color(label.foregroundRole()), window_colour) >= 4.5, label.text()
    welcome.close()

    path = tmp_path / "config.json"
    _choose(qtbot, "empty_button")
    choices: list[StartChoice] = []
    assert open_config(ConfigStore(path), first_run=choices) is not None
    window = MainWindow(Document(ConfigStore(path)))
    qtbot.addWidget(window)
    follow_first_run(window, choices[0])
    # Not a blank Agents page: the providers, with their buttons.
    assert window.pages.currentWidget() is window.settings_page
    assert "no agents yet" in window.agents_page.editor.empty_label.text()
    assert "add a provider first" in window.agents_page.editor.empty_label.text()
    # Nothing to filter in an empty registry.
    assert not window.settings_page.models_tab.registry.filter_edit.isVisibleTo(window)
    # The empty registry's picker says where models come from.
    picker = ModelPickerDialog(window.document, window)
    qtbot.addWidget(picker)
    picker.show()
    assert picker.empty_label.text().startswith("There are no models yet")
