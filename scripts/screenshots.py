"""Save PNG screenshots of each page and dialog with the sample workspace.

    python scripts/screenshots.py [--out docs/screenshots] [--offscreen]

Runs on the current DISPLAY (e.g. under ``xvfb-run -a -s "-screen 0 1400x900x24"``) or,
with ``--offscreen`` or no DISPLAY, on Qt's offscreen platform. The config lives in a
temporary folder; nothing of the user's is read or written.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "desktop"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--offscreen", action="store_true", help="use Qt's offscreen platform")
    args = parser.parse_args(argv)
    if args.offscreen or not os.environ.get("DISPLAY"):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    workdir = Path(tempfile.mkdtemp(prefix="modeldesk-shots-"))
    # Keep the user's policy and keyring out of the pictures.
    os.environ["MODELDESK_POLICY"] = str(workdir / "no-policy.json")
    os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.null.Keyring"

    from PySide6.QtWidgets import QApplication, QDialog, QWidget

    from modeldesk.app.application import make_application
    from modeldesk.app.document import Document
    from modeldesk.app.main_window import MainWindow
    from modeldesk.app.views.dialogs.model_picker import ModelPickerDialog
    from modeldesk.core.samples import sample_config
    from modeldesk.core.store import ConfigStore

    app = make_application([sys.argv[0]])
    store = ConfigStore(workdir / "config.json")
    store.save(sample_config())
    document = Document(store)
    window = MainWindow(document)
    window.resize(1360, 860)
    window.show()
    args.out.mkdir(parents=True, exist_ok=True)

    def settle() -> None:
        for _ in range(5):
            app.processEvents()

    def shoot(name: str, widget: QWidget) -> None:
        settle()
        path = args.out / f"{name}.png"
        widget.grab().save(str(path))
        print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)

    def dialog_shot(name: str, make: Callable[[], QDialog], prepare: Callable[[QDialog], None] | None = None) -> None:
        dialog = make()
        dialog.show()
        if prepare:
            prepare(dialog)
        shoot(name, dialog)
        dialog.reject()
        dialog.deleteLater()

    page = window.agents_page
    page.select_agent("fact-checker")
    page.tabs.setCurrentWidget(page.editor)
    shoot("agents-editor", window)
    page.select_agent("researcher")
    shoot("agents-editor-inherits", window)
    page.select_agent("analyst")
    page.tabs.setCurrentWidget(page.resolution)
    shoot("agents-resolution", window)
    page.tabs.setCurrentWidget(page.test_run)
    shoot("agents-test-run", window)
    page.tabs.setCurrentWidget(page.editor)

    window.pages.setCurrentWidget(window.squads_page)
    shoot("squads", window)

    try:
        from modeldesk.app.views.dialogs.bulk_change_dialog import BulkChangeDialog
        from modeldesk.core.bulk import SquadScope

        dialog_shot("bulk-change", lambda: BulkChangeDialog(document, SquadScope("research-team"), window))
    except ImportError:
        print("bulk change dialog not available; skipped")

    window.open_settings("default_agent_model")
    shoot("settings-models", window)
    window.settings_page.models_tab.focus_field("providers")
    shoot("settings-models-providers", window)

    def type_filter(dialog: QDialog) -> None:
        assert isinstance(dialog, ModelPickerDialog)
        dialog.filter_edit.setText("claude")

    dialog_shot("model-picker", lambda: ModelPickerDialog(document, window, listed=["gpt-4o"]))
    dialog_shot("model-picker-filtered", lambda: ModelPickerDialog(document, window, listed=["gpt-4o"]), type_filter)

    from modeldesk.app.views.dialogs.first_run_dialog import FirstRunDialog
    from modeldesk.app.views.dialogs.provider_dialog import ProviderDialog

    dialog_shot("first-run", lambda: FirstRunDialog(Path.home() / ".config/modeldesk/config.json", window))
    dialog_shot("provider-dialog", lambda: ProviderDialog(window, provider=document.config.provider("anthropic")))
    window.close()
    QApplication.processEvents()
    return 0


if __name__ == "__main__":
    sys.exit(main())
