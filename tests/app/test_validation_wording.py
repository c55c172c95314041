"""One wording for validation problems: the app's dialogs, the CLI and `config validate`
explain a value the schema refuses in the same sentence (core/validation_text.py), not as
pydantic's raw message (a regular expression, for an id)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox

from modeldesk.app.views.dialogs.model_dialog import ModelDialog
from modeldesk.app.views.dialogs.provider_dialog import ProviderDialog
from modeldesk.core.schema import IDENTIFIER_PATTERN, Provider
from modeldesk.core.validation_text import PATTERN_WORDS

REPO = Path(__file__).resolve().parents[2]
BAD_ID = "bad id!"


def modeldesk(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "modeldesk", "--config", str(config), *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
    )


def dialog_error(qtbot: Any, dialog: ModelDialog | ProviderDialog) -> str:
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.id_edit.clear()
    qtbot.keyClicks(dialog.id_edit, BAD_ID)
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)  # the dialog checks the input and stays open
    assert dialog.isVisible()
    assert dialog.error_label.isVisibleTo(dialog)
    return dialog.error_label.text()


def test_a_refused_id_reads_the_same_in_the_dialogs_the_cli_and_config_validate(qtbot: Any, tmp_path: Path) -> None:
    provider = Provider(id="lab", kind="openai", base_url="http://127.0.0.1:9/v1")
    in_model_dialog = dialog_error(qtbot, ModelDialog(None, providers=[provider]))
    in_provider_dialog = dialog_error(qtbot, ProviderDialog(None))
    assert in_model_dialog == in_provider_dialog == "id: " + PATTERN_WORDS[IDENTIFIER_PATTERN]
    assert IDENTIFIER_PATTERN not in in_model_dialog

    config = tmp_path / "config.json"
    config.write_text(json.dumps({"schema_version": 1, "agents": [{"id": "ok", "name": "Ok"}]}))
    added = modeldesk(config, "agents", "add", BAD_ID, "--name", "Bad")
    assert added.returncode == 1
    assert added.stderr == f"modeldesk: Cannot add this agent: {in_model_dialog}\n"

    config.write_text(json.dumps({"schema_version": 1, "agents": [{"id": BAD_ID, "name": "Bad"}]}))
    checked = modeldesk(config, "config", "validate")
    assert checked.returncode != 0
    assert f"agents[0].{in_model_dialog}" in checked.stdout + checked.stderr


def test_an_edit_the_schema_refuses_reads_as_the_file_check_does(tmp_path: Path) -> None:
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"schema_version": 1, "agents": [{"id": "own", "name": "Own"}]}))
    refused = modeldesk(config, "agents", "set-fallback", "own", "retries", "99")
    assert refused.returncode == 1
    config.write_text(
        json.dumps({"schema_version": 1, "agents": [{"id": "own", "name": "Own", "fallback": {"retries": 99}}]})
    )
    checked = modeldesk(config, "config", "validate")
    sentence = "fallback.retries: must be 20 or less"
    assert sentence in refused.stderr
    assert "agents[0]." + sentence in checked.stdout + checked.stderr
