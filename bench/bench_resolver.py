"""Resolver cost per agent, against the least work any resolver must do.

Baseline: for every agent, read its model value as a list and take the first id (no
layers, no checks). The ratios show what the full resolution (layers, usability checks,
trace, warnings) costs on top, and that the per-agent cost does not grow with the size
of the workspace (10,000 vs 1,000 agents).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import best_of, header, report
from workspace import workspace

from modeldesk.core.resolver import Resolver
from modeldesk.core.schema import model_list


def per_agent_cost(size: int) -> float:
    """Report the resolver against the baseline for one workspace size; return the cost per agent."""
    config = workspace(size)
    ids = [a.id for a in config.agents]

    def baseline() -> None:
        for agent in config.agents:
            models = model_list(agent.model)
            _ = models[0] if models else None

    def resolve_all() -> None:
        resolver = Resolver(config)
        for agent_id in ids:
            resolver.chat(agent_id)

    def resolve_tasks() -> None:
        resolver = Resolver(config)
        for agent_id in ids:
            resolver.task(agent_id, "title")

    base = best_of(baseline)
    full = best_of(resolve_all)
    report(f"baseline: first listed id, {size} agents", base, base, "baseline")
    report(f"Resolver.chat, {size} agents (incl. index)", full, base, "baseline")
    report(f"Resolver.task('title'), {size} agents", best_of(resolve_tasks), base, "baseline")
    return full / size


def main() -> None:
    header("resolver: effective model of every agent")
    per_agent = {size: per_agent_cost(size) for size in (1_000, 10_000)}
    print(f"per-agent cost at 10,000 vs 1,000 agents: {per_agent[10_000] / per_agent[1_000]:.2f}x (1.00 = flat)")


if __name__ == "__main__":
    main()
