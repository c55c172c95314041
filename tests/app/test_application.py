"""Start-up: the first-run choice writes nothing until the user picks; a broken or
too-new file is named in a message and never overwritten; the app starts and quits."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox

from modeldesk.app.application import app_icon, make_application, open_config
from modeldesk.app.views.dialogs.first_run_dialog import FirstRunDialog
from modeldesk.core.store import ConfigStore
from tests.app.helpers import answer_modal


def answer_first_run(qtbot: Any, action: str) -> list[str]:
    seen: list[str] = []

    def answer(dialog: FirstRunDialog) -> None:
        seen.extend([dialog.sample_button.text(), dialog.empty_button.text(), dialog.text_label.text()])
        if action == "sample":
            qtbot.mouseClick(dialog.sample_button, Qt.MouseButton.LeftButton)
        elif action == "empty":
            qtbot.mouseClick(dialog.empty_button, Qt.MouseButton.LeftButton)
        else:
            qtbot.keyClick(dialog, Qt.Key.Key_Escape)

    answer_modal(FirstRunDialog, answer)
    return seen


def test_first_run_writes_nothing_until_the_user_chooses(qtbot: Any, tmp_path: Path) -> None:
    path = tmp_path / "cfg" / "config.json"
    seen = answer_first_run(qtbot, "quit")
    assert open_config(ConfigStore(path)) is None
    assert seen[:2] == ["Start with a sample workspace", "Start empty"]
    assert str(path) in seen[2]  # says where the file will be written
    assert not path.exists()
    assert not path.parent.exists()


def test_first_run_with_the_sample_workspace(qtbot: Any, tmp_path: Path) -> None:
    path = tmp_path / "cfg" / "config.json"
    answer_first_run(qtbot, "sample")
    config = open_config(ConfigStore(path))
    assert config is not None
    assert len(config.agents) == 9
    assert json.loads(path.read_text())["schema_version"] == 1


def test_first_run_empty(qtbot: Any, tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    answer_first_run(qtbot, "empty")
    config = open_config(ConfigStore(path))
    assert config is not None
    assert config.agents == []
    assert json.loads(path.read_text()) == {"schema_version": 1}


@pytest.mark.parametrize(
    ("content", "title"),
    [
        ('{"schema_version": 1, "agents": [', "ModelDesk cannot open its config file"),
        ('{"schema_version": 1, "agents": [{"id": "a"}]}', "ModelDesk cannot open its config file"),
        ('{"schema_version": 99}', "This config file was written by a newer ModelDesk"),
    ],
)
def test_broken_or_newer_file_is_named_and_left_alone(
    qtbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: str, title: str
) -> None:
    path = tmp_path / "config.json"
    path.write_text(content)
    shown: list[tuple[str, str]] = []

    def fake_exec(box: QMessageBox) -> int:
        shown.append((box.text(), box.informativeText()))
        return QMessageBox.StandardButton.Close.value

    monkeypatch.setattr(QMessageBox, "exec", fake_exec)
    assert open_config(ConfigStore(path)) is None
    assert shown[0][0] == title
    assert str(path) in shown[0][1]
    assert "has not changed the file" in shown[0][1]
    assert path.read_text() == content


def test_application_identity(qapp: QApplication) -> None:
    app = make_application()
    assert app is qapp
    assert app.applicationName() == "ModelDesk"
    assert app.desktopFileName() == "io.modeldesk.ModelDesk"
    assert not app_icon().isNull()


# A fresh process paints a large fill and counts Qt's pool threads: the app's painting
# never hands fills to them (a GUI thread waiting on them slept while an answer streamed).
POOLED_FILLS = """
import os, sys
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtWidgets import QApplication
if sys.argv[1] == "app":
    from modeldesk.app.application import make_application
    make_application([])
else:
    QApplication([])
image = QImage(1200, 1200, QImage.Format.Format_ARGB32_Premultiplied)
painter = QPainter(image)
for _ in range(5):
    painter.fillRect(0, 0, 1200, 1200, QColor(0, 0, 255, 128))  # blended: Qt splits it
painter.end()
names = [open(f"/proc/self/task/{task}/comm").read().strip() for task in os.listdir("/proc/self/task")]
print("pooled", sum(name.startswith("Thread (pooled)") for name in names))
"""


def test_the_app_paints_its_fills_without_qt_pool_threads() -> None:
    env = {key: value for key, value in os.environ.items() if key != "QT_NO_GUI_THREADPOOL"}
    env["QT_QPA_PLATFORM"] = "offscreen"

    def pooled(how: str) -> int:
        done = subprocess.run(
            [sys.executable, "-c", POOLED_FILLS, how], capture_output=True, text=True, timeout=60, env=env
        )
        assert done.returncode == 0, done.stderr
        return int(done.stdout.split()[-1])

    assert pooled("qt") > 0  # what Qt does by itself: the check can see the pool
    assert pooled("app") == 0


def test_run_app_starts_and_quits(tmp_path: Path) -> None:
    """The whole start-up in a fresh process: qasync loop, window, quit → exit code 0."""
    config = tmp_path / "config.json"
    from modeldesk.core.samples import sample_config

    ConfigStore(config).save(sample_config())
    script = textwrap.dedent(f"""
        import sys
        from PySide6.QtCore import QTimer
        from PySide6.QtWidgets import QApplication
        from modeldesk.app import application

        def close_all():
            app = QApplication.instance()
            titles = [w.windowTitle() for w in app.topLevelWidgets() if w.isVisible()]
            print("windows:", titles, flush=True)
            app.closeAllWindows()
            app.quit()

        original = application.make_application
        def patched(argv=None):
            app = original(argv)
            QTimer.singleShot(1500, close_all)
            return app
        application.make_application = patched
        sys.exit(application.run_app({str(config)!r}))
    """)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, env=env)
    assert result.returncode == 0, result.stderr
    assert "windows: ['config.json — ModelDesk']" in result.stdout
    assert "Traceback" not in result.stderr


# run_app on a config in a fresh interpreter (what is imported when is the point), with
# the first paint of the main window and its `loaded` signal reported as lines.
FIRST_FRAME = """
import sys
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QMainWindow, QMessageBox

app = QApplication(sys.argv[:1])
action = sys.argv[2]

def report_messages(box):
    print("message:", box.text(), flush=True)
    return QMessageBox.StandardButton.Close.value

QMessageBox.exec = report_messages

class FirstPaint(QObject):
    def eventFilter(self, watched, event):
        if event.type() == QEvent.Type.Paint and isinstance(watched, QMainWindow):
            app.removeEventFilter(self)
            print("painted with pydantic:", "pydantic" in sys.modules, flush=True)
            print("status:", watched.save_label.text(), flush=True)
            print("editing:", watched.new_agent_action.isEnabled(), flush=True)
            if action == "close":
                QTimer.singleShot(0, watched.close)
            else:
                watched.loaded.connect(lambda: loaded(watched))
        return False

def loaded(window):
    print("loaded:", window.agents_page.proxy.rowCount(), "agents;", window.save_label.text(), flush=True)
    print("editing:", window.new_agent_action.isEnabled(), flush=True)
    QTimer.singleShot(0, app.quit)

watch = FirstPaint()
app.installEventFilter(watch)
from modeldesk.app.application import run_app
print("exit:", run_app(sys.argv[1]), flush=True)
"""


def run_first_frame(config: Path, action: str) -> list[str]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "MODELDESK_HISTORY": str(config.with_name("h.sqlite3"))}
    done = subprocess.run(
        [sys.executable, "-c", FIRST_FRAME, str(config), action], capture_output=True, text=True, timeout=120, env=env
    )
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    return done.stdout.strip().splitlines()


def test_the_window_paints_before_the_config_is_read_then_fills(tmp_path: Path) -> None:
    from modeldesk.core.samples import sample_config

    config = tmp_path / "config.json"
    ConfigStore(config).save(sample_config())
    assert run_first_frame(config, "wait") == [
        "painted with pydantic: False",
        "status: Opening config.json…",
        "editing: False",
        f"loaded: {len(sample_config().agents)} agents; Saved",
        "editing: True",
        "exit: 0",
    ]


def test_closing_the_window_while_the_file_is_read_quits_without_a_message(tmp_path: Path) -> None:
    from modeldesk.core.samples import sample_config

    config = tmp_path / "config.json"
    ConfigStore(config).save(sample_config())
    lines = run_first_frame(config, "close")
    assert lines[-1] == "exit: 0"
    assert not [line for line in lines if line.startswith(("message:", "loaded:"))]


def test_a_broken_file_is_named_over_the_first_frame_and_the_app_quits(tmp_path: Path) -> None:
    config = tmp_path / "config.json"
    content = '{"schema_version": 1, "agents": ['
    config.write_text(content)
    lines = run_first_frame(config, "wait")
    assert lines[0] == "painted with pydantic: False"
    assert "message: ModelDesk cannot open its config file" in lines
    assert lines[-1] == "exit: 1"
    assert config.read_text() == content
