"""ResolutionPreview (placeholder until implemented)."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget


class ResolutionPreview(QWidget):
    def __init__(self, document: object, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        QVBoxLayout(self).addWidget(QLabel("ResolutionPreview: not built yet"))
