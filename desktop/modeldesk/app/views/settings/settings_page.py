"""The Settings page: a tab per area (Models for now), and beside it a sidebar naming the
Models tab's sections — Providers, Models, Defaults, Task models, Fallback — so each can be
found at once. Clicking one scrolls to it; scrolling moves the sidebar's mark along."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QListWidget, QTabWidget, QWidget

from ...document import Document
from .models_tab import ModelsTab

# Sidebar entries: the label, and the models tab's section key.
SECTIONS = (
    ("Providers", "providers"),
    ("Models", "models"),
    ("Defaults", "default_agent_model"),
    ("Task models", "task_models"),
    ("Fallback", "fallback"),
)


class SettingsPage(QWidget):
    def __init__(self, document: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tabs = QTabWidget(self)
        self.models_tab = ModelsTab(document, self)
        self.tabs.addTab(self.models_tab, "Models")
        self.sidebar = QListWidget(self)
        self.sidebar.setObjectName("settings_sections")
        self.sidebar.setAccessibleName("Settings sections")
        for label, _key in SECTIONS:
            self.sidebar.addItem(label)
        self.sidebar.setMaximumWidth(max(self.sidebar.sizeHintForColumn(0) + 32, 140))
        self.sidebar.setCurrentRow(0)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.sidebar)
        layout.addWidget(self.tabs, 1)

        self.sidebar.itemClicked.connect(lambda item: self.show_section(self.sidebar.row(item)))
        self.sidebar.currentRowChanged.connect(self._row_chosen)
        self.models_tab.verticalScrollBar().valueChanged.connect(self._follow_scroll)
        self._jumping = False

    def show_section(self, row: int) -> None:
        if 0 <= row < len(SECTIONS):
            self._jumping = True
            try:
                self.tabs.setCurrentWidget(self.models_tab)
                self.models_tab.focus_field(SECTIONS[row][1], focus=False)
            finally:
                self._jumping = False

    def _row_chosen(self, row: int) -> None:
        if not self._jumping and self.sidebar.hasFocus():  # keyboard Up/Down in the sidebar
            self.show_section(row)

    def _follow_scroll(self, value: int) -> None:
        if self._jumping:
            return
        # The last section whose top has scrolled to (or above) the top of the view.
        row = 0
        for index, (_label, key) in enumerate(SECTIONS):
            if self.models_tab.sections[key].y() <= value + 8:
                row = index
        self.sidebar.blockSignals(True)
        self.sidebar.setCurrentRow(row)
        self.sidebar.blockSignals(False)

    def show_models_field(self, field: str) -> None:
        self.tabs.setCurrentWidget(self.models_tab)
        self.models_tab.focus_field(field)
        key = field.partition(".")[0]
        rows = [k for _label, k in SECTIONS]
        if key in rows:
            self.sidebar.blockSignals(True)
            self.sidebar.setCurrentRow(rows.index(key))
            self.sidebar.blockSignals(False)
