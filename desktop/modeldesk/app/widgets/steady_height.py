"""A box that keeps a widget's geometry requests to itself while its height stays the same.

Qt passes every ``updateGeometry()`` up through each layout to the window, and a tab widget
that receives one repaints its whole page: a label whose text changes (the test run's
"Running…", then its result) cost a redraw of the whole Agents page, twice per run, in the
middle of a streaming answer. Here the request stops unless the text needs another height.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QSize
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QSizePolicy, QWidget


class SteadyHeightBox(QWidget):
    """Holds ``child`` at its own full size, as wide as the layout makes it and as tall as
    the child needs at that width. Passes the child's geometry requests on only when that
    height changes."""

    def __init__(self, child: QWidget, parent: QWidget) -> None:
        super().__init__(parent)
        self._child = child
        child.setParent(self)  # no layout: the child's requests come here as LayoutRequest
        policy = QSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        policy.setHeightForWidth(True)
        self.setSizePolicy(policy)

    def needed_height(self, width: int) -> int:
        child = self._child
        height = child.heightForWidth(width) if child.hasHeightForWidth() else -1
        return height if height >= 0 else child.sizeHint().height()

    def heightForWidth(self, width: int) -> int:
        return self.needed_height(width)

    def hasHeightForWidth(self) -> bool:
        return True

    def sizeHint(self) -> QSize:
        return QSize(self._child.sizeHint().width(), self.needed_height(max(self.width(), 1)))

    def minimumSizeHint(self) -> QSize:
        return QSize(0, self._child.minimumSizeHint().height())

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.LayoutRequest:
            self._fit()
            return True
        return super().event(event)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        self._child.setGeometry(self.rect())
        # Layouts remember the heights they were told; a request that changes nothing here
        # is dropped, one that needs another height goes up as usual.
        if self.needed_height(self.width()) != self.height():
            self.updateGeometry()
