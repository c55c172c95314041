"""Settings → Models: providers, the model registry, the default agent model, task models
and fallback defaults — one scrolling page of sections in that order (the Settings page's
sidebar jumps between them). Empty sections say what to do next, with a button."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QGroupBox, QHBoxLayout, QLabel, QPushButton, QScrollArea, QVBoxLayout, QWidget

from modeldesk.core.edits import SetSetting
from modeldesk.core.schema import Settings, model_list

from ...document import Document
from ...widgets.model_list_editor import ModelListEditor
from ...widgets.table_section import perform_or_show
from ...widgets.when_shown import follow_when_shown
from .fallback_form import FallbackForm
from .model_registry import ModelRegistry
from .providers_section import ProvidersSection
from .task_models_editor import TaskModelsEditor


def _section(title: str, help_text: str, body: QWidget, parent: QWidget) -> QGroupBox:
    box = QGroupBox(title, parent)
    layout = QVBoxLayout(box)
    if help_text:
        text = QLabel(help_text, box)
        text.setWordWrap(True)
        layout.addWidget(text)
    layout.addWidget(body)
    return box


class EmptyState(QFrame):
    """A line saying what is missing and what to do, with the buttons that do it."""

    def __init__(
        self, text: str, actions: Sequence[tuple[str, Callable[[], object]]], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("empty_state")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.label = QLabel(text, self)
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.label.setWordWrap(True)
        self.buttons: dict[str, QPushButton] = {}
        layout = QHBoxLayout(self)
        layout.addWidget(self.label, 1)
        for title, action in actions:
            button = QPushButton(title, self)
            button.clicked.connect(lambda _checked=False, act=action: act())
            self.buttons[title] = button
            layout.addWidget(button)


def _insert_above(box: QGroupBox, widget: QWidget) -> None:
    layout = box.layout()
    assert isinstance(layout, QVBoxLayout)
    layout.insertWidget(layout.count() - 1, widget)  # just above the section's table


class ModelsTab(QScrollArea):
    def __init__(self, document: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._document = document
        self.setWidgetResizable(True)
        self.setFrameShape(QScrollArea.Shape.NoFrame)
        page = QWidget(self)
        fields = Settings.model_fields

        self.default_editor = ModelListEditor(document, page, show_hint=False)
        self.default_editor.setObjectName("default_agent_model")
        self.default_editor.view.setMaximumHeight(130)
        self.task_models = TaskModelsEditor(document, page)
        self.fallback_form = FallbackForm(document, page)
        self.providers = ProvidersSection(document, page)
        self.registry = ModelRegistry(document, page)

        self.sections = {
            "providers": _section(
                "Providers",
                "Where models are served: a cloud API (its key stays in the OS keyring or an environment "
                "variable) or a server on this computer.",
                self.providers,
                page,
            ),
            "models": _section(
                "Model registry",
                "Disabled or removed models stay in the agent lists that name them, flagged.",
                self.registry,
                page,
            ),
            "default_agent_model": _section(
                fields["default_agent_model"].title or "",
                fields["default_agent_model"].description or "",
                self.default_editor,
                page,
            ),
            "task_models": _section(
                fields["task_models"].title or "",
                "Background work (titles, summaries…) runs on these models; a task without a rule runs on "
                "the chat model itself.",
                self.task_models,
                page,
            ),
            "fallback": _section(
                fields["fallback"].title or "",
                "How requests are retried and handed to fallback models. Each agent can override these.",
                self.fallback_form,
                page,
            ),
        }
        # Empty states: what to do next, with the button that does it.
        self.no_providers = EmptyState(
            "No providers yet — find the model servers running on this computer, or add a provider "
            "(OpenAI, Anthropic, OpenRouter, Groq… from a list of presets).",
            (("Detect local servers", self.providers.detect_servers), ("Add a provider", self.providers.add_item)),
            page,
        )
        self.no_models = EmptyState(
            "No models yet — add a provider first.",
            (("Add a provider", self._add_provider_from_models),),
            page,
        )
        self.fetch_first = EmptyState(
            "No models yet — fetch the models your provider serves.",
            (("Fetch models", self._fetch_first_provider),),
            page,
        )
        _insert_above(self.sections["providers"], self.no_providers)
        _insert_above(self.sections["models"], self.no_models)
        _insert_above(self.sections["models"], self.fetch_first)
        layout = QVBoxLayout(page)
        for box in self.sections.values():
            layout.addWidget(box)
        layout.addStretch(1)
        self.setWidget(page)

        self.default_editor.models_edited.connect(self._commit_default)
        follow_when_shown(self, document, ("providers", "models", "settings"), self._refresh)
        self._refresh()

    def focus_field(self, field: str, *, focus: bool = True) -> None:
        """Scroll to a setting and give it keyboard focus ("default_agent_model",
        "task_models", "fallback" or "fallback.<option>", "providers", "models").
        With ``focus=False`` only scroll (the sidebar keeps the focus, so no spin box
        is left focused to take the next turn of the wheel)."""
        section, _, option = field.partition(".")
        targets = {
            "default_agent_model": self.default_editor.view,
            "task_models": self.task_models.table,
            "fallback": self.fallback_form.boxes.get(option) or next(iter(self.fallback_form.boxes.values())),
            "providers": self.providers.table,
            "models": self.registry.table,
        }
        target = targets.get(section, self.default_editor.view)
        box = self.sections.get(section, self.sections["default_agent_model"])
        self.ensureWidgetVisible(box, 0, 0)
        self.ensureWidgetVisible(target)
        if focus:
            target.setFocus()

    def _add_provider_from_models(self) -> None:
        self.focus_field("providers")
        self.providers.add_item()

    def _fetch_first_provider(self) -> None:
        config = self._document.config
        if config.providers:
            self.focus_field("providers")
            self.providers.select(config.providers[0].id)
            self.providers.fetch_button.click()

    def _update_empty_states(self) -> None:
        config = self._document.config
        self.no_providers.setVisible(not config.providers)
        self.no_models.setVisible(not config.models and not config.providers)
        self.fetch_first.setVisible(not config.models and bool(config.providers))
        if config.providers:
            self.fetch_first.label.setText(
                f"No models yet — fetch the models “{config.providers[0].id}” serves, then pick which to import."
            )

    def _refresh(self) -> None:
        self._update_empty_states()
        self.default_editor.set_models(model_list(self._document.config.settings.default_agent_model))
        policy = self._document.policy
        inherited = model_list(policy.default_agent_model) if policy else []
        self.default_editor.set_inherited(
            f"Inherits {', '.join(inherited)} from the organization policy."
            if inherited
            else "Not set: agents with no preferred model and no project default cannot run."
        )

    def _commit_default(self, models: list[str]) -> None:
        current = self._document.config.settings.default_agent_model
        if models == model_list(current):
            return
        edit = SetSetting(("default_agent_model",), models or None, label="Change default agent model")
        if not perform_or_show(self._document, edit, self.default_editor.message_label):
            self._refresh()
