"""Text that a user wrote (an agent's or project's name) can be any length: headings
elide it to the width they are given, and combos stop sizing themselves to their
longest entry, so one long name never widens the window beyond the screen."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QPainter, QPaintEvent, QResizeEvent
from PySide6.QtWidgets import QAbstractItemView, QComboBox, QLabel, QListView, QSizePolicy, QWidget

# A combo shows at least this many characters before it elides its entries.
COMBO_MIN_CHARS = 18


class ElidedLabel(QLabel):
    """A one-line plain-text label that shows "…" where its text does not fit, with the
    whole text as its tooltip. Its minimum width is a few characters, not the text's."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTextFormat(Qt.TextFormat.PlainText)  # names are data, never markup
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self._full = ""
        self.setText(text)

    def setText(self, text: str) -> None:
        self._full = text
        self.setToolTip(text or "")
        super().setText(text)
        self.setAccessibleName(text)
        self.update()

    def full_text(self) -> str:
        return self._full

    def shown_text(self) -> str:
        """What fits in the label's width now (the text itself, or its elided form)."""
        return self.fontMetrics().elidedText(
            self._full, Qt.TextElideMode.ElideRight, max(self.contentsRect().width(), 0)
        )

    def minimumSizeHint(self) -> QSize:
        hint = super().minimumSizeHint()
        return QSize(min(hint.width(), self.fontMetrics().averageCharWidth() * 8), hint.height())

    def sizeHint(self) -> QSize:
        hint = super().sizeHint()
        return QSize(min(hint.width(), self.fontMetrics().averageCharWidth() * 40), hint.height())

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setPen(self.palette().color(self.foregroundRole()))
        painter.setFont(self.font())
        flags = int(self.alignment()) | int(Qt.AlignmentFlag.AlignVCenter)
        painter.drawText(self.contentsRect(), flags, self.shown_text())


def elide_combo(combo: QComboBox, chars: int = COMBO_MIN_CHARS) -> QComboBox:
    """Size ``combo`` to about ``chars`` characters instead of its longest entry (which
    the popup still shows in full); its entries elide in the field."""
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(chars)
    combo.setSizePolicy(QSizePolicy.Policy.Expanding, combo.sizePolicy().verticalPolicy())
    view = combo.view()
    view.setTextElideMode(Qt.TextElideMode.ElideRight)
    uniform_rows(view)
    return combo


def uniform_rows(view: QAbstractItemView | None) -> None:
    """One-line rows of one height: a list of 10,000 agents is then not measured row by row
    each time the style changes (a theme switch) or the list is laid out again."""
    if isinstance(view, QListView):
        view.setUniformItemSizes(True)


# A name inside a group-box title or a sentence keeps at most this many characters.
NAME_CHARS = 40


def short(name: str, limit: int = NAME_CHARS) -> str:
    """``name`` cut to ``limit`` characters with "…", for titles whose width the layout
    takes as a minimum (group boxes, dialog titles)."""
    return name if len(name) <= limit else name[: limit - 1].rstrip() + "…"
