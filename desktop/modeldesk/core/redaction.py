"""Keeping keys out of text: the one redaction step every sink applies before it shortens,
reformats or writes anything (terminal, JSON, history, log, dialogs, app views).

A key is remembered (:func:`remember`) by whatever reads it, for the life of the process;
:func:`redact` then replaces, in any text, every run of characters that matches a piece
of :data:`PIECE` or more characters of the key in any of the forms it takes in text: as is
(any case), repr-, JSON- and HTML-escaped, with PHP's ``\\/``, URL-encoded, and base64
(standard, URL-safe, and inside HTTP Basic's ``user:key``). A piece is redacted as much as
a whole key: 49 characters of a 51-character key give it away.

This module imports nothing of ModelDesk, so every layer can use it.
"""

from __future__ import annotations

import base64
import html
import json
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import quote, quote_plus, unquote

MASK = "***"
# The shortest piece of a key that counts as the key: long enough that ordinary words do
# not match by chance, short enough that no useful part of a key gets through.
PIECE = 8

_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def _fold(text: str) -> str:
    """ASCII letters in lower case; every other character kept, so positions match."""
    return text.translate(_ASCII_LOWER)


@dataclass(frozen=True)
class _Forms:
    """The pieces of one secret to look for: folded (any case) and exact."""

    folded: frozenset[str]
    exact: frozenset[str]
    # Secrets shorter than PIECE (a local server's "EMPTY" or "ollama"): matched exactly and
    # as a whole word only, so the ordinary word in other text is left alone.
    whole: tuple[str, ...]


def _base64_runs(raw: bytes) -> set[str]:
    """Base64 text that depends only on the key's bytes, for each way the key can fall
    across base64's 3-byte groups (after a user name in HTTP Basic, say): the groups that
    mix in neighbouring bytes are left out."""
    runs: set[str] = set()
    for encode in (base64.b64encode, base64.urlsafe_b64encode):
        for offset in (0, 1, 2):
            text = encode(b"\0" * offset + raw).decode("ascii")
            whole_groups = (offset + len(raw)) // 3
            runs.add(text[4 if offset else 0 : 4 * whole_groups])
            if offset == 0:
                runs.add(text.rstrip("="))
    return runs


def _grams(text: str) -> set[str]:
    return {text[i : i + PIECE] for i in range(len(text) - PIECE + 1)}


def _forms(secret: str) -> _Forms:
    escaped = json.dumps(secret, ensure_ascii=True)[1:-1]
    folded_texts = {
        secret,
        repr(secret)[1:-1],
        escaped,
        escaped.replace("/", "\\/"),
        html.escape(secret),
        quote(secret, safe=""),
        quote(secret),
        quote_plus(secret),
    }
    folded: set[str] = set()
    for form in folded_texts:
        folded |= _grams(_fold(form))
    exact: set[str] = set()
    for run in _base64_runs(secret.encode("utf-8")):
        exact |= _grams(run)
    whole = tuple(form for form in folded_texts if 0 < len(form) < PIECE)
    return _Forms(frozenset(folded), frozenset(exact - folded), whole)


class _Registry:
    """The secrets this process has read. Thread-safe: keys are read on worker threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._forms: dict[str, _Forms] = {}
        self._all: _Forms | None = None  # every remembered secret's pieces, combined

    def add(self, secret: str) -> None:
        if secret and secret not in self._forms:
            forms = _forms(secret)
            with self._lock:
                self._forms[secret] = forms
                self._all = _combined(list(self._forms.values()))

    def forms(self, extra: Iterable[str] = ()) -> _Forms | None:
        """Every piece to look for, or None when there is no secret."""
        if not extra:
            # One attribute read needs no lock: ``add`` replaces the combined pieces whole
            # (most calls come here: text checked for the keys already read).
            return self._all
        with self._lock:
            known, combined = self._forms, self._all
            more = [s for s in extra if s and s not in known]
        if not more:
            return combined
        return _combined([*([combined] if combined else []), *(_forms(s) for s in more)])

    def clear(self) -> None:
        with self._lock:
            self._forms = {}
            self._all = None


_REGISTRY = _Registry()


def remember(secret: str) -> None:
    """Redact ``secret`` from all text this process redacts from now on."""
    _REGISTRY.add(secret)


def forget_all() -> None:
    """Forget every remembered secret (tests)."""
    _REGISTRY.clear()


def _combined(forms: list[_Forms]) -> _Forms:
    if len(forms) == 1:
        return forms[0]
    return _Forms(
        frozenset().union(*(f.folded for f in forms)),
        frozenset().union(*(f.exact for f in forms)),
        tuple(w for f in forms for w in f.whole),
    )


def _spans(text: str, form: _Forms) -> list[tuple[int, int]]:
    """The merged (start, end) runs of ``text`` made of secret pieces."""
    folded_text = _fold(text)
    folded, exact = form.folded, form.exact
    spans = [
        (i, i + PIECE)
        for i in range(len(text) - PIECE + 1)
        if folded_text[i : i + PIECE] in folded or text[i : i + PIECE] in exact
    ]
    for whole in form.whole:
        start = text.find(whole)
        while start != -1:
            end = start + len(whole)
            if not (start > 0 and text[start - 1].isalnum()) and not (end < len(text) and text[end].isalnum()):
                spans.append((start, end))
            start = text.find(whole, start + 1)
    spans.sort()
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _replace(text: str, spans: list[tuple[int, int]]) -> str:
    out: list[str] = []
    last = 0
    for start, end in spans:
        out += [text[last:start], MASK]
        last = end
    out.append(text[last:])
    return "".join(out)


def redact(text: str, extra: Iterable[str] = ()) -> str:
    """``text`` with every remembered secret (and those in ``extra``), in any of its
    forms or any piece of PIECE or more characters of one, replaced by ``***``."""
    forms = _REGISTRY.forms(extra)
    if forms is None or not text:
        return text
    return _replace(text, _spans(text, forms))


class StreamRedactor:
    """Redacts text that arrives in pieces (a streamed answer), so a key split across
    pieces is caught: each :meth:`feed` returns what is safe to show now, holding back
    the end that could still be the start of a secret; :meth:`flush` returns the rest."""

    def __init__(self, extra: Iterable[str] = ()) -> None:
        self._extra = tuple(extra)
        self._held = ""

    def feed(self, text: str) -> str:
        forms = _REGISTRY.forms(self._extra)
        if forms is None:
            held, self._held = self._held, ""
            return held + text
        buffer = self._held + text
        spans = _spans(buffer, forms)
        longest_whole = max((len(w) for w in forms.whole), default=0)
        cut = max(len(buffer) - max(PIECE - 1, longest_whole - 1), 0)
        # A run that reaches the held-back end may go on in the next piece.
        for start, end in spans:
            if end > cut:
                cut = min(cut, start)
        self._held = buffer[cut:]
        return _replace(buffer[:cut], [s for s in spans if s[1] <= cut])

    def flush(self) -> str:
        held, self._held = self._held, ""
        return redact(held, self._extra)


def url_without_password(url: str) -> str:
    """``url`` with the password of its ``user:password@`` part shown as ``***`` (a Redis
    URL, shown by `settings show` and in warnings)."""
    scheme, sep, rest = url.partition("://")
    authority, slash, path = rest.partition("/")
    if not sep or "@" not in authority:
        return url
    userinfo, _, host = authority.rpartition("@")
    user = userinfo.split(":", 1)[0] if ":" in userinfo else ""
    return (
        f"{scheme}://{user}:{MASK}@{host}{slash}{path}" if ":" in userinfo else f"{scheme}://{MASK}@{host}{slash}{path}"
    )


def remember_url_password(url: str) -> None:
    """Redact the password of a ``user:password@`` URL from all text from now on."""
    authority = url.partition("://")[2].partition("/")[0]
    userinfo = authority.rpartition("@")[0]
    password = userinfo.split(":", 1)[1] if ":" in userinfo else userinfo  # redis://password@host
    if password:
        remember(password)
        remember(unquote(password))  # as written (percent-encoded) and as sent
