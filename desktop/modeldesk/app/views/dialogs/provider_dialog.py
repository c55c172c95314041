"""Add or edit a provider. Labels and help come from the schema's field declarations.

The API key is never put in the config: the dialog stores a typed key in the OS keyring
(service "modeldesk") under the entry the config names, or the config names an
environment variable. The key is written to the keyring only when the dialog is accepted.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import get_args

from pydantic import ValidationError
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from modeldesk.core.key_value import UnusableKey, clean_key
from modeldesk.core.presets import PRESETS, free_provider_id, preset
from modeldesk.core.schema import ApiKeyRef, Provider, ProviderKind
from modeldesk.runtime.keyring_errors import is_known, keyring_error_text

from ...widgets.style import note_label
from .forms import ItemDialog, add_field_rows, field_label, first_error

KEYRING_SERVICE = "modeldesk"
DEFAULT_URLS = {"openai": "https://api.openai.com/v1", "anthropic": "https://api.anthropic.com"}
# What each kind is, in words (the config keeps the kind's own name).
KIND_LABELS = {
    "openai": "OpenAI-compatible API",
    "anthropic": "Anthropic Messages API",
    "simulated": "Simulated (no network, for trying things out)",
}


class ProviderDialog(ItemDialog[Provider]):
    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        provider: Provider | None = None,
        taken_ids: Collection[str] = frozenset(),
    ) -> None:
        super().__init__(parent, "provider", provider, taken_ids, 520)
        fields = Provider.model_fields

        # New providers start from a preset: base URL, kind and the usual key variable filled in.
        self.preset_combo = QComboBox(self)
        self.preset_combo.setObjectName("preset")
        self.preset_combo.addItem("Custom (fill in below)", None)
        for item in PRESETS:
            where = "local server" if item.local else item.base_url.split("/")[2]
            self.preset_combo.addItem(f"{item.label} — {where}", item.id)
        self.preset_combo.setVisible(provider is None)
        self._preset_id: str | None = None
        self.id_edit = QLineEdit(provider.id if provider else "", self)
        self.id_edit.setEnabled(provider is None)  # ids are what models refer to
        self.label_edit = QLineEdit((provider.label or "") if provider else "", self)
        self.kind_combo = QComboBox(self)
        for kind in get_args(ProviderKind):
            self.kind_combo.addItem(KIND_LABELS.get(kind, kind), kind)
        self.kind_combo.setCurrentIndex(max(0, self.kind_combo.findData(provider.kind if provider else "openai")))
        self.url_edit = QLineEdit(provider.base_url if provider else DEFAULT_URLS["openai"], self)
        self.enabled_box = QCheckBox(field_label(fields["enabled"], "enabled"), self)
        self.enabled_box.setChecked(provider.enabled if provider else True)

        ref = provider.api_key if provider else None
        self.key_none = QRadioButton("No key (local servers)", self)
        self.key_env = QRadioButton("Environment variable", self)
        self.key_keyring = QRadioButton("OS keyring", self)
        self.key_group = QButtonGroup(self)
        for button in (self.key_none, self.key_env, self.key_keyring):
            self.key_group.addButton(button)
        self.env_edit = QLineEdit(ref.env if ref and ref.env else "", self)
        self.env_edit.setPlaceholderText("e.g. OPENAI_API_KEY")
        self.keyring_edit = QLineEdit(ref.keyring if ref and ref.keyring else "", self)
        self.keyring_edit.setPlaceholderText("entry name, e.g. the provider id")
        self.secret_edit = QLineEdit(self)
        self.secret_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.secret_edit.setPlaceholderText("leave empty to keep the stored key")
        (self.key_env if ref and ref.env else self.key_keyring if ref else self.key_none).setChecked(True)

        form = QFormLayout()
        if provider is None:
            form.addRow("Preset:", self.preset_combo)
        add_field_rows(
            form,
            fields,
            (("id", self.id_edit), ("label", self.label_edit), ("kind", self.kind_combo), ("base_url", self.url_edit)),
        )
        form.addRow("", self.enabled_box)
        key_box = QVBoxLayout()
        key_box.addWidget(self.key_none)
        env_row = QHBoxLayout()
        env_row.addWidget(self.key_env)
        env_row.addWidget(self.env_edit, 1)
        key_box.addLayout(env_row)
        ring_row = QHBoxLayout()
        ring_row.addWidget(self.key_keyring)
        ring_row.addWidget(self.keyring_edit, 1)
        key_box.addLayout(ring_row)
        secret_row = QHBoxLayout()
        secret_row.addWidget(QLabel("Key to store:", self))
        secret_row.addWidget(self.secret_edit, 1)
        key_box.addLayout(secret_row)
        note = note_label("The key itself is kept in the OS keyring, never in the config file.", self)
        key_box.addWidget(note)
        form.addRow(field_label(fields["api_key"], "api_key") + ":", key_box)
        self.finish_layout(form)

        self.preset_combo.currentIndexChanged.connect(self._preset_chosen)
        self.kind_combo.currentIndexChanged.connect(self._kind_changed)
        self.key_group.buttonToggled.connect(self._update_key_fields)
        self.id_edit.textChanged.connect(self._suggest_keyring_entry)
        self._update_key_fields()

    # --- result -----------------------------------------------------------------------

    def provider(self) -> Provider | None:
        """The provider as accepted (``None`` before accept)."""
        return self._result

    def _build(self) -> Provider:
        api_key = None
        if self.key_env.isChecked():
            api_key = ApiKeyRef(env=self.env_edit.text().strip() or None)
        elif self.key_keyring.isChecked():
            api_key = ApiKeyRef(keyring=self.keyring_edit.text().strip() or self.id_edit.text().strip() or None)
        data = {
            "id": self.id_edit.text().strip(),
            "kind": self.kind_combo.currentData(),
            "base_url": self.url_edit.text().strip(),
            "api_key": api_key,
            "enabled": self.enabled_box.isChecked(),
            "label": self.label_edit.text().strip() or None,
        }
        return Provider.model_validate({k: v for k, v in data.items() if v is not None})

    def _field_widget(self, name: str) -> QWidget:
        """The field to focus for a problem with the config field ``name``."""
        if name == "api_key":
            return self.env_edit if self.key_env.isChecked() else self.keyring_edit
        return {"id": self.id_edit, "label": self.label_edit, "kind": self.kind_combo, "base_url": self.url_edit}.get(
            name, self.id_edit
        )

    def _refuse(self, field: str, text: str) -> None:
        """Say what is wrong and put the cursor in the field to fix."""
        self.show_error(text)
        widget = self._field_widget(field)
        widget.setFocus()
        if isinstance(widget, QLineEdit):
            widget.selectAll()

    def accept(self) -> None:
        if not self.id_edit.text().strip():
            self._refuse("id", "Give the provider an id: the name its models refer to, such as “openai”.")
            return
        try:
            provider = self._build()
        except ValidationError as exc:
            location = exc.errors()[0].get("loc", ()) if exc.errors() else ()
            self._refuse(str(location[0]) if location else "id", first_error(exc))
            return
        except ValueError as exc:
            self.show_error(first_error(exc))
            return
        if taken := self.id_taken(provider.id):
            self._refuse("id", taken)
            return
        # A key typed before choosing another option stays in its (greyed) field, in case
        # the user comes back to the keyring; it is stored only with the keyring chosen.
        secret = self.secret_edit.text() if self.key_keyring.isChecked() else ""
        if secret.strip():
            try:
                secret = clean_key(secret, "the key field")  # a pasted CRLF or trailing space is dropped
            except UnusableKey as exc:
                self.show_error(f"{str(exc)[0].upper()}{str(exc)[1:]}.")
                return
        if secret and provider.api_key is not None and provider.api_key.keyring is not None:
            import keyring
            from keyring.errors import KeyringError

            try:
                keyring.set_password(KEYRING_SERVICE, provider.api_key.keyring, secret)
            except KeyringError as exc:
                # Known failures in plain words; anything else with the backend's own text.
                self.show_error(keyring_error_text(exc) if is_known(exc) else f"The OS keyring refused the key: {exc}")
                return
        self.finish(provider)

    # --- behaviour --------------------------------------------------------------------

    def apply_preset(self, preset_id: str) -> None:
        """Choose a preset by id (as picking it in the combo does)."""
        self.preset_combo.setCurrentIndex(max(0, self.preset_combo.findData(preset_id)))

    def _preset_chosen(self) -> None:
        chosen = preset(self.preset_combo.currentData() or "")
        if chosen is None:
            return
        # The id and label follow the preset while the user has not typed their own.
        if self.id_edit.text().strip() in ("", self._preset_id or ""):
            self.id_edit.setText(free_provider_id(chosen.id, self._taken))
        if self.label_edit.text().strip() in ("", *(p.label for p in PRESETS)):
            self.label_edit.setText(chosen.label)
        self._preset_id = self.id_edit.text().strip()
        self.kind_combo.setCurrentIndex(max(0, self.kind_combo.findData(chosen.kind)))
        self.url_edit.setText(chosen.base_url)
        if chosen.key_env is None:
            self.key_none.setChecked(True)
        else:
            self.env_edit.setText(chosen.key_env)
            self.keyring_edit.setText(self._preset_id)
            self.key_env.setChecked(True)

    def _kind_changed(self) -> None:
        # Switch the URL along with the kind only while it is still a stock URL.
        if self.url_edit.text().strip() in (*DEFAULT_URLS.values(), ""):
            self.url_edit.setText(DEFAULT_URLS[self.kind_combo.currentData()])

    def _suggest_keyring_entry(self, text: str) -> None:
        if self._original is None:
            self.keyring_edit.setPlaceholderText(text.strip() or "entry name, e.g. the provider id")

    def _update_key_fields(self, *_: object) -> None:
        self.env_edit.setEnabled(self.key_env.isChecked())
        self.keyring_edit.setEnabled(self.key_keyring.isChecked())
        self.secret_edit.setEnabled(self.key_keyring.isChecked())
