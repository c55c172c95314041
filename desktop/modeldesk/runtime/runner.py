"""Run one request for an agent over its resolved model list, with fallback.

:func:`run_agent` is the single entry point for the app (from its qasync loop), the CLI
(from ``asyncio``) and other programs. It tries the models in order, retries and falls
back as :mod:`.policy` decides, reports every step through ``on_event`` and returns a
:class:`RunResult` naming the model that answered and every attempt.

Run failures (every model failed, a stop error, the budget ran out, nothing to resolve)
are *returned* as a result with ``error`` set; ``run_agent`` does not raise for them.

Cancellation: cancel the task that awaits ``run_agent``. The attempt in flight is
abandoned at its current await, its connection closed, nothing more is sent, a
:class:`Cancelled` event is emitted and ``asyncio.CancelledError`` propagates to the
awaiting code (so ``asyncio.timeout``, task groups and qasync behave as usual).
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx

from modeldesk.core.errors import ModelDeskError
from modeldesk.core.resolver import Resolver
from modeldesk.core.schema import Config, FallbackSettings, Model, ModelValue, Policy, Provider

from . import policy as fallback
from .cooldown import CooldownTracker
from .errors import ProviderError
from .events import (
    AllFailed,
    Answered,
    AttemptFailed,
    AttemptStarted,
    Cancelled,
    CooldownStarted,
    CooldownUsed,
    ErrorSummary,
    FallingBack,
    ModelSkipped,
    OutputWithdrawn,
    Retrying,
    RunEvent,
    Starting,
    TextDelta,
)
from .providers import ChatProvider, ChatRequest, Finished, TextChunk, make_provider, new_client
from .secrets import EnvKeyringSecrets, SecretSource, read_key

log = logging.getLogger(__name__)

Outcome = Literal["answered", "failed", "skipped", "cancelled"]


@dataclass
class Attempt:
    """One try of one model, or a model skipped without a try (``outcome == "skipped"``)."""

    model: str
    outcome: Outcome
    status: int | None = None
    error: str | None = None
    error_class: str | None = None
    elapsed_ms: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "outcome": self.outcome,
            "status": self.status,
            "error": self.error,
            "error_class": self.error_class,
            "elapsed_ms": self.elapsed_ms,
        }


@dataclass
class RunResult:
    """The outcome of a run. ``model`` is the model that answered (``None`` on failure);
    ``error`` is ``{"code", "message"}`` when the run ended without an answer."""

    text: str = ""
    model: str | None = None
    attempts: list[Attempt] = field(default_factory=list)
    usage: dict[str, int] | None = None
    elapsed_s: float = 0.0
    error: dict[str, str] | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    def to_json(self) -> dict[str, Any]:
        attempts = [a.to_json() for a in self.attempts]
        if self.error is not None:
            return {"error": dict(self.error), "attempts": attempts, "elapsed_s": round(self.elapsed_s, 3)}
        return {
            "text": self.text,
            "model": self.model,
            "attempts": attempts,
            "usage": self.usage,
            "elapsed_s": round(self.elapsed_s, 3),
        }


EventHandler = Callable[[RunEvent], None]
Sleep = Callable[[float], Awaitable[None]]


class _Stop(Exception):
    """Internal: end the run now with this code and message."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


async def run_agent(
    config: Config,
    agent_id: str,
    prompt: str,
    *,
    models: Sequence[str] | None = None,
    call: ModelValue | None = None,
    stream: bool = True,
    on_event: EventHandler | None = None,
    cooldowns: CooldownTracker | None = None,
    secrets: SecretSource | None = None,
    needs: Collection[str] = frozenset(),
    max_tokens: int | None = None,
    policy: Policy | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Sleep = asyncio.sleep,
    rand: Callable[[], float] = random.random,
) -> RunResult:
    """Run ``prompt`` for ``agent_id`` and return the result (see the module docstring).

    ``models`` is an already-resolved list; when ``None`` the list comes from the shared
    resolver (``call`` being the run's own model choice, SPEC §3.1). ``needs`` names
    capabilities the request requires ("tools", "vision"). ``clock``, ``sleep`` and
    ``rand`` are for tests: ``sleep`` performs every backoff wait, ``rand`` drives jitter.
    """
    fallback.check_needs(needs)
    run = _Run(
        config=config,
        agent_id=agent_id,
        prompt=prompt,
        stream=stream,
        emit=_logging_events(on_event),
        cooldowns=cooldowns,
        secrets=secrets or EnvKeyringSecrets(),
        needs=tuple(needs),
        max_tokens=max_tokens,
        clock=clock,
        sleep=sleep,
        rand=rand,
    )
    return await run.execute(models, call, policy)


_events_log = logging.getLogger("modeldesk.run")


def _logging_events(on_event: EventHandler | None) -> EventHandler:
    """Every event but streamed text also goes to the log file (when one is set up)."""

    def emit(event: RunEvent) -> None:
        if not isinstance(event, TextDelta):
            _events_log.info("%s", event.describe())
        if on_event is not None:
            on_event(event)

    return emit


@dataclass
class _Run:
    config: Config
    agent_id: str
    prompt: str
    stream: bool
    emit: EventHandler
    cooldowns: CooldownTracker | None
    secrets: SecretSource
    needs: tuple[str, ...]
    max_tokens: int | None
    clock: Callable[[], float]
    sleep: Sleep
    rand: Callable[[], float]
    attempts: list[Attempt] = field(default_factory=list)
    options: FallbackSettings = field(default_factory=FallbackSettings)
    models: dict[str, Model] = field(default_factory=dict)
    providers: dict[str, Provider] = field(default_factory=dict)
    system: str | None = None  # the agent's instruction
    started: float = 0.0  # clock() at the start of the run
    deadline: float = 0.0  # clock() value at which the total budget ends
    attempt_started: float = 0.0
    client: httpx.AsyncClient | None = None  # one client (and connection pool) per run

    async def execute(self, models: Sequence[str] | None, call: ModelValue | None, policy: Policy | None) -> RunResult:
        self.started = self.clock()
        # The resolver's registry includes models and providers from the organization policy.
        resolver = Resolver(self.config, policy)
        self.models, self.providers = resolver.models, resolver.providers
        try:
            agent = resolver.agent(self.agent_id)
            chosen = list(models) if models is not None else list(resolver.chat(self.agent_id, call=call).models)
        except ModelDeskError as exc:
            return self._failed(exc.code, exc.message)
        self.options = fallback.effective_options(self.config.settings, agent)
        self.deadline = self.started + self.options.max_total_s
        self.system = agent.instruction or None
        self.emit(Starting(tuple(chosen)))
        try:
            async with new_client(self.options.connect_timeout_s) as client:
                self.client = client
                return await self._try_models(chosen)
        except _Stop as stop:
            return self._failed(stop.code, stop.message)
        except asyncio.CancelledError:
            in_flight = self.attempts[-1].model if self.attempts and self.attempts[-1].outcome == "cancelled" else None
            self.emit(Cancelled(in_flight, self.clock() - self.started))
            raise

    # -- the fallback loop ----------------------------------------------------------------

    async def _try_models(self, chosen: list[str]) -> RunResult:
        start = 0
        # cooldown_s == 0 means "always start at the primary", even over an older cooldown.
        if self.cooldowns is not None and self.options.cooldown_s > 0 and len(chosen) > 1:
            start, left = self.cooldowns.start_index(self.agent_id, chosen)
            if start:
                self.emit(CooldownUsed(chosen[start], tuple(chosen[:start]), left))
                for model_id in chosen[:start]:
                    self.attempts.append(Attempt(model_id, "skipped", error=f"cooldown: starting at {chosen[start]}"))
        state = fallback.SkipState.empty()
        primary_failures: list[str] = []
        last_error: tuple[str, ProviderError] | None = None
        tried_any = False
        for index in range(start, len(chosen)):
            model_id = chosen[index]
            model, why = self._candidate(chosen, index, state)
            if model is None:
                self.emit(ModelSkipped(model_id, why))
                self.attempts.append(Attempt(model_id, "skipped", error=why))
                continue
            if tried_any:
                self.emit(FallingBack(model_id, last_error[1].message if last_error else ""))
            tried_any = True
            outcome = await self._try_model(model, on_last=self._is_last(chosen, index, state), state=state)
            if isinstance(outcome, RunResult):
                self._after_success(chosen, index, primary_failures)
                return outcome
            last_error = (model_id, outcome)
            if index == 0:
                primary_failures.append(outcome.error_class)
        if last_error is None:
            raise _Stop("no_usable_model", "No model in the list could be tried: " + self._skipped_summary())
        model_id, error = last_error
        raise _Stop(
            "all_models_failed",
            f"Every model failed; the last, {model_id}, failed with {_headline(error)}.",
        )

    async def _try_model(self, model: Model, *, on_last: bool, state: fallback.SkipState) -> RunResult | ProviderError:
        """Attempts on one model until it answers, or the policy moves on (returns the last error)."""
        attempts = fallback.attempts_per_model(self.options)
        number = 1
        while True:
            self._check_budget()
            self.emit(AttemptStarted(model.id, number, attempts))
            self.attempt_started = self.clock()
            try:
                text, usage, chars = await self._attempt(model)
            except _AttemptFailed as failed:
                error, chars = failed.error, failed.chars
            except asyncio.CancelledError:
                self.attempts.append(Attempt(model.id, "cancelled", elapsed_ms=self._ms(self.attempt_started)))
                raise
            else:
                elapsed = self.clock() - self.attempt_started
                # Providers only report an answer for a 2xx response, and both APIs answer 200.
                self.attempts.append(Attempt(model.id, "answered", 200, elapsed_ms=self._ms(self.attempt_started)))
                self.emit(Answered(model.id, elapsed, usage))
                return RunResult(
                    text=text,
                    model=model.id,
                    attempts=self.attempts,
                    usage=usage,
                    elapsed_s=self.clock() - self.started,
                )
            elapsed_s = self.clock() - self.attempt_started
            self.attempts.append(
                Attempt(
                    model.id, "failed", error.status, error.message, error.error_class, self._ms(self.attempt_started)
                )
            )
            log.debug("attempt %d on %s failed: %s (%s)", number, model.id, error.message, error.error_class)
            self.emit(AttemptFailed(model.id, ErrorSummary(error.error_class, error.status, error.message, elapsed_s)))
            if chars:
                self.emit(OutputWithdrawn(model.id, chars))
            if error.budget_spent:
                raise _Stop("budget_exceeded", self._budget_message())
            decision = fallback.decide(
                error, attempt=number, options=self.options, on_last_model=on_last, rand=self.rand
            )
            if decision.action is fallback.Action.STOP:
                raise _Stop(
                    error.error_class,
                    f"{model.id} refused the request ({_headline(error)}); no other model is tried for this error.",
                )
            if decision.action is fallback.Action.NEXT:
                state.note(decision, model)
                return error
            if self.clock() + decision.delay_s >= self.deadline:
                raise _Stop("budget_exceeded", self._budget_message())
            number += 1
            self.emit(Retrying(model.id, decision.delay_s, number, attempts))
            await self.sleep(decision.delay_s)

    async def _attempt(self, model: Model) -> tuple[str, dict[str, int] | None, int]:
        """One request to ``model``: (text, usage, chars). Raises :class:`_AttemptFailed`."""
        parts: list[str] = []
        try:
            provider = await self._provider(model)
            request = ChatRequest(model.name, self.prompt, self.system, self.max_tokens, self.stream)
            usage = await self._read(provider, request, model.id, parts)
        except ProviderError as error:
            raise _AttemptFailed(error, sum(map(len, parts))) from None
        text = "".join(parts)
        return text, usage, len(text)

    async def _read(
        self, provider: ChatProvider, request: ChatRequest, model_id: str, parts: list[str]
    ) -> dict[str, int] | None:
        """Consume the provider's chunks under the first-token, idle and budget timeouts."""
        loop = asyncio.get_running_loop()
        # The budget deadline on the loop's clock (``self.clock`` may be a test clock).
        budget_end = loop.time() + (self.deadline - self.clock())

        def deadline(first: bool) -> float:
            limit = self.options.first_token_timeout_s if first else self.options.idle_timeout_s
            return min(loop.time() + limit, budget_end)

        first = True
        chunks = provider.chat(request)
        try:
            async with asyncio.timeout_at(deadline(True)) as timer:
                async for chunk in chunks:
                    if isinstance(chunk, TextChunk):
                        parts.append(chunk.text)
                        self.emit(TextDelta(model_id, chunk.text))
                        first = False
                    elif isinstance(chunk, Finished):
                        return chunk.usage
                    # Before the first text only the first-token clock runs; after it,
                    # any sign of life (text or not) restarts the idle clock.
                    if not first:
                        timer.reschedule(deadline(False))
        except TimeoutError:
            spent = loop.time() >= budget_end - 0.001
            if spent:
                error = provider.error("timeout", f"the run's budget of {self.options.max_total_s:g} s ran out")
                error.budget_spent = True
            elif first:
                error = provider.error("timeout", f"no answer within {self.options.first_token_timeout_s:g} s")
            else:
                error = provider.error("timeout", f"stream idle for {self.options.idle_timeout_s:g} s")
            raise error from None
        finally:
            await chunks.aclose()  # type: ignore[attr-defined]
        raise provider.error("malformed_response", "stream ended without a finish")

    async def _provider(self, model: Model) -> ChatProvider:
        provider = self.providers[model.provider]  # _usable() checked it
        key = await read_key(provider.api_key, self.secrets, provider.id)
        assert self.client is not None
        return make_provider(provider, self.client, key)

    # -- helpers --------------------------------------------------------------------------

    def _candidate(self, chosen: list[str], index: int, state: fallback.SkipState) -> tuple[Model | None, str]:
        """The model at ``chosen[index]`` if it would be tried, else ``(None, why not)``."""
        if chosen[index] in chosen[:index]:
            return None, "listed twice"
        return self._usable(chosen[index], state)

    def _usable(self, model_id: str, state: fallback.SkipState) -> tuple[Model | None, str]:
        model = self.models.get(model_id)
        if model is None:
            return None, "not in the config"
        if not model.enabled:
            return None, "disabled"
        provider = self.providers.get(model.provider)
        if provider is None:
            return None, f"provider '{model.provider}' is not in the config"
        if not provider.enabled:
            return None, f"provider '{model.provider}' is disabled"
        why = fallback.skip_reason(model, needs=self.needs, state=state)
        return (None, why) if why else (model, "")

    def _is_last(self, chosen: list[str], index: int, state: fallback.SkipState) -> bool:
        """No later model would be tried as things stand (it may still be skipped later)."""
        return all(self._candidate(chosen, later, state)[0] is None for later in range(index + 1, len(chosen)))

    def _after_success(self, chosen: list[str], index: int, primary_failures: list[str]) -> None:
        if self.cooldowns is None:
            return
        if index == 0:
            # A success on the primary ends the agent's cooldown (SPEC §4).
            if any(c.agent_id == self.agent_id for c in self.cooldowns.active()):
                self.cooldowns.clear(self.agent_id)
            return
        if fallback.starts_cooldown(primary_failures, self.options):
            seconds = self.options.cooldown_s
            self.cooldowns.start(self.agent_id, chosen[index], self.cooldowns.now() + seconds, primary=chosen[0])
            self.emit(CooldownStarted(chosen[index], chosen[0], seconds))

    def _check_budget(self) -> None:
        if self.clock() >= self.deadline:
            raise _Stop("budget_exceeded", self._budget_message())

    def _budget_message(self) -> str:
        return f"Gave up: the run's time budget of {self.options.max_total_s:g} s (max_total_s) ran out."

    def _skipped_summary(self) -> str:
        return (
            "; ".join(f"{a.model} ({a.error})" for a in self.attempts if a.outcome == "skipped") or "the list is empty"
        )

    def _ms(self, since: float) -> int:
        return max(round((self.clock() - since) * 1000), 0)

    def _failed(self, code: str, message: str) -> RunResult:
        self.emit(AllFailed(code, message))
        return RunResult(
            attempts=self.attempts,
            elapsed_s=self.clock() - self.started,
            error={"code": code, "message": message},
        )


class _AttemptFailed(Exception):
    def __init__(self, error: ProviderError, chars: int) -> None:
        super().__init__(error.message)
        self.error = error
        self.chars = chars


def _headline(error: ProviderError) -> str:
    return f"{error.status} {error.message}" if error.status is not None else error.message
