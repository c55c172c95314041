"""What the attacks share: a real key, every form in which it could leak, and the CLI run as
a real process with a chosen environment."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote, quote_plus

from tests.core.helpers import REPO

# Every character class a real key holds, and the ones escapers change: '/', '+', '=', '~'.
KEY = "sk-proj-Att4ck/Key+Value=0123456789~abcdefXYZ"
PIECE = 8  # any run of this many characters of a key counts as a leak


def key_forms(key: str = KEY) -> dict[str, str]:
    """The key as it could be written anywhere: as is, in either case, repr- and
    JSON-escaped, with PHP's `\\/`, URL-encoded, base64 (plain, URL-safe, HTTP Basic)."""
    b64 = base64.b64encode
    return {
        "raw": key,
        "upper": key.upper(),
        "lower": key.lower(),
        "repr": repr(key)[1:-1],
        "json": json.dumps(key)[1:-1],
        "php": json.dumps(key)[1:-1].replace("/", "\\/"),
        "url": quote(key, safe=""),
        "url-plus": quote_plus(key),
        "base64": b64(key.encode()).decode().rstrip("="),
        "base64-url": base64.urlsafe_b64encode(key.encode()).decode().rstrip("="),
        "basic": b64(f"user:{key}".encode()).decode().rstrip("="),
    }


def leaks(text: str | bytes, key: str = KEY) -> list[str]:
    """The forms of ``key`` found in ``text``, and any piece of PIECE or more characters of
    it (raw or in the forms above) — empty when the text holds none."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    found = [name for name, form in key_forms(key).items() if form in text]
    if not found:
        for start in range(len(key) - PIECE + 1):
            if key[start : start + PIECE] in text:
                found.append(f"piece {key[start : start + PIECE]!r}")
                break
    return found


def modeldesk(
    *args: str, env: dict[str, str] | None = None, input: str | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """`python -m modeldesk ARGS` as a real process, the test environment plus ``env``."""
    full_env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO / "desktop"), str(REPO)]), **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "modeldesk", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=full_env,
        input=input,
        cwd=REPO,
    )


def write(path: Path, data: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return path
