"""A section that folds away: a header button (arrow, title, a short summary such as
"2 overridden") above a body shown only while the section is open. The header takes a
mnemonic, so Alt+letter or Space on it opens and closes the section."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QSizePolicy, QToolButton, QVBoxLayout, QWidget


class CollapsibleSection(QWidget):
    def __init__(self, title: str, body: QWidget, parent: QWidget | None = None, *, expanded: bool = False) -> None:
        super().__init__(parent)
        self._title = title
        self._summary = ""
        self.body = body
        self.toggle = QToolButton(self)
        self.toggle.setCheckable(True)
        self.toggle.setAutoRaise(True)
        self.toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.toggle.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        # Flat like a heading, with a visible frame while it has keyboard focus.
        self.toggle.setStyleSheet(
            "QToolButton { font-weight: 600; border: 1px solid transparent; border-radius: 3px; padding: 1px; }"
            "QToolButton:focus { border-color: palette(highlight); }"
        )
        self.toggle.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.toggle)
        body.setParent(self)
        layout.addWidget(body)
        self.toggle.toggled.connect(self._show_body)
        self.toggle.setChecked(expanded)
        self._show_body(expanded)

    def is_expanded(self) -> bool:
        return self.toggle.isChecked()

    def set_expanded(self, expanded: bool) -> None:
        self.toggle.setChecked(expanded)

    def set_summary(self, summary: str) -> None:
        """A few words after the title, shown open or closed ("2 overridden")."""
        self._summary = summary
        self._update_text()

    def _show_body(self, expanded: bool) -> None:
        self.toggle.setArrowType(Qt.ArrowType.DownArrow if expanded else Qt.ArrowType.RightArrow)
        self.body.setVisible(expanded)
        self._update_text()

    def _update_text(self) -> None:
        text = self._title + (f"  ({self._summary})" if self._summary else "")
        self.toggle.setText(text)
        self.toggle.setAccessibleName(text.replace("&", "") + (", expanded" if self.is_expanded() else ", collapsed"))
