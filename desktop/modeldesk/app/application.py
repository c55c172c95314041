"""Start-up of the desktop app (placeholder window until the app is built)."""

from __future__ import annotations

import sys


def run_app(config_path: str | None = None) -> int:
    from PySide6.QtWidgets import QApplication, QLabel

    app = QApplication.instance() or QApplication(sys.argv)
    label = QLabel("ModelDesk")
    label.resize(400, 200)
    label.show()
    return app.exec()
