"""What a failure is: the error class of an HTTP status and the provider's error body
(or an error event inside a stream), and the few words a person reads about it."""

from __future__ import annotations

import contextlib
import json
import os
import re
import socket
from http import HTTPStatus
from typing import Any

from modeldesk.core.limits import deeper_than

from ..errors import ErrorClass, redact
from .bounded_body import MAX_REPLY_NESTING

REDIRECTS = frozenset({301, 302, 303, 307, 308})


def looks_like_html(body: bytes, content_type: str = "") -> bool:
    if content_type.split(";")[0].strip().lower() in ("text/html", "application/xhtml+xml"):
        return True
    head = body[:512].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html", b"<head", b"<body"))


_TITLE = re.compile(rb"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)


def html_summary(status: int, body: bytes) -> str:
    """ "502 Bad Gateway (HTML page)": the page's title, else the status's reason phrase."""
    match = _TITLE.search(body[:8192])
    title = " ".join(match.group(1).decode("utf-8", errors="replace").split()) if match else ""
    title = re.sub(r"[^\w .,:;()/'*-]", "", redact(title))[:80]  # plain words (and *** for a key) only
    if not title:
        with contextlib.suppress(ValueError):
            title = f"{status} {HTTPStatus(status).phrase}"
    return f"{title or status} (HTML page)"


def capped(message: str, size: int, *, truncated: bool = False, limit: int = 200) -> str:
    """``message`` on one line; when long, its start and a note of the whole body's size."""
    text = " ".join(redact(message).split())
    if len(text) <= limit and not truncated:
        return text
    total = f"more than {size >> 10} KiB" if truncated else f"{size:,} bytes"
    return f"{text[: limit - 40].rstrip()}… (body of {total}, shortened)"


def parse_error_body(body: bytes) -> tuple[str, str, str]:
    """(message, type, code) from an OpenAI- or Anthropic-style error body, or plain text."""
    text = body.decode("utf-8", errors="replace").strip()
    if deeper_than(text, MAX_REPLY_NESTING):
        return "error body nested too deeply to read", "", ""
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        return text[:500], "", ""
    return error_fields(data)


def error_fields(data: Any) -> tuple[str, str, str]:
    if isinstance(data, dict):
        err = data.get("error", data)
        if isinstance(err, dict):
            return str(err.get("message") or ""), str(err.get("type") or ""), str(err.get("code") or "")
        if isinstance(err, str):
            return err, "", ""
    return "", "", ""


# How servers say "the prompt does not fit" (their exact wordings are in the tests):
# OpenAI/Azure/vLLM "maximum context length is N tokens", OpenRouter "This endpoint's
# maximum context length", Anthropic "prompt is too long", llama.cpp "exceeds the available
# context size" (type exceed_context_size_error), Ollama "the input length exceeds the
# context length", LM Studio "when context the overflows" / "Context size has been
# exceeded", sglang "is longer than the model's context length" / "exceeds the model's
# maximum context length", newer OpenAI "Input tokens exceed the configured limit".
_CONTEXT_PATTERNS = re.compile(
    r"context_length_exceeded|exceed_context_size|maximum context length|context window"
    r"|prompt is too long|input is too long|too many tokens|context size has been exceeded"
    r"|exceeds? the (available )?context (size|length)|longer than the model'?s context length"
    r"|when context the overflows|input tokens exceed the configured limit|context length of only"
    r"|exceeds? (the )?(model'?s? )?(maximum|max)",
    re.IGNORECASE,
)
_POLICY_PATTERNS = re.compile(
    r"content[_ ]policy|content[_ ]filter|content management policy|safety system", re.IGNORECASE
)
# Quota, billing and credit errors: the account is out of money, not briefly over a rate.
# Decided by the provider's code or wording, never by the status alone (a 429 is usually a
# passing rate limit; OpenAI's insufficient_quota also comes as a 429).
_QUOTA_CODES = frozenset(
    {
        "insufficient_quota",
        "billing_hard_limit_reached",
        "billing_not_active",
        "insufficient_balance",
        "insufficient_credits",
        "credits_exhausted",
    }
)
_QUOTA_PATTERNS = re.compile(
    r"exceeded your current quota|credit balance is too low|insufficient (credits|balance|funds|quota)"
    r"|billing (hard )?limit|out of credits|purchase (more )?credits",
    re.IGNORECASE,
)


def classify(status: int, message: str = "", err_type: str = "", code: str = "") -> ErrorClass:
    """The error class for an HTTP status plus the provider's error text."""
    words = " ".join((message, err_type, code))
    if status == 402 or code.lower() in _QUOTA_CODES or err_type.lower() in _QUOTA_CODES:
        return "quota"
    if _QUOTA_PATTERNS.search(words):
        return "quota"
    if status in REDIRECTS:
        return "redirect"
    # Some servers report an overlong prompt with a 5xx; the text decides.
    if (status in (400, 413, 422) or status >= 500) and _CONTEXT_PATTERNS.search(words):
        return "context_overflow"
    if status == 429:
        return "rate_limit"
    if status in (401, 403):
        return "auth"
    if status == 404:
        return "not_found"
    if status == 408:
        return "timeout"
    if status == 501:
        return "not_implemented"  # the server lacks the feature: asking again will not help
    if status >= 500:
        return "server"
    if _POLICY_PATTERNS.search(words):
        return "content_policy"
    return "invalid_request"


def classify_stream_error(data: dict[str, Any]) -> tuple[ErrorClass, int | None, str]:
    """An error sent inside a 200 stream: pick a status from its type or code."""
    message, err_type, code = error_fields(data)
    status = _TYPE_STATUS.get(err_type) or _TYPE_STATUS.get(code)
    if status is None and code.isdigit():
        status = int(code)
    error_class = classify(status or 500, message, err_type, code)
    if error_class in ("server", "invalid_request") and _POLICY_PATTERNS.search(" ".join((message, err_type, code))):
        # A filter's error event comes with no status of its own (or a generic one): its
        # words decide, as they do for the same error in a 400.
        error_class = "content_policy"
    return error_class, status, message or err_type or "error in stream"


# Anthropic's error types, and the codes OpenAI-compatible servers put in stream errors.
_TYPE_STATUS = {
    "invalid_request_error": 400,
    "authentication_error": 401,
    "permission_error": 403,
    "not_found_error": 404,
    "request_too_large": 413,
    "rate_limit_error": 429,
    "rate_limit_exceeded": 429,
    "api_error": 500,
    "server_error": 500,
    "overloaded_error": 529,
    "context_length_exceeded": 400,
    "exceed_context_size_error": 400,
    "insufficient_quota": 429,
}


_ERRNO_IN_TEXT = re.compile(r"\[Errno (\d{1,4})\]")


def os_reason(exc: BaseException) -> str:
    """The most specific reason in the exception chain ("Connection refused" rather than
    anyio's "All connection attempts failed")."""
    seen: BaseException | None = exc
    while seen is not None:
        for candidate in (seen, *getattr(seen, "exceptions", ())):  # groups: happy eyeballs
            if isinstance(candidate, socket.gaierror):
                # A name that does not resolve is a DNS matter, not "Unknown error -2".
                return f"DNS lookup failed: {candidate.strerror or 'the host name does not resolve'}"
            if isinstance(candidate, OSError) and isinstance(candidate.errno, int):
                return os.strerror(candidate.errno)
            # Python 3.11's asyncio, when every address of a host failed, raises one OSError
            # without an errno whose text joins the attempts' ("Multiple exceptions:
            # [Errno 111] Connect call failed ('::1', 9, 0, 0), [Errno 111] …").
            if isinstance(candidate, OSError) and (errno := _ERRNO_IN_TEXT.search(str(candidate))):
                return os.strerror(int(errno.group(1)))
        seen = seen.__cause__ or seen.__context__
    text = redact(str(exc)) or type(exc).__name__
    return text.splitlines()[0][:160]


_PHRASES = {
    400: "bad request",
    401: "unauthorized",
    403: "forbidden",
    404: "not found",
    408: "request timeout",
    429: "too many requests",
    500: "internal server error",
    502: "bad gateway",
    503: "service unavailable",
    504: "gateway timeout",
    529: "overloaded",
}


def reason_phrase(status: int) -> str:
    return _PHRASES.get(status, "")
