"""Error classes against the scripted server: quota, Retry-After on 503/529, context
overflow in nine servers' own words, a 200 carrying an error, empty answers, redirects,
HTML error pages, long bodies, compression bombs, and the per-attempt budget."""

from __future__ import annotations

import gzip
import json
import tracemalloc

import pytest

from modeldesk.runtime import runner as runner_module
from modeldesk.runtime.providers.error_classifier import classify, parse_error_body
from tests.runtime.conftest import build_config, run
from tests.support.scripted_server import ScriptedServer, ok, raw, slow, status

# --- context overflow: each server's own wording -------------------------------------------------

# (server, HTTP status, the error body it sends). The wordings are the servers' real ones, as
# reported by their users; the numbers vary.
CONTEXT_OVERFLOWS = [
    (
        "OpenAI",
        400,
        {
            "error": {
                "message": "This model's maximum context length is 4097 tokens. However, your messages resulted "
                "in 5613 tokens. Please reduce the length of the messages.",
                "type": "invalid_request_error",
                "param": "messages",
                "code": "context_length_exceeded",
            }
        },
    ),
    (
        "OpenAI (newer models)",
        400,
        {
            "error": {
                "message": "Input tokens exceed the configured limit of 272000 tokens. Your messages resulted in "
                "509178 tokens. Please reduce the length of the messages.",
                "type": "invalid_request_error",
            }
        },
    ),
    (
        "Anthropic",
        400,
        {
            "type": "error",
            "error": {"type": "invalid_request_error", "message": "prompt is too long: 208656 tokens > 200000 maximum"},
        },
    ),
    (
        "OpenRouter",
        400,
        {
            "error": {
                "message": "This endpoint's maximum context length is 131072 tokens. However, you requested about "
                "141607 tokens (10535 of text input, 131072 in the output). Please reduce the length of either one, "
                'or use the "middle-out" transform to compress your prompt automatically.',
                "code": 400,
                "metadata": {"provider_name": "Chutes"},
            }
        },
    ),
    (
        "Azure OpenAI",
        400,
        {
            "error": {
                "message": "This model's maximum context length is 8192 tokens, however you requested 8977 tokens "
                "(8977 in your prompt; 0 for the completion). Please reduce your prompt; or completion length.",
                "type": "invalid_request_error",
                "param": None,
                "code": "context_length_exceeded",
            }
        },
    ),
    (
        "vLLM",
        400,
        {
            "object": "error",
            "message": "This model's maximum context length is 16384 tokens. However, you requested 122946 tokens "
            "(112946 in the messages, 10000 in the completion). Please reduce the length of the messages or "
            "completion.",
            "type": "BadRequestError",
            "param": None,
            "code": 400,
        },
    ),
    (
        "llama.cpp",
        400,
        {
            "error": {
                "code": 400,
                "message": "request (4476 tokens) exceeds the available context size (4096 tokens)",
                "type": "exceed_context_size_error",
                "n_prompt_tokens": 4476,
                "n_ctx": 4096,
            }
        },
    ),
    (
        "llama.cpp (older)",
        400,
        {
            "error": {
                "code": 400,
                "message": "the request exceeds the available context size, try increasing it",
                "type": "invalid_request_error",
            }
        },
    ),
    ("Ollama", 400, {"error": "the input length exceeds the context length"}),
    (
        "LM Studio",
        400,
        {
            "error": "Trying to keep the first 15857 tokens when context the overflows. However, the model is loaded "
            "with context length of only 4096 tokens, which is not enough. Try to load the model with a larger "
            "context length, or provide a shorter input"
        },
    ),
    (
        "LM Studio (MLX)",
        400,
        {"error": {"message": "Context size has been exceeded.", "type": "invalid_request_error"}},
    ),
    (
        "sglang",
        400,
        {
            "object": "error",
            "message": "The input (150000 tokens) is longer than the model's context length (128000 tokens).",
            "type": "BadRequestError",
            "code": 400,
        },
    ),
    (
        "sglang (requested total)",
        400,
        {
            "object": "error",
            "message": "Requested token count exceeds the model's maximum context length of 4096 tokens. You "
            "requested a total of 5000 tokens: 4000 tokens from the input messages and 1000 tokens for the "
            "completion. Please reduce the number of tokens in the input messages or the completion to fit within "
            "the limit.",
            "type": "BadRequestError",
            "code": 400,
        },
    ),
]


@pytest.mark.parametrize(("server", "code", "body"), CONTEXT_OVERFLOWS, ids=[c[0] for c in CONTEXT_OVERFLOWS])
def test_each_servers_context_overflow_is_recognised(server: str, code: int, body: dict[str, object]) -> None:
    message, err_type, err_code = parse_error_body(json.dumps(body).encode())
    assert classify(code, message, err_type, err_code) == "context_overflow", server


@pytest.mark.parametrize(("server", "code", "body"), CONTEXT_OVERFLOWS[:3], ids=[c[0] for c in CONTEXT_OVERFLOWS[:3]])
def test_a_context_overflow_from_the_wire_moves_to_a_larger_model(
    scripted_server: ScriptedServer, server: str, code: int, body: dict[str, object]
) -> None:
    scripted_server.script("a", raw(code, json.dumps(body).encode()))
    models = [
        {"id": "A", "provider": "p1", "name": "a", "context_window": 4096},
        {"id": "B", "provider": "p1", "name": "b", "context_window": 4096},
        {"id": "C", "provider": "p2", "name": "c", "context_window": 128000},
    ]
    r = run(build_config(scripted_server, models))
    assert r.result.model == "C"
    assert r.result.attempts[0].error_class == "context_overflow"
    assert r.outcomes()[1] == ("B", "skipped")


def test_rate_limit_texts_are_not_context_overflows() -> None:
    assert (
        classify(
            429, "Rate limit reached for gpt-4o on tokens per min (TPM): Limit 30000", "tokens", "rate_limit_exceeded"
        )
        == "rate_limit"
    )


# --- quota -----------------------------------------------------------------------------------------


def test_quota_goes_to_another_provider_at_once_and_cools_down_long(scripted_server: ScriptedServer) -> None:
    from modeldesk.runtime import CooldownTracker

    scripted_server.script(
        "a",
        status(
            429,
            "You exceeded your current quota, please check your plan and billing details.",
            error_type="insufficient_quota",
            error_code="insufficient_quota",
        ),
    )
    tracker = CooldownTracker()
    r = run(build_config(scripted_server), cooldowns=tracker)
    assert r.result.model == "C"
    # No retry on A, and B (same provider, same account) is skipped.
    assert [q.model for q in scripted_server.chat_requests()] == ["a", "c"]
    assert r.outcomes()[:2] == [("A", "failed"), ("B", "skipped")]
    assert r.result.attempts[0].error_class == "quota"
    assert "out of quota" in (r.result.attempts[1].error or "")
    [entry] = tracker.entries("agent")
    assert (entry.model, entry.reason) == ("A", "quota")
    assert 3590 < entry.until - tracker.now() <= 3600  # quota_cooldown_s, not cooldown_s
    assert "A is out of quota: skipped for" in "\n".join(r.lines())


@pytest.mark.parametrize(
    ("code", "message", "err_type", "err_code"),
    [
        (429, "You exceeded your current quota", "insufficient_quota", "insufficient_quota"),
        (
            400,
            "Your credit balance is too low to access the Anthropic API. "
            "Please go to Plans & Billing to upgrade or purchase credits.",
            "invalid_request_error",
            "",
        ),
        (402, "Insufficient credits. Add more using https://openrouter.ai/credits", "", "402"),
        (402, "Insufficient Balance", "unknown_error", "invalid_request_error"),
        (429, "billing_hard_limit_reached", "", "billing_hard_limit_reached"),
    ],
)
def test_quota_is_read_from_the_code_or_wording(code: int, message: str, err_type: str, err_code: str) -> None:
    assert classify(code, message, err_type, err_code) == "quota"


def test_a_plain_429_stays_a_rate_limit() -> None:
    assert classify(429, "Too many requests, slow down", "rate_limit_error", "") == "rate_limit"


# --- Retry-After on 503 and 529 ------------------------------------------------------------------


def test_retry_after_is_honoured_on_503(scripted_server: ScriptedServer) -> None:
    scripted_server.script("a", status(503, retry_after=1.5), ok("Back."))
    r = run(build_config(scripted_server), record_sleeps=True)
    assert r.result.model == "A" and r.sleeps == [1.5]


def test_retry_after_ms_is_honoured_on_529(scripted_server: ScriptedServer) -> None:
    models = [{"id": "X", "provider": "an", "name": "x"}, {"id": "C", "provider": "p2", "name": "c"}]
    scripted_server.script(
        "x",
        raw(
            529,
            b'{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}',
            headers={"retry-after-ms": "250"},
        ),
        ok("Here."),
    )
    r = run(build_config(scripted_server, models), record_sleeps=True)
    assert r.result.model == "X" and r.sleeps == [0.25]


def test_a_503_retry_after_over_the_cap_moves_on(scripted_server: ScriptedServer) -> None:
    scripted_server.script("a", status(503, retry_after=600))
    r = run(build_config(scripted_server), record_sleeps=True)
    assert r.result.model == "B" and r.sleeps == []


def test_a_retry_after_longer_than_the_budget_says_so(scripted_server: ScriptedServer) -> None:
    scripted_server.script("a", status(429, retry_after=30))
    config = build_config(scripted_server, fallback={"max_total_s": 5}, agent_models=["A"])
    r = run(config, record_sleeps=True)
    assert r.result.error is not None and r.result.error["code"] == "budget_exceeded"
    message = r.result.error["message"]
    assert "A asked to wait 30 s (Retry-After), more than the" in message and "max_total_s" in message
    assert "ran out" not in message
    assert r.sleeps == []


# --- a 200 carrying an error, and empty answers --------------------------------------------------


@pytest.mark.parametrize("stream", [True, False])
def test_a_200_with_an_error_body_is_classified_by_that_error(scripted_server: ScriptedServer, stream: bool) -> None:
    body = {
        "error": {
            "message": "You exceeded your current quota",
            "type": "insufficient_quota",
            "code": "insufficient_quota",
        }
    }
    scripted_server.script("a", raw(200, json.dumps(body).encode()))
    r = run(build_config(scripted_server), stream=stream)
    assert r.result.attempts[0].error_class == "quota" and r.result.model == "C"


def test_an_empty_answer_is_retried_then_the_next_model(scripted_server: ScriptedServer) -> None:
    scripted_server.script("a", ok(""), ok(""), ok("   "))
    r = run(build_config(scripted_server), record_sleeps=True)
    assert r.result.model == "B"
    assert [a.error_class for a in r.result.attempts[:3]] == ["empty_answer"] * 3
    assert len(r.sleeps) == 2  # retried with backoff, like any passing failure


def test_an_agent_may_allow_empty_answers(scripted_server: ScriptedServer) -> None:
    scripted_server.script("a", ok(""))
    r = run(build_config(scripted_server, agent_fallback={"allow_empty_answer": True}))
    assert r.result.model == "A" and r.result.text == ""


# --- redirects, HTML pages, long bodies -----------------------------------------------------------


def test_a_redirect_names_the_location_and_suggests_base_url(scripted_server: ScriptedServer) -> None:
    scripted_server.script("a", raw(307, b"", headers={"location": "https://api.example.com/v1/chat/completions"}))
    r = run(build_config(scripted_server))
    assert r.result.model == "C"  # B is on the same (redirecting) provider
    first = r.result.attempts[0]
    assert first.error_class == "redirect" and first.status == 307
    assert "https://api.example.com/v1/chat/completions" in (first.error or "")
    assert "base_url" in (first.error or "")
    assert r.outcomes()[1] == ("B", "skipped")


def test_an_html_error_page_is_summarised(scripted_server: ScriptedServer) -> None:
    page = (
        b"<!DOCTYPE html>\r\n<html><head><title>502 Bad Gateway</title><script>alert(1)</script></head>"
        b"<body><h1>502 Bad Gateway</h1><hr><center>nginx</center></body></html>" + b" " * 4000
    )
    scripted_server.script("a", raw(502, page, content_type="text/html"), raw(502, page, content_type="text/html"))
    scripted_server.script("a", raw(502, page, content_type="text/html"))
    r = run(build_config(scripted_server))
    error = r.result.attempts[0].error or ""
    assert error == "server error: 502 Bad Gateway (HTML page)"
    assert "<" not in error and "script" not in error


def test_an_html_page_without_a_title_uses_the_status_phrase(scripted_server: ScriptedServer) -> None:
    scripted_server.script("a", raw(503, b"<html><body>down</body></html>", content_type="text/html; charset=utf-8"))
    r = run(build_config(scripted_server, agent_fallback={"retries": 0}))
    assert r.result.attempts[0].error == "server error: 503 Service Unavailable (HTML page)"


def test_a_long_error_body_is_capped_with_its_size(scripted_server: ScriptedServer) -> None:
    scripted_server.script("a", raw(400, b"bad input " * 600, content_type="text/plain"))
    r = run(build_config(scripted_server))
    error = r.result.attempts[0].error or ""
    assert len(error) < 260
    assert error.endswith("(body of 6,000 bytes, shortened)")


# --- compression bombs ----------------------------------------------------------------------------


def _peak_during(config: object, **kwargs: object) -> tuple[object, int]:
    tracemalloc.start()
    try:
        r = run(config, **kwargs)  # type: ignore[arg-type]
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return r, peak


def test_a_gzip_bomb_error_body_is_cut_while_decompressing(scripted_server: ScriptedServer) -> None:
    bomb = gzip.compress(b'{"error": {"message": "' + b"a" * (200 << 20), compresslevel=9)
    assert len(bomb) < 1 << 20  # about 200 KiB on the wire for 200 MiB inflated
    scripted_server.script("a", raw(500, bomb, headers={"content-encoding": "gzip"}))
    r, peak = _peak_during(build_config(scripted_server, agent_fallback={"retries": 0}))
    assert r.result.model == "B"  # type: ignore[attr-defined]
    assert peak < 24 << 20, f"peak {peak >> 20} MiB"


@pytest.mark.parametrize("stream", [True, False])
def test_a_gzip_bomb_answer_is_refused_while_decompressing(scripted_server: ScriptedServer, stream: bool) -> None:
    content_type = "text/event-stream" if stream else "application/json"
    bomb = gzip.compress(b"data: " + b"x" * (200 << 20) if stream else b'{"x": "' + b"x" * (200 << 20), compresslevel=9)
    scripted_server.script("a", raw(200, bomb, content_type=content_type, headers={"content-encoding": "gzip"}))
    r, peak = _peak_during(build_config(scripted_server, agent_fallback={"retries": 0}), stream=stream)
    first = r.result.attempts[0]  # type: ignore[attr-defined]
    assert first.error_class == "malformed_response"
    assert "larger than" in (first.error or "") or "longer than" in (first.error or "")
    assert peak < 64 << 20, f"peak {peak >> 20} MiB"


def test_an_honest_gzip_answer_is_read(scripted_server: ScriptedServer) -> None:
    body = json.dumps({"choices": [{"message": {"content": "Zipped."}, "finish_reason": "stop"}]}).encode()
    scripted_server.script("a", raw(200, gzip.compress(body), headers={"content-encoding": "gzip"}))
    r = run(build_config(scripted_server), stream=False)
    assert r.result.text == "Zipped."


# --- a budget for each attempt --------------------------------------------------------------------


def test_a_trickling_model_cannot_eat_the_whole_budget(scripted_server: ScriptedServer) -> None:
    # One token every 0.2 s keeps the idle timer happy forever; the attempt budget ends it.
    scripted_server.script("a", slow("t " * 100, chunks=100, delay=0.2))
    config = build_config(scripted_server, fallback={"attempt_timeout_s": 0.8, "idle_timeout_s": 5, "max_total_s": 30})
    r = run(config)
    assert r.result.model == "B"
    first = r.result.attempts[0]
    assert first.error_class == "too_slow" and "attempt_timeout_s" in (first.error or "")
    assert [q.model for q in scripted_server.chat_requests()] == ["a", "b"]  # no retry of a slow model


def test_a_stream_below_the_minimum_rate_moves_on(
    scripted_server: ScriptedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runner_module, "RATE_GRACE_S", 0.3)
    scripted_server.script("a", slow("x" * 60, chunks=60, delay=0.1))
    config = build_config(scripted_server, fallback={"min_chars_per_s": 50, "idle_timeout_s": 5})
    r = run(config)
    assert r.result.model == "B"
    assert r.result.attempts[0].error_class == "too_slow"
    assert "min_chars_per_s" in (r.result.attempts[0].error or "")


@pytest.mark.parametrize(
    ("encoding", "body"), [("gzip", b"\x1f\x8b\x08\x00 this is not gzip at all"), ("br", b"\x0b\x02\x80hi\x03")]
)
def test_an_error_body_that_cannot_be_decoded_still_classifies_by_status(
    scripted_server: ScriptedServer, encoding: str, body: bytes
) -> None:
    scripted_server.script("a", raw(503, body, headers={"content-encoding": encoding}))
    r = run(build_config(scripted_server, agent_fallback={"retries": 0}))
    assert r.result.model == "B"
    assert (r.result.attempts[0].error_class, r.result.attempts[0].status) == ("server", 503)


@pytest.mark.parametrize("stream", [True, False])
def test_an_answer_that_cannot_be_decoded_is_malformed(scripted_server: ScriptedServer, stream: bool) -> None:
    content_type = "text/event-stream" if stream else "application/json"
    bad = raw(200, b"\x1f\x8b\x08\x00 not gzip", content_type=content_type, headers={"content-encoding": "gzip"})
    scripted_server.script("a", bad)
    r = run(build_config(scripted_server, agent_fallback={"retries": 0}), stream=stream)
    assert r.result.model == "B"
    assert r.result.attempts[0].error_class == "malformed_response"
    assert "cannot be decoded" in (r.result.attempts[0].error or "")
