"""The scripted server itself: stop() leaves no handler thread, connection or listening
socket behind, however its clients were left (hanging, stalled, idle keep-alive)."""

from __future__ import annotations

import socket
import threading

import httpx
import pytest

from tests.support.scripted_server import ScriptedServer, hang, ok, stall

pytestmark = pytest.mark.timeout(30)


def test_stop_joins_every_handler_and_closes_every_socket() -> None:
    before = set(threading.enumerate())
    server = ScriptedServer().start()
    server.script("h", hang())
    server.script("s", stall("abc", after=1, chunks=3))
    server.script("k", ok("kept alive"))
    port = server.port
    errors: list[BaseException] = []

    def post(model: str, stream: bool) -> None:
        try:
            httpx.post(f"{server.openai_url}/chat/completions", json={"model": model, "stream": stream}, timeout=20)
        except httpx.HTTPError as exc:
            errors.append(exc)

    clients = [threading.Thread(target=post, args=("h", False)), threading.Thread(target=post, args=("s", True))]
    for thread in clients:
        thread.start()
    keep_alive = httpx.Client()
    assert keep_alive.post(f"{server.openai_url}/chat/completions", json={"model": "k"}).status_code == 200
    server.wait_for_requests(3)
    assert server.open_connections() == 3

    server.stop()
    assert set(threading.enumerate()) - before - set(clients) == set()  # no server or handler thread
    assert server.open_connections() == 0
    with pytest.raises(ConnectionRefusedError), socket.create_connection(("127.0.0.1", port), timeout=2):
        pass
    for thread in clients:
        thread.join(10)
    assert len(errors) == 2  # both broken clients saw their connection end
    keep_alive.close()
