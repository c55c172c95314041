"""The open config as the app sees it: one Document shared by every page and dialog.

The Document owns the in-memory :class:`Config`, the undo stack and a cached
:class:`Resolver`. Widgets never change the config themselves: they build an
:class:`~modeldesk.core.edits.Edit` and call :meth:`Document.perform`. Each edit is

1. applied to the in-memory config at once, on the GUI thread (a bad edit raises
   ``EditError`` and changes nothing; applying also yields the inverse edit used for undo
   and a :class:`~modeldesk.core.edits.Change` saying what it touched, emitted as
   :attr:`Document.edited` so views update just those rows), then
2. queued for saving. One worker thread, woken once the GUI thread has finished with the
   edit (its views repainted), saves the queued edits in order, each through
   ``ConfigStore.apply_edits``, which re-reads the file under a lock, replays the edit on
   it and writes atomically, so changes another process made meanwhile are kept. When the
   queue is empty and someone else had changed the file, the merged result is adopted
   (:attr:`reloaded`). A save that fails withdraws its edit: the step leaves the undo
   history and the file's state is shown, with the reason in the save state.

Signals: ``edited(Change)`` for each edit, undo and redo; ``reloaded()`` when the whole
config was replaced (a reload from disk, a merge); ``changed()`` after either (kept for
scripts and tests: the app's views follow ``edited`` and ``reloaded``, through
``widgets.when_shown``, so an edit refreshes only what it concerns).
``paused_changed(str)`` says the file on disk is broken (the text says what and where)
and editing is paused until it is fixed and reloaded; an empty string says editing is
possible again.
"""

from __future__ import annotations

import contextlib
import threading
import weakref
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QEvent, QEventLoop, QObject, Qt, QThread, Signal
from PySide6.QtGui import QUndoStack
from shiboken6 import isValid

from modeldesk.core.edits import Edit, apply_tracked
from modeldesk.core.errors import ConfigError, EditError, ModelDeskError, StoreError
from modeldesk.core.resolver import Resolver
from modeldesk.core.schema import Config, Policy

from .undo import EditCommand, note_change

if TYPE_CHECKING:
    from modeldesk.core.store import Applied, ConfigStore

SAVED = "Saved"
SAVING = "Saving…"
RELOADED = "Reloaded changes made outside ModelDesk"
MERGED = "Saved (with changes made outside ModelDesk)"
PAUSED = "Editing paused: the config file on disk cannot be read"


@dataclass
class _SaveJob:
    edit: Edit | None  # None: write ``whole`` as the entire file
    whole: Config | None
    command: EditCommand | None  # the undo step to withdraw if this save fails
    withdraw_on_failure: bool  # a new step (perform) leaves the history when not saved
    inverse: Edit | None = None  # takes the edit back out of memory if it cannot be saved


@dataclass
class _SaveResult:
    job: _SaveJob
    applied: Applied | None
    error: ModelDeskError | None
    # After a failure: the file as it is now (None if it cannot be read: see read_error).
    disk: tuple[Config, object] | None = None
    read_error: ModelDeskError | None = None


# Undo keeps this many steps; older ones are dropped. A step holds what its edit replaced,
# so a step that changed every agent of a 10,000-agent workspace holds 10,000 lists: a
# limit keeps a long day's history from growing without end.
UNDO_LIMIT = 1000
# Posted to the document after an edit, below the priority of the repaint Qt posts for
# the views it changed (Qt.LowEventPriority): handled once they have painted.
_WAKE_SAVER = QEvent.Type(QEvent.registerEventType())
_AFTER_REPAINT = int(Qt.EventPriority.LowEventPriority.value) - 1

_open_documents: weakref.WeakSet[Document] = weakref.WeakSet()


def wait_for_saves(timeout_s: float = 30.0) -> None:
    """Let every open document's queued saves land (before reading its file directly,
    as tests, benchmarks and the exit path do)."""
    for document in list(_open_documents):
        document.wait_saved(timeout_s)


class Document(QObject):
    changed = Signal()
    reloaded = Signal()
    edited = Signal(object)  # Change
    save_state_changed = Signal(str)
    paused_changed = Signal(str)
    open_settings_requested = Signal(str)
    # A short sentence saying what a step just did ("Imported f.json: 2 added."), for the
    # window's status bar.
    notice = Signal(str)
    # Emitted by the save thread; Qt queues it to this object's (the GUI) thread.
    _save_finished = Signal(object)

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
        self.undo_stack.setUndoLimit(UNDO_LIMIT)
        # Bumped on every content change; item models use it to drop cached values.
        self.version = 0
        self._resolver: Resolver | None = None
        self._fingerprint = self._disk_fingerprint()
        self._file_vanished = False
        self.save_state = SAVED if store.exists() else "Not saved yet"
        # Why editing is paused (the file on disk is broken), or "" when it is not.
        self.paused = ""
        # One thread: saves run in the order the edits were made.
        self._saver = ThreadPoolExecutor(max_workers=1, thread_name_prefix="modeldesk-save")
        self._waiting: list[_SaveJob] = []  # queued, not yet taken by the save thread
        self._waiting_lock = threading.Lock()
        self._futures: list[Future[None]] = []
        # An event that wakes the save thread is on its way (see _queue).
        self._wake_posted = False
        self._pending_jobs = 0  # queued jobs whose outcome has not reached the GUI thread
        self._outside_change = False  # someone else wrote the file while saves were queued
        self._failure: str | None = None  # the first save failure of the current queue
        self._latest: Config | None = None  # the config the last successful save wrote
        self._withdrawn: list[Edit] = []  # inverses of the edits whose save failed, in order
        self._save_finished.connect(self._on_save_finished)
        # Only the save thread writes through this store: it may keep the config it last
        # wrote and skip re-reading an unchanged file (see ConfigStore.keep_written_config).
        store.keep_written_config()
        with contextlib.suppress(ModelDeskError):
            self._futures.append(self._saver.submit(store.prime_written_config, store.fingerprint()))
        _open_documents.add(self)

    # --- reading ----------------------------------------------------------------------

    @property
    def resolver(self) -> Resolver:
        if self._resolver is None:
            self._resolver = Resolver(self.config, self.policy)
        return self._resolver

    def snapshot(self) -> Config:
        """A config later edits do not change (for a test run), without a deep copy of
        10,000 agents: edits replace items and never change one in place, so the items are
        shared; the lists and the settings (which edits change in place) are copied."""
        config = self.config
        snapshot = config.model_copy(
            update={
                "providers": list(config.providers),
                "models": list(config.models),
                "projects": list(config.projects),
                "agents": list(config.agents),
                "squads": list(config.squads),
                "settings": config.settings.model_copy(deep=True),
            }
        )
        # A shallow copy would share the id index (a cache over the original's lists); the
        # copy gets its own copy of it instead of building one (~2 ms at 10,000 agents, in
        # a test run's first step on the GUI thread).
        config.copy_ids_to(snapshot)
        return snapshot

    @property
    def saving(self) -> bool:
        """True while edits wait to be written."""
        return self._pending_jobs > 0

    # --- editing ----------------------------------------------------------------------

    def perform(self, edit: Edit) -> None:
        """Apply ``edit`` as one undoable step; it is saved in the background.

        Raises ``EditError`` when the edit does not fit the config (nothing changes), or
        while editing is paused because the file on disk is broken. When the save fails
        (disk, lock, or the file changed so the edit no longer fits), the edit is
        withdrawn, the file's state is shown, and the save state says why.
        """
        command = EditCommand(self, edit)
        command.inverse = self._apply(edit, command, withdraw_on_failure=True)
        self.undo_stack.push(command)

    def execute(self, edit: Edit, command: EditCommand | None = None) -> Edit:
        """Apply ``edit`` in memory and queue its save, without touching the undo stack;
        return its inverse. Used by the undo commands. Raises ``EditError`` for an edit
        that does not fit the in-memory config (or while editing is paused)."""
        return self._apply(edit, command, withdraw_on_failure=False)

    def _apply(self, edit: Edit, command: EditCommand | None, *, withdraw_on_failure: bool) -> Edit:
        if self.paused:
            raise EditError(f"Editing is paused until the config file is fixed and reloaded. {self.paused}")
        inverse, change = apply_tracked(self.config, edit)
        note_change(self.config, change)
        self.version += 1
        if change.whole or any(change.touches(c) for c in ("settings", "models", "providers", "projects")):
            # The resolver reads agents through the config's id index as they are now; only
            # what it copied (the registry, projects) makes it stale.
            self._resolver = None
        if self._file_vanished:
            # The file was deleted or moved away after we had it: write back all we show
            # (applying to "no file" would keep only this one edit). The copy is taken
            # here because the GUI thread goes on changing ``config``.
            job = _SaveJob(None, self.config.model_copy(deep=True), command, withdraw_on_failure)
            self._file_vanished = False
        else:
            job = _SaveJob(edit, None, command, withdraw_on_failure, inverse)
        self._queue(job)
        if change.whole:
            self.reloaded.emit()
        else:
            self.edited.emit(change)
        self.changed.emit()
        return inverse

    def tell(self, text: str) -> None:
        """Say what was just done (the window shows it in its status bar)."""
        self.notice.emit(text)

    def request_open_settings(self, field: str = "default_agent_model") -> None:
        self.open_settings_requested.emit(field)

    # --- saving (one worker thread) ---------------------------------------------------

    def _queue(self, job: _SaveJob) -> None:
        self._pending_jobs += 1
        with self._waiting_lock:
            self._waiting.append(job)
        # The save thread is woken once the GUI thread is done with this event's work
        # (views updated and repainted, the undo step pushed), by an event posted below the
        # repaint's priority: woken at once, it competed with the rest of the edit for the
        # interpreter, and the GUI thread waited at each handover.
        if self._wake_posted:
            return
        if QThread.currentThread().loopLevel() == 0:
            # No event loop runs (a script, a test): none would deliver the event.
            self._wake_saver()
            return
        self._wake_posted = True
        QCoreApplication.postEvent(self, QEvent(_WAKE_SAVER), _AFTER_REPAINT)

    def _wake_saver(self) -> None:
        self._wake_posted = False
        # Said as the save thread starts: set in the edit's own event, the label's repaint
        # joined the changed row's.
        self.set_save_state(SAVING)
        self._futures.append(self._saver.submit(self._save_waiting))
        # Finished futures are only kept for wait_saved: drop them as we go.
        if len(self._futures) > 64:
            self._futures = [f for f in self._futures if not f.done()]

    def _save_waiting(self) -> None:
        """Runs in the save thread: saves every job queued so far, touching the store only,
        never the in-memory config. Edits that queued up while a save was running are
        written together: one lock, one read, one write, each edit replayed in order (a
        person typing fast at 10,000 agents makes a burst of edits, not a burst of saves)."""
        with self._waiting_lock:
            jobs, self._waiting = self._waiting, []
        if not jobs:
            return
        results: list[_SaveResult] = []
        batch: list[_SaveJob] = []
        for job in jobs:
            if job.whole is None:
                batch.append(job)
                continue
            results += self._save_edits(batch)
            batch = []
            results.append(self._save_whole(job))
        results += self._save_edits(batch)
        self._save_finished.emit(results)

    def _save_edits(self, jobs: list[_SaveJob]) -> list[_SaveResult]:
        if not jobs:
            return []
        try:
            applied = self.store.apply_edits([job.edit for job in jobs if job.edit is not None])
        except Exception as exc:  # noqa: BLE001 - any failure must reach the user
            if len(jobs) == 1:
                return [self._failed(jobs[0], exc)]
            # Find which edits do not fit: save them one by one (the rest still land).
            results: list[_SaveResult] = []
            for job in jobs:
                results += self._save_edits([job])
            return results
        return [_SaveResult(job, applied, None) for job in jobs]

    def _save_whole(self, job: _SaveJob) -> _SaveResult:
        from modeldesk.core.store import Applied

        assert job.whole is not None
        try:
            self.store.save(job.whole)
            config, fingerprint = self.store.load_snapshot()
        except Exception as exc:  # noqa: BLE001
            return self._failed(job, exc)
        return _SaveResult(job, Applied(config, None, fingerprint), None)

    def _failed(self, job: _SaveJob, exc: Exception) -> _SaveResult:
        error = exc if isinstance(exc, ModelDeskError) else StoreError(f"Cannot save: {exc}")
        result = _SaveResult(job, None, error)
        try:
            result.disk = self.store.load_snapshot()
        except ModelDeskError as read_error:
            result.read_error = read_error
        except Exception as read_error:  # noqa: BLE001
            result.read_error = StoreError(str(read_error))
        return result

    def _on_save_finished(self, results: list[_SaveResult]) -> None:
        seen: set[int] = set()
        for result in results:
            self._pending_jobs -= 1
            if result.error is None:
                assert result.applied is not None
                # Jobs saved together share one Applied: judge it once.
                if id(result.applied) not in seen:
                    seen.add(id(result.applied))
                    if result.job.whole is None and result.applied.read_fingerprint != self._fingerprint:
                        self._outside_change = True
                    self._fingerprint = result.applied.fingerprint
                    self._latest = result.applied.config
            else:
                self._withdraw(result)
        if self._pending_jobs > 0:
            return
        # The queue is empty: what is on disk now holds every edit that was saved.
        failure, self._failure = self._failure, None
        outside, self._outside_change = self._outside_change, False
        latest, self._latest = self._latest, None
        if failure is not None:
            self._adopt_after_failure(results[-1], failure)
        elif outside and latest is not None:
            self.store.forget_written_config()  # ours now: the store must not change it
            self._set_config(latest)
            self.set_save_state(MERGED)
        else:
            self.set_save_state(SAVED)

    def _withdraw(self, result: _SaveResult) -> None:
        assert result.error is not None
        if self._failure is None:
            self._failure = result.error.message
        if result.job.inverse is not None:
            self._withdrawn.append(result.job.inverse)
        command = result.job.command
        if command is None:
            return
        # Qt drops an obsolete command when undo/redo reaches it; a new step that is on
        # top of the history is dropped now, so Undo does not offer an edit never saved.
        command.withdrawn = True
        command.setObsolete(True)
        stack = self.undo_stack
        if result.job.withdraw_on_failure and stack.index() > 0 and stack.command(stack.index() - 1) is command:
            stack.undo()

    def _adopt_after_failure(self, result: _SaveResult, failure: str) -> None:
        state = f"Save failed: {failure} Your change was withdrawn."
        withdrawn, self._withdrawn = self._withdrawn, []
        if result.disk is not None and result.disk[1] is not None:
            # The file is readable: show what it holds (the truth), which has every edit
            # that was saved and none that was not.
            config, fingerprint = result.disk
            self._fingerprint = fingerprint
            self._set_config(config)
            self.set_save_state(state)
            return
        # No readable file to show instead: take the unsaved edits back out of memory.
        for inverse in reversed(withdrawn):
            try:
                apply_tracked(self.config, inverse)
            except EditError:
                continue  # a later edit already replaced what this one did
        self._set_config(self.config)
        if isinstance(result.read_error, ConfigError):
            self._pause(result.read_error.message)
        elif result.disk is not None:
            # No file any more: what we show is all there is; the next edit writes it.
            self._file_vanished = True
        self.set_save_state(state)

    def event(self, event: QEvent) -> bool:
        if event.type() == _WAKE_SAVER:
            if self._wake_posted:  # else wait_saved woke it already
                self._wake_saver()
            return True
        return super().event(event)

    def wait_saved(self, timeout_s: float = 30.0) -> bool:
        """Block until every queued save has finished and its outcome is applied (for
        closing the window, and for tests and benchmarks). True if nothing is pending."""
        if self._wake_posted:  # the GUI thread waits here: nothing to leave room for
            self._wake_saver()
        for future in list(self._futures):
            try:
                future.result(timeout=timeout_s)
            except TimeoutError:
                return False
        self._futures.clear()
        # The outcomes arrive as queued signals: deliver them now.
        app = QCoreApplication.instance()
        while self._pending_jobs > 0 and app is not None:
            app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
        return self._pending_jobs == 0

    def shutdown(self) -> None:
        """Finish the queued saves (the window is closing), stop the save thread and let
        go of the undo history."""
        self.wait_saved()
        self._saver.shutdown(wait=True)
        # Deleted now, by the stack, while everything is alive. Left to Python's cyclic
        # collector (a command refers to its document, whose child the stack is), a
        # command's wrapper could be freed first: the collector hands an undo command back
        # to Python when it clears the stack's wrapper, Python deletes it, and the stack
        # then deletes it a second time (a crash inside QUndoStack::clear, seen in the tests).
        if isValid(self.undo_stack):  # else its parent already took it, with its commands
            self.undo_stack.clear()

    # --- the file on disk -------------------------------------------------------------

    def reload(self) -> None:
        """Adopt the file as it is on disk now (keeps the undo history: its steps are
        edits, replayed on whatever the file holds when undone). Waits for queued saves
        first, so none of them is overtaken."""
        self.wait_saved()
        self._adopt_disk_state(RELOADED)

    def reload_if_changed(self) -> bool:
        """Reload when the file differs from what this document last saw; True if so."""
        if self._pending_jobs > 0:
            return False  # our own saves are landing; their outcome tells about the file
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
            config, self._fingerprint = self.store.load_snapshot()
        except ConfigError as exc:
            # A hand-broken (or too new) file: keep showing the last good state and pause
            # editing until the file is fixed, so no edit is made that cannot be saved.
            self._pause(exc.message)
            return
        except ModelDeskError as exc:
            self.set_save_state(f"The file on disk cannot be read: {exc.message}")
            return
        self.policy = self._load_policy()
        self._set_config(config)
        self._resume()
        self.set_save_state(state)

    def _pause(self, problem: str) -> None:
        self.set_save_state(PAUSED)
        if problem != self.paused:
            self.paused = problem
            self.paused_changed.emit(problem)

    def _resume(self) -> None:
        if self.paused:
            self.paused = ""
            self.paused_changed.emit("")

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
        self.reloaded.emit()
        self.changed.emit()

    def set_save_state(self, state: str) -> None:
        self.save_state = state
        self.save_state_changed.emit(state)
