"""The provider fault matrix: every fault the scripted server can play, on the OpenAI and
the Anthropic API, streaming and not. Each run must end the way the fallback policy says
(the healthy fallback answers, or the run stops with the right code) and within the budget.
The counts are printed, so the CI log shows what was covered."""

from __future__ import annotations

import gzip
import time
from typing import Any

import pytest

from modeldesk.core.schema import Config
from tests.runtime.conftest import run
from tests.support.scripted_server import (
    Behaviour,
    ScriptedServer,
    content_policy,
    context_overflow,
    cut,
    flood,
    hang,
    malformed_json,
    malformed_sse,
    no_done,
    ok,
    raw,
    refusal,
    reset,
    slow,
    stall,
    status,
    stream_error,
)

BUDGET_S = 20.0
RETRIES = 1  # two attempts per model keeps the matrix quick; the policy is the same

ANSWER = ("answer", "B")


def _stop(code: str) -> tuple[str, str]:
    return ("stop", code)


# name -> (behaviour played on every attempt of the primary, how the run must end)
FAULTS: dict[str, tuple[Behaviour, tuple[str, str]]] = {
    "429": (status(429), ANSWER),
    "429 retry-after": (status(429, retry_after=1), ANSWER),
    "quota": (status(429, "You exceeded your current quota", error_type="insufficient_quota"), ANSWER),
    "408": (status(408), ANSWER),
    "500": (status(500), ANSWER),
    "502": (status(502), ANSWER),
    "503": (status(503), ANSWER),
    "503 retry-after": (status(503, retry_after=0.05), ANSWER),
    "504": (status(504), ANSWER),
    "529": (status(529), ANSWER),
    "401": (status(401), ANSWER),
    "403": (status(403), ANSWER),
    "404": (status(404), ANSWER),
    "400 invalid": (status(400, "unknown parameter 'foo'"), _stop("invalid_request")),
    "content policy": (content_policy(), _stop("content_policy")),
    "context overflow": (context_overflow(), ANSWER),
    "redirect 302": (raw(302, b"", headers={"location": "https://elsewhere.example/v1/"}), ANSWER),
    "HTML 502": (raw(502, b"<html><title>502 Bad Gateway</title></html>", content_type="text/html"), ANSWER),
    "hang": (hang(), ANSWER),
    "stall": (stall(), ANSWER),
    "cut": (cut(), ANSWER),
    "error in stream": (stream_error(), ANSWER),
    "no finish": (no_done(), ANSWER),
    "reset": (reset(), ANSWER),
    "malformed JSON": (malformed_json(), ANSWER),
    "malformed SSE": (malformed_sse(), ANSWER),
    "flood": (flood(20 << 20), ANSWER),
    "gzip bomb": (
        raw(200, gzip.compress(b'{"x": "' + b"x" * (64 << 20)), headers={"content-encoding": "gzip"}),
        ANSWER,
    ),
    "empty answer": (ok(""), ANSWER),
    "501": (status(501), ANSWER),
    "refusal": (refusal(), ANSWER),
    "refusal mid-answer": (refusal("I will not write th"), ANSWER),
    "content filter in stream": (
        stream_error("content management policy", error_type="content_filter"),
        _stop("content_policy"),
    ),
    "retry-after garbage": (status(503, headers={"retry-after": "NaN", "retry-after-ms": "-1000"}), ANSWER),
    "x-should-retry false": (status(503, headers={"x-should-retry": "false"}), ANSWER),
    # Streamed one token at a time it uses up its attempt budget; as one whole body it is a
    # plain (quick) answer.
    "trickle": (slow("t " * 200, chunks=200, delay=0.05), ANSWER),
}
WHOLE_BODY_ENDS = {"trickle": ("answer", "A")}


def _config(server: ScriptedServer, api: str) -> Config:
    base_url = server.anthropic_url if api == "anthropic" else server.openai_url
    return Config.model_validate(
        {
            "schema_version": 1,
            "providers": [
                {"id": "first", "kind": api, "base_url": base_url},
                {"id": "second", "kind": api, "base_url": base_url},
            ],
            "models": [
                {"id": "A", "provider": "first", "name": "a", "context_window": 4096},
                {"id": "B", "provider": "second", "name": "b", "context_window": 128000},
            ],
            "settings": {
                "fallback": {
                    "retries": RETRIES,
                    "backoff_base_s": 0.01,
                    "backoff_max_s": 0.02,
                    "jitter": 0,
                    "cooldown_s": 0,
                    "connect_timeout_s": 2,
                    "first_token_timeout_s": 0.5,
                    "idle_timeout_s": 0.5,
                    "attempt_timeout_s": 1.5,
                    "max_total_s": BUDGET_S,
                }
            },
            "agents": [{"id": "agent", "name": "Agent", "model": ["A", "B"]}],
        }
    )


def _ended(result: Any) -> tuple[str, str]:
    if result.ok:
        return ("answer", result.model)
    return ("stop", result.error["code"])


def test_every_fault_on_every_api_and_mode_ends_per_policy_within_the_budget(
    capsys: pytest.CaptureFixture[str],
) -> None:
    cases = passed = 0
    slowest = 0.0
    wrong: list[str] = []
    for api in ("openai", "anthropic"):
        for stream in (True, False):
            for name, (behaviour, usual_end) in FAULTS.items():
                cases += 1
                # A fresh server per case: a hanging handler from one case never meets the next.
                with ScriptedServer() as server:
                    server.script("a", *[behaviour] * (RETRIES + 1))
                    server.script("b", ok("Fallback answer."))
                    started = time.monotonic()
                    r = run(_config(server, api), stream=stream)
                    elapsed = time.monotonic() - started
                slowest = max(slowest, elapsed)
                ended = _ended(r.result)
                expected = usual_end if stream else WHOLE_BODY_ENDS.get(name, usual_end)
                label = f"{api}/{'stream' if stream else 'whole'}/{name}"
                if ended != expected:
                    wrong.append(f"{label}: ended {ended}, expected {expected}; attempts {r.outcomes()}")
                elif elapsed >= BUDGET_S:
                    wrong.append(f"{label}: took {elapsed:.1f} s, over the budget of {BUDGET_S:g} s")
                else:
                    passed += 1
    with capsys.disabled():
        print(
            f"\nfault matrix: {len(FAULTS)} faults x 2 APIs x 2 modes = {cases} runs; "
            f"{passed} ended per policy within the budget ({BUDGET_S:g} s); slowest {slowest:.2f} s"
        )
    assert not wrong, "\n".join(wrong)
    assert cases == len(FAULTS) * 4
