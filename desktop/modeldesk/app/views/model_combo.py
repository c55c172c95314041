"""A one-model chooser: an editable combo over the registry, with completion as you type.

The choices are every model the resolver knows (the config's and the policy's) plus every
id some list still mentions, so a deleted or disabled model can still be picked (to
replace or remove it) and is flagged in its text, never hidden. A typed id that is not in
the list is taken as written; ``problem()`` says why it could not be used.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QCompleter, QWidget

from modeldesk.core.schema import Config, model_list

from ..document import Document


def referenced_models(config: Config) -> list[str]:
    """Every model id some agent, project or the settings list, in first-seen order."""
    ids: dict[str, None] = {}
    for value in (config.settings.default_agent_model, *(p.default_model for p in config.projects)):
        ids.update(dict.fromkeys(model_list(value)))
    for agent in config.agents:
        ids.update(dict.fromkeys(model_list(agent.model)))
    return [m.strip() for m in ids if m.strip()]


class ModelCombo(QComboBox):
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
        self.reload()
        self.setCurrentIndex(-1)
        self.editTextChanged.connect(self._emit_if_changed)
        self.currentIndexChanged.connect(self._emit_if_changed)
        document.changed.connect(self.reload)

    def reload(self) -> None:
        """Refill the choices from the document, keeping the current value."""
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
            self.setItemData(self.count() - 1, problem or model_id, Qt.ItemDataRole.ToolTipRole)
        self.blockSignals(False)
        self.set_model_id(current)

    def model_id(self) -> str:
        """The chosen id: a listed choice's id, or the typed text as written."""
        text = self.currentText().strip()
        if not text:
            return ""
        found = self.findText(text, Qt.MatchFlag.MatchExactly)
        if found >= 0:
            return str(self.itemData(found))
        return text

    def set_model_id(self, model_id: str) -> None:
        found = self.findData(model_id)
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
