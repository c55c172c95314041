"""What the fallback runner adds to a request, and what a fallback costs.

Against the scripted OpenAI-compatible server (on 127.0.0.1, in this process), measured
in the same run:
- baseline: one streamed chat completion sent with httpx directly and read to the end,
  with a new client per request as the runner uses;
- run_agent with the primary answering (resolution, events, bookkeeping on top);
- run_agent where the primary answers 404 and the fallback answers (one extra round trip:
  about 2x the baseline is the floor).
"""

from __future__ import annotations

import asyncio
import ssl
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import httpx  # noqa: E402
from harness import header, report  # noqa: E402

from modeldesk.core.schema import Config  # noqa: E402
from modeldesk.runtime.runner import run_agent  # noqa: E402
from tests.support.scripted_server import ScriptedServer, ok, status  # noqa: E402

REQUESTS = 60


async def timed(make_one, count: int = REQUESTS) -> float:
    """Seconds per request, best of three batches."""
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(count):
            await make_one()
        best = min(best, (time.perf_counter() - start) / count)
    return best


async def main() -> None:
    with ScriptedServer(default=ok("Benchmark answer, streamed in pieces.", chunks=6)) as server:
        config = Config.model_validate(
            {
                "providers": [{"id": "bench", "kind": "openai", "base_url": server.openai_url}],
                "models": [
                    {"id": "primary", "provider": "bench", "name": "primary"},
                    {"id": "backup", "provider": "bench", "name": "backup"},
                ],
                "agents": [
                    {
                        "id": "a",
                        "name": "A",
                        "model": ["primary", "backup"],
                        "fallback": {"retries": 0, "cooldown_s": 0},
                    }
                ],
            }
        )
        body = {"model": "primary", "stream": True, "messages": [{"role": "user", "content": "hi"}]}
        tls = ssl.create_default_context()  # built once, as the runner does

        async def direct() -> None:
            async with (
                httpx.AsyncClient(trust_env=False, verify=tls) as client,
                client.stream("POST", f"{server.openai_url}/chat/completions", json=body) as response,
            ):
                async for _ in response.aiter_lines():
                    pass

        base = await timed(direct)

        async def runner_primary() -> None:
            result = await run_agent(config, "a", "hi")
            assert result.model == "primary", result.error

        async def runner_fallback() -> None:
            server.script("primary", status(404))
            result = await run_agent(config, "a", "hi")
            assert result.model == "backup", result.error

        header(f"runner: one streamed request (per request, {REQUESTS} in a row)")
        report("baseline: httpx stream, new client", base, base, "baseline")
        report("run_agent, primary answers", await timed(runner_primary), base, "baseline")
        report("run_agent, 404 then fallback answers", await timed(runner_fallback), base, "baseline")


if __name__ == "__main__":
    asyncio.run(main())
