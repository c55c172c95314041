"""The Settings page: a tab per area (Models for now)."""

from __future__ import annotations

from PySide6.QtWidgets import QTabWidget, QVBoxLayout, QWidget

from ...document import Document
from .models_tab import ModelsTab


class SettingsPage(QWidget):
    def __init__(self, document: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tabs = QTabWidget(self)
        self.models_tab = ModelsTab(document, self)
        self.tabs.addTab(self.models_tab, "Models")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tabs)

    def show_models_field(self, field: str) -> None:
        self.tabs.setCurrentWidget(self.models_tab)
        self.models_tab.focus_field(field)
