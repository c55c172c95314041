"""Reading and writing the config file safely.

Guarantees (SPEC §2, §7):

* **Atomic saves.** The new text goes to a temp file in the same folder, is flushed and
  fsynced, then ``os.replace``-d over the old file and the folder is fsynced. A reader, or
  a crash at any moment (even ``kill -9``), sees the old file or the new one, never a mix.
* **No lost updates.** :meth:`ConfigStore.apply` holds an OS lock on a sidecar file
  (``config.json.lock``) while it re-reads the file, applies the edits and writes it, so
  two processes editing at once both keep their changes.
* **A broken file is never overwritten.** A file that cannot be read, parsed or validated
  gives a :class:`ConfigError` naming the place (line and column, or ``agents[3].model``);
  a copy is kept as ``config.json.broken-<timestamp>`` (once per distinct content) and
  every write refuses until the file is fixed.
* **Versions.** A newer ``schema_version`` is refused and the file left untouched. An older
  one is upgraded in memory (:mod:`.migrations`); the first write keeps the original as
  ``config.json.v<N>.bak`` before the upgraded file replaces it.
* **Private.** The file (and every backup) is mode 0600. Key values are never written:
  the format only holds references to where a key lives.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
from pydantic import BaseModel, ValidationError

from . import limits, store_errors
from .errors import ConfigError, ConfigTooNewError, ModelDeskError, StoreError
from .item_texts import DuplicateId, ItemTexts
from .migrations import MigrationError, file_version, migrate
from .paths import policy_path as default_policy_path
from .safe_files import atomic_write, file_lock, remove_stale_temps
from .schema import SCHEMA_VERSION, Config, Policy, dump_config, unique_ids
from .urls import has_credentials
from .validation_text import schema_problems

if TYPE_CHECKING:  # imported where edits are applied: reading a config needs none
    from .edits import Change, Edit

Fingerprint = tuple[int, int, int]


# --- helpers shared with the CLI ----------------------------------------------------


def config_text(obj: BaseModel) -> str:
    """The exact text ModelDesk writes for a config (or policy) object."""
    return _json_text(dump_config(obj))


def _json_text(data: Any) -> str:
    return _json_bytes(data).decode("utf-8")


def _json_bytes(data: Any) -> bytes:
    # The format is json.dumps(indent=2, ensure_ascii=False). With an indent the stdlib
    # falls back to its pure-Python encoder, which was half the cost of saving a
    # 10,000-agent file; orjson writes the same text about 25x faster. It refuses integers
    # beyond 64 bits, which only a hand-edited file could hold: those take the slow path.
    try:
        return orjson.dumps(data, option=orjson.OPT_INDENT_2) + b"\n"
    except orjson.JSONEncodeError:
        return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def _holds_key_value(data: Any) -> bool:
    """True when raw data seems to hold a literal API key (a provider ``api_key`` that is
    not a reference). Such a file is never copied: a backup would spread the secret."""
    if not isinstance(data, dict):
        return False
    for provider in data.get("providers") or []:
        if isinstance(provider, dict) and has_credentials(provider.get("base_url")):
            return True  # a key written into the URL (http://user:KEY@host)
        if isinstance(provider, dict) and "api_key" in provider:
            ref = provider["api_key"]
            if not (
                isinstance(ref, dict)
                and set(ref) <= {"env", "keyring"}
                and all(isinstance(v, str) or v is None for v in ref.values())
            ):
                return True
    return False


# --- the store ----------------------------------------------------------------------


@dataclass(frozen=True)
class Applied:
    """The outcome of :meth:`ConfigStore.apply_edits`."""

    config: Config  # the config as written
    read_fingerprint: Fingerprint | None  # the file the edits were replayed on (None: no file)
    fingerprint: Fingerprint | None  # the file written


@dataclass
class _Loaded:
    """What one read of the file gave: raw bytes, the config, and how it got there."""

    raw: bytes | None  # None: no file
    config: Config
    version: int  # the version found on disk (SCHEMA_VERSION when there is no file)
    fingerprint: Fingerprint | None


class ConfigStore:
    """One config file (and the organization policy beside it)."""

    def __init__(self, path: Path | str, policy_path: Path | str | None = None) -> None:
        self.path = Path(path)
        self.policy_path = Path(policy_path) if policy_path is not None else default_policy_path()
        # See keep_written_config (off unless a long-lived writer asks for it).
        self._keep_written = False
        self._written: tuple[Fingerprint, Config] | None = None  # the config last written, and its file
        # The file this store wrote last: valid and current, so a save over it need not read it.
        self._last_written: Fingerprint | None = None
        self._texts = ItemTexts()  # each item's text, while keeping the written config

    def keep_written_config(self) -> None:
        """For one long-lived writer (the app's save thread): remember the config last
        written, and while the file is still exactly that one (same fingerprint, checked
        under the lock) apply the next edits to it instead of reading, parsing and
        validating the file again; also remember each item's text, as edits replace items
        and never change one in place, so a save dumps only the items replaced
        (:mod:`.item_texts`). A file changed by anyone else is read as
        always. The config returned by :meth:`apply_edits` may then be the one kept: the
        caller must not change it, and calls :meth:`forget_written_config` before it does.
        """
        self._keep_written = True

    def prime_written_config(self, expected: Fingerprint | None) -> None:
        """For the writer that keeps its config (:meth:`keep_written_config`): read and
        validate the file now, while no edit waits on it, so the first save need not.
        Validating 10,000 agents holds the interpreter for ~100 ms, which the GUI thread
        felt on a user's first two edits. Only a file still at ``expected`` (the version
        the caller loaded) is kept; any problem is left for the first save to report."""
        if not self._keep_written or expected is None:
            return
        with self._locked():
            if self._written is not None or self.fingerprint() != expected:
                return
            try:
                current = self._read()
            except ModelDeskError:
                return
            if current.fingerprint != expected or current.version != SCHEMA_VERSION:
                return
            try:
                self._texts.text(current.config)  # each item's text, for the first save
            except DuplicateId:
                return
            self._written = (expected, current.config)
            self._last_written = expected

    def forget_written_config(self) -> None:
        self._written = None

    def __repr__(self) -> str:
        return f"ConfigStore({str(self.path)!r})"

    @property
    def lock_path(self) -> Path:
        # Beside the real file: a config reached through a symlink and through its own
        # path is one file with one lock, or two writers would each replay on a stale copy.
        real = self.path.resolve()
        return real.with_name(real.name + ".lock")

    def exists(self) -> bool:
        return self.path.exists()

    def fingerprint(self) -> Fingerprint | None:
        """A cheap signature of the file on disk, to notice changes made elsewhere."""
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise store_errors.cannot_read(self.path, exc) from None
        return (st.st_mtime_ns, st.st_size, st.st_ino)

    # --- reading ----------------------------------------------------------------------

    def load(self) -> Config:
        """The config on disk (an empty one if the file does not exist; nothing is written).

        An older file is upgraded in memory only. Raises :class:`ConfigTooNewError` or
        :class:`ConfigError` (after keeping a copy of the broken file).
        """
        return self._read().config

    def load_snapshot(self) -> tuple[Config, Fingerprint | None]:
        """The config and the fingerprint of exactly the file it was read from."""
        loaded = self._read()
        return loaded.config, loaded.fingerprint

    def load_policy(self) -> Policy | None:
        """The organization policy, or ``None`` when there is none. Never written."""
        return self._read_policy()[1]

    def load_for_reading(self) -> tuple[Config, Policy | None]:
        """The config and the policy for a command that only reads them (:meth:`load`,
        :meth:`load_policy`), leaving a note that these exact bytes validated
        (:mod:`.fast_read`): the next such command reads them without validating."""
        from .fast_read import remember_valid

        loaded = self._read()
        policy_raw, policy = self._read_policy()
        if loaded.raw is not None and loaded.version == SCHEMA_VERSION:
            remember_valid(self.path, loaded.raw, loaded.config, self.policy_path, policy_raw, policy)
        return loaded.config, policy

    def _read_policy(self) -> tuple[bytes | None, Policy | None]:
        """The policy file's bytes and the policy (``None, None`` when there is none)."""
        try:
            raw = limits.read_file(self.policy_path, f"the organization policy {self.policy_path}")
        except FileNotFoundError:
            return None, None
        except OSError as exc:
            raise store_errors.cannot_read_policy(self.policy_path, exc) from None
        where = f"the organization policy {self.policy_path}"
        data = _parse(raw, where)
        version = data.get("schema_version", SCHEMA_VERSION)
        if isinstance(version, int) and not isinstance(version, bool) and version > SCHEMA_VERSION:
            raise store_errors.policy_too_new(where, version)
        try:
            return raw, Policy.model_validate(data)
        except ValidationError as exc:
            raise store_errors.invalid(where, schema_problems(exc, data)) from None

    def _read(self) -> _Loaded:
        try:
            raw, st = limits.read_file_stat(self.path, str(self.path))
        except FileNotFoundError:
            return _Loaded(None, Config(), SCHEMA_VERSION, None)
        except OSError as exc:
            raise store_errors.cannot_read(self.path, exc) from None
        fingerprint = (st.st_mtime_ns, st.st_size, st.st_ino)
        config = _valid_current(raw)
        if config is not None:
            return _Loaded(raw, config, SCHEMA_VERSION, fingerprint)
        try:
            data = _parse(raw, str(self.path))
            try:
                version = file_version(data)
            except MigrationError as exc:
                raise store_errors.invalid(str(self.path), [str(exc)]) from None
            if version > SCHEMA_VERSION:
                raise store_errors.config_too_new(self.path, version)
            if version < SCHEMA_VERSION:
                try:
                    data = migrate(data)
                except MigrationError as exc:
                    raise store_errors.invalid(
                        str(self.path), [f"cannot upgrade from version {version}: {exc}"]
                    ) from None
            try:
                config = Config.model_validate(data)
            except ValidationError as exc:
                raise store_errors.invalid(str(self.path), schema_problems(exc, data)) from None
        except ConfigTooNewError:
            raise
        except (ConfigError, RecursionError) as caught:
            # RecursionError: nested too deeply for a step after parsing (see limits.py).
            error = (
                caught
                if isinstance(caught, ConfigError)
                else limits.too_deep(raw.decode("utf-8", "replace"), str(self.path))
            )
            raise store_errors.note_not_overwritten(error, self._keep_broken(raw)) from None
        return _Loaded(raw, config, version, fingerprint)

    def _keep_broken(self, raw: bytes) -> Path | None:
        """Copy a broken file beside it, once per distinct content. ``None`` if not copied."""
        try:
            data = json.loads(raw)
        except (ValueError, RecursionError):
            data = None
        if _holds_key_value(data):
            return None
        folder = self.path.parent
        prefix = self.path.name + ".broken-"
        try:
            for existing in sorted(folder.iterdir()):  # not glob: the name may hold [ or *
                if not existing.name.startswith(prefix):
                    continue
                if existing.stat().st_size == len(raw) and existing.read_bytes() == raw:
                    return existing
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
            target = folder / (prefix + stamp)
            counter = 1
            while target.exists():
                target = folder / f"{prefix}{stamp}-{counter}"
                counter += 1
            atomic_write(target, raw)
        except OSError:
            return None  # the error about the file matters more than the copy
        return target

    # --- writing ----------------------------------------------------------------------

    def save(self, config: Config) -> None:
        """Write ``config`` as the whole document, atomically, under the lock.

        Refuses (raises) when the file on disk is broken or newer, so nothing is lost.
        """
        _, text = _checked_text(config)
        with self._locked():
            fingerprint = self.fingerprint()
            if fingerprint is not None and fingerprint == self._last_written:
                # The file is still the one this store wrote (valid, current version): the
                # check that it is not broken or newer was done when it was written.
                current = _Loaded(None, config, SCHEMA_VERSION, fingerprint)
            else:
                current = self._read()
            self._last_written = self._write(current, text)

    def apply(self, *edits: Edit) -> Config:
        """Apply ``edits`` to the file as it is now, under the lock, and return the result.

        The file is re-read inside the lock, so edits made meanwhile by another process are
        kept. If any edit does not fit, nothing is written (:class:`EditError`).
        """
        return self.apply_edits(edits).config

    def apply_edits(self, edits: tuple[Edit, ...] | list[Edit]) -> Applied:
        """:meth:`apply`, also telling which file the edits were replayed on and which was
        written, so a caller holding the config in memory knows whether anyone else
        changed the file since it last looked (then it adopts ``config``)."""
        from .edits import apply_tracked

        with self._locked():
            kept, self._written = self._written, None  # put back only after a clean write
            current: _Loaded | None = None
            if kept is not None and self.fingerprint() == kept[0]:
                current = _Loaded(None, kept[1], SCHEMA_VERSION, kept[0])
            if current is None:
                current = self._read()
            config = current.config
            changes = [apply_tracked(config, edit)[1] for edit in edits]
            # The file was validated as it was read; the edits below re-validate every
            # item they replace, so only what spans items (unique ids) is left to check.
            # An edit type that may change the config some other way gets the full check.
            trusted = all(getattr(edit, "reports_changes", False) for edit in edits)
            # The kept config changed only by these edits since its text was made: what
            # they say they replaced is all there is to dump.
            said = changes if kept is not None and config is kept[1] else None
            text = self._item_text(config, said) if self._keep_written and trusted else None
            if text is not None:
                on_disk = config
            else:
                on_disk, text = _checked_text(config, trusted=trusted)
            written = self._write(current, text)
            # Kept only when the file read was our own last write: then the caller has no
            # reason to adopt the config returned, so it stays the store's alone.
            if self._keep_written and trusted and written is not None and current.fingerprint == self._last_written:
                self._written = (written, on_disk)
            self._last_written = written
            return Applied(on_disk, current.fingerprint, written)

    def _item_text(self, config: Config, changes: list[Change] | None) -> bytes | None:
        """The text from the items' kept texts (None: take the usual path, which also says
        which ids repeat)."""
        try:
            return self._texts.text(config, changes)
        except DuplicateId:
            return None

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        with file_lock(self.lock_path):
            yield

    def _write(self, current: _Loaded, text: bytes) -> Fingerprint | None:
        if current.raw and current.raw.strip() and current.version < SCHEMA_VERSION:
            self._backup_original(current.raw, current.version)
        # A config kept elsewhere and linked here (a dotfiles folder) stays linked: the
        # new text replaces the file the link points to, not the link.
        target = self.path.resolve() if self.path.is_symlink() else self.path
        remove_stale_temps(target)
        try:
            atomic_write(target, text)
        except OSError as exc:
            raise store_errors.cannot_write(self.path, exc) from None
        try:
            return self.fingerprint()
        except StoreError:
            return None

    def _backup_original(self, raw: bytes, version: int) -> None:
        """Keep the pre-upgrade file as ``config.json.v<N>.bak`` (a new name if one with
        other content is there already)."""
        base = self.path.with_name(f"{self.path.name}.v{version}.bak")
        target, counter = base, 1
        try:
            while target.exists():
                if target.read_bytes() == raw:
                    return
                target = base.with_name(f"{base.name}.{counter}")
                counter += 1
            atomic_write(target, raw)
        except OSError as exc:
            raise store_errors.cannot_back_up(self.path, exc) from None


_VERSION_VALUE = re.compile(rb'"schema_version"\s*:\s*([^\s,}\]]*)')


def _valid_current(raw: bytes) -> Config | None:
    """The config in ``raw`` when it is a valid file of the current version, parsed and
    validated in one pass by pydantic's own JSON parser (half the cost of ``json.loads``, a
    nesting check and ``model_validate``); ``None`` for anything else (empty, older, newer,
    broken, too deep, out of a limit), which then takes the careful path and its messages.
    The schema holds no free-form JSON, so nothing nested past the limit can validate."""
    body = raw.removeprefix(b"\xef\xbb\xbf")
    # Pydantic would take `true` or `1.0` for version 1; the careful path refuses them. The
    # key is counted first (a C-speed pass, half a regex's over the whole file): a file
    # naming it twice, even in a value, takes the careful path.
    if body.count(b'"schema_version"') != 1:
        return None
    version = _VERSION_VALUE.search(body)
    if version is None or version.group(1) != b"1":
        return None
    try:
        config = Config.model_validate_json(body)
    except (ValidationError, ValueError, RecursionError):
        return None
    return config if "schema_version" in config.model_fields_set else None


def _parse(raw: bytes, where: str) -> dict[str, Any]:
    if not raw.removeprefix(b"\xef\xbb\xbf").strip():
        return {}  # an empty file (`touch config.json`) holds nothing to lose: defaults apply
    data = limits.parse_json(raw, where)
    if not isinstance(data, dict):
        raise store_errors.not_an_object(where)
    return data


def _checked_text(config: Config, *, trusted: bool = False) -> tuple[Config, bytes]:
    """The text to write and the config it reads back as, after checking it is valid
    (the in-memory object can hold states validation would refuse, e.g. two items with
    one id). ``trusted``: every item was validated as it was put in, so only the ids are
    checked and ``config`` itself is returned (validating 10,000 agents twice per save was
    a third of an edit's cost)."""
    data = dump_config(config)
    if trusted:
        problems = []
        for name in ("providers", "models", "projects", "agents", "squads"):
            try:
                unique_ids(getattr(config, name), name)
            except ValueError as exc:
                problems.append(str(exc))
        if problems:
            raise store_errors.change_invalid(problems)
        return config, _json_bytes(data)
    try:
        checked = Config.model_validate(data)
    except ValidationError as exc:
        raise store_errors.change_invalid(schema_problems(exc, data)) from None
    return checked, _json_bytes(data)
