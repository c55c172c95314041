"""An agent's fallback-option overrides in its editor: one row per fallback setting, each
either inherited (showing the value it inherits) or set for this agent."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QSignalBlocker
from PySide6.QtWidgets import (
    QCheckBox,
    QGridLayout,
    QLabel,
    QWidget,
)

from modeldesk.core.edits import SetAgentFallback
from modeldesk.core.schema import Agent, FallbackOverride

from ..document import Document
from ..widgets.fallback_fields import FALLBACK_FIELDS, OptionEditor, editor_for, field_tooltip, value_text
from ..widgets.style import set_text_colour
from ..widgets.table_section import perform_or_show


class AgentFallbackForm(QWidget):
    """One row per fallback option (built from ``FallbackSettings.model_fields``): a check
    box "override", a spin box with the field's range, and the Settings value. Unchecked,
    the spin box is disabled and shows the Settings value; checking writes the agent's own
    value, unchecking removes it, and when none is left ``fallback`` is unset."""

    def __init__(
        self, document: Document, agent: Callable[[], Agent | None], error_label: QLabel, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._document = document
        self._agent = agent
        self._error_label = error_label
        self.checks: dict[str, QCheckBox] = {}
        self.boxes: dict[str, OptionEditor] = {}
        self.notes: dict[str, QLabel] = {}
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setVerticalSpacing(2)
        # The options an agent may override: the settings' own, less the settings-only ones.
        fields = {name: field for name, field in FALLBACK_FIELDS.items() if name in FallbackOverride.model_fields}
        for row, (name, field) in enumerate(fields.items()):
            title = field.title
            tip = field_tooltip(field)
            check = QCheckBox(title, self)
            check.setObjectName(f"override_{name}")
            check.setToolTip(f"Override for this agent. {tip}")
            box = editor_for(field, self)
            box.setObjectName(f"agent_fallback_{name}")
            box.setAccessibleName(f"{title} for this agent")
            box.setToolTip(tip)
            box.setMinimumWidth(100)
            note = QLabel(self)
            set_text_colour(note, "secondary")  # quieter: context, not a value of this agent
            note.setWordWrap(True)  # the editor is narrow beside the agents list
            grid.addWidget(check, row, 0)
            grid.addWidget(box, row, 1)
            grid.addWidget(note, row, 2)
            check.clicked.connect(lambda checked, name=name: self._override(name, checked))
            box.editingFinished.connect(lambda name=name: self._commit(name))
            self.checks[name], self.boxes[name], self.notes[name] = check, box, note
        grid.setColumnStretch(2, 1)

    def overridden(self) -> list[str]:
        agent = self._agent()
        if agent is None or agent.fallback is None:
            return []
        return [name for name in self.checks if getattr(agent.fallback, name) is not None]

    def refresh(self) -> None:
        agent = self._agent()
        if agent is None:
            return
        settings = self._document.config.settings.fallback
        own = set(self.overridden())
        for name, check in self.checks.items():
            overridden = name in own
            box = self.boxes[name]
            value = getattr(agent.fallback, name) if overridden else getattr(settings, name)
            with QSignalBlocker(check), QSignalBlocker(box):
                check.setChecked(overridden)
                box.setValue(value)
            box.setEnabled(overridden)
            base = getattr(settings, name)
            shown = value_text(base)
            self.notes[name].setText(f"Settings: {shown}" if overridden else f"from Settings: {shown}")

    def _override(self, name: str, checked: bool) -> None:
        agent = self._agent()
        if agent is None:
            return
        title = FALLBACK_FIELDS[name].title.lower()
        if checked:
            # Start from the value the agent runs with now (the Settings value).
            value = getattr(self._document.config.settings.fallback, name)
            self._save(agent, name, value, f"Override {title} of {agent.id}")
        else:
            self._save(agent, name, None, f"Stop overriding {title} of {agent.id}")

    def _commit(self, name: str) -> None:
        agent = self._agent()
        if agent is None or not self.checks[name].isChecked():
            return
        value = self.boxes[name].value()
        if agent.fallback is not None and getattr(agent.fallback, name) == value:
            return
        title = FALLBACK_FIELDS[name].title.lower()
        self._save(agent, name, value, f"Change {title} of {agent.id}")

    def _save(self, agent: Agent, name: str, value: Any, label: str) -> None:
        # One option per edit, worked out against the file when saved, so another
        # program's change to this agent's other options is kept; removing the last
        # override unsets "fallback" altogether.
        edit = SetAgentFallback(agent.id, name, value, label=label)
        if not perform_or_show(self._document, edit, self._error_label):
            self.refresh()
