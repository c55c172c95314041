"""Undo/redo: one QUndoCommand per Edit.

The command holds an edit and its inverse. Both directions go through
``Document.execute``, which applies in memory at once (so undo is instant) and queues the
save, which is merged with other processes' changes exactly like the edit itself. Each
direction recomputes the opposite edit against the config it actually ran on, so
undo → redo → undo keeps restoring exactly. A step whose save failed is *withdrawn*:
obsolete, so Qt drops it from the history instead of replaying it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtGui import QUndoCommand

from modeldesk.core.edits import Edit
from modeldesk.core.errors import EditError

if TYPE_CHECKING:
    from .document import Document


class EditCommand(QUndoCommand):
    def __init__(self, document: Document, edit: Edit, inverse: Edit | None = None) -> None:
        super().__init__(edit.label)
        self._document = document
        self.edit = edit
        # Set by Document.perform once the edit is applied (before the command is pushed).
        self.inverse: Edit | None = inverse
        self.withdrawn = False
        # Document.perform applied the edit before pushing; QUndoStack.push calls redo().
        self._already_applied = True

    def redo(self) -> None:
        if self._already_applied:
            self._already_applied = False
            return
        inverse = self._run(self.edit, "redo")
        if inverse is not None:
            self.inverse = inverse

    def undo(self) -> None:
        if self.inverse is None:
            return
        edit = self._run(self.inverse, "undo")
        if edit is not None:
            self.edit = edit

    def _run(self, edit: Edit, verb: str) -> Edit | None:
        if self.withdrawn:
            return None
        try:
            return self._document.execute(edit, self)
        except EditError as exc:
            # The config changed underneath (e.g. another process removed the agent):
            # this step can no longer be replayed. Qt drops obsolete commands.
            self._document.set_save_state(f"Cannot {verb}: {exc.message}")
            self.setObsolete(True)
            return None
