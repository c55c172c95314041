"""A systemd user unit that keeps `modeldesk serve` running for one config file.

The unit lives at ``$XDG_CONFIG_HOME/systemd/user/modeldesk-serve.service`` (else
``~/.config/...``). It names this Python and the absolute config path, so the service runs
the same ModelDesk and the same file whatever the shell's environment was. A service does
not see the variables of a login shell: provider keys kept in environment variables go in
the optional ``EnvironmentFile`` beside the config (keys in the OS keyring need nothing).
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from modeldesk.core.errors import ModelDeskError
from modeldesk.core.history import HISTORY_ENV
from modeldesk.core.safe_files import remove_files

from .serve_control import ServeOptions, gateway_command

UNIT_NAME = "modeldesk-serve.service"
# Optional: `KEY=value` lines for keys the config reads from environment variables.
ENV_FILE_NAME = "serve.env"


class UnitError(ModelDeskError):
    """The unit cannot be written as asked (a path systemd cannot hold, an unwritable folder)."""

    code = "service_unit"


def user_unit_dir() -> Path:
    """``$XDG_CONFIG_HOME/systemd/user``, else ``~/.config/systemd/user`` (where
    ``systemctl --user`` looks for the user's own units)."""
    base = os.environ.get("XDG_CONFIG_HOME", "").strip()
    root = Path(base) if base and os.path.isabs(base) else Path.home() / ".config"
    return root / "systemd" / "user"


def unit_path() -> Path:
    return user_unit_dir() / UNIT_NAME


@dataclass(frozen=True)
class ServeUnit:
    """What the service runs: ``python -m modeldesk --config CONFIG serve ...``."""

    config: Path
    options: ServeOptions = field(default_factory=ServeOptions)
    python: str = sys.executable

    def argv(self) -> list[str]:
        return gateway_command(self.config, self.options, python=self.python)

    def env_file(self) -> Path:
        return self.config.parent / ENV_FILE_NAME

    def text(self, environ: dict[str, str] | None = None) -> str:
        """The unit file. ``MODELDESK_HISTORY`` is carried over from ``environ`` (default:
        this process's) so the service records into the history the app shows."""
        env = os.environ if environ is None else environ
        lines = [
            "[Unit]",
            f"Description=ModelDesk gateway for {_plain(str(self.config))}",
            "",
            "[Service]",
            "Type=exec",
            f"ExecStart={exec_line(self.argv())}",
            # The dash: the file is optional.
            f"EnvironmentFile=-{_specifiers(str(self.env_file()))}",
        ]
        history = env.get(HISTORY_ENV, "").strip()
        if history:
            lines.append(f"Environment={_quote(f'{HISTORY_ENV}={os.path.abspath(history)}', dollars=False)}")
        lines += [
            # SIGTERM ends the gateway cleanly (open streams get an error event, exit 0).
            "KillSignal=SIGTERM",
            "Restart=on-failure",
            "RestartSec=3",
            "",
            "[Install]",
            "WantedBy=default.target",
            "",
        ]
        return "\n".join(lines)


def exec_line(argv: Sequence[str]) -> str:
    """``argv`` as an ExecStart value: each word quoted only when systemd needs it."""
    return " ".join(_quote(arg, dollars=True) for arg in argv)


_NEEDS_QUOTES = re.compile(r"[\s\"'\\;]")


def _check(value: str) -> None:
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value):
        raise UnitError(f"A systemd unit cannot hold {value!r}: it has a control character or a line break.")


def _specifiers(value: str) -> str:
    _check(value)
    return value.replace("%", "%%")


def _quote(value: str, *, dollars: bool) -> str:
    """One word for a unit file: ``%`` specifiers (and ``$`` expansion in ExecStart)
    escaped, double quotes around it when it holds a space, quote, backslash or ``;``."""
    escaped = _specifiers(value)
    if dollars:
        escaped = escaped.replace("$", "$$")
    if not escaped or _NEEDS_QUOTES.search(escaped):
        escaped = '"' + escaped.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return escaped


def _plain(value: str) -> str:
    """Free text (the description): specifiers escaped, nothing else to quote."""
    return _specifiers(value)


def write_unit(unit: ServeUnit) -> Path:
    """Write the unit atomically (0644: systemd reads it; it holds no secret) and return
    its path."""
    target = unit_path()
    text = unit.text()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        temp = target.with_name(f".{target.name}.tmp")
        with open(temp, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, 0o644)
        os.replace(temp, target)
    except OSError as exc:
        raise UnitError(f"Cannot write {target}: {exc.strerror or exc}") from None
    return target


def remove_unit() -> list[Path]:
    """Remove the unit and the links ``systemctl --user enable`` made to it (so no
    dangling link is left); what was removed, empty when there was nothing."""
    target = unit_path()
    links = [p for p in target.parent.glob(f"*.wants/{UNIT_NAME}") if p.is_symlink()]
    return remove_files([target, *links], UnitError)
