"""The colours that carry a meaning (a problem, a warning, a success, quieter context),
picked from the current palette so they read on light and dark themes alike. Used by item
models (their foreground role) and widgets."""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication


def problem_colour() -> QColor:
    base = QApplication.palette().color(QPalette.ColorRole.Base)
    return QColor("#ff8a80") if base.lightness() < 128 else QColor("#b3261e")


def ok_colour() -> QColor:
    base = QApplication.palette().color(QPalette.ColorRole.Base)
    return QColor("#81c995") if base.lightness() < 128 else QColor("#1e7b34")


def warning_colour() -> QColor:
    base = QApplication.palette().color(QPalette.ColorRole.Base)
    return QColor("#f6c26b") if base.lightness() < 128 else QColor("#8a5a00")


def secondary_colour() -> QColor:
    """Text that gives context (a note under a choice, a default): quieter than the main
    text but still easy to read (about 7:1 on the base colour, where a disabled label's
    grey is about 1.5:1)."""
    palette = QApplication.palette()
    return blend(palette.color(QPalette.ColorRole.WindowText), palette.color(QPalette.ColorRole.Window), 0.7)


# WCAG's least contrast for text, with a little room for rounding.
READABLE = 4.6


def quiet_text_colour() -> QColor:
    """Cell text that is context (where a run came from, a value that is inherited, a row
    that stays as it is): between the palette's text and base colours, as near the base
    as still reads at 4.5:1 on both the base and the alternate rows. The palette's
    disabled-text grey, used before, was about 1.8:1 on Light and 4.4:1 on Dark."""
    palette = QApplication.palette()
    # Asked for each dimmed cell painted: worked out once per palette.
    key = palette.cacheKey()
    cached = _quiet.get(key)
    if cached is not None:
        return QColor(cached)
    text = palette.color(QPalette.ColorRole.Text)
    grounds = (palette.color(QPalette.ColorRole.Base), palette.color(QPalette.ColorRole.AlternateBase))
    chosen = text
    for share in (0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95):
        colour = blend(text, grounds[0], share)
        if min(contrast(colour, ground) for ground in grounds) >= READABLE:
            chosen = colour
            break
    _quiet.clear()
    _quiet[key] = chosen
    return QColor(chosen)


_quiet: dict[int, QColor] = {}  # the current palette's cache key: its quiet text colour


def blend(colour: QColor, ground: QColor, share: float) -> QColor:
    """``share`` of ``colour`` over ``ground``."""
    return QColor(
        round(colour.red() * share + ground.red() * (1 - share)),
        round(colour.green() * share + ground.green() * (1 - share)),
        round(colour.blue() * share + ground.blue() * (1 - share)),
    )


def contrast(one: QColor, other: QColor) -> float:
    """The WCAG contrast ratio of two colours (1 to 21)."""

    def luminance(colour: QColor) -> float:
        def channel(value: int) -> float:
            c = value / 255
            return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

        return 0.2126 * channel(colour.red()) + 0.7152 * channel(colour.green()) + 0.0722 * channel(colour.blue())

    high, low = sorted((luminance(one), luminance(other)), reverse=True)
    return (high + 0.05) / (low + 0.05)
