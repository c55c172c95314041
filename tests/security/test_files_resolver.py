"""A config (or an import) listing tens of thousands of unusable model ids costs time in
proportion to its size, not its square: `agents list` on 20,000 unknown ids took 20 s."""

from __future__ import annotations

import time

import pytest

from modeldesk.core.errors import ModelDeskError
from modeldesk.core.resolver import Resolver
from tests.core.helpers import config


def _resolve_cpu_seconds(count: int) -> float:
    ids = [f"ghost-{i}" for i in range(count)] + ["ghost-0", "ghost-1"]  # two listed twice
    resolver = Resolver(config({"schema_version": 1, "agents": [{"id": "a", "name": "A", "model": ids}]}))
    started = time.process_time()
    with pytest.raises(ModelDeskError) as caught:  # no usable model: the error carries the warnings
        resolver.chat("a")
    spent = time.process_time() - started
    warnings = list(getattr(caught.value, "warnings", []))
    assert len(warnings) == count + 2  # each removal said once, each repeat once
    assert warnings[-1] == "agent: 'ghost-1' is listed twice; the later copy is ignored"
    return spent


def test_unusable_ids_cost_linear_time() -> None:
    small, large = _resolve_cpu_seconds(4000), _resolve_cpu_seconds(16_000)
    # 4x the ids: 4x the time when linear, 16x when quadratic (it was). CPU time, with room.
    assert large < 9 * max(small, 0.01), (small, large)
