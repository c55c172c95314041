"""Snags a new user met trying the app under Xvfb: each reproduced here with real widgets
(and real keys where keys matter) before it was fixed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from modeldesk.app.main_window import MainWindow
from modeldesk.core.samples import sample_config
from modeldesk.core.store import ConfigStore
from tests.app.helpers import show_active

LONG_NAME = "A very long agent name that a new user typed to see what happens with the layout of the window"


@pytest.fixture
def long_names_file(tmp_path: Path) -> Path:
    """The sample with ~95-character names on every agent, squad and project."""
    config = sample_config()
    for items in (config.agents, config.squads, config.projects):
        for item in items:
            item.name = f"{LONG_NAME} {item.id}"
    path = tmp_path / "config.json"
    ConfigStore(path).save(config)
    return path


def test_long_names_never_widen_the_window(qtbot: Any, qasync_loop: Any, long_names_file: Path) -> None:
    from modeldesk.app.document import Document

    document = Document(ConfigStore(long_names_file))
    window = show_active(qtbot, MainWindow(document), (1024, 700))
    try:
        for tab in range(window.agents_page.tabs.count()):
            window.agents_page.tabs.setCurrentIndex(tab)
            qtbot.wait(10)
        for key in ("squads", "projects", "history", "settings", "health"):
            window.pages.setCurrentWidget(window.page(key))
            qtbot.wait(10)
        window.squads_page.select_member(document.config.squads[0].agents[0])
        # Every page fits a 1024-pixel screen, whatever the names.
        assert window.minimumSizeHint().width() <= 1024
        assert window.width() <= 1024
        # The heading shows as much of the name as fits, and all of it as a tooltip.
        title = window.agents_page.editor.title
        assert title.toolTip().startswith(LONG_NAME)
        window.pages.setCurrentWidget(window.agents_page)
        window.agents_page.tabs.setCurrentWidget(window.agents_page.editor)
        qtbot.wait(10)
        assert title.shown_text().endswith("…")
        window.resize(1400, 700)
        qtbot.waitUntil(lambda: window.width() == 1400)
        window.resize(1024, 700)
        qtbot.waitUntil(lambda: window.width() == 1024)
    finally:
        window.close()
        document.shutdown()


def _lightness(widget: Any, role: Any) -> int:
    return int(widget.palette().color(role).lightness())


def test_text_and_icons_follow_every_theme_switch(qtbot: Any, qasync_loop: Any, document: Any) -> None:
    from PySide6.QtGui import QPalette

    from modeldesk.app.models.timeline_model import kind_icon

    window = show_active(qtbot, MainWindow(document))
    editor = window.agents_page.editor
    window.agents_page.select_agent(document.config.agents[0].id)
    text, button_text = QPalette.ColorRole.WindowText, QPalette.ColorRole.ButtonText
    try:
        for theme in ("Light", "Dark", "Light", "Dark"):
            window.app_menus.theme_actions[theme].trigger()
            qtbot.wait(10)
            dark = theme == "Dark"
            # The heading and the folding sections' headers read on the window's colour.
            assert (_lightness(editor.title, text) > 128) == dark
            for section in (editor.task_section, editor.fallback_section):
                assert (_lightness(section.toggle, button_text) > 128) == dark
            # Icons drawn in the text colour: light on dark, dark on light.
            image = kind_icon("attempt_started").pixmap(32, 32).toImage()
            opaque = [
                image.pixelColor(x, y) for x in range(32) for y in range(32) if image.pixelColor(x, y).alpha() > 200
            ]
            assert opaque
            assert all((colour.lightness() > 128) == dark for colour in opaque)
    finally:
        window.app_menus.theme_actions["System"].trigger()
        window.close()


def test_projects_move_here_takes_a_partial_name_from_the_keyboard(qtbot: Any, qasync_loop: Any, document: Any) -> None:
    from PySide6.QtCore import Qt

    window = show_active(qtbot, MainWindow(document), (1024, 700))
    window.pages.setCurrentWidget(window.projects_page)
    page = window.projects_page
    page.select_project("research")
    field = page.add_agent_edit
    field.setFocus()
    qtbot.waitUntil(field.hasFocus)
    # Part of a name, as the user remembers it: the one agent it matches moves.
    qtbot.keyClicks(field, "note")
    qtbot.keyClick(field, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: document.config.agent("note-taker").project == "research")
    assert field.text() == ""
    # Several matches: say so, keep the text, and keep the field row on the page.
    qtbot.keyClicks(field, "re")
    qtbot.keyClick(field, Qt.Key.Key_Return)
    assert "matches" in page.message_label.text()
    assert page.message_label.isVisible()
    assert field.text() == "re"
    assert not field.visibleRegion().isEmpty()
    assert not page.add_agent_button.visibleRegion().isEmpty()
    window.close()


def test_enter_in_the_bulk_dialog_applies_nothing_and_matches_cover_no_field(qtbot: Any, document: Any) -> None:
    from PySide6.QtCore import QRect, Qt

    from modeldesk.app.views.dialogs.bulk_change_dialog import BulkChangeDialog
    from modeldesk.core.bulk import AllAgentsScope

    before = [agent.model for agent in document.config.agents]
    dialog = show_active(qtbot, BulkChangeDialog(document, AllAgentsScope()))
    dialog.replace_radio.click()
    old_line = dialog.replace_old.lineEdit()
    old_line.setFocus()
    qtbot.keyClicks(old_line, "gpt")
    popup = dialog.replace_old.completer().popup()
    qtbot.waitUntil(popup.isVisible)
    new_field = dialog.replace_new
    new_rect = QRect(new_field.mapToGlobal(new_field.rect().topLeft()), new_field.size())
    # The list of matches opens where it hides neither field.
    assert not popup.geometry().intersects(new_rect)
    qtbot.keyClick(popup, Qt.Key.Key_Escape)
    old_line.selectAll()
    qtbot.keyClicks(old_line, "gpt-4o")
    new_field.lineEdit().setFocus()
    qtbot.keyClicks(new_field.lineEdit(), "gpt-4.1")
    qtbot.waitUntil(lambda: not dialog.preview_pending(), timeout=2000)
    assert dialog.apply_button.isEnabled()
    # Enter confirms the field, it does not change every agent.
    qtbot.keyClick(new_field.lineEdit(), Qt.Key.Key_Return)
    qtbot.wait(50)
    assert dialog.isVisible()
    assert [agent.model for agent in document.config.agents] == before
    dialog.close()


def test_counts_read_as_words(qtbot: Any, document: Any) -> None:
    from modeldesk.app.text import counted
    from modeldesk.app.views.agents_page import AgentsPage

    assert [counted(n, "agent") for n in (0, 1, 2, 10_000)] == ["0 agents", "1 agent", "2 agents", "10,000 agents"]
    page = show_active(qtbot, AgentsPage(document))
    qtbot.keyClicks(page.filter_edit, "analyst")
    qtbot.waitUntil(lambda: page.count_label.text() == "1 of 9 agents")


def test_the_model_registry_filters_a_thousand_models_from_the_keyboard(qtbot: Any, tmp_path: Path) -> None:
    from PySide6.QtCore import Qt

    from bench.workspace import workspace
    from modeldesk.app.document import Document
    from modeldesk.app.views.settings.model_registry import ModelRegistry

    path = tmp_path / "config.json"
    ConfigStore(path).save(workspace(agents=50, models=1000))
    document = Document(ConfigStore(path))
    try:
        registry = show_active(qtbot, ModelRegistry(document), (900, 500))
        assert registry.count_label.text() == "1,000 models"
        registry.filter_edit.setFocus()
        qtbot.keyClicks(registry.filter_edit, "m99")
        # m99, m990..m999: the table holds only the matches.
        assert registry.model.rowCount() == 11
        assert registry.count_label.text() == "11 of 1,000 models"
        qtbot.keyClick(registry.filter_edit, Qt.Key.Key_Down)
        assert registry.table.hasFocus()
        assert registry.current().id == "m99"
        registry.filter_edit.clear()
        assert registry.model.rowCount() == 1000
    finally:
        document.shutdown()


def test_the_provider_dialog_points_at_the_field_to_fix(qtbot: Any, memory_keyring: Any) -> None:
    from PySide6.QtCore import QPoint, Qt
    from PySide6.QtWidgets import QDialog

    from modeldesk.app.views.dialogs.provider_dialog import ProviderDialog

    dialog = show_active(qtbot, ProviderDialog(taken_ids={"openai"}))
    # The kind reads as words, not as the config's name for it.
    assert dialog.kind_combo.currentText() == "OpenAI-compatible API"
    ok = dialog.buttons.button(dialog.buttons.StandardButton.Ok)
    # An empty id: said in plain words, and the cursor goes there.
    dialog.id_edit.clear()
    qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
    assert "Give the provider an id" in dialog.error_label.text()
    assert "String should" not in dialog.error_label.text()
    assert dialog.id_edit.hasFocus()
    qtbot.keyClicks(dialog.id_edit, "lab")
    dialog.url_edit.setFocus()
    dialog.url_edit.selectAll()
    qtbot.keyClicks(dialog.url_edit, "nope")
    dialog.id_edit.setFocus()
    qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
    assert dialog.url_edit.hasFocus()
    dialog.url_edit.selectAll()
    qtbot.keyClicks(dialog.url_edit, "http://127.0.0.1:1/v1")
    # A key typed for the keyring, then "No key" chosen: the greyed key does not block OK.
    qtbot.mouseClick(dialog.key_keyring, Qt.MouseButton.LeftButton, pos=QPoint(8, dialog.key_keyring.height() // 2))
    qtbot.keyClicks(dialog.secret_edit, "sk-typed")
    # On the radio's own circle, where a user clicks (its row is wider than its text).
    qtbot.mouseClick(dialog.key_none, Qt.MouseButton.LeftButton, pos=QPoint(8, dialog.key_none.height() // 2))
    assert not dialog.secret_edit.isEnabled()
    with qtbot.waitSignal(dialog.finished):
        qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
    assert dialog.result() == QDialog.DialogCode.Accepted
    provider = dialog.provider()
    assert provider is not None and provider.api_key is None
    assert memory_keyring.values == {}


def test_help_shows_the_users_guide_with_working_links_and_back(qtbot: Any) -> None:
    import re

    from PySide6.QtCore import Qt, QUrl

    from modeldesk.app.views.help_dialogs import DocumentationDialog, guide_page

    dialog = show_active(qtbot, DocumentationDialog())
    browser = dialog.browser
    text = browser.toPlainText()
    assert text.startswith("ModelDesk user's guide")
    # Written for users: no developer set-up.
    assert "./dev" not in text and "apt-get" not in text and "pip install" not in text
    assert not dialog.back_button.isEnabled()
    # Every page's every link leads to a page of the guide (no blank viewer).
    index = guide_page("index.md")
    assert index is not None
    pages = re.findall(r"\]\(([^)#]+\.md)\)", index)
    assert len(pages) >= 6
    for page in pages:
        body = guide_page(page)
        assert body is not None, page
        for link in re.findall(r"\]\(([^)]+)\)", body):
            assert guide_page(link) is not None, f"{page} links to {link}"
    # Following a link shows that page; Back (Alt+Left) returns.
    browser.setSource(QUrl(pages[1]))
    assert browser.toPlainText().startswith("Agents")
    assert dialog.back_button.isEnabled()
    qtbot.keyClick(browser, Qt.Key.Key_Left, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: browser.toPlainText().startswith("ModelDesk user's guide"))
    # A page that is not in the guide says so rather than going blank.
    browser.setSource(QUrl("docs/app.md"))
    assert "Not in this guide" in browser.toPlainText()


def test_the_keyboard_finds_and_adds_agents_from_anywhere(qtbot: Any, qasync_loop: Any, document: Any) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication, QInputDialog

    from modeldesk.app.views.help_dialogs import shortcut_rows
    from tests.app.helpers import answer_modal

    window = show_active(qtbot, MainWindow(document))
    page = window.agents_page
    # Something has the focus at start: the agents list.
    qtbot.waitUntil(page.table.hasFocus)
    # Ctrl+F from another page goes to the agents filter; Down goes on into the list.
    window.pages.setCurrentWidget(window.projects_page)
    qtbot.keyClick(QApplication.focusWidget() or window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(page.filter_edit.hasFocus)
    qtbot.keyClicks(page.filter_edit, "note")
    qtbot.keyClick(page.filter_edit, Qt.Key.Key_Down)
    assert page.table.hasFocus()
    assert page.selected_ids() == ["note-taker"]
    # Ctrl+N from the filter (not only from the table), and it is in a menu.
    page.filter_edit.setFocus()

    def name_it(dialog: QInputDialog) -> None:
        dialog.setTextValue("Planner")
        dialog.accept()

    seen = answer_modal(QInputDialog, name_it)
    qtbot.keyClick(page.filter_edit, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: document.config.agent("planner") is not None)
    assert seen
    rows = dict(shortcut_rows(window))
    assert rows["New agent…"] == "Ctrl+N" and rows["Find agents"] == "Ctrl+F"
    assert {"Ctrl+Enter", "F2"} <= set(rows.values())
    assert any(keys.startswith("Escape") for keys in rows.values())
    window.close()


def test_import_updates_the_counter_and_says_what_it_did(
    qtbot: Any, qasync_loop: Any, document: Any, tmp_path: Path
) -> None:
    from modeldesk.app.views.dialogs.import_dialog import import_file
    from modeldesk.core.schema import Agent

    other = sample_config()
    other.agents += [Agent(id="new-a", name="New A"), Agent(id="new-b", name="New B")]
    source = tmp_path / "other.json"
    ConfigStore(source).save(other)
    window = show_active(qtbot, MainWindow(document))
    page = window.agents_page
    assert page.count_label.text() == "9 agents"
    dialog = import_file(window, document, source)
    assert dialog is not None
    qtbot.waitExposed(dialog)
    dialog.import_button.click()
    qtbot.waitUntil(lambda: page.count_label.text() == "11 agents")
    assert window.statusBar().currentMessage() == "Imported other.json: 2 added."
    window.close()


def test_bulk_apply_says_what_it_did(qtbot: Any, qasync_loop: Any, document: Any) -> None:
    from PySide6.QtCore import Qt

    from modeldesk.app.views.dialogs.bulk_change_dialog import BulkChangeDialog
    from tests.app.helpers import answer_modal
    from tests.app.squads_support import type_model

    window = show_active(qtbot, MainWindow(document))

    def replace(dialog: BulkChangeDialog) -> None:
        dialog.replace_radio.click()
        type_model(qtbot, dialog.replace_old, "gpt-4o")
        type_model(qtbot, dialog.replace_new, "gpt-4.1")
        qtbot.waitUntil(lambda: not dialog.preview_pending() and dialog.apply_button.isEnabled(), timeout=3000)
        qtbot.mouseClick(dialog.apply_button, Qt.MouseButton.LeftButton)

    seen = answer_modal(BulkChangeDialog, replace)
    window.agents_page.select_agent("analyst")
    window.agents_page.bulk_button.click()
    qtbot.waitUntil(lambda: bool(seen))
    qtbot.waitUntil(lambda: window.statusBar().currentMessage().startswith("Changed the models of 1 agent"))
    window.close()


def test_markup_in_names_is_shown_as_typed(qtbot: Any, document: Any, tmp_path: Path) -> None:
    from PySide6 import QtGui
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QTextDocument
    from PySide6.QtWidgets import QLabel

    from modeldesk.app.views.dialogs.import_dialog import ImportDialog, read_import_file
    from modeldesk.app.views.projects_page import DeleteProjectDialog
    from modeldesk.core.schema import Agent

    project = document.config.project("research").model_copy(update={"name": "<b>R&D</b> <i>lab</i>"})
    dialog = show_active(qtbot, DeleteProjectDialog(document.config, project, 3))
    question = next(label for label in dialog.findChildren(QLabel) if "has 3 agents" in label.text())
    assert question.textFormat() == Qt.TextFormat.PlainText
    assert question.text().startswith("<b>R&D</b> <i>lab</i> has 3 agents.")

    other = sample_config()
    analyst = other.agent("analyst")
    assert analyst is not None
    analyst.name = "<b>Bold</b> analyst"
    other.agents.append(Agent(id="x", name="<i>new</i>"))
    source = tmp_path / "other.json"
    ConfigStore(source).save(other)
    bundle, warnings = read_import_file(source)
    preview = show_active(qtbot, ImportDialog(document, bundle, source.name, warnings))
    model = preview.model
    tips = [
        model.index(row, col).data(Qt.ItemDataRole.ToolTipRole)
        for row in range(model.rowCount())
        for col in range(model.columnCount())
    ]
    shown = []
    for tip in tips:
        if tip:
            doc = QTextDocument()
            doc.setHtml(tip) if QtGui.Qt.mightBeRichText(tip) else doc.setPlainText(tip)
            shown.append(doc.toPlainText())
    assert any("<b>Bold</b> analyst" in text for text in shown), shown


def test_a_second_squad_or_project_of_the_same_name_is_refused(qtbot: Any, document: Any) -> None:
    from PySide6.QtCore import Qt

    from modeldesk.app.views.projects_page import ProjectsPage
    from modeldesk.app.views.squads_page import SquadsPage

    squads = show_active(qtbot, SquadsPage(document))
    squads.new_squad_edit.setFocus()
    qtbot.keyClicks(squads.new_squad_edit, "research TEAM")
    qtbot.keyClick(squads.new_squad_edit, Qt.Key.Key_Return)
    assert [s.name for s in document.config.squads] == ["Research team", "Support desk"]
    assert squads.message_label.text() == "There is already a squad “Research team”: give the new one another name."
    assert squads.current_squad().id == "research-team"

    projects = show_active(qtbot, ProjectsPage(document))
    projects.new_project_edit.setFocus()
    qtbot.keyClicks(projects.new_project_edit, "Research")
    qtbot.keyClick(projects.new_project_edit, Qt.Key.Key_Return)
    assert [p.id for p in document.config.projects] == ["support", "research"]
    assert "already a project “Research”" in projects.message_label.text()


def test_the_agents_table_marks_an_agent_in_a_cooldown(qtbot: Any, qasync_loop: Any, document: Any) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QFontMetrics

    from modeldesk.app.models.agents_model import COOLING_MARK, EFFECTIVE

    window = show_active(qtbot, MainWindow(document))
    page = window.agents_page
    page.test_run.cooldowns.cool("analyst", ["claude-sonnet-4"], 3600, reason="quota")
    page.test_run.refresh_cooldowns()
    row = page.model.row_of("analyst")
    cell = page.model.index(row, EFFECTIVE)
    assert str(cell.data()).startswith(COOLING_MARK + " ")
    # Drawn by the table's own font (⏸, used before, is missing from DejaVu Sans, the usual
    # Linux font, and showed as an empty box).
    assert all(QFontMetrics(page.table.font()).inFontUcs4(ord(c)) for c in COOLING_MARK)
    assert str(cell.data(Qt.ItemDataRole.ToolTipRole)).startswith("Analyst skips Claude Sonnet 4 (quota) for ")
    page.test_run.clear_cooldowns()
    assert not str(cell.data()).startswith(COOLING_MARK)
    window.close()


def test_the_agent_editor_fits_a_1024_by_700_window(qtbot: Any, qasync_loop: Any, long_names_file: Path) -> None:
    from modeldesk.app.document import Document

    document = Document(ConfigStore(long_names_file))
    window = show_active(qtbot, MainWindow(document), (1024, 700))
    try:
        editor = window.agents_page.editor
        window.agents_page.select_agent(document.config.agents[0].id)
        editor.task_section.set_expanded(True)
        editor.fallback_section.set_expanded(True)
        qtbot.wait(20)
        # It scrolls up and down (sections open), never sideways.
        assert not editor.scroll_area.horizontalScrollBar().isVisible()
        assert editor.name_edit.cursorPosition() == 0
    finally:
        window.close()
        document.shutdown()


def test_renaming_a_squad_to_a_taken_name_is_refused(qtbot: Any, document: Any) -> None:
    from PySide6.QtCore import Qt

    from modeldesk.app.models.squads_model import SquadsModel
    from modeldesk.app.views.squads_page import SquadsPage

    page = show_active(qtbot, SquadsPage(document))
    page.select_squad("support-desk")
    index = page.squads_model.index(page.squads_model.row_of("support-desk"), SquadsModel.NAME)
    assert not page.squads_model.setData(index, "Research Team", Qt.ItemDataRole.EditRole)
    assert [s.name for s in document.config.squads] == ["Research team", "Support desk"]
    assert "already a squad “Research team”" in page.message_label.text()


def test_an_unticked_box_shows_on_dark(qtbot: Any, qasync_loop: Any, document: Any) -> None:
    from PySide6.QtWidgets import QCheckBox

    window = show_active(qtbot, MainWindow(document))
    try:
        window.app_menus.theme_actions["Dark"].trigger()
        box = QCheckBox("")
        qtbot.addWidget(box)
        box.resize(120, 30)
        box.show()
        qtbot.waitExposed(box)
        image = box.grab().toImage()
        background = image.pixelColor(image.width() - 2, image.height() // 2).lightness()
        side = min(image.width(), image.height())
        brightest = max(image.pixelColor(x, y).lightness() for x in range(side) for y in range(side))
        # The box's outline stands out from the window behind it.
        assert brightest - background > 60
    finally:
        window.app_menus.theme_actions["System"].trigger()
        window.close()


def test_lists_of_every_agent_have_rows_of_one_height(qtbot: Any, qasync_loop: Any, document: Any) -> None:
    """Lists that hold every agent (10,000 of them) are not measured row by row on each
    relayout (a theme switch re-lays every view out)."""
    window = show_active(qtbot, MainWindow(document))
    squads, projects, history = window.squads_page, window.projects_page, window.history_page
    for view in (
        squads.agent_combo.view(),
        squads.agent_combo.completer().popup(),
        projects.add_agent_edit.completer().popup(),
        history.agent_combo.view(),
        history.agent_combo.completer().popup(),
    ):
        assert view.uniformItemSizes()
    window.close()
