"""Turning a finished run (:class:`~modeldesk.runtime.runner.RunResult`) into a run
history record. Lives in the runtime so the core's history module stays free of runtime
types; the CLI and the app both record through :func:`run_record`."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

from modeldesk.core.history import AttemptRecord, RunRecord

from .runner import RunResult


def run_record(
    result: RunResult,
    *,
    agent: str,
    models: Sequence[str],
    source: str | None,
    config_path: Path | str | None,
    origin: str,
    task: str | None = None,
    prompt: str | None = None,
    started_at: float | None = None,
    client: str | None = None,
) -> RunRecord:
    """The history record of ``result``. ``models`` is the resolved list the run was given
    and ``source`` the layer it came from. ``prompt`` is stored only when the user turned
    prompt recording on (the store decides)."""
    usage = result.usage or {}
    return RunRecord(
        agent=agent,
        models=list(models),
        attempts=[
            AttemptRecord(
                model=a.model,
                outcome=a.outcome,
                status=a.status,
                error_class=a.error_class,
                # A rehearsed failure must not read as a real one in the history.
                error=a.error if a.simulated is None else f"simulated fault ({a.simulated}): {a.error}",
                elapsed_ms=a.elapsed_ms,
                cost_usd=a.cost_usd,
            )
            for a in result.attempts
        ],
        answered_by=result.model if result.ok else None,
        source=source,
        config_path=None if config_path is None else str(Path(config_path).absolute()),  # as the CLI records it
        error_code=None if result.error is None else result.error.get("code"),
        error_message=None if result.error is None else result.error.get("message"),
        input_tokens=usage.get("prompt_tokens"),
        output_tokens=usage.get("completion_tokens"),
        latency_ms=round(result.elapsed_s * 1000),
        origin=origin,
        task=task,
        prompt=prompt,
        client=client,
        started_at=time.time() - result.elapsed_s if started_at is None else started_at,
        cost_usd=result.cost_usd,
        # A fault was injected into one of its attempts: the run was a rehearsal.
        simulated=any(a.simulated is not None for a in result.attempts),
    )
