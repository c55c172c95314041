"""A label whose text changes often without the window laying itself out again."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QSize
from PySide6.QtWidgets import QLabel, QWidget


class SteadyLabel(QLabel):
    """A one-line label at a fixed size: as wide as the widest of its usual texts (or the
    text it shows, when that is wider), measured again when its font or style changes.

    A QLabel whose size may change asks its parent's layout to be redone on every setText,
    and only a fixed size (minimum equal to maximum) spares it: the save state changes twice
    per edit ("Saving…", "Saved"), and each relayout of the status bar cost the GUI thread
    ~0.15 ms plus a repaint."""

    def __init__(self, text: str, usual_texts: tuple[str, ...], parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self._usual_texts = usual_texts
        self._usual_size = QSize()
        self._measure()

    def set_usual_texts(self, usual_texts: tuple[str, ...]) -> None:
        self._usual_texts = usual_texts
        self._measure()

    def setText(self, text: str) -> None:
        super().setText(text)
        self._fit()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange):
            self._measure()

    def _measure(self) -> None:
        """The size that fits every usual text, from Qt's own size hint for each (rare: on
        creation and on a font or style change)."""
        shown = self.text()
        size = QSize(0, 0)
        for text in self._usual_texts:
            super().setText(text)
            size = size.expandedTo(self.sizeHint())
        super().setText(shown)
        self._usual_size = size
        self._fit()

    def _fit(self) -> None:
        # A usual text fits the usual size by construction: no need to measure it again.
        usual = self.text() in self._usual_texts and not self._usual_size.isEmpty()
        size = self._usual_size if usual else self._usual_size.expandedTo(self.sizeHint())
        if size != self.minimumSize() or size != self.maximumSize():
            self.setFixedSize(size)
