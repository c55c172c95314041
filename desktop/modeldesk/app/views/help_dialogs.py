"""The Help menu's dialogs: About (version, config file, log file, licence), Keyboard
shortcuts and the user's guide. Loaded when one is first opened."""

from __future__ import annotations

import importlib.resources
from pathlib import Path
from typing import Any

import PySide6
from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices, QKeySequence, QTextDocument
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMenu,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from modeldesk import __version__
from modeldesk.logs import log_path


def about_text(config_path: Path) -> str:
    return (
        f"ModelDesk {__version__}\n\n"
        "Decide which LLM model each agent uses, and keep agents running when a model fails.\n\n"
        f"Config file: {config_path}\n"
        f"Log file: {log_path()}\n"
        "Licence: MIT (see the LICENSE file)\n"
        f"PySide6 {PySide6.__version__}"
    )


def shortcut_rows(window: QMainWindow) -> list[tuple[str, str]]:
    """Every menu action that has a shortcut, as (what, keys), in menu order."""
    rows: list[tuple[str, str]] = []

    def walk(menu: QMenu) -> None:
        for action in menu.actions():
            submenu = action.menu()
            if isinstance(submenu, QMenu):
                walk(submenu)
            elif not action.shortcut().isEmpty():
                text = action.text().replace("&", "")
                rows.append((text, action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)))

    for action in window.menuBar().actions():
        submenu = action.menu()
        if isinstance(submenu, QMenu):
            walk(submenu)
    rows += [
        ("Move from a filter into its list", "Down"),
        ("Move a model up / down in a priority list", "Ctrl+Up / Ctrl+Down"),
        ("Remove the selected item (agent, model in a list, member…)", "Delete"),
        ("Rename the selected squad or project", "F2"),
        ("Run the test prompt", "Ctrl+Enter"),
        ("Cancel a test run; close a dialog without changes", "Escape"),
        ("Back, in the user's guide", "Alt+Left"),
    ]
    return rows


class ShortcutsDialog(QDialog):
    def __init__(self, window: QMainWindow) -> None:
        super().__init__(window)
        self.setWindowTitle("Keyboard shortcuts")
        rows = shortcut_rows(window)
        self.table = QTableWidget(len(rows), 2, self)
        self.table.setHorizontalHeaderLabels(["Action", "Keys"])
        self.table.verticalHeader().hide()
        for row, (what, keys) in enumerate(rows):
            self.table.setItem(row, 0, QTableWidgetItem(what))
            self.table.setItem(row, 1, QTableWidgetItem(keys))
        self.table.resizeColumnsToContents()
        self.table.horizontalHeader().setStretchLastSection(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(buttons)
        self.resize(520, 420)


GUIDE_HOME = "index.md"


def guide_page(name: str) -> str | None:
    """A page of the user's guide shipped inside the package (``modeldesk/app/guide``),
    read through importlib.resources so it is there offline however ModelDesk was
    installed; ``None`` for a name that is not one of its pages."""
    if "/" in name or "\\" in name or not name.endswith(".md"):
        return None
    page = importlib.resources.files("modeldesk.app").joinpath("guide", name)
    try:
        return page.read_text(encoding="utf-8") if page.is_file() else None
    except OSError:
        return None


class GuideBrowser(QTextBrowser):
    """Shows the guide's Markdown pages: links between pages open here (with Back and
    Forward), links to the web open in the browser, and a page that is not in the guide
    says so instead of going blank."""

    def loadResource(self, kind: int, name: QUrl | str) -> Any:
        url = QUrl(name)
        if url.scheme() in ("", "file", "qrc"):
            name = url.fileName() or GUIDE_HOME
            text = guide_page(name)
            if text is None:
                text = f"# Not in this guide\n\nThere is no page “{name}” here.\n\n[Back to the contents]({GUIDE_HOME})"
            return text
        return super().loadResource(kind, name)

    def doSetSource(
        self, name: QUrl | str, kind: QTextDocument.ResourceType = QTextDocument.ResourceType.UnknownResource
    ) -> None:
        if QUrl(name).scheme() in ("http", "https", "mailto"):
            QDesktopServices.openUrl(QUrl(name))
            return
        # Every page is Markdown, whatever Qt guesses from the name.
        super().doSetSource(name, QTextDocument.ResourceType.MarkdownResource)


class DocumentationDialog(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("ModelDesk user's guide")
        self.browser = GuideBrowser(self)
        self.browser.setOpenLinks(True)
        self.browser.setOpenExternalLinks(False)  # GuideBrowser opens them itself
        self.back_button = QPushButton("← &Back", self)
        self.back_button.setToolTip("The page you came from (Alt+Left)")
        self.back_button.setShortcut(QKeySequence(QKeySequence.StandardKey.Back))
        self.forward_button = QPushButton("&Forward →", self)
        self.forward_button.setShortcut(QKeySequence(QKeySequence.StandardKey.Forward))
        self.home_button = QPushButton("&Contents", self)
        for button in (self.back_button, self.forward_button, self.home_button):
            button.setAutoDefault(False)
        self.back_button.clicked.connect(self.browser.backward)
        self.forward_button.clicked.connect(self.browser.forward)
        self.home_button.clicked.connect(self.browser.home)
        self.browser.backwardAvailable.connect(self.back_button.setEnabled)
        self.browser.forwardAvailable.connect(self.forward_button.setEnabled)
        self.back_button.setEnabled(False)
        self.forward_button.setEnabled(False)
        self.browser.setSource(QUrl(GUIDE_HOME), QTextDocument.ResourceType.MarkdownResource)
        navigation = QHBoxLayout()
        for button in (self.back_button, self.forward_button, self.home_button):
            navigation.addWidget(button)
        navigation.addStretch(1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(navigation)
        layout.addWidget(self.browser)
        layout.addWidget(buttons)
        self.resize(760, 640)
        self.browser.setFocus()


class AboutDialog(QDialog):
    def __init__(self, config_path: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("About ModelDesk")
        self.text = QLabel(about_text(config_path), self)
        self.text.setTextFormat(Qt.TextFormat.PlainText)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        icon = QLabel(self)
        window_icon = QApplication.windowIcon()
        if not window_icon.isNull():
            icon.setPixmap(window_icon.pixmap(64, 64))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(icon, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addWidget(self.text)
        layout.addWidget(buttons)
