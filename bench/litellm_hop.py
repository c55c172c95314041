"""LiteLLM's side of the fallback hop (bench/run.py), run by LiteLLM's own virtualenv.

    .venv-bench/bin/python bench/litellm_hop.py BASE_URL

A Router with ``fallbacks=[{"primary": ["backup"]}]`` over the scripted server at BASE_URL.
It prints ``ready``, then for every line ``hop N`` or ``stream N`` on stdin runs N hops
(not streamed, or streamed to the end) and prints the median hop's seconds. run.py
interleaves these batches with its own, so both sides see the same machine at the same time.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import time
from typing import Any

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

import litellm
from litellm import Router

MESSAGES = [{"role": "user", "content": "hi"}]


def router(base_url: str) -> Any:
    litellm.telemetry = False
    litellm.suppress_debug_info = True
    deployment = {"api_base": base_url, "api_key": "none", "max_retries": 0}
    return Router(
        model_list=[
            {"model_name": "primary", "litellm_params": {"model": "openai/primary", **deployment}},
            {"model_name": "backup", "litellm_params": {"model": "openai/backup", **deployment}},
        ],
        fallbacks=[{"primary": ["backup"]}],
        num_retries=0,
        retry_after=0,
        allowed_fails=1_000_000,  # never put the primary on LiteLLM's own cooldown
        cooldown_time=0,
    )


async def hop(through: Any, stream: bool) -> None:
    if not stream:
        answer = await through.acompletion(model="primary", messages=MESSAGES)
        assert answer.choices[0].message.content
        return
    answer = await through.acompletion(model="primary", messages=MESSAGES, stream=True)
    text = [chunk.choices[0].delta.content or "" async for chunk in answer if chunk.choices]
    assert "".join(text)


async def main() -> None:
    through = router(sys.argv[1])
    print("ready", flush=True)
    loop = asyncio.get_running_loop()
    while line := await loop.run_in_executor(None, sys.stdin.readline):
        mode, count = line.split()
        times = []
        for _ in range(int(count)):
            start = time.perf_counter()
            await hop(through, mode == "stream")
            times.append(time.perf_counter() - start)
        print(statistics.median(times), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
