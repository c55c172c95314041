"""The gateway's ASGI application: routes, the token check, size limits.

A plain ASGI callable (no web framework): five routes, each a few lines, and the hot path
parses each body once.

Routes (with or without the ``/v1`` prefix, any query string):
``GET /v1/models``, ``POST /v1/chat/completions``, ``POST /v1/responses``,
``POST /v1/messages`` and ``POST /v1/messages/count_tokens``.

The client's ``Authorization`` and ``x-api-key`` are only ever compared with the
gateway's own token; providers get ModelDesk's keys.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import time
from typing import Any

import orjson

from modeldesk.core.errors import ModelDeskError
from modeldesk.runtime.conversation import PARSERS, Api, ConversationError

from .gateway import Gateway, GatewayError, Receive, Send
from .wire import JSON_HEADERS, dumps, error_body

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 32 << 20  # conversations with images are large; far more is an attack
MAX_HEADER_BYTES = 64 << 10
BODY_TIMEOUT_S = 60.0  # a client that trickles its body is cut off after this long

_ROUTES: dict[str, Api] = {
    "/v1/chat/completions": "chat",
    "/chat/completions": "chat",
    "/v1/responses": "responses",
    "/responses": "responses",
    "/v1/messages": "messages",
    "/messages": "messages",
}
_COUNT_TOKENS = ("/v1/messages/count_tokens", "/messages/count_tokens")
_MODELS = ("/v1/models", "/models")


class _Gone(Exception):
    """The client went away while sending its request: nobody to answer."""


class GatewayApp:
    def __init__(self, gateway: Gateway, token: str | None = None) -> None:
        self.gateway = gateway
        self._token = token.encode() if token else None

    async def __call__(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        started_at, started = time.time(), time.monotonic()
        path: str = scope["path"].rstrip("/") or "/"
        api: Api = _ROUTES.get(path, "messages" if path in _COUNT_TOKENS else "chat")
        headers = scope["headers"]
        if "anthropic-version" in _header_names(headers):
            api = "messages" if path in _MODELS else api
        try:
            if sum(len(k) + len(v) for k, v in headers) > MAX_HEADER_BYTES:
                raise GatewayError(431, "headers_too_large", "The request headers are too large.")
            if self._token is not None and not self._authorized(headers):
                raise GatewayError(
                    401,
                    "invalid_token",
                    "This gateway needs its token: send it as 'Authorization: Bearer TOKEN' or 'x-api-key: TOKEN'.",
                )
            method = scope["method"]
            if path in _MODELS:
                if method != "GET":
                    raise GatewayError(405, "method_not_allowed", f"{path} answers GET only.")
                await self._models(api, send)
                return
            if path in _ROUTES or path in _COUNT_TOKENS:
                if method != "POST":
                    raise GatewayError(405, "method_not_allowed", f"{path} answers POST only.")
                body = await _read_body(receive, headers)
                if path in _COUNT_TOKENS:
                    await _json(send, 200, {"input_tokens": max(1, len(body) // 4)})
                    return
                await self._chat(api, body, headers, send, receive)
                return
            if path == "/" and method in ("GET", "HEAD"):
                await _json(send, 200, {"service": "modeldesk", "status": "ok"})
                return
            raise GatewayError(
                404,
                "not_found",
                f"No route {path[:200]}: the gateway answers /v1/models, "
                "/v1/chat/completions, /v1/responses and /v1/messages.",
            )
        except GatewayError as exc:
            if not exc.recorded:
                latency_ms = round((time.monotonic() - started) * 1000)
                self.gateway.record_refusal(exc, client=_client(headers), started_at=started_at, latency_ms=latency_ms)
            await _json(send, exc.status, error_body(api, exc.status, exc.code, exc.message))
        except _Gone:
            return

    def _authorized(self, headers: list[tuple[bytes, bytes]]) -> bool:
        assert self._token is not None
        for raw_name, value in headers:
            name = raw_name.lower()
            if name == b"authorization":
                scheme, _, credential = value.partition(b" ")
                if scheme.lower() == b"bearer" and hmac.compare_digest(credential.strip(), self._token):
                    return True
            elif name == b"x-api-key" and hmac.compare_digest(value.strip(), self._token):
                return True
        return False

    async def _models(self, api: Api, send: Send) -> None:
        snapshot = await self.gateway.live.current()
        ids = [agent.id for agent in snapshot.config.agents]
        if api == "messages":
            data: dict[str, Any] = {
                "data": [
                    {"type": "model", "id": i, "display_name": i, "created_at": "1970-01-01T00:00:00Z"} for i in ids
                ],
                "has_more": False,
                "first_id": ids[0] if ids else None,
                "last_id": ids[-1] if ids else None,
            }
        else:
            data = {
                "object": "list",
                "data": [{"id": i, "object": "model", "created": 0, "owned_by": "modeldesk"} for i in ids],
            }
        await _json(send, 200, data)

    async def _chat(
        self, api: Api, body: bytes, headers: list[tuple[bytes, bytes]], send: Send, receive: Receive
    ) -> None:
        try:
            data = orjson.loads(body)
        except orjson.JSONDecodeError:
            raise GatewayError(400, "invalid_json", "The request body is not valid JSON.") from None
        if not isinstance(data, dict):
            raise GatewayError(400, "invalid_request", "The request body must be a JSON object.")
        model = data.get("model")
        if not isinstance(model, str) or not model:
            raise GatewayError(400, "invalid_request", "model: name the agent to run (an agent id or an alias).")
        try:
            conversation = PARSERS[api](data)
        except ConversationError as exc:
            raise GatewayError(400, "invalid_request", exc.message, model=model) from None
        if api == "messages":
            for name, value in headers:
                if name.lower() == b"anthropic-beta":
                    beta = value.decode("latin-1")
                    conversation.beta = beta if beta.isprintable() and len(beta) <= 1000 else None
        try:
            await self.gateway.handle(api, conversation, model, _client(headers), send, receive)
        except ModelDeskError as exc:
            raise GatewayError(503, exc.code, exc.message, model=model) from None


def _client(headers: list[tuple[bytes, bytes]]) -> str | None:
    """The client's User-Agent (shortened), which the history shows."""
    for name, value in headers:
        if name.lower() == b"user-agent":
            return value.decode("latin-1")[:200]
    return None


def _header_names(headers: list[tuple[bytes, bytes]]) -> set[str]:
    return {name.decode("latin-1").lower() for name, _ in headers}


async def _read_body(receive: Receive, headers: list[tuple[bytes, bytes]]) -> bytes:
    for name, value in headers:
        if name.lower() == b"content-length" and value.isdigit() and int(value) > MAX_BODY_BYTES:
            raise GatewayError(413, "body_too_large", f"The request body is larger than {MAX_BODY_BYTES >> 20} MiB.")
    body = bytearray()
    deadline = time.monotonic() + BODY_TIMEOUT_S
    while True:
        try:
            async with asyncio.timeout(max(deadline - time.monotonic(), 0.0)):
                message = await receive()
        except TimeoutError:
            raise GatewayError(408, "body_timeout", "The request body did not arrive in time.") from None
        if message["type"] == "http.disconnect":
            raise _Gone
        body += message.get("body", b"")
        if len(body) > MAX_BODY_BYTES:
            raise GatewayError(413, "body_too_large", f"The request body is larger than {MAX_BODY_BYTES >> 20} MiB.")
        if not message.get("more_body"):
            return bytes(body)


async def _json(send: Send, status: int, data: Any) -> None:
    body = dumps(data)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [*JSON_HEADERS, (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
