"""How the gateway answers the runtime's newer stop codes: a request too long for every
model's context window (nothing was sent upstream) and a refusal with on_refusal "stop"
are the client's 400s, with the code naming which."""

from __future__ import annotations

from collections.abc import Callable

import openai
import pytest

from tests.serve.conftest import Running, gateway_config
from tests.support.scripted_server import ScriptedServer, refusal


def test_a_request_too_long_for_every_window_is_a_400(
    start_gateway: Callable[..., Running], scripted_server: ScriptedServer
) -> None:
    config = gateway_config(scripted_server)
    for model in config["models"]:
        model["context_window"] = 1000
    gw = start_gateway(config)
    with pytest.raises(openai.BadRequestError) as caught:
        gw.openai().chat.completions.create(model="chat", messages=[{"role": "user", "content": "word " * 3000}])
    body = caught.value.body
    assert isinstance(body, dict) and body["code"] == "context_overflow"
    assert "tokens" in body["message"]
    assert scripted_server.chat_requests() == []  # nothing was sent upstream


def test_a_refusal_with_on_refusal_stop_is_a_400(
    start_gateway: Callable[..., Running], scripted_server: ScriptedServer
) -> None:
    config = gateway_config(scripted_server)
    config["settings"]["fallback"]["on_refusal"] = "stop"
    gw = start_gateway(config)
    scripted_server.script("a", refusal())
    with pytest.raises(openai.BadRequestError) as caught:
        gw.openai().chat.completions.create(model="chat", messages=[{"role": "user", "content": "Hi"}])
    body = caught.value.body
    assert isinstance(body, dict) and body["code"] == "refusal"
    assert [r.model for r in scripted_server.chat_requests()] == ["a"]
