"""How widgets show a meaning: text coloured as a problem, a warning or a success (the
colours themselves are in ``colours.py``), headings, and following a theme switch."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import QApplication, QLabel, QWidget

from ..colours import ok_colour, problem_colour, secondary_colour, warning_colour


def text_style(colour: QColor) -> str:
    """A style sheet (or inline ``style=``) that colours text."""
    return f"color: {colour.name()};"


def set_heading_font(widget: QWidget) -> None:
    """A page heading: larger and bold, set as a font (not a style sheet, which would pin
    the widget's colours to the palette it was built with)."""
    font = QFont(widget.font())
    font.setPointSizeF(max(font.pointSizeF(), 10.0) * 1.4)
    font.setWeight(QFont.Weight.DemiBold)
    widget.setFont(font)


# The colour a widget's text takes, by meaning; kept as a property so a theme switch can
# pick the colour again for the new palette.
TEXT_COLOURS = {
    "problem": problem_colour,
    "warning": warning_colour,
    "ok": ok_colour,
    "secondary": secondary_colour,
}
_COLOUR_PROPERTY = "modeldesk_text_colour"


def note_label(text: str, parent: QWidget) -> QLabel:
    """A wrapped line of context under a control (what a choice does, where a thing is
    kept): quieter than the text around it but readable, never greyed as disabled (about
    1.5:1) and never markup."""
    label = QLabel(text, parent)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(True)
    set_text_colour(label, "secondary")
    return label


def set_text_colour(widget: QWidget, meaning: str | None) -> None:
    """Colour ``widget``'s text as a problem, a warning or a success (``None``: the
    palette's own text colour), in a shade readable on the current palette."""
    widget.setProperty(_COLOUR_PROPERTY, meaning or "")
    widget.setStyleSheet(text_style(TEXT_COLOURS[meaning]()) if meaning else "")


def follow_palette() -> None:
    """After the application palette changed (a theme switch), bring every widget along.

    A widget with a style sheet keeps the palette it had when the sheet was applied, so
    its text would stay black on a dark window: re-applying the sheet polishes it again
    with the new palette. Meaning-coloured text picks its shade again, and rich-text
    labels lay out their links again in the new link colour."""
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        return
    for widget in app.allWidgets():
        meaning = widget.property(_COLOUR_PROPERTY)
        if isinstance(meaning, str) and meaning in TEXT_COLOURS:
            widget.setStyleSheet(text_style(TEXT_COLOURS[meaning]()))
        elif sheet := widget.styleSheet():
            widget.setStyleSheet("")
            widget.setStyleSheet(sheet)
        if isinstance(widget, QLabel) and widget.textFormat() != Qt.TextFormat.PlainText and "<a" in widget.text():
            text = widget.text()
            widget.setText("")
            widget.setText(text)
