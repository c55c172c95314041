"""The View menu's theme choice (Light / Dark / System, remembered) and the Help menu:
About (version, config file, log file, licence), Keyboard shortcuts, Documentation.

Part of the window's first frame, so it loads only the menus themselves: the theme
(:mod:`.theme`) and the Help dialogs (:mod:`.help_dialogs`) load when first needed."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QSettings
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QDialog, QMainWindow, QMenu

if TYPE_CHECKING:
    from collections.abc import Callable

THEMES = ("System", "Light", "Dark")
THEME_KEY = "appearance/theme"


def saved_theme() -> str:
    value = QSettings().value(THEME_KEY, "System")
    return value if isinstance(value, str) and value in THEMES else "System"


# The theme this app applied last (None: none yet, so it has the desktop's look).
_applied: list[str] = []


def apply_theme(theme: str) -> None:
    """Light, Dark or System (as the desktop has it); see :func:`.theme.apply_theme`."""
    from .theme import apply_theme as apply

    apply(theme)
    _applied[:] = [theme]


def apply_saved_theme() -> None:
    """The theme chosen last time. An app that has applied none yet has the desktop's
    style and palette, which is what System is: nothing to load then."""
    theme = saved_theme()
    if theme == "System" and not _applied:
        return
    apply_theme(theme)


def set_shortcut(action: QAction, keys: QKeySequence) -> None:
    """``action.setShortcut(keys)``, through the list form: PySide resolves the single
    form's overloads by building every enum of the Qt namespace (~40 ms of the first
    window), the list form does not."""
    action.setShortcuts([keys])


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


def add_help_menu(window: QMainWindow, config_path: Path, menus: AppMenus) -> QMenu:
    menu = window.menuBar().addMenu("&Help")

    def run(make: Callable[[], QDialog]) -> None:
        dialog = make()
        try:
            dialog.exec()
        finally:
            dialog.deleteLater()

    def documentation() -> QDialog:
        from .help_dialogs import DocumentationDialog

        return DocumentationDialog(window)

    def shortcuts() -> QDialog:
        from .help_dialogs import ShortcutsDialog

        return ShortcutsDialog(window)

    def about() -> QDialog:
        from .help_dialogs import AboutDialog

        return AboutDialog(config_path, window)

    docs = QAction("&Documentation", window)
    set_shortcut(docs, QKeySequence(QKeySequence.StandardKey.HelpContents))
    docs.triggered.connect(lambda: run(documentation))
    keys = QAction("&Keyboard shortcuts", window)
    set_shortcut(keys, QKeySequence("Ctrl+/"))
    keys.triggered.connect(lambda: run(shortcuts))
    about_action = QAction("&About ModelDesk", window)
    about_action.setMenuRole(QAction.MenuRole.AboutRole)
    about_action.triggered.connect(lambda: run(about))
    for action in (docs, keys, about_action):
        menu.addAction(action)
    menus.help_actions.update(docs=docs, keys=keys, about=about_action)
    return menu


def add_app_menus(window: QMainWindow, config_path: Path) -> AppMenus:
    """View (theme) and Help, added after the window's own menus. The theme itself is
    applied by the app before its first window (:func:`apply_saved_theme`)."""
    menus = AppMenus()
    add_view_menu(window, menus)
    add_help_menu(window, config_path, menus)
    return menus
