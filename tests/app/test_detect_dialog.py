"""Detect local servers in the app: a real server on 127.0.0.1 found and added."""

from __future__ import annotations

import socket
from typing import Any

import pytest
from PySide6.QtCore import Qt

from modeldesk.app.document import Document
from modeldesk.app.views.dialogs.detect_dialog import DetectDialog
from tests.app.helpers import show_active
from tests.support.scripted_server import ScriptedServer


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_detect_shows_busy_then_adds_the_ticked_server(
    qtbot: Any,
    document: Document,
    qasync_loop: Any,
    scripted_server: ScriptedServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    scripted_server.model_names = ["llama3.2:3b", "qwen2.5:7b"]
    monkeypatch.setenv("MODELDESK_DETECT_PORTS", f"lmstudio={scripted_server.port},vllm={_free_port()}")
    dialog = DetectDialog(document)
    with qtbot.waitSignal(dialog.detect_finished, timeout=10_000) as finished:
        qtbot.addWidget(dialog)
        dialog.show()  # probing starts as the dialog shows; the loop has not run yet
        assert dialog.busy.isVisible()  # shown at once, while the ports are probed
    assert finished.args == [1]
    assert not dialog.busy.isVisible()
    assert dialog.list.count() == 1
    assert dialog.list.item(0).text().startswith(f"LM Studio at {scripted_server.openai_url}")
    assert "llama3.2:3b, qwen2.5:7b" in dialog.list.item(0).text()
    qtbot.mouseClick(dialog.add_button, Qt.MouseButton.LeftButton)
    assert dialog.result() == DetectDialog.DialogCode.Accepted
    provider = document.config.provider("lmstudio")
    assert provider is not None and provider.base_url == scripted_server.openai_url
    assert [m.id for m in document.config.models if m.provider == "lmstudio"] == ["llama3.2:3b", "qwen2.5:7b"]
    document.undo_stack.undo()  # one step
    assert document.config.provider("lmstudio") is None


def test_unticked_servers_are_not_added(
    qtbot: Any,
    document: Document,
    qasync_loop: Any,
    scripted_server: ScriptedServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MODELDESK_DETECT_PORTS", f"ollama={scripted_server.port}")
    dialog = DetectDialog(document)
    with qtbot.waitSignal(dialog.detect_finished, timeout=10_000):
        show_active(qtbot, dialog)
    dialog.list.item(0).setCheckState(Qt.CheckState.Unchecked)
    assert not dialog.add_button.isEnabled()
    dialog.reject()
    assert document.config.provider("ollama") is None
