"""Text from outside (a provider's reply, a file, Redis) made safe to show and to store.

Such text is data: it must never move a terminal's cursor, retitle its window, reorder
what follows it (bidi overrides) or fail to encode (a lone UTF-16 surrogate, as a JSON
``\\ud83d`` split from its pair gives). :func:`clean_text` is the one rule for all of it;
the CLI's output streams, provider error messages and model names from a server all use it.
"""

from __future__ import annotations

import re

# Escape sequences (CSI, OSC, DCS/SOS/PM/APC strings, two-character ESC sequences), then
# any other control character but newline and tab, C1 controls included.
_ESCAPE_SEQUENCE = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI: colours, cursor moves, clear screen
    r"|\x1b[\]PX^_][^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"  # OSC (window title), DCS, SOS, PM, APC
    r"|\x9b[0-?]*[ -/]*[@-~]"  # 8-bit CSI
    r"|[\x9d\x90\x98\x9e\x9f][^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"  # 8-bit OSC, DCS...
    r"|\x1b[ -/]*[0-~]"  # other ESC sequences
)
# Control characters but newline and tab; Unicode's format characters (category Cf: bidi
# embeddings, overrides and isolates, zero-width joiners and spaces, the BOM, soft hyphen,
# invisible operators, tag characters); lone surrogates (text that cannot be encoded).
_UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f"
    "\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e"
    "\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb"
    "\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    "\U000e0001\U000e0020-\U000e007f"
    "\ud800-\udfff]"
)


def escape_unsafe(json_text: str) -> str:
    """JSON text with every character :func:`clean_text` would remove written as a
    ``\\uXXXX`` escape instead: the data stays exactly as it was, the terminal safe.
    (Only JSON text: outside strings such characters cannot occur.)"""
    return _UNSAFE.sub(_json_escape, json_text)


def _json_escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code > 0xFFFF:  # JSON writes such a character as its UTF-16 pair
        code -= 0x10000
        return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"
    return f"\\u{code:04x}"


def clean_text(text: str, *, keep_newlines: bool = True) -> str:
    """``text`` safe for a terminal, a label or a UTF-8 file: escape sequences, control and
    format characters and lone surrogates are removed (newlines and tabs kept unless
    ``keep_newlines`` is false, then they become spaces)."""
    text = _UNSAFE.sub("", _ESCAPE_SEQUENCE.sub("", text))
    if not keep_newlines:
        text = text.replace("\r", " ").replace("\n", " ").replace("\t", " ")
    return text


def one_line(text: str) -> str:
    """``text`` cleaned and on one line, surrounding space dropped (a name or an id)."""
    return " ".join(clean_text(text, keep_newlines=False).split())


def whole_characters(text: str) -> str:
    """``text`` with lone surrogates replaced by U+FFFD, so it always encodes as UTF-8.
    (A matched pair from JSON is joined first: ``\\ud83d\\ude00`` is one emoji.)"""
    if not _SURROGATE.search(text):
        return text
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


_SURROGATE = re.compile("[\ud800-\udfff]")
