"""End to end with a real model through the gateway: the SmolLM2-135M model served by
llama-cpp-python (see tests/runtime/test_real_model.py) answers the official OpenAI and
Anthropic SDKs through `modeldesk serve`, after the agent's primary (nothing listens
there) fails."""

from __future__ import annotations

from pathlib import Path

import anthropic
import openai
import pytest

from modeldesk.core.history import HistoryStore
from modeldesk.serve.server import BackgroundGateway
from tests.runtime.test_real_model import _config, llama_server  # noqa: F401 (fixture)

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]


def test_a_real_model_answers_both_sdks_through_the_gateway(
    llama_server: str,  # noqa: F811 (fixture)
    tmp_path: Path,
) -> None:
    path = _config(tmp_path, llama_server)
    with BackgroundGateway(path, history=HistoryStore(tmp_path / "history.sqlite3")) as gateway:
        client = openai.OpenAI(base_url=f"{gateway.url}/v1", api_key="x", max_retries=0, timeout=240)
        with (
            client,
            client.chat.completions.with_streaming_response.create(
                model="greeter", messages=[{"role": "user", "content": "Say hello"}], max_tokens=24, stream=True
            ) as response,
        ):
            assert response.headers["x-modeldesk-model"] == "smollm2"
            text = "".join(c.choices[0].delta.content or "" for c in response.parse() if c.choices)
        assert text.strip()
        with anthropic.Anthropic(base_url=gateway.url, api_key="x", max_retries=0, timeout=240) as claude:
            message = claude.messages.create(
                model="greeter", max_tokens=24, messages=[{"role": "user", "content": "Say hello"}]
            )
        assert message.content and message.content[0].type == "text" and message.content[0].text.strip()
        assert message.usage.output_tokens > 0
