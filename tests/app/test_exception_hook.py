"""An unexpected exception in the app: logged, and a dialog names the log file."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QMessageBox

from modeldesk.app.application import install_exception_hook
from modeldesk.logs import setup_logging, teardown_logging
from tests.app.helpers import answer_modal


def test_hook_logs_and_names_the_log_file(qtbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODELDESK_LOG_DIR", str(tmp_path))
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # restored after the test
    log = setup_logging()
    assert log is not None
    try:
        install_exception_hook()
        texts: list[str] = []

        def read_and_close(box: QMessageBox) -> None:
            texts.append(box.text() + "\n" + box.informativeText())
            box.accept()

        seen = answer_modal(QMessageBox, read_and_close)
        try:
            raise ValueError("something odd")
        except ValueError:
            sys.excepthook(*sys.exc_info())  # type: ignore[arg-type]
        assert len(seen) == 1
        assert "unexpected error" in texts[0] and "ValueError: something odd" in texts[0]
        assert str(log) in texts[0]
    finally:
        teardown_logging()
    content = log.read_text()
    assert "Unexpected error" in content and "ValueError: something odd" in content and "Traceback" in content
