"""The app guides: Settings sidebar, empty states with next steps, Help menu, theme."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication, QDialog

from modeldesk import __version__
from modeldesk.app.document import Document
from modeldesk.app.main_window import MainWindow
from modeldesk.app.views.dialogs.provider_dialog import ProviderDialog
from modeldesk.app.views.help_dialogs import AboutDialog, DocumentationDialog, ShortcutsDialog, shortcut_rows
from modeldesk.app.views.settings.settings_page import SettingsPage
from modeldesk.core.edits import PutItem
from modeldesk.core.schema import Config, Provider
from modeldesk.core.store import ConfigStore
from modeldesk.logs import log_path
from tests.app.helpers import answer_modal, show_active


def _empty_document(tmp_path: Path) -> Document:
    store = ConfigStore(tmp_path / "config.json")
    store.save(Config())
    return Document(store)


def test_empty_settings_say_what_to_do_next(qtbot: Any, tmp_path: Path) -> None:
    document = _empty_document(tmp_path)
    page = show_active(qtbot, SettingsPage(document), (1100, 800))
    tab = page.models_tab
    assert tab.no_providers.isVisible() and tab.no_models.isVisible()
    assert not tab.fetch_first.isVisible()
    assert "No models yet — add a provider first." in tab.no_models.label.text()

    def add_groq(dialog: ProviderDialog) -> None:
        dialog.apply_preset("groq")
        dialog.accept()

    answer_modal(ProviderDialog, add_groq)
    qtbot.mouseClick(tab.no_models.buttons["Add a provider"], Qt.MouseButton.LeftButton)
    assert document.config.provider("groq") is not None
    assert not tab.no_providers.isVisible() and not tab.no_models.isVisible()
    assert tab.fetch_first.isVisible() and "“groq”" in tab.fetch_first.label.text()
    document.perform(PutItem("providers", Provider(id="more", kind="openai", base_url="http://127.0.0.1:9/v1")))
    assert tab.fetch_first.isVisible()
    document.undo_stack.clear()
    document.deleteLater()


def test_sidebar_jumps_to_each_section(qtbot: Any, document: Document) -> None:
    page = show_active(qtbot, SettingsPage(document), (1100, 600))
    labels = [page.sidebar.item(i).text() for i in range(page.sidebar.count())]
    assert labels == ["Providers", "Models", "Defaults", "Task models", "Fallback"]
    item = page.sidebar.item(4)
    qtbot.mouseClick(page.sidebar.viewport(), Qt.MouseButton.LeftButton, pos=page.sidebar.visualItemRect(item).center())
    # The section scrolls into view; the focus stays in the sidebar (a focused spin box
    # would take the next turn of the wheel).
    qtbot.waitUntil(lambda: not page.models_tab.fallback_form.boxes["retries"].visibleRegion().isEmpty())
    assert page.models_tab.verticalScrollBar().value() > 0
    assert page.sidebar.hasFocus()
    page.show_models_field("providers")
    assert page.sidebar.currentRow() == 0
    qtbot.waitUntil(page.models_tab.providers.table.hasFocus)


def test_a_sidebar_section_opens_at_the_top_of_the_view(qtbot: Any, document: Document) -> None:
    """Clicking "Defaults" scrolled only until the section's last line showed, at the
    bottom under the model registry, and the sidebar's mark then read "Models" at the
    next turn of the wheel."""
    page = show_active(qtbot, SettingsPage(document), (1100, 600))
    tab = page.models_tab
    bar = tab.verticalScrollBar()
    for row in (2, 3, 1):  # Defaults, Task models, back up to Models
        item = page.sidebar.item(row)
        qtbot.mouseClick(
            page.sidebar.viewport(), Qt.MouseButton.LeftButton, pos=page.sidebar.visualItemRect(item).center()
        )
        box = tab.sections[("providers", "models", "default_agent_model", "task_models", "fallback")[row]]
        qtbot.waitUntil(lambda box=box: bar.value() == min(box.y(), bar.maximum()))
        bar.setValue(bar.value() + 1)  # the wheel's next step keeps the mark on the section
        assert page.sidebar.currentRow() == row


def test_help_menu_and_theme(qtbot: Any, document: Document, qasync_loop: Any) -> None:
    window = MainWindow(document)
    qtbot.addWidget(window)
    menus = [a.text().replace("&", "") for a in window.menuBar().actions()]
    assert menus[-2:] == ["View", "Help"]
    about = AboutDialog(document.store.path, window)
    qtbot.addWidget(about)
    text = about.text.text()
    assert f"ModelDesk {__version__}" in text and str(document.store.path) in text
    assert str(log_path()) in text and "MIT" in text
    rows = dict(shortcut_rows(window))
    assert rows["Undo"] and rows["Keyboard shortcuts"] == "Ctrl+/"
    shortcuts = ShortcutsDialog(window)
    qtbot.addWidget(shortcuts)
    assert shortcuts.table.rowCount() == len(shortcut_rows(window))
    docs = DocumentationDialog(window)
    qtbot.addWidget(docs)
    assert "ModelDesk" in docs.browser.toPlainText()
    seen = answer_modal(AboutDialog, lambda d: d.reject())
    window.app_menus.help_actions["about"].trigger()
    assert len(seen) == 1 and isinstance(seen[0], QDialog)

    system_window = QApplication.palette().color(QPalette.ColorRole.Window)
    window.app_menus.theme_actions["Dark"].trigger()
    assert QApplication.palette().color(QPalette.ColorRole.Window).lightness() < 80
    assert QSettings().value("appearance/theme") == "Dark"
    window.app_menus.theme_actions["Light"].trigger()
    assert QApplication.palette().color(QPalette.ColorRole.Window).lightness() > 180
    window.app_menus.theme_actions["System"].trigger()
    assert QSettings().value("appearance/theme") == "System"
    assert QApplication.palette().color(QPalette.ColorRole.Window) == system_window


def test_keyring_failures_are_worded_for_people(qtbot: Any, monkeypatch: Any) -> None:
    import keyring
    from keyring.errors import NoKeyringError

    from modeldesk.runtime.keyring_errors import keyring_error_text

    def refuse(*_: object) -> None:
        raise NoKeyringError("No recommended backend was available.")

    monkeypatch.setattr(keyring, "set_password", refuse)
    dialog = ProviderDialog(taken_ids=set())
    qtbot.addWidget(dialog)
    dialog.apply_preset("openai")
    dialog.key_keyring.setChecked(True)
    dialog.secret_edit.setText("sk-typed")
    dialog.accept()
    assert dialog.provider() is None  # not accepted
    assert dialog.error_label.text().startswith("There is no OS keyring on this computer")
    assert keyring_error_text(NoKeyringError()) == (
        "There is no OS keyring on this computer (no Secret Service, KWallet or Keychain is running): "
        "name an environment variable for the key instead, or start a keyring service and try again."
    )
    assert "NoKeyringError" not in keyring_error_text(NoKeyringError())
