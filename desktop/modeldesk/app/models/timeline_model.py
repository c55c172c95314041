"""The test-run timeline: one row per runtime event, with its time since Run was pressed.

The runtime's events describe themselves (``describe()``) in the user's words; this model
adds the time offset and a colour and icon per kind, so a failure, a retry, a fallback, a
withdrawn partial answer and the final answer can be told apart at a glance.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QIcon, QPainter, QPalette, QPixmap
from PySide6.QtWidgets import QApplication, QStyle

from .rows import RowsTableModel, dim_brush

# Kinds are the runtime events' own stable ``kind`` names (runtime/events.py). An event
# of a kind unknown here still appears, as "info", so a new runtime event shows up in the
# timeline before the app learns about it.
KIND_COLOURS: dict[str, str] = {
    "attempt_failed": "#d0463b",
    "all_failed": "#d0463b",
    "retrying": "#c98a12",
    "falling_back": "#2f7fd1",
    "cooldown_used": "#2f7fd1",
    "output_withdrawn": "#9a5fc9",
    "answered": "#2e9b4f",
}

KIND_ICONS: dict[str, QStyle.StandardPixmap] = {
    "starting": QStyle.StandardPixmap.SP_MediaPlay,
    "attempt_started": QStyle.StandardPixmap.SP_ArrowForward,
    "attempt_failed": QStyle.StandardPixmap.SP_MessageBoxWarning,
    "all_failed": QStyle.StandardPixmap.SP_MessageBoxCritical,
    "retrying": QStyle.StandardPixmap.SP_BrowserReload,
    "falling_back": QStyle.StandardPixmap.SP_ArrowDown,
    "cooldown_used": QStyle.StandardPixmap.SP_MediaSkipForward,
    "cooldown_started": QStyle.StandardPixmap.SP_MessageBoxInformation,
    "model_skipped": QStyle.StandardPixmap.SP_MediaSkipForward,
    "output_withdrawn": QStyle.StandardPixmap.SP_DialogDiscardButton,
    "answered": QStyle.StandardPixmap.SP_DialogApplyButton,
    "cancelled": QStyle.StandardPixmap.SP_MediaStop,
    "info": QStyle.StandardPixmap.SP_MessageBoxInformation,
}

DIMMED_KINDS = {"attempt_started", "model_skipped", "cancelled"}

_icons: dict[tuple[str, str], QIcon] = {}


def kind_icon(kind: str) -> QIcon:
    """The style's icon for ``kind``, redrawn in the kind's colour, or in the palette's
    text colour for kinds without one: the style's own arrows are black, which a dark
    palette would hide. Asked for at paint time, so it follows a theme switch."""
    colour = (
        QColor(KIND_COLOURS[kind]) if kind in KIND_COLOURS else QApplication.palette().color(QPalette.ColorRole.Text)
    )
    key = (kind, colour.name())
    icon = _icons.get(key)
    if icon is None:
        source = QApplication.style().standardIcon(KIND_ICONS.get(kind, KIND_ICONS["info"])).pixmap(32, 32)
        tinted = QPixmap(source.size())
        tinted.fill(Qt.GlobalColor.transparent)
        painter = QPainter(tinted)
        painter.drawPixmap(0, 0, source)
        # Keep the shape (the source's alpha), paint it in one colour.
        painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_SourceIn)
        painter.fillRect(tinted.rect(), colour)
        painter.end()
        icon = _icons[key] = QIcon(tinted)
    return icon


def event_kind(event: object) -> str:
    kind = getattr(event, "kind", None)
    return kind if isinstance(kind, str) and kind else "info"


def describe_event(event: object) -> str:
    describe = getattr(event, "describe", None)
    return describe() if callable(describe) else str(event)


@dataclass(frozen=True)
class TimelineEntry:
    offset_s: float
    kind: str
    text: str
    event: object | None = None

    @classmethod
    def of(cls, event: object, offset_s: float) -> TimelineEntry:
        return cls(offset_s, event_kind(event), describe_event(event), event)

    @property
    def time_text(self) -> str:
        return f"+{self.offset_s:.2f} s"


class TimelineModel(RowsTableModel[TimelineEntry]):
    COLUMNS = ("Time", "Event")
    TIME, EVENT = range(2)
    # The entry's kind ("attempt_failed", "retrying", ...), for tests and styling.
    KindRole = Qt.ItemDataRole.UserRole + 2

    def add_event(self, event: object, offset_s: float) -> TimelineEntry:
        entry = TimelineEntry.of(event, offset_s)
        self.append_row(entry)
        return entry

    def add_note(self, kind: str, text: str, offset_s: float) -> TimelineEntry:
        """A line the app itself adds (for example "Cancelled by you")."""
        entry = TimelineEntry(offset_s, kind, text)
        self.append_row(entry)
        return entry

    def clear(self) -> None:
        self.set_rows([])

    def kinds(self) -> list[str]:
        return [entry.kind for entry in self._rows]

    def texts(self) -> list[str]:
        return [entry.text for entry in self._rows]

    def cell(self, entry: TimelineEntry, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            return entry.time_text if column == self.TIME else entry.text
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{entry.time_text}  {entry.text}"
        if role == self.KindRole:
            return entry.kind
        if role == Qt.ItemDataRole.DecorationRole and column == self.EVENT:
            return kind_icon(entry.kind)
        if role == Qt.ItemDataRole.ForegroundRole and column == self.EVENT:
            if entry.kind in KIND_COLOURS:
                return QBrush(QColor(KIND_COLOURS[entry.kind]))
            if entry.kind in DIMMED_KINDS:
                return dim_brush()
        if role == Qt.ItemDataRole.TextAlignmentRole and column == self.TIME:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None
