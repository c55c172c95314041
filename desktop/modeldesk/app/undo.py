"""Undo/redo: one QUndoCommand per Edit.

The command holds an edit and its inverse. Both directions go through
``Document.execute``, so an undo is saved (and merged with other processes' changes)
exactly like the edit itself. Each direction recomputes the opposite edit against the
config it actually ran on, so undo → redo → undo keeps restoring exactly.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtGui import QUndoCommand

from modeldesk.core.edits import Edit
from modeldesk.core.errors import EditError

if TYPE_CHECKING:
    from .document import Document


class EditCommand(QUndoCommand):
    def __init__(self, document: Document, edit: Edit, inverse: Edit) -> None:
        super().__init__(edit.label)
        self._document = document
        self._edit = edit
        self._inverse = inverse
        # Document.perform applied the edit before pushing; QUndoStack.push calls redo().
        self._already_applied = True

    def redo(self) -> None:
        if self._already_applied:
            self._already_applied = False
            return
        inverse = self._run(self._edit)
        if inverse is not None:
            self._inverse = inverse

    def undo(self) -> None:
        edit = self._run(self._inverse)
        if edit is not None:
            self._edit = edit

    def _run(self, edit: Edit) -> Edit | None:
        try:
            result = self._document.execute(edit)
        except EditError as exc:
            # The config changed underneath (e.g. another process removed the agent):
            # this step can no longer be replayed. Qt drops obsolete commands.
            self._document.set_save_state(f"Cannot {('undo' if edit is self._inverse else 'redo')}: {exc.message}")
            result = None
        if result is None:
            self.setObsolete(True)
        return result
