"""File → Import… and File → Export….

**Import** reads an export (or a whole config file), then shows the same plan as
``modeldesk import --dry-run``: every item the file holds, marked *added* (a new id),
*changed* (an existing id the import overwrites), *kept* (an existing id left as it is) or
*unchanged* (identical already), with counts of added, changed and conflicting ids. The
user chooses what a conflict does — keep what is here (the default: nothing of the
user's is overwritten unless asked) or replace it — and the preview follows at once.
**Import** applies it as one edit: one undo step, one save. The edit plans again against
the file when it is saved, so a change made meanwhile by another program is not
overwritten blindly.

**Export** writes a self-contained document (``core/transfer.py``): everything, or the
agents, squads and projects ticked, with the models, providers and Settings defaults they
need — never a secret value. It is written atomically.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from modeldesk.core import limits
from modeldesk.core.edits import Change
from modeldesk.core.errors import ModelDeskError, StoreError
from modeldesk.core.safe_files import atomic_write
from modeldesk.core.transfer import (
    COLLECTIONS,
    Bundle,
    Export,
    ImportBundle,
    ImportPlan,
    OnConflict,
    export_bundle,
    plan_import,
    read_bundle,
)

from ...document import Document
from ...models.import_preview_model import ImportPreviewModel
from ...models.rows import changed_ids
from ...widgets.style import note_label, set_text_colour
from ...widgets.tables import make_table
from ...widgets.when_shown import follow_changes
from .forms import FormDialog

FILE_FILTER = "ModelDesk export (*.json);;All files (*)"


def plan_concerned(bundle: Bundle, change: Change) -> bool:
    """Whether ``change`` may change the plan of importing ``bundle``: it touched an id
    the file holds, a provider (keys going to new hosts are judged against every
    provider), or a setting the file sets."""
    if bundle.providers and change.touches("providers"):
        return True
    for collection in COLLECTIONS:
        items = getattr(bundle, collection)
        if items and not changed_ids(change, collection).isdisjoint(item.id for item in items):
            return True
    imported = {"task_models"} if bundle.settings.task_models else set()
    if bundle.settings.default_agent_model is not None:
        imported.add("default_agent_model")
    return any(path.split(".")[0] in imported for path in change.settings)


def read_import_file(path: Path) -> tuple[Bundle, list[str]]:
    """The document in ``path``; a :class:`ConfigError` says what is wrong with it."""
    data = limits.read_json_file(path)
    return read_bundle(data, path.name)


class ImportDialog(FormDialog):
    """The preview of importing ``bundle`` into the document, and the one-step import."""

    def __init__(
        self,
        document: Document,
        bundle: Bundle,
        source: str,
        warnings: list[str] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent, f"Import {source}")
        self.resize(900, 600)
        self.document = document
        self.bundle = bundle
        self.source = source
        self._read_warnings = list(warnings or [])
        self.plan: ImportPlan | None = None

        intro = QLabel(f"What importing {source} into this config does. Nothing changes until you press Import.")
        intro.setWordWrap(True)
        intro.setTextFormat(Qt.TextFormat.PlainText)
        self.summary_label = QLabel(self)
        self.summary_label.setObjectName("import_summary")
        self.summary_label.setTextFormat(Qt.TextFormat.PlainText)
        self.summary_label.setStyleSheet("font-weight: 600;")
        self.keep_radio = QRadioButton("&Keep what is here (the file's version of those ids is skipped)", self)
        self.replace_radio = QRadioButton("&Replace it with the file's version", self)
        self.conflict_group = QButtonGroup(self)
        self.conflict_group.addButton(self.keep_radio)
        self.conflict_group.addButton(self.replace_radio)
        self.keep_radio.setChecked(True)
        self.conflict_label = QLabel("When an id already exists here with other content:", self)
        self.show_unchanged = QCheckBox("Show &unchanged items", self)
        self.model = ImportPreviewModel(self)
        self.table = make_table(
            self.model,
            "import_preview",
            "What the import does, item by item",
            self,
            stretch=(ImportPreviewModel.DETAILS,),
            # An import of 10,000 agents would otherwise be measured cell by cell (half a
            # minute) before the dialog shows.
            one_line=True,
            widths=(
                (ImportPreviewModel.ACTION, "Keep ours"),
                (ImportPreviewModel.KIND, "provider"),
                (ImportPreviewModel.ID, "x" * 24),
            ),
        )
        self.warnings_label = QLabel(self)
        self.warnings_label.setObjectName("import_warnings")
        self.warnings_label.setTextFormat(Qt.TextFormat.PlainText)
        self.warnings_label.setWordWrap(True)
        set_text_colour(self.warnings_label, "warning")
        # A file that would send a key the user already has to a new host: said plainly,
        # and the import waits for a tick that is never on by default.
        self.key_hosts_label = QLabel(self)
        self.key_hosts_label.setObjectName("import_key_hosts")
        self.key_hosts_label.setTextFormat(Qt.TextFormat.PlainText)
        self.key_hosts_label.setWordWrap(True)
        set_text_colour(self.key_hosts_label, "problem")
        self.allow_key_hosts = QCheckBox("I trust these hosts with these keys: send them there", self)
        self.allow_key_hosts.setObjectName("import_allow_key_hosts")
        self.import_button = self.buttons.button(self.buttons.StandardButton.Ok)
        self.import_button.setText("&Import")

        conflicts = QVBoxLayout()
        conflicts.setContentsMargins(0, 0, 0, 0)
        conflicts.addWidget(self.conflict_label)
        for radio in (self.keep_radio, self.replace_radio):
            row = QHBoxLayout()
            row.addSpacing(16)
            row.addWidget(radio)
            conflicts.addLayout(row)
        self.finish_layout(
            intro,
            self.summary_label,
            conflicts,
            self.show_unchanged,
            self.table,
            self.key_hosts_label,
            self.allow_key_hosts,
            self.warnings_label,
            stretch=self.table,
        )
        self.keep_radio.toggled.connect(self.refresh)
        self.allow_key_hosts.toggled.connect(self.refresh)
        self.show_unchanged.toggled.connect(self.refresh)
        # Edits made meanwhile (undo, another window's action, a reload) re-plan the
        # preview, but only those that touch what the file holds.
        self._applying = False
        follow_changes(self, document, lambda change: plan_concerned(bundle, change), self._follow)
        self.refresh()

    def on_conflict(self) -> OnConflict:
        return "replace" if self.replace_radio.isChecked() else "keep"

    def _follow(self) -> None:
        # The preview of a plan being applied is not worth re-planning as it closes.
        if not self._applying:
            self.refresh()

    def refresh(self, *_: object) -> None:
        """Plan again (the choice changed, or the config did)."""
        self.plan = plan_import(
            self.document.config,
            self.bundle,
            self.on_conflict(),
            self._read_warnings,
            allow_new_key_hosts=self.allow_key_hosts.isChecked(),
        )
        plan = self.plan
        shown = [i for i in plan.items if self.show_unchanged.isChecked() or i.action != "same"]
        self.model.set_rows(shown)
        conflicting = len(plan.conflicting)
        self.summary_label.setText(
            f"{len(plan.added)} added, {len(plan.changed)} changed, {conflicting} conflicting, "
            f"{len(plan.unchanged)} unchanged"
        )
        for widget in (self.conflict_label, self.keep_radio, self.replace_radio):
            widget.setEnabled(conflicting > 0)
        self.warnings_label.setText("\n".join(f"⚠ {w}" for w in plan.warnings))
        self.warnings_label.setVisible(bool(plan.warnings))
        self.key_hosts_label.setText(
            "⚠ This file would send keys you already use to hosts they never went to:\n"
            + "\n".join(f"• {change.text()}" for change in plan.key_hosts)
            + "\nImport only if you trust the file and these hosts."
            if plan.key_hosts
            else ""
        )
        self.key_hosts_label.setVisible(bool(plan.key_hosts))
        self.allow_key_hosts.setVisible(bool(plan.key_hosts))
        self.import_button.setEnabled(plan.writes > 0 and not plan.blocked_by_key_hosts)
        self.import_button.setToolTip(
            "Tick that you trust the new hosts with your keys first."
            if plan.blocked_by_key_hosts
            else ""
            if plan.writes
            else "Everything in the file is here already."
        )

    def accept(self) -> None:
        if self.plan is not None and self.plan.blocked_by_key_hosts:
            return  # Enter (the default button) never sends a key to a new host
        edit = ImportBundle(
            self.bundle,
            self.on_conflict(),
            label=f"Import {self.source}",
            allow_new_key_hosts=self.allow_key_hosts.isChecked(),
        )
        self._applying = True
        try:
            self.document.perform(edit)
        except ModelDeskError as exc:
            self._applying = False
            self.show_error(exc.message)
            self.refresh()
            return
        self.document.tell(self.done_message())
        super().accept()

    def done_message(self) -> str:
        """What the import did, for the status bar: "Imported f.json: 2 added, 1 changed."."""
        plan = self.plan
        if plan is None:
            return f"Imported {self.source}."
        parts = [f"{len(plan.added)} added"] if plan.added else []
        if plan.changed:
            parts.append(f"{len(plan.changed)} changed")
        kept = len(plan.conflicting) if self.on_conflict() == "keep" else 0
        if kept:
            parts.append(f"{kept} of yours kept")
        return f"Imported {self.source}: {', '.join(parts) or 'nothing new'}."


class ExportDialog(FormDialog):
    """Choose what to export (everything, or ticked agents, squads and projects) and
    where; Export writes the file."""

    def __init__(self, document: Document, parent: QWidget | None = None, *, path: Path | None = None) -> None:
        super().__init__(parent, "Export")
        self.resize(640, 560)
        self.document = document
        self.warnings: list[str] = []
        self.path: Path | None = None
        self.everything_radio = QRadioButton("&Everything: every agent, squad and project", self)
        self.chosen_radio = QRadioButton("&Only what is ticked (with the agents of ticked squads and projects):", self)
        group = QButtonGroup(self)
        group.addButton(self.everything_radio)
        group.addButton(self.chosen_radio)
        self.everything_radio.setChecked(True)
        self.filter_edit = QLineEdit(self)
        self.filter_edit.setPlaceholderText("Filter…")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.setAccessibleName("Filter the items to export")
        self.items_list = QListWidget(self)
        self.items_list.setObjectName("export_items")
        self.items_list.setAccessibleName("Items to export")
        self.items_list.setUniformItemSizes(True)  # thousands of agents, laid out at once
        config = document.config
        for kind, items in (("project", config.projects), ("squad", config.squads), ("agent", config.agents)):
            for item in items:
                text = f"{kind}  {item.id}" if item.name == item.id else f"{kind}  {item.name} ({item.id})"
                entry = QListWidgetItem(text, self.items_list)
                entry.setData(Qt.ItemDataRole.UserRole, (kind, item.id))
                entry.setFlags(entry.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                entry.setCheckState(Qt.CheckState.Unchecked)
        self.path_edit = QLineEdit(str(path) if path else "", self)
        self.path_edit.setAccessibleName("Export to file")
        self.path_edit.setPlaceholderText("File to write")
        self.browse_button = QPushButton("&Browse…", self)
        note = note_label(
            "The file holds the models and providers these use and the Settings defaults they may inherit; "
            "API keys are never written (a key stays a reference to the keyring or an environment variable).",
            self,
        )
        self.buttons.button(self.buttons.StandardButton.Ok).setText("E&xport")
        file_row = QHBoxLayout()
        file_label = QLabel("&File:", self)
        file_label.setBuddy(self.path_edit)
        file_row.addWidget(file_label)
        file_row.addWidget(self.path_edit, 1)
        file_row.addWidget(self.browse_button)
        self.finish_layout(
            self.everything_radio,
            self.chosen_radio,
            self.filter_edit,
            self.items_list,
            file_row,
            note,
            stretch=self.items_list,
        )
        self.chosen_radio.toggled.connect(self._update_enabled)
        self.filter_edit.textChanged.connect(self._filter)
        self.browse_button.clicked.connect(self._browse)
        self._update_enabled()

    def _update_enabled(self, *_: object) -> None:
        chosen = self.chosen_radio.isChecked()
        self.filter_edit.setEnabled(chosen)
        self.items_list.setEnabled(chosen)

    def _filter(self, text: str) -> None:
        needle = text.strip().casefold()
        for row in range(self.items_list.count()):
            entry = self.items_list.item(row)
            entry.setHidden(bool(needle) and needle not in entry.text().casefold())

    def _browse(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Export to", self.path_edit.text() or "modeldesk-export.json", FILE_FILTER
        )
        if path:
            self.path_edit.setText(path)

    def set_checked(self, kind: str, item_id: str, checked: bool = True) -> None:
        for row in range(self.items_list.count()):
            entry = self.items_list.item(row)
            if entry.data(Qt.ItemDataRole.UserRole) == (kind, item_id):
                entry.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)

    def chosen(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {"agent": [], "squad": [], "project": []}
        if self.chosen_radio.isChecked():
            for row in range(self.items_list.count()):
                entry = self.items_list.item(row)
                if entry.checkState() == Qt.CheckState.Checked:
                    kind, item_id = entry.data(Qt.ItemDataRole.UserRole)
                    out[kind].append(item_id)
        return out

    def accept(self) -> None:
        text = self.path_edit.text().strip()
        if not text:
            self.show_error("Choose the file to write (Browse…).")
            return
        path = Path(text).expanduser()
        if not path.parent.is_dir():
            self.show_error(f"The folder {path.parent} does not exist.")
            return
        chosen = self.chosen()
        if self.chosen_radio.isChecked() and not any(chosen.values()):
            self.show_error("Tick at least one agent, squad or project, or choose Everything.")
            return
        try:
            export = write_export(self.document, path, chosen)
        except ModelDeskError as exc:
            self.show_error(exc.message)
            return
        self.warnings = list(export.warnings)
        self.path = path
        super().accept()

    def done_message(self) -> str:
        """For the status bar once the file is written."""
        text = f"Exported to {self.path}"
        if self.warnings:
            count = len(self.warnings)
            text += f" ({count} warning{'s' if count != 1 else ''}: {'; '.join(self.warnings)})"
        return text


def write_export(document: Document, path: Path, chosen: dict[str, list[str]]) -> Export:
    """Write the export of the ``chosen`` agents, squads and projects (all when none are)
    to ``path`` atomically; what went wrong is a :class:`ModelDeskError` in words."""
    export = export_bundle(
        document.config, document.policy, agents=chosen["agent"], squads=chosen["squad"], projects=chosen["project"]
    )
    try:
        atomic_write(path, export.text().encode("utf-8"))
    except OSError as exc:
        raise StoreError(f"Cannot write {path}: {exc.strerror or exc}") from exc
    return export


def open_import(parent: QWidget, document: Document) -> ImportDialog | None:
    """File → Import…: pick a file, then show its preview (``None`` if none is chosen or
    the file cannot be read, which a message says)."""
    folder = str(document.store.path.parent)
    name, _ = QFileDialog.getOpenFileName(parent, "Import", folder, FILE_FILTER)
    if not name:
        return None
    return import_file(parent, document, Path(name))


def import_file(parent: QWidget, document: Document, path: Path) -> ImportDialog | None:
    try:
        bundle, warnings = read_import_file(path)
    except ModelDeskError as exc:
        QMessageBox.warning(parent, "Cannot import", exc.message)
        return None
    dialog = ImportDialog(document, bundle, path.name, warnings, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog


def open_export(parent: QWidget, document: Document) -> ExportDialog:
    """File → Export…: the export dialog, suggesting a file beside the config."""
    dialog = ExportDialog(document, parent, path=document.store.path.parent / "modeldesk-export.json")
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog
