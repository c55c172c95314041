"""What a usable key value is, wherever it is read (an environment variable, the OS
keyring, `providers set-key`'s stdin or prompt, the app's key field).

Surrounding whitespace is dropped (an env file with CRLF endings, a keyring entry or a
piped key ending in a newline). What is left must be printable ASCII: a key holding a
control or non-ASCII character cannot go into an HTTP header, and the HTTP library's
complaint would quote the key. Such a key is refused with a message that never contains
it. A usable key is remembered for redaction (:mod:`modeldesk.core.redaction`).
"""

from __future__ import annotations

from .redaction import remember


class UnusableKey(ValueError):
    """A key value that cannot be sent; the message names the problem, never the value."""


def clean_key(value: str, where: str) -> str:
    """``value`` without surrounding whitespace, remembered for redaction; raises
    :class:`UnusableKey` (saying what is wrong with the key in ``where``) when it holds a
    control or non-ASCII character."""
    key = value.strip()
    # The whole value is redacted from now on, whatever is wrong with it.
    remember(value)
    remember(key)
    bad = next((i for i, ch in enumerate(key) if not " " <= ch <= "~"), None)
    if bad is not None:
        kind = "a control character" if ord(key[bad]) < 0x20 or ord(key[bad]) == 0x7F else "a non-ASCII character"
        raise UnusableKey(
            f"the key in {where} holds {kind} (at character {bad + 1} of {len(key)}); "
            "a key is printable ASCII: store it again without that character"
        )
    return key


# How provider keys begin (OpenAI, Anthropic, Groq, xAI, Google, Fireworks, Hugging Face,
# Replicate, Perplexity, NVIDIA, Cerebras, GitHub): a name given where a key's *name*
# belongs that starts like this is a key.
_KEY_PREFIXES = (
    "sk-",
    "sk_",
    "gsk_",
    "xai-",
    "AIza",
    "fw_",
    "hf_",
    "r8_",
    "pplx-",
    "nvapi-",
    "csk-",
    "ghp_",
    "github_pat_",
)


def looks_like_key(name: str) -> bool:
    """True when ``name``, given as the name of an environment variable or keyring entry,
    is more likely a key itself: a known key prefix, or a long mix of upper and lower
    case letters and digits (variable names are words, mostly in capitals)."""
    text = name.strip()
    if text.startswith(_KEY_PREFIXES):
        return True
    mixed = any(c.islower() for c in text) and any(c.isupper() for c in text) and any(c.isdigit() for c in text)
    return len(text) >= 20 and mixed
