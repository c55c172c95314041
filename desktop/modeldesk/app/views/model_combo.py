"""A one-model chooser: an editable combo over the registry, with completion as you type.

The choices are every model the resolver knows (the config's and the policy's) plus every
id some list still mentions, so a deleted or disabled model can still be picked (to
replace or remove it) and is flagged in its text, never hidden. A typed id that is not in
the list is taken as written; ``problem()`` says why it could not be used.

The choices are built lazily: a change to the config only marks them stale, and they are
rebuilt when the list is about to be used (the popup opens or the field takes the focus).
With 1,000 models and a dozen combos, rebuilding them all on every edit was most of an
edit's cost.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFocusEvent
from PySide6.QtWidgets import QComboBox, QCompleter, QWidget

from modeldesk.core.schema import Config, model_list

from ..document import Document
from ..widgets.elided import elide_combo
from ..widgets.when_shown import EVERY_COLLECTION, follow_edits


def referenced_models(config: Config) -> list[str]:
    """Every model id some agent, project or the settings list, in first-seen order."""
    ids: dict[str, None] = {}
    for value in (config.settings.default_agent_model, *(p.default_model for p in config.projects)):
        ids.update(dict.fromkeys(model_list(value)))
    for agent in config.agents:
        ids.update(dict.fromkeys(model_list(agent.model)))
    return [m.strip() for m in ids if m.strip()]


class LazyCombo(QComboBox):
    """A combo whose items are filled by ``fill()`` only when about to be used: the popup
    opens or the combo takes the focus (typing and arrow keys need the items) after
    ``mark_stale()``. ``refresh()`` fills now if stale."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._stale = True
        elide_combo(self)

    def fill(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def mark_stale(self, *_: object) -> None:
        self._stale = True

    @property
    def stale(self) -> bool:
        return self._stale

    def refresh(self) -> None:
        if self._stale:
            self._stale = False
            self.fill()

    def showPopup(self) -> None:
        self.refresh()
        super().showPopup()

    # Code that asks for the choices gets them up to date (the widget's own look-ups
    # below call QComboBox's directly and leave stale choices alone).
    def findData(self, data: object, role: int = Qt.ItemDataRole.UserRole, flags: object = None) -> int:
        self.refresh()
        if flags is None:
            return super().findData(data, role)
        return super().findData(data, role, flags)  # type: ignore[arg-type]

    def findText(self, text: str, flags: object = None) -> int:
        self.refresh()
        if flags is None:
            return super().findText(text)
        return super().findText(text, flags)  # type: ignore[arg-type]

    def count(self) -> int:
        self.refresh()
        return super().count()

    def focusInEvent(self, event: QFocusEvent) -> None:
        self.refresh()
        super().focusInEvent(event)


class ModelCombo(LazyCombo):
    """Editable combo whose value is a model id (``model_id()``); empty means none."""

    model_changed = Signal(str)

    def __init__(
        self, document: Document, parent: QWidget | None = None, *, placeholder: str = "Type or pick a model id"
    ) -> None:
        super().__init__(parent)
        self._document = document
        self._last = ""
        self.setEditable(True)
        self.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.setMinimumContentsLength(18)
        line = self.lineEdit()
        assert line is not None  # an editable combo box has one
        line.setPlaceholderText(placeholder)
        line.setClearButtonEnabled(True)
        completer = QCompleter(self.model(), self)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.setCompleter(completer)
        self.setCurrentIndex(-1)
        self.editTextChanged.connect(self._emit_if_changed)
        self.currentIndexChanged.connect(self._emit_if_changed)
        # Its items name models any list refers to: every collection counts.
        follow_edits(self, document, EVERY_COLLECTION, self.mark_stale)

    def reload(self) -> None:
        """Refill the choices from the document now, keeping the current value."""
        self._stale = False
        self.fill()

    def fill(self) -> None:
        current = self.model_id()
        resolver = self._document.resolver
        known = resolver.models
        ids = list(dict.fromkeys([*known, *referenced_models(self._document.config)]))
        self.blockSignals(True)
        self.clear()
        for model_id in ids:
            model = known.get(model_id)
            text = model_id
            if model is not None and model.display_name != model_id:
                text = f"{model_id} — {model.display_name}"
            problem = resolver.model_problem(model_id)
            if problem:
                text += f"  [{problem}]"
            self.addItem(text, model_id)
            self.setItemData(QComboBox.count(self) - 1, problem or model_id, Qt.ItemDataRole.ToolTipRole)
        self.blockSignals(False)
        self.set_model_id(current)

    def model_id(self) -> str:
        """The chosen id: a listed choice's id, or the typed text as written."""
        text = self.currentText().strip()
        if not text:
            return ""
        found = QComboBox.findText(self, text, Qt.MatchFlag.MatchExactly)
        if found >= 0:
            return str(self.itemData(found))
        return text

    def set_model_id(self, model_id: str) -> None:
        # Stale choices are left as they are: the id is shown as typed, which model_id()
        # reads back the same; the labelled choice appears once the list is rebuilt.
        found = QComboBox.findData(self, model_id) if not self.stale else -1
        if found >= 0:
            self.setCurrentIndex(found)
        else:
            self.setCurrentIndex(-1)
            self.setEditText(model_id)

    def problem(self) -> str | None:
        """Why the chosen model cannot be used, ``None`` if it can (or nothing is chosen)."""
        model_id = self.model_id()
        return self._document.resolver.model_problem(model_id) if model_id else None

    def _emit_if_changed(self, *_: object) -> None:
        value = self.model_id()
        if value != self._last:
            self._last = value
            self.model_changed.emit(value)
