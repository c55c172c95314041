"""A form dialog's error line makes room for itself: a long keyring error never squashes
the provider dialog's rows, and it is shown as the text it is (no markup)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.errors import KeyringError
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit

from modeldesk.app.views.dialogs.provider_dialog import ProviderDialog
from tests.app.helpers import show_active

REFUSAL = (
    "No recommended backend was available. Install a recommended 3rd party backend package; or, "
    "install the keyrings.alt package if you want to use the non-recommended backends. "
    "See https://pypi.org/project/keyring for details. <b>not bold</b>"
)


class RefusingKeyring(KeyringBackend):
    priority = 1

    def get_password(self, service: str, username: str) -> str | None:
        return None

    def set_password(self, service: str, username: str, password: str) -> None:
        raise KeyringError(REFUSAL)

    def delete_password(self, service: str, username: str) -> None:
        return None


@pytest.fixture
def refusing_keyring() -> Iterator[None]:
    previous = keyring.get_keyring()
    keyring.set_keyring(RefusingKeyring())  # type: ignore[no-untyped-call]
    try:
        yield
    finally:
        keyring.set_keyring(previous)


def test_keyring_error_keeps_every_row_at_its_height(qtbot: Any, refusing_keyring: None) -> None:
    dialog = show_active(qtbot, ProviderDialog())
    dialog.id_edit.setText("acme")
    dialog.key_keyring.setChecked(True)
    dialog.secret_edit.setText("sk-test")
    qtbot.mouseClick(dialog.buttons.button(dialog.buttons.StandardButton.Ok), Qt.MouseButton.LeftButton)
    qtbot.wait(50)

    assert dialog.isVisible()  # refused: the dialog stays open with the reason
    label = dialog.error_label
    assert label.isVisible() and label.text() == f"The OS keyring refused the key: {REFUSAL}"
    assert label.textFormat() == Qt.TextFormat.PlainText
    # The whole wrapped message fits, and no field gave up height for it.
    assert label.height() >= label.heightForWidth(label.width())
    for edit in dialog.findChildren(QLineEdit):
        if edit.isVisible() and edit.parent() is dialog:
            assert edit.height() >= edit.sizeHint().height(), edit
    dialog.reject()
