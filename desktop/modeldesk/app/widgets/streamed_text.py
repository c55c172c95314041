"""A read-only text box that text streams into, whose cost per append does not grow with
the text.

Qt lays a whole paragraph out again whenever text is added to it, so appending to one long
streamed paragraph cost more with every token. Here, once the paragraph being appended to
is longer than ``TAIL_CHARS``, it is cut where its last line starts on screen: the lines
above stay exactly where they were, and later appends lay out only that last part. The
cut paragraphs are marked as continuations and joined again for everything that reads the
text (``toPlainText``, copy, drag), so the text is exactly what arrived. When the width
changes, the cuts are removed (one layout of the whole text) so that the text wraps as one
paragraph again.
"""

from __future__ import annotations

from PySide6.QtCore import QMimeData
from PySide6.QtGui import QResizeEvent, QShowEvent, QTextBlock, QTextCursor
from PySide6.QtWidgets import QPlainTextEdit, QWidget

# A paragraph longer than this is cut at the start of its last line (about ten lines).
TAIL_CHARS = 800
# The user state of a block that continues the paragraph before it (a cut, not a newline).
CONTINUES = 1


class StreamedTextView(QPlainTextEdit):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setReadOnly(True)
        self.document().setUndoRedoEnabled(False)  # nothing to undo, and no copy of each append
        self._cuts = 0
        self._cut_width = -1
        # The viewport's Python wrapper, made when first needed: PySide's first wrapper of
        # a scroll area's viewport costs ~7-15 ms once per process, which the first cut,
        # in the middle of the first streamed answer, paid.
        self._viewport: QWidget | None = None

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        # Shown, before any text streams in: what the first cut needs made once per process.
        self._viewport_width()
        # PySide makes a class's Python enums on their first use (~1-3 ms for a block
        # format's), which the first cut, in the middle of the first answer, paid.
        first = self.document().firstBlock()
        first.blockFormat().setLayoutDirection(first.textDirection())

    def _viewport_width(self) -> int:
        if self._viewport is None:
            self._viewport = self.viewport()
        return self._viewport.width()

    def append_text(self, text: str) -> None:
        """Add ``text`` at the end. The user's selection stays as it is, and the view
        follows the end only while it shows the end (a user who scrolled up stays there)."""
        bar = self.verticalScrollBar()
        follow = bar.value() >= bar.maximum()
        shown = self.textCursor()
        selected: QTextCursor | None = None
        if shown.hasSelection():
            # A selection ending at the end would grow with the text: hold it in a cursor
            # that stays put when text is inserted where it points.
            selected = QTextCursor(self.document())
            selected.setPosition(shown.anchor())
            selected.setPosition(shown.position(), QTextCursor.MoveMode.KeepAnchor)
            selected.setKeepPositionOnInsert(True)
        end = QTextCursor(self.document())
        end.movePosition(QTextCursor.MoveOperation.End)
        end.insertText(text)
        block = end.block()
        if block.length() > TAIL_CHARS:
            self._cut_before_last_line(block)
        if selected is not None:
            now = self.textCursor()
            if (now.anchor(), now.position()) != (selected.anchor(), selected.position()):
                value = bar.value()
                selected.setKeepPositionOnInsert(False)
                self.setTextCursor(selected)
                bar.setValue(value)  # setTextCursor scrolls to the cursor; the user did not
        if follow:
            bar.setValue(bar.maximum())

    def _cut_before_last_line(self, block: QTextBlock) -> None:
        layout = self.document().documentLayout()
        layout.blockBoundingRect(block)  # lays the block out if it is not yet
        lines = block.layout()
        if lines.lineCount() < 2:
            return
        start = lines.lineAt(lines.lineCount() - 1).textStart()
        if start <= 0:
            return
        form = block.blockFormat()
        # The continuation keeps the paragraph's direction, which its own first letter
        # might otherwise change.
        form.setLayoutDirection(block.textDirection())
        cut = QTextCursor(block)
        cut.setPosition(block.position() + start)
        cut.insertBlock(form)
        cut.block().setUserState(CONTINUES)
        self._cuts += 1
        self._cut_width = self._viewport_width()

    def _join_cuts(self) -> None:
        block = self.document().lastBlock()
        cursor = QTextCursor(self.document())
        cursor.beginEditBlock()
        while block.isValid():
            previous = block.previous()
            if block.userState() == CONTINUES:
                cursor.setPosition(block.position())
                cursor.deletePreviousChar()  # the cut: the two parts are one paragraph again
            block = previous
        cursor.endEditBlock()
        self._cuts = 0

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        # Cut where lines started at the old width, the parts would wrap short at a new one.
        if self._cuts and self._viewport_width() != self._cut_width:
            self._join_cuts()

    def clear(self) -> None:
        super().clear()
        self._cuts = 0

    def setPlainText(self, text: str) -> None:
        super().setPlainText(text)
        self._cuts = 0

    def toPlainText(self) -> str:
        """The text exactly as it arrived (the cuts are not newlines)."""
        return self._text_between(0, None)

    def _text_between(self, start: int, end: int | None) -> str:
        """The text from document position ``start`` to ``end`` (None: the end)."""
        if not self._cuts:
            whole = super().toPlainText()
            return whole if start == 0 and end is None else _utf16_slice(whole, start, end)
        parts: list[str] = []
        block = self.document().findBlock(start)
        while block.isValid() and (end is None or block.position() <= end):
            if parts and block.userState() != CONTINUES:
                parts.append("\n")
            offset = block.position()
            local_end = None if end is None else end - offset
            parts.append(_utf16_slice(block.text(), max(start - offset, 0), local_end))
            block = block.next()
        return "".join(parts)

    def createMimeDataFromSelection(self) -> QMimeData:
        cursor = self.textCursor()
        data = QMimeData()
        data.setText(self._text_between(cursor.selectionStart(), cursor.selectionEnd()))
        return data


def _utf16_slice(text: str, start: int, end: int | None) -> str:
    """``text[start:end]`` counted in UTF-16 units, as Qt counts positions."""
    if text.isascii():
        return text[start:end]
    units = text.encode("utf-16-le")
    return units[2 * start : None if end is None else 2 * end].decode("utf-16-le", "surrogatepass")
