"""The log file: ``modeldesk.log`` in the platform's log folder (``~/.local/state/modeldesk/log``
on Linux), rotated at 1 MiB with 3 old files kept. It records run attempts (the same lines
the app and the CLI show), errors and unexpected exceptions — never a key: every record
passes through a filter that masks anything shaped like a secret.

Kept free of Qt and of the runtime so every entry point can set it up cheaply.
"""

from __future__ import annotations

import io
import logging
import logging.handlers
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


class _PrivateFileHandler(logging.handlers.RotatingFileHandler):
    """The rotating handler, its files (the first and every rotated one) created 0600."""

    def _open(self) -> io.TextIOWrapper:
        descriptor = os.open(self.baseFilename, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        return open(descriptor, "a", encoding=self.encoding, errors=self.errors)


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
        handler = _PrivateFileHandler(path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8")
    except OSError:
        return None
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
