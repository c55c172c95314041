"""How the gateway's responses reach the socket: uvicorn's protocol with the corked
transport (serve/server.py), on a real connection, the real transport's writes counted.

A response's status line and headers leave with its first body bytes, in one write; body
bytes (a stream's events) leave inside the ASGI ``send`` that gives them, not on a later
turn of the loop, where other work ready to run would delay them."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import httpx
import uvicorn
from uvicorn.server import ServerState

from modeldesk.serve.server import _corked_protocol


class RecordingTransport:
    """The connection's real transport, with each write kept as it passes."""

    def __init__(self, transport: Any) -> None:
        self._transport = transport
        self.writes: list[bytes] = []

    def write(self, data: bytes) -> None:
        self.writes.append(bytes(data))
        self._transport.write(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


def test_headers_leave_with_the_body_and_stream_events_leave_at_once() -> None:
    recorders: list[RecordingTransport] = []
    seen_in_send: list[bytes] = []

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await receive()
        if scope["path"] == "/whole":
            headers = [(b"content-type", b"application/json"), (b"content-length", b"11")]
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": b'{"a": "b"}\n'})
            return
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        for part in (b"one", b"two"):
            await send({"type": "http.response.body", "body": part, "more_body": True})
            seen_in_send.append(recorders[-1].writes[-1])  # already written, before the loop turns
            await asyncio.sleep(0)
        await send({"type": "http.response.body", "body": b"three"})

    base = _corked_protocol()
    assert not isinstance(base, str)

    class Recorded(base):  # type: ignore[misc, valid-type]
        def connection_made(self, transport: Any) -> None:
            recorders.append(RecordingTransport(transport))
            super().connection_made(recorders[-1])

    async def main() -> None:
        config = uvicorn.Config(app, lifespan="off", log_config=None, access_log=False, server_header=False)
        config.load()
        state = ServerState()
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        server = await asyncio.get_running_loop().create_server(
            lambda: Recorded(config=config, server_state=state, app_state={}), sock=sock
        )
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        try:
            async with httpx.AsyncClient(trust_env=False) as client:
                assert (await client.post(f"{url}/whole", content=b"{}")).json() == {"a": "b"}
                whole = list(recorders[-1].writes)
                assert (await client.post(f"{url}/stream", content=b"{}")).text == "onetwothree"
        finally:
            server.close()
            await server.wait_closed()
        assert len(whole) == 1
        assert whole[0].startswith(b"HTTP/1.1 200 OK\r\n") and whole[0].endswith(b'\r\n\r\n{"a": "b"}\n')
        streamed = recorders[-1].writes[len(whole) :]
        assert streamed[0].startswith(b"HTTP/1.1 200 OK\r\n") and streamed[0].endswith(b"\r\n\r\n3\r\none\r\n")
        assert streamed[1:] == [b"3\r\ntwo\r\n", b"5\r\nthree\r\n0\r\n\r\n"]
        assert seen_in_send == streamed[:2]

    asyncio.run(main())
