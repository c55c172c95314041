"""One error type for every way a provider call can fail.

Whatever went wrong (an HTTP status, a refused connection, a timeout, a broken stream),
the provider layer raises :class:`ProviderError` with an ``error_class`` the fallback
policy understands. Messages are for people and never contain a secret: every message
built from a provider's reply passes through :func:`redact` with the keys in use.
"""

from __future__ import annotations

from typing import Literal, get_args

from modeldesk.core.redaction import redact as redact_text

ErrorClass = Literal[
    "rate_limit",
    "quota",
    "server",
    "timeout",
    "connection",
    "context_overflow",
    "auth",
    "not_found",
    "invalid_request",
    "content_policy",
    "refusal",
    "not_implemented",
    "malformed_response",
    "empty_answer",
    "too_slow",
    "redirect",
    "no_key",
    "cancelled",
]
ERROR_CLASSES: tuple[str, ...] = get_args(ErrorClass)

# How each class reads in an event line ("A failed: 429 rate limited").
LABELS: dict[str, str] = {
    "rate_limit": "rate limited",
    "quota": "quota exhausted",
    "server": "server error",
    "timeout": "timed out",
    "connection": "connection failed",
    "context_overflow": "context length exceeded",
    "auth": "not authorised",
    "not_found": "model not found",
    "invalid_request": "invalid request",
    "content_policy": "blocked by content policy",
    "refusal": "refused",
    "not_implemented": "not implemented",
    "malformed_response": "malformed response",
    "empty_answer": "empty answer",
    "too_slow": "too slow",
    "redirect": "redirected",
    "no_key": "no API key",
    "cancelled": "cancelled",
}

# Longest provider text kept in a message: enough to act on, short enough for one line.
MAX_DETAIL_CHARS = 200


class ProviderError(Exception):
    """A failed provider call.

    ``status`` is the HTTP status when there was one; ``retry_after`` the server's
    Retry-After in seconds when it sent a valid one (on 429, 503 or 529); ``should_retry``
    the server's ``x-should-retry`` header (``None`` when it sent none).
    """

    def __init__(
        self,
        error_class: ErrorClass,
        message: str,
        *,
        status: int | None = None,
        retry_after: float | None = None,
        should_retry: bool | None = None,
    ) -> None:
        super().__init__(message)
        self.error_class: ErrorClass = error_class
        self.status = status
        self.message = message
        self.retry_after = retry_after
        self.should_retry = should_retry
        # Set by the runner when the attempt was cut by the run's total budget.
        self.budget_spent = False

    @classmethod
    def make(
        cls,
        error_class: ErrorClass,
        detail: str = "",
        *,
        status: int | None = None,
        retry_after: float | None = None,
        should_retry: bool | None = None,
        secrets: tuple[str, ...] = (),
    ) -> ProviderError:
        """Build an error whose message is the class label plus the (redacted) detail."""
        label = LABELS[error_class]
        detail = shorten(redact(detail, secrets))
        message = f"{label}: {detail}" if detail and detail.lower() != label else label
        return cls(error_class, message, status=status, retry_after=retry_after, should_retry=should_retry)

    def __repr__(self) -> str:
        return f"ProviderError({self.error_class!r}, {self.message!r}, status={self.status!r})"


def redact(text: str, secrets: tuple[str, ...] | list[str] = ()) -> str:
    """``text`` with every key this process has read (and ``secrets``), in any form or
    piece, replaced by ``***`` (see :mod:`modeldesk.core.redaction`)."""
    return redact_text(text, secrets)


def shorten(text: str, limit: int = MAX_DETAIL_CHARS) -> str:
    """``text`` on one line and at most ``limit`` characters, redacted first: a key cut
    short would no longer be recognised."""
    text = " ".join(redact_text(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
