"""A real mouse drag reorders the priority list, through Qt's drag machinery.

Qt's offscreen platform ends every drag at once, so this needs the xcb platform on an X
server (pytest-xvfb starts Xvfb). Once a QDrag runs, Qt reads the pointer from the X
server itself, so synthetic QTest events cannot steer it: xdotool moves the real
(virtual) pointer. On CI the test fails, rather than skips, when it cannot run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from typing import Any

import pytest
from PySide6.QtCore import QPoint
from PySide6.QtGui import QGuiApplication

from modeldesk.app.models.model_list_model import ModelListModel
from modeldesk.app.widgets.model_list_editor import ModelListEditor


def _require_xcb() -> None:
    problem = None
    if QGuiApplication.platformName() != "xcb":
        problem = f"needs QT_QPA_PLATFORM=xcb on Xvfb, running on '{QGuiApplication.platformName()}'"
    elif shutil.which("xdotool") is None:
        problem = "needs xdotool to move the X pointer"
    if problem:
        if os.environ.get("CI"):
            pytest.fail(problem)
        pytest.skip(problem)


@pytest.mark.xcb
# xcb says this when it creates the drag pixmap's window on Xvfb's default visual.
@pytest.mark.qt_log_ignore("Falling back to using screens root_visual")
def test_real_mouse_drag_moves_the_first_model_to_the_end(
    qtbot: Any, document: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _require_xcb()
    started: list[int] = []
    original = ModelListModel.mimeData

    def spy(self: ModelListModel, indexes: Any) -> Any:
        started.append(len(indexes))  # QAbstractItemView.startDrag asks for the drag data
        return original(self, indexes)

    monkeypatch.setattr(ModelListModel, "mimeData", spy)

    editor = ModelListEditor(document)
    qtbot.addWidget(editor)
    editor.set_models(["gpt-4o", "claude-sonnet-4", "o3-mini"])
    editor.resize(520, 300)
    editor.move(60, 60)
    editor.show()
    qtbot.waitExposed(editor)
    editor.activateWindow()
    qtbot.waitUntil(editor.isActiveWindow)
    edits: list[list[str]] = []
    editor.models_edited.connect(edits.append)
    # The drop must be a move of rows (moveRows), like the keys and the Move buttons,
    # not a copy inserted and the original removed.
    signals: list[str] = []
    editor.model.rowsMoved.connect(lambda *_: signals.append("moved"))
    editor.model.rowsInserted.connect(lambda *_: signals.append("inserted"))
    editor.model.rowsRemoved.connect(lambda *_: signals.append("removed"))

    view = editor.view
    first = view.visualRect(editor.model.index(0))
    last = view.visualRect(editor.model.index(2))
    start = view.viewport().mapToGlobal(first.center())
    # Below the middle of the last row: the drop goes after it.
    end = view.viewport().mapToGlobal(QPoint(last.center().x(), last.bottom() - 1))
    steps = [start + QPoint(0, 4 * i) for i in range(1, 6)] + [end]
    script = ["mousemove", str(start.x()), str(start.y()), "sleep", "0.3", "mousedown", "1", "sleep", "0.2"]
    for point in steps:
        script += ["mousemove", str(point.x()), str(point.y()), "sleep", "0.1"]
    script += ["sleep", "0.3", "mouseup", "1"]
    drag = subprocess.Popen(["xdotool", *script], env=os.environ.copy())
    try:
        qtbot.waitUntil(lambda: drag.poll() is not None and bool(edits), timeout=10_000)
    finally:
        if drag.poll() is None:
            drag.kill()
        drag.wait()

    assert started, "the drag did not go through QAbstractItemView.startDrag"
    assert editor.models() == ["claude-sonnet-4", "o3-mini", "gpt-4o"]
    assert edits[-1] == ["claude-sonnet-4", "o3-mini", "gpt-4o"]
    assert signals == ["moved"]
