"""When a provider says to try again: ``Retry-After`` (and ``retry-after-ms``) and
``x-should-retry``."""

from __future__ import annotations

import email.utils
import math
import re
import time
from collections.abc import Mapping

# The statuses whose Retry-After says when to try again (SPEC §4): on others it is ignored.
RETRY_AFTER_STATUSES = frozenset({429, 503, 529})


def parse_retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds to wait from ``retry-after-ms`` or ``Retry-After`` (seconds or an HTTP date),
    from a response's headers (names in lower case, as httpx gives them).

    Only a finite, non-negative number or a real date counts: ``-1``, ``NaN``, ``Infinity``,
    an empty value or words are ignored (``None``), so the backoff applies instead.
    """
    millis = _non_negative(headers.get("retry-after-ms", ""))
    if millis is not None:
        return millis / 1000
    value = headers.get("retry-after", "").strip()
    if not value:
        return None
    seconds = _non_negative(value)
    if seconds is not None:
        return seconds
    if not _DATE.match(value):
        return None  # a signed or odd number, or words: not a date either
    try:
        when = email.utils.parsedate_to_datetime(value)
        left = when.timestamp() - time.time()
    except (TypeError, ValueError, OverflowError, IndexError):
        return None
    return max(left, 0.0) if math.isfinite(left) else None


# An HTTP date starts with a day name ("Wed, 21 Oct 2015 07:28:00 GMT", or the obsolete forms).
_DATE = re.compile(r"^[A-Za-z]{3}")
_NUMBER = re.compile(r"^\d+(\.\d+)?$")


def _non_negative(text: str) -> float | None:
    """A plain decimal number ≥ 0 (no sign, exponent, NaN or infinity), else None."""
    text = text.strip()
    if not _NUMBER.match(text) or len(text) > 30:
        return None
    value = float(text)
    return value if math.isfinite(value) else None


def parse_should_retry(headers: Mapping[str, str]) -> bool | None:
    """The provider's ``x-should-retry`` (OpenAI and Anthropic send it): True, False or None."""
    value = headers.get("x-should-retry", "").strip().lower()
    return {"true": True, "false": False}.get(value)
