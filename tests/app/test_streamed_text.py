"""The streamed answer box: bounded paragraphs inside, the exact text and the same lines outside."""

from __future__ import annotations

from typing import Any

from PySide6.QtGui import QGuiApplication, QTextCursor
from PySide6.QtWidgets import QPlainTextEdit

from modeldesk.app.widgets.streamed_text import TAIL_CHARS, StreamedTextView

# One long paragraph (the case that used to be laid out whole on every append), a real
# newline, and letters outside the BMP, which Qt counts as two positions.
ANSWER = "".join(f"word{i} " for i in range(900)) + "\nSecond paragraph 🙂 with émoji, " * 30


def pieces(text: str, size: int = 7) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


def shown_lines(edit: QPlainTextEdit) -> list[str]:
    """Every line as it is drawn, top to bottom."""
    layout = edit.document().documentLayout()
    lines: list[str] = []
    block = edit.document().firstBlock()
    while block.isValid():
        layout.blockBoundingRect(block)  # lays the block out
        text = block.text().encode("utf-16-le")
        for index in range(block.layout().lineCount()):
            line = block.layout().lineAt(index)
            start, length = line.textStart(), line.textLength()
            lines.append(text[2 * start : 2 * (start + length)].decode("utf-16-le"))
        block = block.next()
    return lines


def streamed_view(qtbot: Any, width: int = 420) -> StreamedTextView:
    view = StreamedTextView()
    qtbot.addWidget(view)
    view.resize(width, 300)
    view.show()
    qtbot.waitExposed(view)
    for piece in pieces(ANSWER):
        view.append_text(piece)
    return view


def reference(qtbot: Any, view: StreamedTextView) -> QPlainTextEdit:
    plain = QPlainTextEdit()
    qtbot.addWidget(plain)
    plain.setReadOnly(True)
    plain.resize(view.size())
    plain.show()
    qtbot.waitExposed(plain)
    plain.setPlainText(ANSWER)
    # Its scroll bar comes a turn later; compare at the same width.
    qtbot.waitUntil(lambda: plain.viewport().width() == view.viewport().width())
    return plain


def test_a_long_streamed_paragraph_is_held_in_bounded_blocks_and_reads_back_exactly(qtbot: Any) -> None:
    view = streamed_view(qtbot)
    lengths = []
    block = view.document().firstBlock()
    while block.isValid():
        lengths.append(block.length())
        block = block.next()
    assert len(lengths) > 10  # the first paragraph alone is ~7,000 characters
    assert max(lengths) <= TAIL_CHARS + 7 + 1
    assert view.toPlainText() == ANSWER


def test_the_lines_on_screen_are_those_of_one_paragraph_at_any_width(qtbot: Any) -> None:
    view = streamed_view(qtbot)
    assert shown_lines(view) == shown_lines(reference(qtbot, view))
    view.resize(610, 280)  # wider: the cuts would leave short lines; they are joined again
    qtbot.waitUntil(lambda: view.viewport().width() > 420)
    assert shown_lines(view) == shown_lines(reference(qtbot, view))
    assert view.toPlainText() == ANSWER
    for piece in pieces("and the stream goes on " * 60):  # cut again at the new width
        view.append_text(piece)
    assert view.toPlainText() == ANSWER + "and the stream goes on " * 60
    assert view.document().lastBlock().length() <= TAIL_CHARS + 8


def test_copy_gives_the_exact_text_whole_or_across_a_cut(qtbot: Any) -> None:
    view = streamed_view(qtbot)
    clipboard = QGuiApplication.clipboard()
    view.selectAll()
    view.copy()
    assert clipboard.text() == ANSWER
    # A selection from inside one block to inside a later one, past the cuts between.
    second = view.document().firstBlock().next()
    assert second.userState() == 1  # a cut, not a newline of the answer
    cursor = view.textCursor()
    cursor.setPosition(5)
    cursor.setPosition(second.next().position() + 3, QTextCursor.MoveMode.KeepAnchor)
    view.setTextCursor(cursor)
    view.copy()
    before_cuts = second.next().position() + 3 - 2  # two cuts lie before the end
    assert clipboard.text() == ANSWER[5:before_cuts]
    # Past the real newline and the emoji (two positions each in Qt's counting).
    end = view.document().characterCount() - 1
    cursor.setPosition(end - 40)
    cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
    view.setTextCursor(cursor)
    view.copy()
    assert ANSWER.endswith(clipboard.text()) and len(clipboard.text().encode("utf-16-le")) == 80


def test_clearing_and_a_whole_answer_start_clean(qtbot: Any) -> None:
    view = streamed_view(qtbot)
    view.clear()
    assert view.toPlainText() == ""
    view.append_text("short")
    assert view.toPlainText() == "short"
    view.setPlainText("a\nb")
    assert view.toPlainText() == "a\nb"


def test_appends_keep_a_selection_that_reaches_the_end_and_across_new_cuts(qtbot: Any) -> None:
    view = streamed_view(qtbot)
    end = view.document().characterCount() - 1
    cursor = view.textCursor()
    cursor.setPosition(end - 12)
    cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
    view.setTextCursor(cursor)
    chosen = cursor.selectedText()
    # Enough words for the last paragraph to be cut again, after the selection.
    for piece in pieces("more words arrive " * 80):
        view.append_text(piece)
    assert view.document().lastBlock().userState() == 1  # cut at least once meanwhile
    assert view.textCursor().selectedText() == chosen  # it did not grow with the text
    view.copy()
    assert QGuiApplication.clipboard().text() == ANSWER[-12:]
