"""TestRunPanel (placeholder until implemented)."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget


class TestRunPanel(QWidget):
    def __init__(self, document: object, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.agent_id: str | None = None
        QVBoxLayout(self).addWidget(QLabel("TestRunPanel: not built yet"))

    def set_agent(self, agent_id: str | None) -> None:
        self.agent_id = agent_id
