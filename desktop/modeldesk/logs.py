"""The log file: ``modeldesk.log`` in the platform's log folder (``~/.local/state/modeldesk/log``
on Linux), rotated at 1 MiB with 3 old files kept. It records run attempts (the same lines
the app and the CLI show), errors and unexpected exceptions — never a key: every record
passes through a filter that masks anything shaped like a secret.

Kept free of Qt and of the runtime so every entry point can set it up cheaply: the
rotating handler's module (``logging.handlers``, which loads socket and pickle) is loaded
by the first record written, so a command that logs nothing (``resolve``) never loads it.
"""

from __future__ import annotations

import io
import logging
import os
import re
from pathlib import Path

import platformdirs

from modeldesk.core.redaction import redact as redact_known

LOG_ENV = "MODELDESK_LOG_DIR"
MAX_BYTES = 1 << 20
BACKUPS = 3

# What a secret looks like in text: provider keys (sk-…, sk-ant-…, gsk_…, xai-…, AIza…),
# bearer tokens, and key-like query parameters or JSON fields.
_SECRET_PATTERNS = (
    re.compile(r"\b(sk-(?:ant-|proj-|or-)?|gsk_|xai-|fw_|AIza)[A-Za-z0-9_\-]{8,}"),
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._\-~+/]{8,}=*"),
    re.compile(r"(?i)((?:api[_-]?key|x-api-key|token|secret|password)[\"']?\s*[:=]\s*[\"']?)[^\s\"'&,;]{6,}"),
    re.compile(r"(?i)(://[^/\s:@]*:)[^/\s@]+(@)"),  # user:password@ in URLs
)


def redact(text: str) -> str:
    """``text`` without any key this process has read (in any form or piece, see
    :mod:`modeldesk.core.redaction`), then without anything shaped like a secret."""
    text = redact_known(text)
    for pattern in _SECRET_PATTERNS:
        text = pattern.sub(lambda m: m.group(1) + "[redacted]" + (m.group(2) if m.re.groups >= 2 else ""), text)
    return text


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            # Format the traceback now, redacted, so the handler does not print it raw.
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


def log_dir() -> Path:
    env = os.environ.get(LOG_ENV, "").strip()
    return Path(env) if env else Path(platformdirs.user_log_dir("modeldesk", appauthor=False))


def log_path() -> Path:
    return log_dir() / "modeldesk.log"


def _private_folders(folder: Path) -> None:
    """Create ``folder`` readable by its owner only (0700), and so the state folder it is
    in when that is ModelDesk's own (the default place): the log names agents, models and
    hosts, and other users of the machine have no business reading it."""
    state = Path(platformdirs.user_state_dir("modeldesk", appauthor=False))
    if folder.parent == state:
        state.parent.mkdir(parents=True, exist_ok=True)
        state.mkdir(mode=0o700, exist_ok=True)
    folder.parent.mkdir(parents=True, exist_ok=True)
    folder.mkdir(mode=0o700, exist_ok=True)


class _PrivateFileHandler(logging.FileHandler):
    """A file handler whose files (the first and, in the rotating one, every rotated one)
    are created 0600."""

    def _open(self) -> io.TextIOWrapper:
        descriptor = os.open(self.baseFilename, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        return open(descriptor, "a", encoding=self.encoding, errors=self.errors)


def _rotating_file(path: Path) -> logging.FileHandler:
    """The private rotating handler over ``path``; a plain private file handler when the
    interpreter is too far into its exit to import (the record is written, unrotated)."""
    try:
        import logging.handlers
    except ImportError:
        return _PrivateFileHandler(path, encoding="utf-8")

    class PrivateRotatingHandler(_PrivateFileHandler, logging.handlers.RotatingFileHandler):
        pass

    return PrivateRotatingHandler(path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8")


class _LogFileHandler(logging.Handler):
    """The log file: records pass this handler's filters, then go, in order and under its
    lock, to the rotating handler, made when the first record arrives."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path
        self._file: logging.FileHandler | None = None

    def emit(self, record: logging.LogRecord) -> None:
        if self._file is None:
            try:
                self._file = _rotating_file(self.path)
            except OSError:
                self.handleError(record)
                return
            self._file.setFormatter(self.formatter)
        self._file.emit(record)

    def flush(self) -> None:
        self.acquire()
        try:
            if self._file is not None:
                self._file.flush()
        finally:
            self.release()

    def close(self) -> None:
        self.acquire()
        try:
            if self._file is not None:
                self._file.close()
                self._file = None
        finally:
            self.release()
        super().close()


# The one file handler, once set up (a dict, so no module global is reassigned).
_installed: dict[str, logging.Handler] = {}


def setup_logging() -> Path | None:
    """Attach the rotating file handler to the ``modeldesk`` logger (once); returns the
    file, or None when the folder cannot be created (logging is then left off)."""
    path = log_path()
    if "file" in _installed:
        return path
    try:
        _private_folders(path.parent)
        # Opened here (created 0600) as the handler would, so a file that cannot be
        # written leaves logging off now rather than failing at the first record.
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600))
    except OSError:
        return None
    handler = _LogFileHandler(path)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter())
    logger = logging.getLogger("modeldesk")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    _installed["file"] = handler
    return path


def teardown_logging() -> None:
    """Detach and close the file handler (tests; a process exit closes it anyway)."""
    handler = _installed.pop("file", None)
    if handler is not None:
        logging.getLogger("modeldesk").removeHandler(handler)
        handler.close()
