"""Providers over real HTTP: the Anthropic Messages API, keys from env and keyring (and
never leaked), error classification, Retry-After, SSE parsing, model lists and checks."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from itertools import pairwise
from typing import Any

import httpx
import keyring
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modeldesk.core.schema import Provider
from modeldesk.runtime import run_agent
from modeldesk.runtime.errors import ProviderError, redact
from modeldesk.runtime.provider_probe import check_provider, check_providers, list_models
from modeldesk.runtime.providers.error_classifier import classify
from modeldesk.runtime.providers.retry_after import parse_retry_after
from modeldesk.runtime.secrets import StaticSecrets
from tests.support.memory_keyring import MemoryKeyring, installed_memory_keyring
from tests.support.scripted_server import TEST_KEY, ScriptedServer, hang, ok, status, stream_error

from .conftest import CANCEL_TURNS, DEAD_URL, build_config, run, turns_to_finish

pytestmark = pytest.mark.timeout(30)

ANTHROPIC_MODELS = [
    {"id": "S", "provider": "an", "name": "claude-s", "context_window": 200000},
    {"id": "H", "provider": "an", "name": "claude-h"},
    {"id": "A", "provider": "p1", "name": "a"},
]


# --- Anthropic --------------------------------------------------------------------------------


@pytest.mark.parametrize("stream", [True, False])
def test_anthropic_answer_with_key_version_and_usage(
    keyed_server: ScriptedServer, stream: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANTHROPIC_TEST_KEY", TEST_KEY)
    providers = [
        {
            "id": "an",
            "kind": "anthropic",
            "base_url": keyed_server.anthropic_url,
            "api_key": {"env": "ANTHROPIC_TEST_KEY"},
        }
    ]
    keyed_server.script("claude-s", ok("Bonjour", chunks=3, usage=(11, 4)))
    config = build_config(keyed_server, ANTHROPIC_MODELS[:1], providers=providers, instruction="Be kind.")
    r = run(config, stream=stream)
    assert (
        r.result.ok and r.result.text == "Bonjour" and r.result.usage == {"prompt_tokens": 11, "completion_tokens": 4}
    )
    request = keyed_server.chat_requests()[0]
    assert request.path == "/v1/messages" and request.authorized is True
    assert request.headers["anthropic-version"] == "2023-06-01"
    assert request.headers["x-api-key"] == "<redacted>" and "authorization" not in request.headers
    assert request.body["system"] == "Be kind." and request.body["max_tokens"] == 1024
    assert request.body["messages"] == [{"role": "user", "content": "Hello?"}]


@pytest.mark.parametrize("stream", [True, False])
def test_anthropic_errors_map_like_the_others(scripted_server: ScriptedServer, stream: bool) -> None:
    scripted_server.script(
        "claude-s", status(529, "Overloaded"), status(400, "prompt is too long: 210000 tokens > 200000 maximum")
    )
    scripted_server.script("claude-l", stream_error("Overloaded", error_type="overloaded_error"), ok("Done"))
    models = [*ANTHROPIC_MODELS[:2], {"id": "L", "provider": "an", "name": "claude-l", "context_window": 1000000}]
    r = run(build_config(scripted_server, models, fallback={"retries": 1}), stream=stream, record_sleeps=True)
    assert [(a.model, a.outcome, a.status, a.error_class) for a in r.result.attempts] == [
        ("S", "failed", 529, "server"),
        ("S", "failed", 400, "context_overflow"),
        ("H", "skipped", None, None),  # window unknown after an overflow
        ("L", "failed", 529, "server"),  # an overloaded_error event in a 200 answer
        ("L", "answered", 200, None),
    ]
    assert r.result.model == "L" and r.result.text == "Done"
    assert {r.path for r in scripted_server.chat_requests()} == {"/v1/messages"}


# --- keys ---------------------------------------------------------------------------------------


def _keyed_config(server: ScriptedServer, api_key: dict[str, str]) -> Any:
    providers = [
        {"id": "p1", "kind": "openai", "base_url": server.openai_url, "api_key": api_key},
        {"id": "p2", "kind": "openai", "base_url": server.openai_url},
    ]
    return build_config(server, providers=providers)


def test_key_from_the_environment_is_sent_as_a_bearer_token(
    keyed_server: ScriptedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MD_TEST_KEY", TEST_KEY)
    r = run(_keyed_config(keyed_server, {"env": "MD_TEST_KEY"}))
    assert r.result.model == "A"
    request = keyed_server.chat_requests()[0]
    assert request.authorized is True and request.headers["authorization"] == "<redacted>"


def test_key_from_the_os_keyring(keyed_server: ScriptedServer) -> None:
    with installed_memory_keyring({("modeldesk", "scripted"): TEST_KEY}):
        r = run(_keyed_config(keyed_server, {"keyring": "scripted"}))
    assert r.result.model == "A" and keyed_server.chat_requests()[0].authorized is True


def test_a_broken_keyring_is_an_auth_error_not_a_crash(
    scripted_server: ScriptedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(service: str, entry: str) -> str:
        raise RuntimeError("no D-Bus session")

    monkeypatch.setattr(keyring, "get_password", broken)
    r = run(_keyed_config(scripted_server, {"keyring": "scripted"}))
    assert r.result.model == "C"
    assert r.result.attempts[0].error == (
        "not authorised: cannot read keyring entry 'scripted': the OS keyring could not be used"
    )


def test_no_keyring_on_the_machine_is_said_in_words(scripted_server: ScriptedServer) -> None:
    """The keyring library's own "no backend" keyring (what a machine without a Secret
    Service gets): the attempt says so, not the library's class name."""
    from keyring.backends import fail

    before = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        r = run(_keyed_config(scripted_server, {"keyring": "scripted"}))
    finally:
        keyring.set_keyring(before)
    assert r.result.model == "C"
    assert r.result.attempts[0].error == (
        "not authorised: cannot read keyring entry 'scripted': there is no OS keyring on this computer "
        "(no Secret Service, KWallet or Keychain is running)"
    )


def test_a_missing_key_fails_that_provider_without_sending(
    scripted_server: ScriptedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MD_MISSING_KEY", raising=False)
    r = run(_keyed_config(scripted_server, {"env": "MD_MISSING_KEY"}))
    assert r.result.model == "C"
    # Skipped, not failed: nothing was sent, and the message names the variable.
    assert r.outcomes()[:2] == [("A", "skipped"), ("B", "skipped")]
    assert r.result.attempts[0].error_class == "no_key"
    assert (
        r.result.attempts[0].error
        == "no API key: provider 'p1' has no key on this machine: environment variable MD_MISSING_KEY is not set"
    )
    assert "environment variable MD_MISSING_KEY is not set" in (r.result.attempts[1].error or "")
    assert "cooldown_started" not in r.kinds()
    assert [m.model for m in scripted_server.chat_requests()] == ["c"]


def test_a_key_is_never_printed_logged_or_put_in_errors(
    keyed_server: ScriptedServer, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    wrong = "sk-wrong-KEY-that-the-server-echoes-42"
    monkeypatch.setenv("MD_TEST_KEY", wrong)
    caplog.set_level(logging.DEBUG)
    r = run(_keyed_config(keyed_server, {"env": "MD_TEST_KEY"}))
    # The server echoes the wrong key in its 401 (as real providers quote keys); it is redacted.
    assert r.result.attempts[0].status == 401
    assert "***" in (r.result.attempts[0].error or "")
    everything = repr(r.result.to_json()) + "".join(e.describe() + repr(e) for e in r.events) + caplog.text
    assert wrong not in everything
    assert all(wrong not in str(v) for req in keyed_server.requests for v in req.headers.values())


def test_static_secrets_and_redact() -> None:
    from modeldesk.core.schema import ApiKeyRef

    source = StaticSecrets({"env:X": "v1", "keyring:y": "v2"})
    assert source.get(ApiKeyRef(env="X")) == "v1" and source.get(ApiKeyRef(keyring="y")) == "v2"
    assert source.get(ApiKeyRef(env="Z")) is None
    assert redact("key v1 and v1", ["v1", ""]) == "key *** and ***"


# --- classification -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status_code", "message", "err_type", "code", "expected"),
    [
        (429, "", "", "", "rate_limit"),
        (429, "You exceeded your current quota", "insufficient_quota", "insufficient_quota", "quota"),
        (500, "", "", "", "server"),
        (529, "Overloaded", "overloaded_error", "", "server"),
        (503, "", "", "", "server"),
        (408, "", "", "", "timeout"),
        (401, "", "", "", "auth"),
        (403, "", "", "", "auth"),
        (404, "", "", "", "not_found"),
        (400, "This model's maximum context length is 8192 tokens", "", "context_length_exceeded", "context_overflow"),
        (400, "prompt is too long: 210000 tokens > 200000 maximum", "invalid_request_error", "", "context_overflow"),
        (400, "Requested tokens (600) exceed context window of 512", "", "", "context_overflow"),
        (500, "input is too long for requested model", "", "", "context_overflow"),
        (400, "rejected by our safety system", "", "content_policy_violation", "content_policy"),
        (400, "Output blocked by content filtering policy", "", "content_filter", "content_policy"),
        (400, "messages: field required", "invalid_request_error", "", "invalid_request"),
        (422, "", "", "", "invalid_request"),
        (418, "", "", "", "invalid_request"),
        (599, "", "", "", "server"),
    ],
)
def test_classify(status_code: int, message: str, err_type: str, code: str, expected: str) -> None:
    assert classify(status_code, message, err_type, code) == expected


def test_retry_after_forms() -> None:
    assert parse_retry_after(httpx.Headers({"retry-after": "3"})) == 3
    assert parse_retry_after(httpx.Headers({"retry-after": "1.5"})) == 1.5
    assert parse_retry_after(httpx.Headers({"retry-after-ms": "250", "retry-after": "9"})) == 0.25
    assert parse_retry_after(httpx.Headers({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"})) == 0  # in the past
    assert parse_retry_after(httpx.Headers({"retry-after": "soon"})) is None
    assert parse_retry_after(httpx.Headers({})) is None


def test_provider_error_messages() -> None:
    error = ProviderError.make("rate_limit", "rate limited", status=429)
    assert error.message == "rate limited" and repr(error) == "ProviderError('rate_limit', 'rate limited', status=429)"
    long = ProviderError.make("server", "x" * 500)
    assert len(long.message) < 230 and long.message.endswith("…")


# --- the parser fed exact bytes -----------------------------------------------------------------
# These feed the provider's parser byte sequences a real server would not produce on demand,
# through httpx's in-memory transport; everything over real HTTP uses the scripted server.


def _fixed_body(body: bytes, content_type: str) -> httpx.MockTransport:
    """Answers every request with 200 and exactly ``body``."""
    return httpx.MockTransport(
        lambda request: httpx.Response(200, headers={"content-type": content_type}, content=body)
    )


async def _chat(body: bytes, content_type: str = "text/event-stream") -> list[Any]:
    from modeldesk.runtime.providers import ChatRequest, OpenAIProvider

    provider = Provider(id="p", kind="openai", base_url="http://x/v1")
    async with httpx.AsyncClient(transport=_fixed_body(body, content_type)) as client:
        return [c async for c in OpenAIProvider(provider, client, None).chat(ChatRequest("m", "hi"))]


def test_sse_with_crlf_comments_and_multiline_data() -> None:
    body = (
        b": keep-alive\r\n\r\n"
        b'data: {"choices": [{"delta": {"content": "Hel"}}]}\r\n\r\n'
        b'event: message\r\ndata: {"choices": \r\n'
        b'data: [{"delta": {"content": "lo"}, "finish_reason": "stop"}]}\r\n\r\n'
        b"data: [DONE]"
    )
    chunks = asyncio.run(_chat(body))
    assert [getattr(c, "text", None) for c in chunks] == ["Hel", "lo", None]


def test_a_json_answer_to_a_stream_request_is_accepted() -> None:
    body = b'{"choices": [{"message": {"content": "Whole"}, "finish_reason": "stop"}]}'
    chunks = asyncio.run(_chat(body, "application/json"))
    assert chunks[0].text == "Whole"


def test_a_finish_reason_without_done_is_a_complete_answer() -> None:
    body = b'data: {"choices": [{"delta": {"content": "ok"}, "finish_reason": "stop"}]}\n\n'
    chunks = asyncio.run(_chat(body))
    assert chunks[0].text == "ok" and type(chunks[-1]).__name__ == "Finished"


def test_an_overlong_line_is_malformed() -> None:
    with pytest.raises(ProviderError, match="line longer than 1 MiB"):
        asyncio.run(_chat(b"data: " + b"x" * (2 << 20)))


# --- model lists and checks ---------------------------------------------------------------------


def test_list_models_openai_and_anthropic(scripted_server: ScriptedServer) -> None:
    scripted_server.model_names = ["gpt-a", "gpt-b"]
    openai = Provider(id="p", kind="openai", base_url=scripted_server.openai_url)
    anthropic = Provider(id="q", kind="anthropic", base_url=scripted_server.anthropic_url)
    assert [m.id for m in asyncio.run(list_models(openai))] == ["gpt-a", "gpt-b"]
    listed = asyncio.run(list_models(anthropic))
    assert [(m.id, m.label) for m in listed] == [("gpt-a", "Gpt-A"), ("gpt-b", "Gpt-B")]
    assert scripted_server.requests[-1].headers["anthropic-version"] == "2023-06-01"


def test_check_reports_latency_count_and_errors(scripted_server: ScriptedServer) -> None:
    scripted_server.model_names = ["m1"]
    good = Provider(id="good", kind="openai", base_url=scripted_server.openai_url)
    dead = Provider(id="dead", kind="openai", base_url=DEAD_URL)
    results = asyncio.run(check_providers([good, dead]))
    assert results[0].ok and results[0].model_count == 1 and results[0].latency_ms is not None
    assert not results[1].ok and results[1].error_class == "connection"
    assert results[1].to_json()["error"]["message"].startswith("connection failed")


def test_check_times_out_on_a_hanging_provider(scripted_server: ScriptedServer) -> None:
    scripted_server.script_models(hang())
    provider = Provider(id="p", kind="openai", base_url=scripted_server.openai_url)
    result = asyncio.run(check_provider(provider, timeout_s=0.3))
    assert not result.ok and result.error_class == "timeout"


def test_check_with_a_wrong_key(keyed_server: ScriptedServer) -> None:
    provider = Provider(id="p", kind="openai", base_url=keyed_server.openai_url, api_key={"env": "MD_K"})
    result = asyncio.run(check_provider(provider, secrets=StaticSecrets({"env:MD_K": "nope-nope-nope"})))
    assert not result.ok and result.status == 401 and result.error_class == "auth"
    assert "nope-nope-nope" not in (result.error or "")


# --- SSE framing is independent of how the bytes arrive (in-memory, as above) -------------------


async def _chat_pieces(pieces: list[bytes]) -> str:
    from modeldesk.runtime.providers import ChatRequest, OpenAIProvider, TextChunk

    async def body() -> Any:
        for piece in pieces:
            yield piece

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=body())

    provider = Provider(id="p", kind="openai", base_url="http://x/v1")
    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        chunks = [c async for c in OpenAIProvider(provider, client, None).chat(ChatRequest("m", "hi"))]
    return "".join(c.text for c in chunks if isinstance(c, TextChunk))


@given(
    words=st.lists(st.text(st.characters(blacklist_categories=["Cs"]), min_size=1, max_size=8), min_size=1, max_size=6),
    newline=st.sampled_from([b"\n", b"\r\n", b"\r"]),
    cuts=st.lists(st.integers(0, 4000), max_size=12),
)
@settings(max_examples=150, deadline=None)
def test_sse_text_is_the_same_however_the_stream_is_split(words: list[str], newline: bytes, cuts: list[int]) -> None:
    events = [json.dumps({"choices": [{"delta": {"content": w}}]}) for w in words] + ["[DONE]"]
    raw = b"".join(b": ping" + newline * 2 + b"data: " + e.encode() + newline * 2 for e in events)
    points = sorted({c % (len(raw) + 1) for c in cuts} | {0, len(raw)})
    pieces = [raw[a:b] for a, b in pairwise(points)]
    assert asyncio.run(_chat_pieces(pieces)) == "".join(words)


# --- a keyring that blocks (D-Bus stuck, unlock prompt open) --------------------------------


class _BlockingKeyring(MemoryKeyring):
    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()

    def get_password(self, service: str, username: str) -> str | None:
        self.release.wait(20)
        return TEST_KEY


def test_a_blocking_keyring_neither_freezes_the_loop_nor_delays_a_cancel(keyed_server: ScriptedServer) -> None:
    ring = _BlockingKeyring()
    config = _keyed_config(keyed_server, {"keyring": "scripted"})

    async def scenario() -> None:
        task = asyncio.create_task(run_agent(config, "agent", "Hi"))
        ticks = 0
        for _ in range(20):  # the loop keeps running while the keyring is stuck
            await asyncio.sleep(0.01)
            ticks += 1
        assert ticks == 20 and not task.done()
        task.cancel()
        assert await turns_to_finish(task) <= CANCEL_TURNS  # the stuck read is not waited for
        with pytest.raises(asyncio.CancelledError):
            await task
        ring.release.set()  # the abandoned read finishes on its own thread; nothing is sent
        await asyncio.sleep(0.1)
        assert keyed_server.chat_requests() == []

    with installed_memory_keyring():  # put back the suite's keyring afterwards
        keyring.set_keyring(ring)
        asyncio.run(scenario())


def test_a_keyring_read_is_bounded_by_the_check_timeout(scripted_server: ScriptedServer) -> None:
    ring = _BlockingKeyring()
    provider = Provider(id="p", kind="openai", base_url=scripted_server.openai_url, api_key={"keyring": "scripted"})
    with installed_memory_keyring():  # put back the suite's keyring afterwards
        keyring.set_keyring(ring)
        result = asyncio.run(check_provider(provider, timeout_s=0.3))
    ring.release.set()
    assert not result.ok and result.error_class == "timeout"


def test_openai_model_list_reads_each_servers_window_and_tolerates_odd_fields() -> None:
    from modeldesk.runtime.providers import OpenAIProvider

    body = json.dumps(
        {
            "data": [
                {"id": "router", "name": "Router Model", "context_length": 32768},
                {"id": "vllm", "max_model_len": 8192},
                {"id": "llama", "meta": {"n_ctx_train": 2048}},
                {"id": "odd", "name": 7, "meta": "not an object"},
                {"no": "id"},
            ]
        }
    ).encode()
    provider = Provider(id="p", kind="openai", base_url="http://x/v1")

    async def listed() -> list[Any]:
        async with httpx.AsyncClient(transport=_fixed_body(body, "application/json")) as client:
            return await OpenAIProvider(provider, client, None).list_models()

    assert [(m.id, m.label, m.context_window) for m in asyncio.run(listed())] == [
        ("router", "Router Model", 32768),
        ("vllm", None, 8192),
        ("llama", None, 2048),
        ("odd", None, None),
    ]


def test_a_long_line_in_small_pieces_is_parsed_whole() -> None:
    # A 1 MB answer in one SSE line, arriving 256 bytes at a time (bench/bench_sse.py
    # measures that the parser's cost stays linear in this case).
    line = b"data: " + json.dumps({"choices": [{"delta": {"content": "x" * 1_000_000}}]}).encode() + b"\r\n\r\n"
    pieces = [line[i : i + 256] for i in range(0, len(line), 256)] + [b"data: [DONE]\r\n\r\n"]
    assert asyncio.run(_chat_pieces(pieces)) == "x" * 1_000_000


class _RawServer:
    """A real socket on 127.0.0.1 that reads one request with one recv() and answers it
    with ``reply``, then holds the connection open until released."""

    def __init__(self, reply: bytes) -> None:
        import socket

        self.reply = reply
        self.received = b""
        self.release = threading.Event()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        conn, _ = self.listener.accept()
        with conn:
            self.received = conn.recv(1 << 20)
            conn.sendall(self.reply)
            self.release.wait(30)

    def close(self) -> None:
        self.release.set()
        self.thread.join(30)
        self.listener.close()


def _chat_with(server: _RawServer, stream: bool) -> list[Any]:
    from modeldesk.runtime.providers import ChatRequest, OpenAIProvider, new_client

    provider = Provider(id="p", kind="openai", base_url=f"http://127.0.0.1:{server.port}/v1")

    async def chat() -> list[Any]:
        async with new_client(5.0) as client:
            request = ChatRequest("m", "hi", stream=stream)
            return [c async for c in OpenAIProvider(provider, client, None).chat(request)]

    try:
        return asyncio.run(chat())
    finally:
        server.close()


def test_a_request_goes_out_in_one_write() -> None:
    """Headers and body leave together: the server's first read holds the whole request."""
    body = b'{"choices": [{"message": {"content": "Whole"}, "finish_reason": "stop"}]}'
    server = _RawServer(
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: %d\r\n\r\n%s" % (len(body), body)
    )
    chunks = _chat_with(server, stream=False)
    assert chunks[0].text == "Whole"
    head, _, sent_body = server.received.partition(b"\r\n\r\n")
    assert head.startswith(b"POST /v1/chat/completions HTTP/1.1")
    assert json.loads(sent_body)["messages"] == [{"role": "user", "content": "hi"}]


def test_a_stream_kept_open_after_its_end_mark_still_ends() -> None:
    """Reading on to the body's end after [DONE] (to keep the connection) is bounded: a
    server that never ends the body does not hold the answer back."""
    event = b'data: {"choices": [{"delta": {"content": "ok"}, "finish_reason": "stop"}]}\n\ndata: [DONE]\n\n'
    server = _RawServer(
        b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n"
        b"%x\r\n%s\r\n" % (len(event), event)  # no last chunk: the body stays open
    )
    chunks = _chat_with(server, stream=True)
    assert chunks[0].text == "ok" and type(chunks[-1]).__name__ == "Finished"
