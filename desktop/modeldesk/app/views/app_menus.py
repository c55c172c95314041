"""The View menu's theme choice (Light / Dark / System, remembered) and the Help menu:
About (version, config file, log file, licence), Keyboard shortcuts, Documentation."""

from __future__ import annotations

import importlib.resources
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import PySide6
from PySide6.QtCore import QRectF, QSettings, Qt, QUrl
from PySide6.QtGui import (
    QAction,
    QActionGroup,
    QColor,
    QDesktopServices,
    QGuiApplication,
    QKeySequence,
    QPainter,
    QPalette,
    QTextDocument,
)
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMenu,
    QProxyStyle,
    QPushButton,
    QStyle,
    QStyleOption,
    QTableWidget,
    QTableWidgetItem,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from modeldesk import __version__
from modeldesk.logs import log_path

from ..widgets.style import follow_palette

THEMES = ("System", "Light", "Dark")
THEME_KEY = "appearance/theme"


# --- theme ------------------------------------------------------------------------------


_system: dict[str, object] = {}  # the style and palette the desktop gave, for "System"


def _dark_palette() -> QPalette:
    palette = QPalette()
    base, window, text, mid = QColor(30, 30, 30), QColor(45, 45, 45), QColor(230, 230, 230), QColor(70, 70, 70)
    for role, colour in (
        (QPalette.ColorRole.Window, window),
        (QPalette.ColorRole.WindowText, text),
        (QPalette.ColorRole.Base, base),
        (QPalette.ColorRole.AlternateBase, window),
        (QPalette.ColorRole.Text, text),
        (QPalette.ColorRole.Button, window),
        (QPalette.ColorRole.ButtonText, text),
        (QPalette.ColorRole.ToolTipBase, window),
        (QPalette.ColorRole.ToolTipText, text),
        (QPalette.ColorRole.PlaceholderText, QColor(150, 150, 150)),
        (QPalette.ColorRole.Mid, mid),
        (QPalette.ColorRole.Highlight, QColor(42, 130, 218)),
        (QPalette.ColorRole.HighlightedText, QColor(255, 255, 255)),
        (QPalette.ColorRole.Link, QColor(100, 170, 255)),
    ):
        palette.setColor(role, colour)
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.WindowText, QPalette.ColorRole.ButtonText):
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor(130, 130, 130))
    return palette


class DarkFusionStyle(QProxyStyle):
    """Fusion with check boxes and radio buttons you can see on a dark palette: Fusion
    outlines them in a shade of the window colour, which on Dark is all but the colour of
    the box itself, so an unticked box (a disabled model in the registry) vanished."""

    INDICATORS = (
        QStyle.PrimitiveElement.PE_IndicatorCheckBox,
        QStyle.PrimitiveElement.PE_IndicatorItemViewItemCheck,
        QStyle.PrimitiveElement.PE_IndicatorRadioButton,
    )

    def __init__(self) -> None:
        super().__init__("Fusion")

    def drawPrimitive(
        self,
        element: QStyle.PrimitiveElement,
        option: QStyleOption,
        painter: QPainter,
        widget: QWidget | None = None,
    ) -> None:
        super().drawPrimitive(element, option, painter, widget)
        if element not in self.INDICATORS:
            return
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(option.palette.color(QPalette.ColorRole.PlaceholderText))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        box = QRectF(option.rect).adjusted(0.5, 0.5, -0.5, -0.5)
        if element == QStyle.PrimitiveElement.PE_IndicatorRadioButton:
            painter.drawEllipse(box)
        else:
            painter.drawRoundedRect(box, 2, 2)
        painter.restore()


def apply_theme(theme: str) -> None:
    """Light, Dark or System (as the desktop has it).

    Qt's own colour-scheme request only works where the platform theme supports it, so
    Light and Dark also set the Fusion style with a matching palette; System puts back the
    style and palette the app started with.
    """
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        return
    if not _system:
        _system["style"] = app.style().name()
        _system["palette"] = QPalette(app.palette())
    hints = QGuiApplication.styleHints()
    scheme = {"Light": Qt.ColorScheme.Light, "Dark": Qt.ColorScheme.Dark}.get(theme, Qt.ColorScheme.Unknown)
    if hasattr(hints, "setColorScheme"):  # Qt 6.8+
        hints.setColorScheme(scheme)
    if theme == "Dark":
        style = DarkFusionStyle()
        _system["dark_style"] = style  # Qt owns it once set; Python must not collect it first
        app.setStyle(style)
        app.setPalette(_dark_palette())
    elif theme == "Light":
        app.setStyle("Fusion")
        app.setPalette(app.style().standardPalette())
    else:
        app.setStyle(str(_system["style"]))
        palette = _system["palette"]
        assert isinstance(palette, QPalette)
        app.setPalette(palette)
    follow_palette()


def saved_theme() -> str:
    value = QSettings().value(THEME_KEY, "System")
    return value if isinstance(value, str) and value in THEMES else "System"


@dataclass
class AppMenus:
    """The actions of the View and Help menus, by name (for the window and for tests)."""

    theme_actions: dict[str, QAction] = field(default_factory=dict)
    help_actions: dict[str, QAction] = field(default_factory=dict)


def add_view_menu(window: QMainWindow, menus: AppMenus) -> QMenu:
    menu = window.menuBar().addMenu("&View")
    theme_menu = menu.addMenu("&Theme")
    group = QActionGroup(window)
    current = saved_theme()
    for name in THEMES:
        action = QAction(name, window, checkable=True)
        action.setChecked(name == current)
        action.triggered.connect(lambda _checked=False, n=name: choose_theme(n))
        group.addAction(action)
        theme_menu.addAction(action)
        menus.theme_actions[name] = action
    return menu


def choose_theme(name: str) -> None:
    QSettings().setValue(THEME_KEY, name)
    apply_theme(name)


# --- help -------------------------------------------------------------------------------


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


def add_help_menu(window: QMainWindow, config_path: Path, menus: AppMenus) -> QMenu:
    menu = window.menuBar().addMenu("&Help")

    def run(dialog: QDialog) -> None:
        try:
            dialog.exec()
        finally:
            dialog.deleteLater()

    docs = QAction("&Documentation", window)
    docs.setShortcut(QKeySequence(QKeySequence.StandardKey.HelpContents))
    docs.triggered.connect(lambda: run(DocumentationDialog(window)))
    keys = QAction("&Keyboard shortcuts", window)
    keys.setShortcut(QKeySequence("Ctrl+/"))
    keys.triggered.connect(lambda: run(ShortcutsDialog(window)))
    about = QAction("&About ModelDesk", window)
    about.setMenuRole(QAction.MenuRole.AboutRole)
    about.triggered.connect(lambda: run(AboutDialog(config_path, window)))
    for action in (docs, keys, about):
        menu.addAction(action)
    menus.help_actions.update(docs=docs, keys=keys, about=about)
    return menu


def add_app_menus(window: QMainWindow, config_path: Path) -> AppMenus:
    """View (theme) and Help, added after the window's own menus."""
    apply_theme(saved_theme())
    menus = AppMenus()
    add_view_menu(window, menus)
    add_help_menu(window, config_path, menus)
    return menus
