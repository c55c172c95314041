"""Before sending: the request's tokens are estimated (conservatively, counting the requested
max_tokens) and models whose known context window is smaller are skipped with a trace
line, so a long conversation goes straight to a model that can take it."""

from __future__ import annotations

import re

import pytest

from modeldesk.runtime.conversation import Conversation, Message, TextPart
from modeldesk.runtime.events import ModelSkipped
from modeldesk.runtime.policy import estimate_tokens
from tests.support.scripted_server import ScriptedServer

from .conftest import build_config, run

pytestmark = pytest.mark.timeout(30)

LONG = "The quick brown fox jumps over the lazy dog. " * 400  # 18,000 characters, ~4,000 tokens


def _models(small: int | None, big: int | None = 200_000, kind: str = "p1") -> list[dict[str, object]]:
    return [
        {"id": "S", "provider": kind, "name": "small", **({"context_window": small} if small else {})},
        {"id": "L", "provider": "p2", "name": "large", **({"context_window": big} if big else {})},
    ]


def _skip_lines(outcome: object) -> dict[str, str]:
    return {e.model: e.reason for e in outcome.events if isinstance(e, ModelSkipped)}  # type: ignore[attr-defined]


def test_a_long_prompt_goes_straight_to_a_model_that_can_take_it(scripted_server: ScriptedServer) -> None:
    outcome = run(build_config(scripted_server, _models(2048)), LONG)
    assert outcome.result.model == "L"
    assert [r.model for r in scripted_server.chat_requests()] == ["large"]  # nothing sent to the small one
    reason = _skip_lines(outcome)["S"]
    match = re.fullmatch(r"needs ~(\d+) tokens, window 2048", reason)
    assert match, reason
    assert int(match.group(1)) > 4000
    assert outcome.result.attempts[0].outcome == "skipped"


def test_the_requested_max_tokens_counts(scripted_server: ScriptedServer) -> None:
    outcome = run(build_config(scripted_server, _models(4096)), "Hi", max_tokens=8000)
    assert outcome.result.model == "L"
    assert _skip_lines(outcome)["S"].endswith("tokens, window 4096")
    outcome = run(build_config(scripted_server, _models(4096)), "Hi", max_tokens=1000)
    assert outcome.result.model == "S"


def test_the_anthropic_default_max_tokens_counts(scripted_server: ScriptedServer) -> None:
    outcome = run(build_config(scripted_server, _models(1000, kind="an")), "Hi")
    assert outcome.result.model == "L"  # the Messages API is always asked for 1024 tokens


def test_a_model_with_no_known_window_is_tried(scripted_server: ScriptedServer) -> None:
    outcome = run(build_config(scripted_server, _models(None)), LONG)
    assert outcome.result.model == "S"


def test_when_every_window_is_too_small_nothing_is_sent(scripted_server: ScriptedServer) -> None:
    outcome = run(build_config(scripted_server, _models(1024, 2048)), LONG)
    error = outcome.result.error
    assert error is not None and error["code"] == "context_overflow"
    assert "tokens" in error["message"] and "L" in error["message"] and "L 2048" in error["message"]
    assert scripted_server.chat_requests() == []


def test_the_estimate_is_conservative() -> None:
    # Real tokenizers give about 4 characters of English per token, and at least one token
    # per CJK character; the estimate is above both, and counts max_tokens whole.
    assert estimate_tokens(["a" * 4000]) >= 1000
    assert estimate_tokens(["word " * 1000]) >= 1000
    assert estimate_tokens(["漢" * 1000]) >= 1000
    assert estimate_tokens(["Hi"], max_tokens=500) > 500
    assert estimate_tokens(["Hi", "there"]) > estimate_tokens(["Hi there"])  # each message has an overhead


def test_a_whole_conversation_is_counted(scripted_server: ScriptedServer) -> None:
    # The gateway's runs carry a conversation (earlier turns, tool results) instead of a prompt.
    turns = [
        Message("user", (TextPart(LONG),)),
        Message("assistant", (TextPart("Noted."),)),
        Message("user", (TextPart("And now?"),)),
    ]
    conversation = Conversation(turns, max_tokens=100)
    outcome = run(build_config(scripted_server, _models(2048)), "And now?", conversation=conversation)
    assert outcome.result.model == "L"
    assert _skip_lines(outcome)["S"].startswith("needs ~")
    small = Conversation([Message("user", (TextPart("Hi"),))], max_tokens=3000)
    outcome = run(build_config(scripted_server, _models(2048)), "Hi", conversation=small)
    assert outcome.result.model == "L"  # the conversation's own max_tokens counts
