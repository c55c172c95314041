"""The theme: Light and Dark (Fusion with a matching palette) or System (the style and
palette the desktop gave). Loaded only when a theme other than System is in use or
chosen: the first window needs none of it on a desktop left at System."""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QGuiApplication, QPainter, QPalette
from PySide6.QtWidgets import QApplication, QProxyStyle, QStyle, QStyleOption, QWidget

from ..widgets.style import follow_palette

_system: dict[str, object] = {}  # the style and palette the desktop gave, for "System"


def _dark_palette() -> QPalette:
    palette = QPalette()
    base, window, text, mid = QColor(30, 30, 30), QColor(45, 45, 45), QColor(230, 230, 230), QColor(70, 70, 70)
    for role, colour in (
        (QPalette.ColorRole.Window, window),
        (QPalette.ColorRole.WindowText, text),
        (QPalette.ColorRole.Base, base),
        (QPalette.ColorRole.AlternateBase, window),
        (QPalette.ColorRole.Text, text),
        (QPalette.ColorRole.Button, window),
        (QPalette.ColorRole.ButtonText, text),
        (QPalette.ColorRole.ToolTipBase, window),
        (QPalette.ColorRole.ToolTipText, text),
        (QPalette.ColorRole.PlaceholderText, QColor(150, 150, 150)),
        (QPalette.ColorRole.Mid, mid),
        (QPalette.ColorRole.Highlight, QColor(42, 130, 218)),
        (QPalette.ColorRole.HighlightedText, QColor(255, 255, 255)),
        (QPalette.ColorRole.Link, QColor(100, 170, 255)),
    ):
        palette.setColor(role, colour)
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.WindowText, QPalette.ColorRole.ButtonText):
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor(130, 130, 130))
    return palette


class DarkFusionStyle(QProxyStyle):
    """Fusion with check boxes and radio buttons you can see on a dark palette: Fusion
    outlines them in a shade of the window colour, which on Dark is all but the colour of
    the box itself, so an unticked box (a disabled model in the registry) vanished."""

    INDICATORS = (
        QStyle.PrimitiveElement.PE_IndicatorCheckBox,
        QStyle.PrimitiveElement.PE_IndicatorItemViewItemCheck,
        QStyle.PrimitiveElement.PE_IndicatorRadioButton,
    )

    def __init__(self) -> None:
        super().__init__("Fusion")

    def drawPrimitive(
        self,
        element: QStyle.PrimitiveElement,
        option: QStyleOption,
        painter: QPainter,
        widget: QWidget | None = None,
    ) -> None:
        super().drawPrimitive(element, option, painter, widget)
        if element not in self.INDICATORS:
            return
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(option.palette.color(QPalette.ColorRole.PlaceholderText))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        box = QRectF(option.rect).adjusted(0.5, 0.5, -0.5, -0.5)
        if element == QStyle.PrimitiveElement.PE_IndicatorRadioButton:
            painter.drawEllipse(box)
        else:
            painter.drawRoundedRect(box, 2, 2)
        painter.restore()


def apply_theme(theme: str) -> None:
    """Light, Dark or System (as the desktop has it).

    Qt's own colour-scheme request only works where the platform theme supports it, so
    Light and Dark also set the Fusion style with a matching palette; System puts back the
    style and palette the app started with.
    """
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        return
    if not _system:
        _system["style"] = app.style().name()
        _system["palette"] = QPalette(app.palette())
    hints = QGuiApplication.styleHints()
    scheme = {"Light": Qt.ColorScheme.Light, "Dark": Qt.ColorScheme.Dark}.get(theme, Qt.ColorScheme.Unknown)
    if hasattr(hints, "setColorScheme"):  # Qt 6.8+
        hints.setColorScheme(scheme)
    if theme == "Dark":
        style = DarkFusionStyle()
        _system["dark_style"] = style  # Qt owns it once set; Python must not collect it first
        app.setStyle(style)
        app.setPalette(_dark_palette())
    elif theme == "Light":
        app.setStyle("Fusion")
        app.setPalette(app.style().standardPalette())
    else:
        app.setStyle(str(_system["style"]))
        palette = _system["palette"]
        assert isinstance(palette, QPalette)
        app.setPalette(palette)
    follow_palette()
