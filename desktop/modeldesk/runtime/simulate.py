"""Rehearsing an outage: faults injected in front of the real HTTP transport, and the
in-process ``simulated`` provider.

Both work below the providers, so a simulated fault goes through exactly the code a real
one does: the provider parses the (synthetic) response, maps it to an error class, and
the runner and policy decide as they would for the real thing.

- :class:`FaultTransport` sits in front of the run's transport. For the model (or the
  provider) being tried it answers every chat request with the chosen fault instead of
  passing it on: ``429``, ``429:retry-after=N``, ``500``, ``503``, ``529``, ``timeout``,
  ``reset``, ``context``, ``auth``, ``quota``, ``cut:N`` (N characters, then the connection
  breaks), ``empty`` (a complete answer with no text) and ``refusal`` (a few words, then
  OpenAI's ``finish_reason: "content_filter"`` / Anthropic's ``stop_reason: "refusal"``). It records what it injected so
  the timeline can say which failures were simulated.
- :class:`SimulatorTransport` answers requests to :data:`SIMULATED_HOST` in-process with a
  short streamed answer in the OpenAI wire format: the ``simulated`` provider kind uses it,
  so the sample workspace works offline. A simulated model whose provider-side name is
  ``fail-FAULT`` (``fail-429``, ``fail-cut:12``) always fails that way.

The app's "Simulate" panel and ``modeldesk run --simulate MODEL=FAULT`` both build a
:class:`Simulation` with :func:`parse_simulations` and pass it to ``run_agent``.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx

from .faults import FAULTS as FAULTS
from .faults import Fault as Fault
from .faults import Simulation as Simulation
from .faults import parse_fault as parse_fault
from .faults import parse_simulations as parse_simulations
from .faults import unknown_targets as unknown_targets

SIMULATED_HOST = "simulated.invalid"  # .invalid never resolves: nothing can leave the process
FAIL_PREFIX = "fail-"


class FaultTransport(httpx.AsyncBaseTransport):
    """In front of the real transport: chat requests of the targeted model get the fault."""

    def __init__(self, inner: httpx.AsyncBaseTransport, simulation: Simulation) -> None:
        self.inner = inner
        self.simulation = simulation
        self.target: tuple[str, str] | None = None  # (model id, provider id) being tried, set by the runner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        fault = self.simulation.fault_for(*self.target) if self.target is not None else None
        if fault is None or request.method != "POST":
            return await self.inner.handle_async_request(request)
        assert self.target is not None
        self.simulation.injected.append((self.target[0], fault.spec))
        return fault_response(fault, request)

    async def aclose(self) -> None:
        await self.inner.aclose()


def _request_info(request: httpx.Request) -> tuple[str, bool, str]:
    """(api, stream, model name) of a chat request."""
    api = "anthropic" if request.url.path.endswith("/messages") else "openai"
    try:
        body = json.loads(request.content or b"{}")
    except ValueError:
        body = {}
    body = body if isinstance(body, dict) else {}
    return api, bool(body.get("stream")), str(body.get("model") or "")


def _error(
    status: int, api: str, message: str, *, kind: str = "", code: str = "", headers: Any = None
) -> httpx.Response:
    if api == "anthropic":
        data: dict[str, Any] = {"type": "error", "error": {"type": kind or "api_error", "message": message}}
    else:
        data = {"error": {"message": message, "type": kind or None, "code": code or None}}
    return httpx.Response(status, json=data, headers=headers)


def fault_response(fault: Fault, request: httpx.Request) -> httpx.Response:
    """The response (or the exception) a server with this fault would give."""
    api, stream, name = _request_info(request)
    kind = fault.kind
    if kind == "timeout":
        raise httpx.ReadTimeout("simulated timeout", request=request)
    if kind == "reset":
        raise httpx.RemoteProtocolError("simulated connection reset", request=request)
    if kind == "429":
        headers = {"retry-after": f"{fault.retry_after:g}"} if fault.retry_after is not None else None
        return _error(
            429, api, "simulated rate limit", kind="rate_limit_error", code="rate_limit_exceeded", headers=headers
        )
    if kind in ("500", "503", "529"):
        status = int(kind)
        anthropic_kind = "overloaded_error" if status == 529 else "api_error"
        return _error(status, api, f"simulated {status}", kind=anthropic_kind if api == "anthropic" else "server_error")
    if kind == "context":
        if api == "anthropic":
            return _error(
                400, api, "prompt is too long: 210000 tokens > 200000 maximum (simulated)", kind="invalid_request_error"
            )
        return _error(
            400,
            api,
            "This model's maximum context length is 4096 tokens. However, your messages resulted in 9000 tokens. "
            "(simulated)",
            kind="invalid_request_error",
            code="context_length_exceeded",
        )
    if kind == "auth":
        return _error(401, api, "simulated: invalid API key", kind="authentication_error", code="invalid_api_key")
    if kind == "quota":
        if api == "anthropic":
            return _error(400, api, "Your credit balance is too low (simulated)", kind="invalid_request_error")
        return _error(
            429,
            api,
            "You exceeded your current quota (simulated)",
            kind="insufficient_quota",
            code="insufficient_quota",
        )
    if kind == "empty":
        return answer_response(api, stream, "", name)
    if kind == "refusal":
        return answer_response(api, stream, "I can't help with", name, refused=True)
    # cut:N — N characters, then the connection breaks
    text = ("Simulated partial answer that breaks off. " * (fault.cut_after // 40 + 1))[: fault.cut_after]
    return answer_response(api, stream, text, name, cut=True)


def answer_response(
    api: str, stream: bool, text: str, name: str, *, cut: bool = False, refused: bool = False
) -> httpx.Response:
    """A complete (or, with ``cut``, broken; with ``refused``, refused) answer holding ``text``,
    in the API's wire format."""
    if not stream:
        if cut:
            return httpx.Response(200, headers={"content-type": "application/json"}, stream=_Broken([b'{"choices": [']))
        return httpx.Response(200, json=_completion(api, text, name, refused=refused))
    events = _events(api, text, name, refused=refused)
    if cut:
        events = events[: -(3 if api == "anthropic" else 2)]  # everything up to the end of the text
    return httpx.Response(200, headers={"content-type": "text/event-stream"}, stream=_Broken(events, broken=cut))


def _completion(api: str, text: str, name: str, *, refused: bool = False) -> dict[str, Any]:
    tokens = max(len(text) // 4, 0)
    if api == "anthropic":
        return {
            "type": "message",
            "role": "assistant",
            "model": name,
            "content": [{"type": "text", "text": text}],
            "stop_reason": "refusal" if refused else "end_turn",
            "usage": {"input_tokens": 5, "output_tokens": tokens},
        }
    finish = "content_filter" if refused else "stop"
    return {
        "object": "chat.completion",
        "model": name,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": finish}],
        "usage": {"prompt_tokens": 5, "completion_tokens": tokens},
    }


def _sse(data: Any, event: str | None = None) -> bytes:
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {data if isinstance(data, str) else json.dumps(data)}\n\n".encode()


def _pieces(text: str, size: int = 12) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


def _events(api: str, text: str, name: str, *, refused: bool = False) -> list[bytes]:
    tokens = max(len(text) // 4, 0)
    if api == "anthropic":
        return [
            _sse(
                {"type": "message_start", "message": {"usage": {"input_tokens": 5, "output_tokens": 0}}},
                "message_start",
            ),
            *(
                _sse({"type": "content_block_delta", "delta": {"type": "text_delta", "text": p}}, "content_block_delta")
                for p in _pieces(text)
            ),
            _sse(
                {
                    "type": "message_delta",
                    "delta": {"stop_reason": "refusal" if refused else "end_turn"},
                    "usage": {"output_tokens": tokens},
                },
                "message_delta",
            ),
            _sse({"type": "content_block_stop", "index": 0}, "content_block_stop"),
            _sse({"type": "message_stop"}, "message_stop"),
        ]
    base = {"object": "chat.completion.chunk", "model": name}
    return [
        _sse(base | {"choices": [{"index": 0, "delta": {"role": "assistant"}}]}),
        *(_sse(base | {"choices": [{"index": 0, "delta": {"content": p}}]}) for p in _pieces(text)),
        _sse(base | {"choices": [{"index": 0, "delta": {}, "finish_reason": "content_filter" if refused else "stop"}]}),
        _sse(base | {"choices": [], "usage": {"prompt_tokens": 5, "completion_tokens": tokens}}) + _sse("[DONE]"),
    ]


class _Broken(httpx.AsyncByteStream):
    """A response body that yields its pieces and then, if ``broken``, fails like a dropped
    connection."""

    def __init__(self, pieces: list[bytes], *, broken: bool = True) -> None:
        self.pieces = pieces
        self.broken = broken

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for piece in self.pieces:
            yield piece
        if self.broken:
            raise httpx.RemoteProtocolError("simulated: the connection closed mid-answer")


class SimulatorTransport(httpx.AsyncBaseTransport):
    """The ``simulated`` provider's server, in-process: a short answer, no network."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "GET" and request.url.path.endswith("/models"):
            return httpx.Response(200, json={"object": "list", "data": []})
        api, stream, name = _request_info(request)
        if name.startswith(FAIL_PREFIX):
            try:
                return fault_response(parse_fault(name[len(FAIL_PREFIX) :]), request)
            except ValueError:
                pass  # not a fault name: an ordinary simulated model
        text = f"This is a simulated answer from {name or 'a simulated model'}; no network was used."
        return answer_response(api, stream, text, name)


class RoutingTransport(httpx.AsyncBaseTransport):
    """Requests to :data:`SIMULATED_HOST` go to the simulator, everything else to the network."""

    def __init__(self, real: httpx.AsyncBaseTransport) -> None:
        self.real = real
        self.simulator = SimulatorTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.host == SIMULATED_HOST:
            return await self.simulator.handle_async_request(request)
        return await self.real.handle_async_request(request)

    async def aclose(self) -> None:
        await self.real.aclose()
