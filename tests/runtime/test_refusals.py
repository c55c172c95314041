"""Refusals (an answer the model declined to give) against the scripted server: OpenAI's
``finish_reason: "content_filter"`` and Anthropic's ``stop_reason: "refusal"``, before or
during a stream, with ``on_refusal`` fallback (default) and stop; and an error event in a
200 stream that names a content filter, which stays a content-policy stop."""

from __future__ import annotations

from typing import Any

import pytest

from modeldesk.runtime.events import OutputKept, OutputWithdrawn
from modeldesk.runtime.simulate import parse_simulations
from tests.support.scripted_server import ScriptedServer, ok, refusal, stream_error

from .conftest import build_config, run

pytestmark = pytest.mark.timeout(30)

APIS = {"openai": "p1", "anthropic": "an"}


def _models(api: str) -> list[dict[str, Any]]:
    """A and B on the same provider (of ``api``), C on another."""
    provider = APIS[api]
    return [
        {"id": "A", "provider": provider, "name": "a"},
        {"id": "B", "provider": provider, "name": "b"},
        {"id": "C", "provider": "p2", "name": "c"},
    ]


@pytest.mark.parametrize("stream", [True, False], ids=["stream", "no-stream"])
@pytest.mark.parametrize("api", list(APIS))
@pytest.mark.parametrize("partial", ["", "I cannot help with th"], ids=["before-text", "mid-answer"])
def test_a_refusal_falls_back_to_another_provider_first(
    scripted_server: ScriptedServer, api: str, stream: bool, partial: str
) -> None:
    scripted_server.script("a", refusal(partial))
    scripted_server.script("c", ok("From C."))
    outcome = run(build_config(scripted_server, _models(api)), stream=stream)
    result = outcome.result
    assert result.ok and result.model == "C" and result.text == "From C."
    # Not retried on the same model, and the other provider's model before B.
    assert [r.model for r in scripted_server.chat_requests()] == ["a", "c"]
    refused = result.attempts[0]
    assert (refused.model, refused.outcome, refused.error_class) == ("A", "failed", "refusal")
    assert any(line.startswith("A refused") for line in outcome.lines()), outcome.lines()
    withdrawn = [e for e in outcome.events if isinstance(e, OutputWithdrawn)]
    if partial and stream:
        assert withdrawn and withdrawn[0].model == "A" and withdrawn[0].chars == len(partial)


def test_a_refusal_goes_to_the_same_providers_next_model_when_no_other_is_left(
    scripted_server: ScriptedServer,
) -> None:
    scripted_server.script("a", refusal())
    models = _models("openai")[:2]
    outcome = run(build_config(scripted_server, models))
    assert outcome.result.model == "B"
    assert [r.model for r in scripted_server.chat_requests()] == ["a", "b"]


@pytest.mark.parametrize("where", ["settings", "agent"])
def test_on_refusal_stop_ends_the_run_with_the_refusal_code(scripted_server: ScriptedServer, where: str) -> None:
    scripted_server.script("a", refusal("No."))
    option = {"on_refusal": "stop"}
    config = build_config(
        scripted_server,
        fallback=option if where == "settings" else None,
        agent_fallback=option if where == "agent" else None,
    )
    outcome = run(config)
    assert outcome.result.error is not None and outcome.result.error["code"] == "refusal"
    assert "refused" in outcome.result.error["message"]
    assert outcome.result.text == ""
    assert len(scripted_server.chat_requests()) == 1


def test_refused_text_is_withdrawn_even_when_broken_streams_continue(scripted_server: ScriptedServer) -> None:
    scripted_server.script("a", refusal("Here is how to do the forbidden th", chunks=3))
    scripted_server.script("c", ok("A safe answer."))
    config = build_config(scripted_server, _models("openai"), fallback={"on_stream_break": "continue"})
    outcome = run(config)
    assert outcome.result.text == "A safe answer." and outcome.result.segments == []
    assert not any(isinstance(e, OutputKept) for e in outcome.events)
    assert any(isinstance(e, OutputWithdrawn) for e in outcome.events)
    # The next model was sent the prompt alone, not the refused text to continue.
    messages = scripted_server.chat_requests("c")[0].body["messages"]
    assert all("forbidden" not in str(m.get("content")) for m in messages)


@pytest.mark.parametrize("api", list(APIS))
@pytest.mark.parametrize("stream", [True, False], ids=["stream", "no-stream"])
@pytest.mark.parametrize(
    ("message", "error_type"),
    [
        ("The response was filtered due to the prompt triggering content management policy.", "server_error"),
        ("Output blocked by content filtering policy", "api_error"),
        ("content_filter", "content_filter"),
    ],
)
def test_an_error_event_naming_a_content_filter_is_a_content_policy_stop(
    scripted_server: ScriptedServer, api: str, stream: bool, message: str, error_type: str
) -> None:
    scripted_server.script("a", stream_error(message, error_type=error_type))
    outcome = run(build_config(scripted_server, _models(api)), stream=stream)
    assert outcome.result.error is not None and outcome.result.error["code"] == "content_policy"
    assert len(scripted_server.chat_requests()) == 1
    assert outcome.result.attempts[0].error_class == "content_policy"


def test_an_ordinary_error_event_is_still_a_server_error(scripted_server: ScriptedServer) -> None:
    scripted_server.script("a", stream_error("upstream failed"), ok("Second time."))
    outcome = run(build_config(scripted_server))
    assert outcome.result.model == "A" and outcome.result.attempts[0].error_class == "server"


@pytest.mark.parametrize("api", list(APIS))
@pytest.mark.parametrize("stream", [True, False], ids=["stream", "no-stream"])
def test_a_refusal_can_be_rehearsed(scripted_server: ScriptedServer, api: str, stream: bool) -> None:
    scripted_server.script("c", ok("From C."))
    simulation = parse_simulations(["A=refusal"])
    outcome = run(build_config(scripted_server, _models(api)), stream=stream, simulate=simulation)
    assert outcome.result.model == "C" and outcome.result.text == "From C."
    refused = outcome.result.attempts[0]
    assert (refused.error_class, refused.simulated) == ("refusal", "refusal")
    assert [r.model for r in scripted_server.chat_requests()] == ["c"]  # the refusal never left the process
