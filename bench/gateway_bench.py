"""The gateway's figures (`modeldesk serve`), each against a baseline measured in the same run.

Every process is a real one: the upstream is the scripted server in a process of its own
(so its threads do not share the bench's interpreter), the gateway is `modeldesk serve`,
LiteLLM's proxy is `litellm --config`, and the clients are httpx in this process.

- non-stream request p50: through the gateway vs the same request straight to the upstream;
- time to first token p50: the same, streaming;
- 429 -> fallback: the gateway vs the LiteLLM proxy with ``fallbacks``, same hop;
- 500 concurrent streams of 200 chunks: 0 errors, every answer exact, p99 time to first
  token vs the same load sent straight to the upstream;
- idle RSS of the gateway vs a bare uvicorn hello-world;
- the one-at-a-time rows again, against a bare proxy of the same build (uvicorn, uvloop,
  httptools, one httpx client, the bytes forwarded with only the model name replaced):
  what the gateway adds over the floor of its own build, for reference (no target).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import litellm_env

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "desktop"), str(ROOT)])}
ANSWER = "The quick brown fox jumps over the lazy dog. "
STREAM_CHUNKS = 200
STREAM_TEXT = "".join(f"w{i:03d} " for i in range(STREAM_CHUNKS))  # 200 chunks of 5 characters
MESSAGES = [{"role": "user", "content": "hi"}]
LITELLM_KEY = "sk-modeldesk-bench-0123456789abcdef0123456789abcdef"

UPSTREAM = textwrap.dedent(
    """
    import sys, time
    from tests.support.scripted_server import ScriptedServer, ok, status
    server = ScriptedServer(default=ok(sys.argv[1], chunks=int(sys.argv[2]))).start()
    server.script("limited", *[status(429) for _ in range(1_000_000)])
    print(server.port, flush=True)
    sys.stdin.read()
    server.stop()
    """
)

HELLO = textwrap.dedent(
    """
    import sys, uvicorn
    async def app(scope, receive, send):
        if scope["type"] != "http":
            return
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": b"hello"})
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", loop="uvloop", http="httptools")
    """
)


BARE_PROXY = textwrap.dedent(
    """
    import sys, httpx, uvicorn
    upstream, port = sys.argv[1], int(sys.argv[2])
    client = httpx.AsyncClient(trust_env=False, timeout=60)
    async def app(scope, receive, send):
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        body = body.replace(b'"bench"', b'"answer"')
        request = client.build_request(
            "POST", upstream + scope["path"], content=body, headers={"content-type": "application/json"}
        )
        reply = await client.send(request, stream=True)
        kind = reply.headers.get("content-type", "application/json").encode()
        if kind.startswith(b"text/event-stream"):
            start = {"type": "http.response.start", "status": reply.status_code, "headers": [(b"content-type", kind)]}
            await send(start)
            async for piece in reply.aiter_raw():
                await send({"type": "http.response.body", "body": piece, "more_body": True})
            await send({"type": "http.response.body", "body": b""})
        else:
            data = await reply.aread()
            headers = [(b"content-type", kind), (b"content-length", str(len(data)).encode())]
            await send({"type": "http.response.start", "status": reply.status_code, "headers": headers})
            await send({"type": "http.response.body", "body": data})
        await reply.aclose()
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", loop="uvloop", http="httptools",
                access_log=False)
    """
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_http(url: str, timeout: float = 60.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            httpx.get(url, timeout=1.0)
            return
        except httpx.HTTPError:
            time.sleep(0.05)
    raise RuntimeError(f"{url} did not answer in {timeout:g} s")


@contextmanager
def upstream(text: str, chunks: int) -> Iterator[int]:
    proc = subprocess.Popen(
        [PY, "-c", UPSTREAM, text, str(chunks)], env=ENV, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        yield int(proc.stdout.readline())
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextmanager
def gateway(upstream_port: int, folder: Path) -> Iterator[tuple[str, int]]:
    base = f"http://127.0.0.1:{upstream_port}"
    config = {
        "schema_version": 1,
        "providers": [{"id": "up", "kind": "openai", "base_url": f"{base}/v1"}],
        "models": [
            {"id": "answer", "provider": "up", "name": "answer"},
            {"id": "limited", "provider": "up", "name": "limited"},
        ],
        "settings": {"fallback": {"cooldown_s": 0, "retries": 0}},
        "agents": [
            {"id": "bench", "name": "Bench", "model": ["answer"]},
            {"id": "hop", "name": "Hop", "model": ["limited", "answer"]},
        ],
    }
    path = folder / "gateway-config.json"
    path.write_text(json.dumps(config))
    env = ENV | {"MODELDESK_HISTORY": str(folder / "history.sqlite3"), "XDG_STATE_HOME": str(folder / "state")}
    proc = subprocess.Popen(
        [PY, "-m", "modeldesk", "--config", str(path), "serve", "--port", "0"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        url = "http://" + line.split("http://", 1)[1].split()[0]
        yield url, proc.pid
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextmanager
def bare_proxy(upstream_port: int) -> Iterator[str]:
    port = free_port()
    proc = subprocess.Popen([PY, "-c", BARE_PROXY, f"http://127.0.0.1:{upstream_port}", str(port)], env=ENV)
    try:
        wait_http(f"http://127.0.0.1:{port}/v1/models")
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


async def _non_stream(client: httpx.AsyncClient, url: str, model: str, headers: dict[str, str] | None = None) -> float:
    start = time.perf_counter()
    reply = await client.post(url, json={"model": model, "messages": MESSAGES}, headers=headers)
    assert reply.status_code == 200, reply.text[:300]
    assert reply.json()["choices"][0]["message"]["content"] == ANSWER
    return time.perf_counter() - start


async def _first_token(client: httpx.AsyncClient, url: str, model: str) -> float:
    start = time.perf_counter()
    first = None
    async with client.stream("POST", url, json={"model": model, "messages": MESSAGES, "stream": True}) as reply:
        assert reply.status_code == 200
        async for line in reply.aiter_lines():
            if first is None and '"content":"' in line.replace(" ", "") and '"content":""' not in line.replace(" ", ""):
                first = time.perf_counter() - start
    assert first is not None
    return first


async def _stream_exact(client: httpx.AsyncClient, url: str, model: str) -> tuple[float, bool]:
    """(time to first token, whether the answer was exactly the expected text)."""
    start = time.perf_counter()
    first: float | None = None
    parts: list[str] = []
    async with client.stream("POST", url, json={"model": model, "messages": MESSAGES, "stream": True}) as reply:
        if reply.status_code != 200:
            return float("inf"), False
        async for line in reply.aiter_lines():
            if not line.startswith("data: ") or line == "data: [DONE]":
                continue
            data = json.loads(line[6:])
            for choice in data.get("choices") or []:
                piece = (choice.get("delta") or {}).get("content")
                if piece:
                    if first is None:
                        first = time.perf_counter() - start
                    parts.append(piece)
    return (first if first is not None else float("inf")), "".join(parts) == STREAM_TEXT


def p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(int(len(ordered) * q), len(ordered) - 1)]


async def _interleaved(
    rounds: int, count: int, base: Callable[[], Awaitable[float]], ours: Callable[[], Awaitable[float]]
) -> tuple[list[float], list[float]]:
    """Per round, the median of ``count`` samples on each side, alternating which goes first."""
    b_samples: list[float] = []
    o_samples: list[float] = []
    for index in range(rounds):
        for side in (0, 1) if index % 2 == 0 else (1, 0):
            values = [await (base() if side == 0 else ours()) for _ in range(count)]
            (b_samples if side == 0 else o_samples).append(statistics.median(values))
    return b_samples, o_samples


def litellm_proxy_available() -> bool:
    return litellm_env.available()


@contextmanager
def litellm_proxy(upstream_port: int, folder: Path) -> Iterator[str]:
    base = f"http://127.0.0.1:{upstream_port}/v1"
    config = folder / "litellm.yaml"
    config.write_text(
        textwrap.dedent(
            f"""
            model_list:
              - model_name: limited
                litellm_params: {{model: openai/limited, api_base: "{base}", api_key: none, max_retries: 0}}
              - model_name: answer
                litellm_params: {{model: openai/answer, api_base: "{base}", api_key: none, max_retries: 0}}
            router_settings:
              num_retries: 0
              allowed_fails: 1000000
              cooldown_time: 0
              fallbacks: [{{"limited": ["answer"]}}]
            litellm_settings:
              telemetry: false
              num_retries: 0
            """
        )
    )
    port = free_port()
    # From LiteLLM's own virtualenv, with nothing of the project's on its path.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"} | litellm_env.ENV
    env["LITELLM_MASTER_KEY"] = LITELLM_KEY
    proc = subprocess.Popen(
        [
            str(litellm_env.PROXY),
            "--config",
            str(config),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--num_workers",
            "1",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_http(f"http://127.0.0.1:{port}/health/liveliness", timeout=120)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def hello_world_rss() -> float:
    """The resident memory of a bare uvicorn hello-world that answered a few requests."""
    port = free_port()
    hello = subprocess.Popen([PY, "-c", HELLO, str(port)], env=ENV)
    try:
        wait_http(f"http://127.0.0.1:{port}/")
        for _ in range(20):
            httpx.get(f"http://127.0.0.1:{port}/")
        time.sleep(1.0)
        return rss_mib(hello.pid)
    finally:
        hello.terminate()
        hello.wait(10)


def measure(rounds: int, quick: bool, row: Callable[..., Any]) -> list[Any]:
    """The gateway rows; ``row(figure, baseline, target, limit, **kw)`` makes a bench Row."""
    return asyncio.run(_measure(rounds, quick, row))


async def _measure(rounds: int, quick: bool, make_row: Callable[..., Any]) -> list[Any]:
    count = 10 if quick else 25
    non_stream = make_row("gateway: non-stream request p50", "straight to the upstream (httpx)", "≤ 1.5x", 1.5)
    ttft = make_row("gateway: time to first token p50", "straight to the upstream (httpx)", "≤ 1.5x", 1.5)
    hop = make_row(
        "gateway: 429 → fallback, LiteLLM proxy with fallbacks",
        "the gateway, same hop",
        "LiteLLM ≥ 5x",
        None,
        at_least=5.0,
    )
    burst = make_row(
        f"gateway: 500 concurrent streams x {STREAM_CHUNKS} chunks, p99 TTFT",
        "the same load straight to the upstream",
        "0 errors, exact; ≤ 2x",
        2.0,
    )
    rss = make_row("gateway: idle RSS", "bare uvicorn hello-world", "≤ 2x", 2.0, unit="MiB")
    floor = "bare uvicorn + httpx proxy, same build"
    non_stream_floor = make_row("gateway: non-stream request p50, over a bare proxy", floor, "—", None)
    ttft_floor = make_row("gateway: time to first token p50, over a bare proxy", floor, "—", None)
    rows = [non_stream, ttft, hop, burst, rss, non_stream_floor, ttft_floor]
    with tempfile.TemporaryDirectory(prefix="modeldesk-gw-bench-") as tmp:
        folder = Path(tmp)
        limits = httpx.Limits(max_connections=1000, max_keepalive_connections=1000)
        # 1 and 2: one request at a time.
        with upstream(ANSWER, 8) as up_port, gateway(up_port, folder) as (gw_url, gw_pid):
            direct = f"http://127.0.0.1:{up_port}/v1/chat/completions"
            via = f"{gw_url}/v1/chat/completions"
            async with httpx.AsyncClient(limits=limits, timeout=60, trust_env=False) as client:
                for _ in range(5):  # warm-up: connections, imports, the first config read
                    await _non_stream(client, direct, "answer")
                    await _non_stream(client, via, "bench")
                    await _first_token(client, direct, "answer")
                    await _first_token(client, via, "bench")
                non_stream.base, non_stream.ours = await _interleaved(
                    rounds,
                    count,
                    lambda: _non_stream(client, direct, "answer"),
                    lambda: _non_stream(client, via, "bench"),
                )
                ttft.base, ttft.ours = await _interleaved(
                    rounds,
                    count,
                    lambda: _first_token(client, direct, "answer"),
                    lambda: _first_token(client, via, "bench"),
                )

                # 1 and 2 again, against the floor of the gateway's build.
                with bare_proxy(up_port) as bare_url:
                    bare = f"{bare_url}/v1/chat/completions"
                    for _ in range(5):
                        await _non_stream(client, bare, "bench")
                        await _first_token(client, bare, "bench")
                    non_stream_floor.base, non_stream_floor.ours = await _interleaved(
                        rounds,
                        count,
                        lambda: _non_stream(client, bare, "bench"),
                        lambda: _non_stream(client, via, "bench"),
                    )
                    ttft_floor.base, ttft_floor.ours = await _interleaved(
                        rounds,
                        count,
                        lambda: _first_token(client, bare, "bench"),
                        lambda: _first_token(client, via, "bench"),
                    )

                # 3: the 429 hop, gateway vs LiteLLM's proxy.
                async def hop_gateway() -> float:
                    return await _non_stream(client, via, "hop")

                for _ in range(3):
                    await hop_gateway()
                if litellm_proxy_available():
                    with litellm_proxy(up_port, folder) as lite_url:
                        lite = f"{lite_url}/v1/chat/completions"

                        async def hop_litellm() -> float:
                            return await _non_stream(
                                client, lite, "limited", {"authorization": f"Bearer {LITELLM_KEY}"}
                            )

                        for _ in range(3):
                            await hop_litellm()
                        hop.base, hop.ours = await _interleaved(rounds, max(count // 2, 5), hop_gateway, hop_litellm)
                else:
                    hop.note = litellm_env.MISSING
            # 5: idle RSS after the requests above, settled.
            await asyncio.sleep(1.0)
            rss.ours = [rss_mib(gw_pid)]
        rss.base = [await asyncio.to_thread(hello_world_rss)]
        # 4: 500 concurrent streams of 200 chunks.
        with upstream(STREAM_TEXT, STREAM_CHUNKS) as up_port, gateway(up_port, folder) as (gw_url, _pid):
            direct = f"http://127.0.0.1:{up_port}/v1/chat/completions"
            via = f"{gw_url}/v1/chat/completions"
            streams = 100 if quick else 500
            errors = 0
            for index in range(max(rounds // 3, 1)):
                for side in (0, 1) if index % 2 == 0 else (1, 0):
                    url, model = (direct, "answer") if side == 0 else (via, "bench")
                    async with httpx.AsyncClient(limits=limits, timeout=120, trust_env=False) as client:
                        results = await asyncio.gather(
                            *[_stream_exact(client, url, model) for _ in range(streams)], return_exceptions=True
                        )
                    ttfts = [r[0] for r in results if isinstance(r, tuple) and r[1]]
                    failed = streams - len(ttfts)
                    if side == 1:
                        errors += failed
                    (burst.base if side == 0 else burst.ours).append(p(ttfts, 0.99) if ttfts else float("inf"))
            burst.note = f"{streams} streams per round; {errors} errors or inexact answers through the gateway"
            if errors:
                burst.note += " (target missed)"
    return rows
