"""The hint under every model picker: what applies when no model is chosen, with an
"Open settings" link to Settings → Models (SPEC 3.3)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget

from ..text import HINT_TEXT


def settings_hint(parent: QWidget) -> QLabel:
    """A label with the hint and the link; connect its ``linkActivated``."""
    label = QLabel(f'{HINT_TEXT} <a href="open-settings">Open settings</a>', parent)
    label.setObjectName("hint_label")
    label.setWordWrap(True)
    label.setTextInteractionFlags(
        Qt.TextInteractionFlag.LinksAccessibleByMouse | Qt.TextInteractionFlag.LinksAccessibleByKeyboard
    )
    return label
