"""The open config as the app sees it: one Document shared by every page and dialog.

The Document owns the in-memory :class:`Config`, the undo stack and a cached
:class:`Resolver`. Widgets never change the config themselves: they build an
:class:`~modeldesk.core.edits.Edit` and call :meth:`Document.perform`. Each edit is

1. applied to the in-memory config first (a bad edit raises ``EditError`` and changes
   nothing; applying also yields the inverse edit used for undo), then
2. saved at once through ``ConfigStore.apply``, which re-reads the file under a lock,
   replays the edit on it and writes atomically. The config returned from disk replaces
   the in-memory one, so changes another process made meanwhile are merged in.

Because every local edit is on disk as soon as it is made, an external change picked up
by the file watcher can simply be adopted (:meth:`reload`): nothing local is pending.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoStack

from modeldesk.core.edits import Edit, apply_edit
from modeldesk.core.errors import ModelDeskError
from modeldesk.core.resolver import Resolver
from modeldesk.core.schema import Config, Policy

from .undo import EditCommand

if TYPE_CHECKING:
    from modeldesk.core.store import ConfigStore

SAVED = "Saved"
SAVING = "Saving…"
RELOADED = "Reloaded changes made outside ModelDesk"


class Document(QObject):
    changed = Signal()
    save_state_changed = Signal(str)
    open_settings_requested = Signal(str)

    def __init__(self, store: ConfigStore, parent: QObject | None = None, *, config: Config | None = None) -> None:
        super().__init__(parent)
        self.store = store
        # ``config`` lets the caller pass a config it has already loaded (start-up checks
        # the file before building the window), saving a second read.
        self.config: Config = config if config is not None else store.load()
        # A broken policy file must not lock the user out: run without it and say why.
        self.policy_error: str | None = None
        self.policy: Policy | None = self._load_policy()
        self.undo_stack = QUndoStack(self)
        # Bumped on every content change; item models use it to drop cached values.
        self.version = 0
        self._resolver: Resolver | None = None
        self._fingerprint = self._disk_fingerprint()
        self._file_vanished = False
        self.save_state = SAVED if store.exists() else "Not saved yet"

    # --- reading ----------------------------------------------------------------------

    @property
    def resolver(self) -> Resolver:
        if self._resolver is None:
            self._resolver = Resolver(self.config, self.policy)
        return self._resolver

    # --- editing ----------------------------------------------------------------------

    def perform(self, edit: Edit) -> None:
        """Apply ``edit`` as one undoable, saved step.

        Raises ``EditError`` when the edit does not fit the config (nothing changes). When
        saving fails (disk, lock, or the file changed so the edit no longer fits), the edit
        is withdrawn, the file's state is shown, and the status bar says why.
        """
        inverse = self.execute(edit)
        if inverse is not None:
            self.undo_stack.push(EditCommand(self, edit, inverse))

    def execute(self, edit: Edit) -> Edit | None:
        """Apply and save one edit without touching the undo stack; return its inverse,
        or ``None`` if it could not be saved (the reason is in the save state).

        Used by :meth:`perform` and by the undo commands. Raises ``EditError`` for an edit
        that does not fit the in-memory config.
        """
        inverse = apply_edit(self.config, edit)
        self.set_save_state(SAVING)
        try:
            if self._file_vanished:
                # The file was deleted or moved away after we had it: write back all we
                # show (applying to "no file" would keep only this one edit).
                self.store.save(self.config)
                on_disk = self.store.load()
                self._file_vanished = False
            else:
                on_disk = self.store.apply(edit)
        except ModelDeskError as exc:
            # Drop the local change; then show what is on disk (the truth), unless there
            # is no file any more, when what we show is all there is.
            apply_edit(self.config, inverse)
            if self._file_vanished:
                self.changed.emit()
                self.set_save_state(f"Save failed: {exc.message}")
            else:
                self._adopt_disk_state(f"Save failed: {exc.message}")
            return None
        self._fingerprint = self._disk_fingerprint()
        self._set_config(on_disk)
        self.set_save_state(SAVED)
        return inverse

    def request_open_settings(self, field: str = "default_agent_model") -> None:
        self.open_settings_requested.emit(field)

    # --- the file on disk -------------------------------------------------------------

    def reload(self) -> None:
        """Adopt the file as it is on disk now (keeps the undo history: its steps are
        edits, replayed on whatever the file holds when undone)."""
        self._adopt_disk_state(RELOADED)

    def reload_if_changed(self) -> bool:
        """Reload when the file differs from what this document last saw; True if so."""
        fingerprint = self._disk_fingerprint()
        if fingerprint == self._fingerprint:
            return False
        if fingerprint is None and not self.store.exists():
            # Deleted or moved away: keep what we show rather than adopt "nothing".
            self._fingerprint = None
            self._file_vanished = True
            self.set_save_state("The config file is gone; your next change writes it again")
            return True
        self.reload()
        return True

    def _adopt_disk_state(self, state: str) -> None:
        self._fingerprint = self._disk_fingerprint()
        try:
            config = self.store.load()
        except ModelDeskError as exc:
            # A hand-broken file: keep showing the last good state; saving will keep
            # failing (the store refuses to overwrite it) until the file is fixed.
            self.changed.emit()
            failed_save = state.startswith("Save failed")
            self.set_save_state(state if failed_save else f"The file on disk cannot be read: {exc.message}")
            return
        self.policy = self._load_policy()
        self._set_config(config)
        self.set_save_state(state)

    def _load_policy(self) -> Policy | None:
        try:
            policy = self.store.load_policy()
        except ModelDeskError as exc:
            self.policy_error = exc.message
            return None
        self.policy_error = None
        return policy

    def _disk_fingerprint(self) -> object:
        try:
            return self.store.fingerprint()
        except (OSError, ModelDeskError):
            return None

    def _set_config(self, config: Config) -> None:
        self.config = config
        self.version += 1
        self._resolver = None
        self.changed.emit()

    def set_save_state(self, state: str) -> None:
        self.save_state = state
        self.save_state_changed.emit(state)
