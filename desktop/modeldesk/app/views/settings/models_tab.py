"""Settings → Models: providers, the model registry, the default agent model, task models
and fallback defaults — one scrolling page of sections in that order (the Settings page's
sidebar jumps between them). Empty sections say what to do next, with a button.

The sections below the first screen (the default model, task models, fallback) are built
when they first come into view (scrolled to: painted) or are asked for (the sidebar, a
link, code reading ``default_editor``, ``task_models`` or ``fallback_form``); until then
each is its title and help text at about its height, so the page opens on what it shows."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QPaintEvent
from PySide6.QtWidgets import QFrame, QGroupBox, QHBoxLayout, QLabel, QPushButton, QScrollArea, QVBoxLayout, QWidget

from modeldesk.core.edits import SetSetting
from modeldesk.core.schema import Settings, model_list

from ...document import Document
from ...widgets.fallback_fields import FALLBACK_FIELDS
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


class LazySection(QGroupBox):
    """A section whose body is built when the section is first painted (it came into
    view) or asked for (:meth:`body`). Until then it holds its place at about the height
    the body will take, so sections further down stay out of view."""

    def __init__(
        self,
        title: str,
        help_text: str,
        build: Callable[[QWidget], QWidget],
        height: int,
        parent: QWidget,
        built: Callable[[], object] = lambda: None,
    ) -> None:
        super().__init__(title, parent)
        layout = QVBoxLayout(self)
        if help_text:
            text = QLabel(help_text, self)
            text.setWordWrap(True)
            layout.addWidget(text)
        self._build = build
        self._built = built
        self._body: QWidget | None = None
        self.setMinimumHeight(height)
        # Built on the turn after the paint (not during it); a timer of the page's own, so
        # whoever waits for the page to settle waits for this too.
        self._later = QTimer(self)
        self._later.setSingleShot(True)
        self._later.timeout.connect(self.body)

    @property
    def built(self) -> bool:
        return self._body is not None

    def body(self) -> QWidget:
        """The section's body, built now if it was not yet."""
        if self._body is None:
            self._later.stop()
            self._body = self._build(self)
            layout = self.layout()
            assert isinstance(layout, QVBoxLayout)
            layout.addWidget(self._body)
            # Shown now, not on Qt's next turn (as a widget added to a shown parent is),
            # so the layout counts it at once.
            self._body.show()
            self.setMinimumHeight(0)
            self._built()
        return self._body

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        if self._body is None and not self._later.isActive():
            self._later.start(0)


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
        line = self.fontMetrics().height()

        self.providers = ProvidersSection(document, page)
        self.registry = ModelRegistry(document, page)
        self.lazy_sections = {
            "default_agent_model": LazySection(
                fields["default_agent_model"].title or "",
                fields["default_agent_model"].description or "",
                self._build_default_editor,
                130 + 4 * line,
                page,
                self._fit_page,
            ),
            "task_models": LazySection(
                fields["task_models"].title or "",
                "Background work (titles, summaries…) runs on these models; a task without a rule runs on "
                "the chat model itself.",
                lambda parent: TaskModelsEditor(document, parent),
                8 * line,
                page,
                self._fit_page,
            ),
            "fallback": LazySection(
                fields["fallback"].title or "",
                "How requests are retried and handed to fallback models. Each agent can override these.",
                lambda parent: FallbackForm(document, parent),
                len(FALLBACK_FIELDS) * (line + 14),
                page,
                self._fit_page,
            ),
        }
        self.sections: dict[str, QGroupBox] = {
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
            **self.lazy_sections,
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

        follow_when_shown(self, document, ("providers", "models", "settings"), self._refresh)
        self._refresh()

    # --- the sections built when first needed -------------------------------------------

    @property
    def default_editor(self) -> ModelListEditor:
        editor = self._section_body("default_agent_model")
        assert isinstance(editor, ModelListEditor)
        return editor

    @property
    def task_models(self) -> TaskModelsEditor:
        editor = self._section_body("task_models")
        assert isinstance(editor, TaskModelsEditor)
        return editor

    @property
    def fallback_form(self) -> FallbackForm:
        form = self._section_body("fallback")
        assert isinstance(form, FallbackForm)
        return form

    def _section_body(self, key: str) -> QWidget:
        """A lazy section's body, built now with those above it (in view on the way to
        it), so nothing above the section grows once it is scrolled to."""
        keys = list(self.lazy_sections)
        for above in keys[: keys.index(key)]:
            self.lazy_sections[above].body()
        return self.lazy_sections[key].body()

    def _fit_page(self) -> None:
        """The page grew by a section built just now: give it its new height at once (which
        lays it out and sets the scroll range; Qt would on its next turn), so the new
        widgets have their places for whoever scrolls to them now."""
        page = self.widget()
        if page is not None:
            page.resize(page.width(), max(page.sizeHint().height(), self.viewport().height()))

    def _build_default_editor(self, parent: QWidget) -> ModelListEditor:
        editor = ModelListEditor(self._document, parent, show_hint=False)
        editor.setObjectName("default_agent_model")
        editor.view.setMaximumHeight(130)
        editor.models_edited.connect(self._commit_default)
        self._refresh_default(editor)
        return editor

    def focus_field(self, field: str, *, focus: bool = True) -> None:
        """Scroll to a setting and give it keyboard focus ("default_agent_model",
        "task_models", "fallback" or "fallback.<option>", "providers", "models").
        With ``focus=False`` only scroll (the sidebar keeps the focus, so no spin box
        is left focused to take the next turn of the wheel)."""
        section, _, option = field.partition(".")
        if section not in self.sections:
            section = "default_agent_model"
        target: QWidget
        if section == "providers":
            target = self.providers.table
        elif section == "models":
            target = self.registry.table
        elif section == "task_models":
            target = self.task_models.table
        elif section == "fallback":
            boxes = self.fallback_form.boxes
            target = boxes.get(option) or next(iter(boxes.values()))
        else:
            target = self.default_editor.view
        box = self.sections[section]
        # The section's title at the top of the view (as far as the page scrolls), as the
        # sidebar's mark reads it; then the field itself, if it lies further down.
        self.verticalScrollBar().setValue(box.y())
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
        if self.lazy_sections["default_agent_model"].built:
            self._refresh_default(self.default_editor)

    def _refresh_default(self, editor: ModelListEditor) -> None:
        editor.set_models(model_list(self._document.config.settings.default_agent_model))
        policy = self._document.policy
        inherited = model_list(policy.default_agent_model) if policy else []
        editor.set_inherited(
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
