"""First start, no config file yet: start from the sample workspace or from nothing.

Nothing is written until the user picks one; closing the dialog quits without a trace."""

from __future__ import annotations

from enum import Enum
from pathlib import Path

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from ...widgets.style import set_text_colour


class StartChoice(Enum):
    SAMPLE = "sample"
    EMPTY = "empty"
    DETECT = "detect"  # an empty config, then "Detect local servers"
    ADD_PROVIDER = "add_provider"  # an empty config, then the provider dialog with its presets


class FirstRunDialog(QDialog):
    def __init__(self, path: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Welcome to ModelDesk")
        self.setMinimumWidth(520)
        self.choice: StartChoice | None = None
        heading = QLabel("<h3>Welcome to ModelDesk</h3>", self)
        self.text_label = text = QLabel(
            "There is no config file yet. How would you like to start?<br><br>"
            f"ModelDesk will create <b>{path}</b> when you choose; nothing is written before that.",
            self,
        )
        text.setWordWrap(True)
        self.sample_button = QPushButton("Start with a sample workspace", self)
        self.sample_button.setToolTip("Three providers, ten models, eight agents in two squads: a place to explore")
        self.sample_button.setDefault(True)
        sample_note = QLabel("Example providers, models, agents and squads you can change or delete.", self)
        sample_note.setWordWrap(True)
        set_text_colour(sample_note, "secondary")
        self.empty_button = QPushButton("Start empty", self)
        empty_note = QLabel("An empty config: add providers and models under Settings → Models.", self)
        empty_note.setWordWrap(True)
        set_text_colour(empty_note, "secondary")
        self.detect_button = QPushButton("Detect local servers", self)
        self.detect_button.setToolTip("Ollama, LM Studio, llama.cpp, vLLM, Jan or KoboldCpp running on this machine")
        self.provider_button = QPushButton("Add a provider", self)
        self.provider_button.setToolTip("OpenAI, Anthropic, OpenRouter, Gemini, Groq, Mistral… from a list of presets")
        own_note = QLabel(
            "Or start from your own: find the model servers running on this computer, or add a provider "
            "and paste its key (kept in the OS keyring).",
            self,
        )
        own_note.setWordWrap(True)
        set_text_colour(own_note, "secondary")
        own_row = QHBoxLayout()
        own_row.addWidget(self.detect_button)
        own_row.addWidget(self.provider_button)
        own_row.addStretch(1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("Quit")

        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(text)
        layout.addSpacing(8)
        layout.addWidget(self.sample_button)
        layout.addWidget(sample_note)
        layout.addSpacing(4)
        layout.addWidget(self.empty_button)
        layout.addWidget(empty_note)
        layout.addSpacing(4)
        layout.addLayout(own_row)
        layout.addWidget(own_note)
        layout.addSpacing(8)
        layout.addWidget(buttons)

        self.sample_button.clicked.connect(lambda: self._choose(StartChoice.SAMPLE))
        self.empty_button.clicked.connect(lambda: self._choose(StartChoice.EMPTY))
        self.detect_button.clicked.connect(lambda: self._choose(StartChoice.DETECT))
        self.provider_button.clicked.connect(lambda: self._choose(StartChoice.ADD_PROVIDER))
        buttons.rejected.connect(self.reject)

    def _choose(self, choice: StartChoice) -> None:
        self.choice = choice
        self.accept()
