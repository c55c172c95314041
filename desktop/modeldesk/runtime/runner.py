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
import json
import logging
import random
import time
from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx

from modeldesk.core.errors import ModelDeskError
from modeldesk.core.model_facts import is_local
from modeldesk.core.redaction import StreamRedactor
from modeldesk.core.resolver import Resolver
from modeldesk.core.schema import Config, FallbackSettings, Model, ModelValue, Policy, Provider

from . import policy as fallback
from .conversation import DEFAULT_TRANSLATED_MAX_TOKENS, Conversation, ImagePart
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
    FaultSimulated,
    ModelSkipped,
    Note,
    OutputKept,
    OutputWithdrawn,
    Retrying,
    RunEvent,
    Starting,
    TextDelta,
    ToolCallDelta,
)
from .providers import ChatProvider, ChatRequest, Finished, TextChunk, ToolCallChunk, make_provider, new_client
from .providers.anthropic import DEFAULT_MAX_TOKENS as ANTHROPIC_DEFAULT_MAX_TOKENS
from .providers.http_client import request_timeout
from .secrets import EnvKeyringSecrets, SecretSource, read_key
from .simulate import FaultTransport, Simulation

# A stream's rate (min_chars_per_s) is judged only after it has run this long: the first
# seconds of an answer are often slow.
RATE_GRACE_S = 10.0
# The idle deadline moves at most this often while chunks flow (see _read).
RESCHEDULE_S = 0.02
YIELD_S = 0.001
# What one image counts for in the pre-send token estimate (see _image_tokens).
IMAGE_TOKENS = 1600

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
    simulated: str | None = None  # the injected fault, when the failure was simulated
    # US dollars: reported tokens times the registry's price (0 for a local model; None unknown).
    cost_usd: float | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "model": self.model,
            "outcome": self.outcome,
            "status": self.status,
            "error": self.error,
            "error_class": self.error_class,
            "elapsed_ms": self.elapsed_ms,
        }
        if self.simulated is not None:
            data["simulated"] = self.simulated
        if self.cost_usd is not None:
            data["cost_usd"] = self.cost_usd
        return data


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
    # Where the answer changed hands (on_stream_break "continue"): [{"model", "start", "end"}]
    # in characters of ``text``; empty when one model wrote it all.
    segments: list[dict[str, Any]] = field(default_factory=list)
    # Why the answering model stopped (stop, length, tool_calls, content_filter), when it said.
    stop_reason: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def cost_usd(self) -> float | None:
        """What the run's attempts cost, as far as known (None when no attempt's cost is)."""
        known = [a.cost_usd for a in self.attempts if a.cost_usd is not None]
        return sum(known) if known else None

    def to_json(self) -> dict[str, Any]:
        attempts = [a.to_json() for a in self.attempts]
        cost = {} if self.cost_usd is None else {"cost_usd": self.cost_usd}
        if self.error is not None:
            return {"error": dict(self.error), "attempts": attempts, "elapsed_s": round(self.elapsed_s, 3)} | cost
        data: dict[str, Any] = {
            "text": self.text,
            "model": self.model,
            "attempts": attempts,
            "usage": self.usage,
            "elapsed_s": round(self.elapsed_s, 3),
        }
        if self.segments:
            data["segments"] = [dict(segment) for segment in self.segments]
        return data | cost


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
    simulate: Simulation | None = None,
    client: httpx.AsyncClient | None = None,
    conversation: Conversation | None = None,
    withdrawable: bool = True,
    clock: Callable[[], float] = time.monotonic,
    sleep: Sleep = asyncio.sleep,
    rand: Callable[[], float] = random.random,
) -> RunResult:
    """Run ``prompt`` for ``agent_id`` and return the result (see the module docstring).

    ``models`` is an already-resolved list; when ``None`` the list comes from the shared
    resolver (``call`` being the run's own model choice, SPEC §3.1). ``needs`` names
    capabilities the request requires ("tools", "vision"). ``clock``, ``sleep`` and
    ``rand`` are for tests: ``sleep`` performs every backoff wait, ``rand`` drives jitter.
    ``simulate`` injects faults in front of the real transport (:mod:`.simulate`).
    ``client`` is a long-lived client (from :func:`.providers.new_client`) whose connection
    pool the run reuses and leaves open, with the agent's own connect timeout on each
    request; without one (or when simulating) the run opens and closes its own.

    ``conversation`` replaces ``prompt`` with a whole conversation (the gateway); its
    tools and tool calls come back as :class:`ToolCallDelta` events, and the agent's
    instruction is not added (the conversation carries its own system prompt).
    ``withdrawable=False`` says streamed output cannot be taken back (it already reached
    a client): a stream that breaks after some output ends the run with ``stream_broken``
    unless the agent's ``on_stream_break`` is ``continue`` and the output was text only.
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
        simulation=simulate,
        shared_client=client if simulate is None else None,
        conversation=conversation,
        withdrawable=withdrawable,
    )
    return await run.execute(models, call, policy)


_events_log = logging.getLogger("modeldesk.run")
# What a run holds until its agent's options are known: one instance, never changed (a new
# one per run was a pydantic validation each time).
_PLACEHOLDER_OPTIONS = FallbackSettings()
_STREAMED = (TextDelta, ToolCallDelta)  # events not logged: the answer's own text


def _logging_events(on_event: EventHandler | None) -> EventHandler:
    """Every event but streamed text also goes to the log file (when one is set up)."""

    def emit(event: RunEvent) -> None:
        # describe() only when the line is kept: no log file, no formatting.
        if not isinstance(event, _STREAMED) and _events_log.isEnabledFor(logging.INFO):
            _events_log.info("%s", event.describe())
        if on_event is not None:
            on_event(event)

    return emit


@dataclass(slots=True)
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
    simulation: Simulation | None = None
    shared_client: httpx.AsyncClient | None = None  # the caller's pool, reused and left open
    attempts: list[Attempt] = field(default_factory=list)
    options: FallbackSettings = field(default_factory=lambda: _PLACEHOLDER_OPTIONS)  # the agent's, once resolved
    models: dict[str, Model] = field(default_factory=dict)
    providers: dict[str, Provider] = field(default_factory=dict)
    system: str | None = None  # the agent's instruction
    started: float = 0.0  # clock() at the start of the run
    deadline: float = 0.0  # clock() value at which the total budget ends
    attempt_started: float = 0.0
    client: httpx.AsyncClient | None = None  # one client (and connection pool) per run
    faults: FaultTransport | None = None  # in front of the client's transport when simulating
    store_warned: bool = False
    primary: Model | None = None  # the run's first choice: the cost ceiling's reference
    _estimate: tuple[tuple[int, int], int] | None = None  # ((partial length, max_tokens), tokens)
    moved: fallback.Decision | None = None  # why the last model tried was left (see _try_model)
    deferral: _Deferred | None = None
    partial: str = ""  # text kept from broken streams (on_stream_break "continue")
    segments: list[dict[str, Any]] = field(default_factory=list)
    conversation: Conversation | None = None
    withdrawable: bool = True
    stop_reason: str | None = None  # of the attempt that answered
    local: dict[str, bool] = field(default_factory=dict)  # provider id -> is_local (see _is_local)

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
        self.system = agent.instruction or None if self.conversation is None else None
        self.emit(Starting(tuple(chosen)))
        try:
            if self.shared_client is not None:
                self.client = self.shared_client
                return await self._try_models(chosen)
            async with new_client(self.options.connect_timeout_s, simulation=self.simulation) as client:
                self.client = client
                transport = client._transport
                self.faults = transport if isinstance(transport, FaultTransport) else None
                return await self._try_models(chosen)
        except _Stop as stop:
            return self._failed(stop.code, stop.message)
        except asyncio.CancelledError:
            in_flight = self.attempts[-1].model if self.attempts and self.attempts[-1].outcome == "cancelled" else None
            self.emit(Cancelled(in_flight, self.clock() - self.started))
            raise

    # -- the fallback loop ----------------------------------------------------------------

    async def _try_models(self, chosen: list[str]) -> RunResult:
        unique = list(dict.fromkeys(chosen))
        if not self.options.enabled and len(unique) > 1:
            # "Never fall back": the first model (the explicit pick) is the only one tried.
            for model_id in unique[1:]:
                self.emit(ModelSkipped(model_id, "fallback is off for this agent"))
                self.attempts.append(Attempt(model_id, "skipped", error="fallback is off for this agent"))
            chosen = unique[:1]
        self.primary = self.models.get(chosen[0]) if chosen else None
        if self.options.cost == "not_more" and self.primary is not None and not fallback.is_priced(self.primary):
            self.emit(
                Note(
                    f"{self.primary.id} has no known price ({fallback.price_text(self.primary.price)}): "
                    "cost not_more sets no ceiling"
                )
            )
        sequence = await self._order(chosen)
        state = fallback.SkipState.empty()
        failures: list[tuple[str, str]] = []  # (model, error class) of models that failed
        last_error: tuple[str, ProviderError] | None = None
        no_key: ProviderError | None = None
        tried_any = False
        pending = list(sequence)  # models not tried yet, in the order they will be
        seen: set[str] = set()
        # Models left for later by failover "at_once", retried only if nothing else answers.
        deferred: list[_Deferred] = []
        while pending or deferred:
            resume = None if pending else deferred.pop(0)
            model_id = pending.pop(0) if resume is None else resume.model_id
            model, why = self._usable(model_id, state)
            if resume is None and model_id in seen:
                model, why = None, "listed twice"
            seen.add(model_id)
            if model is None:
                self.emit(ModelSkipped(model_id, why))
                self.attempts.append(Attempt(model_id, "skipped", error=why))
                continue
            if tried_any and resume is None:
                self.emit(FallingBack(model_id, last_error[1].message if last_error else ""))
            fresh_left = not self._is_last(pending, seen, state)
            outcome = await self._try_model(
                model, on_last=not fresh_left and not deferred, state=state, resume=resume, may_defer=fresh_left
            )
            if isinstance(outcome, RunResult):
                self._after_success(model_id, failures)
                return outcome
            if outcome.error_class == "no_key":
                # Not an attempt: nothing was sent. Later models of the provider are skipped.
                no_key = no_key or outcome
                continue
            tried_any = True
            last_error = (model_id, outcome)
            failures.append((model_id, outcome.error_class))
            if outcome.error_class == "quota":
                # Quota is an account's state, not a moment's: it cools down even if no
                # other model answers.
                self._cool(model_id, "quota", None)
            if self.deferral is not None:
                deferred.append(self.deferral)
            if self.deferral is not None or (self.moved is not None and self.moved.other_provider_first):
                pending = _other_providers_first(pending, model.provider, self.models)
        if last_error is None:
            too_small = self._too_small_message() if no_key is None else None
            if too_small is not None:
                raise _Stop("context_overflow", too_small)
            code = "no_key" if no_key is not None else "no_usable_model"
            raise _Stop(code, "No model in the list could be tried: " + self._skipped_summary())
        model_id, error = last_error
        raise _Stop(
            "all_models_failed",
            f"Every model failed; the last, {model_id}, failed with {_headline(error)}.",
        )

    async def _order(self, models: list[str]) -> list[str]:
        """The order to try ``models`` in, given the agent's cooldowns.

        Models cooling down move to the end, soonest-ending first: when the others fail
        (a pinned fallback chain), the primary is still tried last, and when every model is
        cooling down, the one whose cooldown ends first goes first.
        """
        if self.cooldowns is None or not self.options.enabled:
            return models
        entries = {
            m: e
            for m, e in self.cooldowns.cooling(self.agent_id, models).items()
            if (self.options.quota_cooldown_s if e.reason == "quota" else self.options.cooldown_s) > 0
        }
        self._warn_store()
        if not entries:
            return models
        if self.options.probe_primary and models[0] in entries and await self._probe(models[0]):
            entries.pop(models[0])
            self.cooldowns.clear(self.agent_id, models[0])
        now = self.cooldowns.now()
        ready = [m for m in models if m not in entries]
        cooling = sorted(entries, key=lambda m: entries[m].until)
        if not ready:
            first = cooling[0]
            self.emit(
                Note(
                    f"Every model is cooling down; trying {first} first, whose cooldown ends soonest "
                    f"({entries[first].until - now:.0f} s left)"
                )
            )
            return cooling
        head = models.index(ready[0])
        if head:
            skipped = tuple(models[:head])
            self.emit(CooldownUsed(ready[0], skipped, min(entries[m].until for m in skipped) - now))
            for model_id in skipped:
                self.attempts.append(Attempt(model_id, "skipped", error=f"cooldown: starting at {ready[0]}"))
        for model_id in models[head:]:
            if model_id in entries:
                entry = entries[model_id]
                why = (
                    f"cooling down after {entry.reason.replace('_', ' ')} ({entry.until - now:.0f} s left); tried last"
                )
                self.emit(ModelSkipped(model_id, why))
        return ready + cooling

    async def _probe(self, model_id: str) -> bool:
        """A 1-token request to a cooling primary (``probe_primary``): True when it answered."""
        model, _why = self._usable(model_id, fallback.SkipState.empty())
        if model is None:
            return False
        self.emit(Note(f"Probing {model_id} with a 1-token request before going back to it"))
        request = ChatRequest(model.name, "Reply with one word.", None, 1, False)
        if self.faults is not None:  # a rehearsed outage applies to the probe too
            self.faults.target = (model.id, model.provider)
        limit = min(self.options.connect_timeout_s + self.options.first_token_timeout_s, 15.0)
        try:
            provider = await self._provider(model)
            async with asyncio.timeout(limit):
                async for _chunk in provider.chat(request):
                    pass
        except (ProviderError, TimeoutError) as exc:
            detail = exc.message if isinstance(exc, ProviderError) else f"no answer within {limit:g} s"
            self.emit(Note(f"{model_id} is still unwell ({detail}); its cooldown stays"))
            return False
        self.emit(Note(f"{model_id} answered the probe; its cooldown ends"))
        return True

    async def _try_model(
        self,
        model: Model,
        *,
        on_last: bool,
        state: fallback.SkipState,
        resume: _Deferred | None = None,
        may_defer: bool = False,
    ) -> RunResult | ProviderError:
        """Attempts on one model until it answers, or the policy moves on (returns the last error).

        ``resume`` continues a model left for later (failover "at_once") at its next attempt;
        ``may_defer`` lets a retryable failure leave the model for later when others are left.
        On an error, ``self.moved`` holds the decision that moved on and ``self.deferral``
        the model's place in the queue of models to retry later (or None).
        """
        attempts = fallback.attempts_per_model(self.options)
        self.moved = self.deferral = None
        number = 1
        if resume is not None:
            number = resume.number
            wait = max(resume.ready_at - self.clock(), 0.0)
            if self.clock() + wait >= self.deadline:
                raise _Stop("budget_exceeded", self._budget_message())
            self.emit(Retrying(model.id, wait, number, attempts))
            await self.sleep(wait)
        while True:
            self._check_budget()
            self.emit(AttemptStarted(model.id, number, attempts))
            self.attempt_started = self.clock()
            try:
                text, usage, chars = await self._attempt(model)
            except _AttemptFailed as failed:
                error, chars, failed_text = failed.error, failed.chars, failed.text
                tool_content = failed.tool_content
            except asyncio.CancelledError:
                elapsed_ms = _ms(self.clock() - self.attempt_started)
                self.attempts.append(Attempt(model.id, "cancelled", elapsed_ms=elapsed_ms))
                raise
            else:
                elapsed = self.clock() - self.attempt_started
                # Providers only report an answer for a 2xx response, and both APIs answer 200.
                cost = fallback.attempt_cost(model, usage, local=self._is_local(model.provider))
                self.attempts.append(Attempt(model.id, "answered", 200, elapsed_ms=_ms(elapsed), cost_usd=cost))
                self.emit(Answered(model.id, elapsed, usage, self.stop_reason))
                segments: list[dict[str, Any]] = []
                if self.partial:
                    segments = [
                        *self.segments,
                        {"model": model.id, "start": len(self.partial), "end": len(self.partial) + len(text)},
                    ]
                return RunResult(
                    text=self.partial + text,
                    model=model.id,
                    attempts=self.attempts,
                    usage=usage,
                    elapsed_s=self.clock() - self.started,
                    segments=segments,
                    stop_reason=self.stop_reason,
                )
            elapsed_s = self.clock() - self.attempt_started
            if error.error_class == "no_key":
                self.emit(ModelSkipped(model.id, error.message))
                self.attempts.append(Attempt(model.id, "skipped", error=error.message, error_class="no_key"))
                state.note(fallback.decide(error, attempt=number, options=self.options, on_last_model=on_last), model)
                return error
            simulated = self._injected()
            if simulated is not None:
                self.emit(FaultSimulated(model.id, simulated))
            self.attempts.append(
                Attempt(
                    model.id,
                    "failed",
                    error.status,
                    error.message,
                    error.error_class,
                    _ms(elapsed_s),
                    simulated=simulated,
                )
            )
            log.debug("attempt %d on %s failed: %s (%s)", number, model.id, error.message, error.error_class)
            self.emit(AttemptFailed(model.id, ErrorSummary(error.error_class, error.status, error.message, elapsed_s)))
            if chars:
                # Refused text is never kept: continuing it would carry on what was refused.
                keep = error.error_class not in fallback.STOPPING and error.error_class != "refusal"
                continuable = self.options.on_stream_break == "continue" and keep and not tool_content
                if not self.withdrawable and not continuable:
                    raise _Stop(
                        "stream_broken",
                        f"{model.id} failed after part of its answer was sent ({_headline(error)}); "
                        "the answer cannot be taken back, so no other model continues it.",
                    )
                if continuable:
                    self.segments.append(
                        {"model": model.id, "start": len(self.partial), "end": len(self.partial) + chars}
                    )
                    self.partial += failed_text
                    self.emit(OutputKept(model.id, chars))
                else:
                    self.emit(OutputWithdrawn(model.id, chars))
            if error.budget_spent:
                raise _Stop("budget_exceeded", self._budget_message())
            decision = fallback.decide(
                error, attempt=number, options=self.options, on_last_model=on_last, rand=self.rand
            )
            if decision.action is fallback.Action.STOP:
                if error.error_class == "refusal":
                    raise _Stop(
                        "refusal",
                        f'{model.id} refused to answer ({_headline(error)}); on_refusal is "stop", so no other '
                        "model is tried.",
                    )
                raise _Stop(
                    error.error_class,
                    f"{model.id} refused the request ({_headline(error)}); no other model is tried for this error.",
                )
            if decision.action is fallback.Action.NEXT:
                state.note(decision, model)
                self.moved = decision
                return error
            if may_defer and self.options.failover == "at_once":
                # Another model may answer now; this one is retried only if none does.
                self.deferral = _Deferred(model.id, number + 1, self.clock() + decision.delay_s)
                self.emit(
                    Note(f"Not retrying {model.id} now (failover: at_once); it is retried if no other model answers")
                )
                return error
            if self.clock() + decision.delay_s >= self.deadline:
                left = max(self.deadline - self.clock(), 0.0)
                if error.retry_after is not None and decision.delay_s == error.retry_after:
                    why = (
                        f"{model.id} asked to wait {error.retry_after:g} s (Retry-After), more than the {left:.1f} s "
                        f"left of the run's time budget of {self.options.max_total_s:g} s (max_total_s)"
                    )
                else:
                    why = (
                        f"the next retry of {model.id} would start after the run's time budget of "
                        f"{self.options.max_total_s:g} s (max_total_s) ends"
                    )
                if not on_last:
                    # Waiting would not fit, but another model may answer at once.
                    self.emit(Note(f"Not waiting: {why}"))
                    state.note(decision, model)
                    return error
                raise _Stop("budget_exceeded", f"Gave up: {why}.")
            number += 1
            self.emit(Retrying(model.id, decision.delay_s, number, attempts))
            await self.sleep(decision.delay_s)

    async def _attempt(self, model: Model) -> tuple[str, dict[str, int] | None, int]:
        """One request to ``model``: (text, usage, chars). Raises :class:`_AttemptFailed`."""
        parts: list[str] = []
        tool_pieces: list[int] = []  # one entry per tool-call piece received
        if self.faults is not None:
            self.faults.target = (model.id, model.provider)
        try:
            provider = await self._provider(model)
            request = ChatRequest(
                model.name,
                self.prompt,
                self.system,
                self.max_tokens,
                self.stream,
                prefix=self.partial or None,
                conversation=self.conversation,
            )
            usage = await self._read(provider, request, model.id, parts, tool_pieces)
            text = "".join(parts)
            if not text.strip() and not tool_pieces and not self.options.allow_empty_answer:
                raise provider.error("empty_answer", "the model answered with no text")
        except ProviderError as error:
            text = "".join(parts)
            # Tool-call pieces count as output: a client may have received them.
            raise _AttemptFailed(error, len(text) + len(tool_pieces), text, bool(tool_pieces)) from None
        return text, usage, len(text)

    def _injected(self) -> str | None:
        """The fault injected into the attempt that just failed, if one was."""
        if self.simulation is None or not self.simulation.injected:
            return None
        _model, spec = self.simulation.injected[-1]
        self.simulation.injected.clear()
        return spec

    async def _read(
        self,
        provider: ChatProvider,
        request: ChatRequest,
        model_id: str,
        parts: list[str],
        tool_pieces: list[int] | None = None,
    ) -> dict[str, int] | None:
        """Consume the provider's chunks under the first-token, idle and budget timeouts."""
        loop = asyncio.get_running_loop()
        # The budget deadlines on the loop's clock (``self.clock`` may be a test clock): the
        # run's, and this attempt's own (attempt_timeout_s), whichever ends first.
        run_end = loop.time() + (self.deadline - self.clock())
        attempt_end = loop.time() + self.options.attempt_timeout_s
        budget_end = min(run_end, attempt_end)

        def deadline(first: bool) -> float:
            limit = self.options.first_token_timeout_s if first else self.options.idle_timeout_s
            return min(loop.time() + limit, budget_end)

        first = True
        first_at = 0.0
        rescheduled = -RESCHEDULE_S  # the first content moves the deadline at once
        yielded = loop.time()
        chars = 0
        min_rate = self.options.min_chars_per_s
        chunks = provider.chat(request)
        # A key quoted in the answer is redacted before any of it is shown or kept, even
        # when it arrives split across chunks. Made at the first text: most failed attempts
        # have none.
        redactor: StreamRedactor | None = None

        def deliver(text: str) -> bool:
            if text:
                parts.append(text)
                self.emit(TextDelta(model_id, text))
            return bool(text)

        # The first content of the attempt (what the redactor let through) is followed by
        # one turn of the loop: whoever sends it on (the gateway, the app) gets to before
        # the rest of a burst is parsed, not YIELD_S later. A whole answer (not streamed)
        # has no rest: its end follows at once.
        handed_on = not request.stream
        # Nor is there an idle wait in one: the idle clock runs for streams only.
        idle_clock = request.stream

        try:
            async with asyncio.timeout_at(deadline(True)) as timer:
                async for chunk in chunks:
                    if isinstance(chunk, TextChunk):
                        if redactor is None:
                            redactor = StreamRedactor(provider.secrets)
                        delivered = deliver(redactor.feed(chunk.text))
                        if first:
                            first, first_at = False, loop.time()
                        chars += len(chunk.text)
                        if delivered and not handed_on:
                            handed_on = True
                            await asyncio.sleep(0)
                            yielded = loop.time()
                    elif isinstance(chunk, ToolCallChunk):
                        if tool_pieces is not None:
                            tool_pieces.append(chunk.index)
                        self.emit(ToolCallDelta(model_id, chunk.index, chunk.id, chunk.name, chunk.arguments))
                        if first:
                            first, first_at = False, loop.time()
                        if not handed_on:
                            handed_on = True
                            await asyncio.sleep(0)
                            yielded = loop.time()
                    elif isinstance(chunk, Finished):
                        if redactor is not None:
                            deliver(redactor.flush())
                            redactor = None
                        self.stop_reason = chunk.stop_reason
                        return chunk.usage
                    if not first and min_rate > 0:
                        streamed = loop.time() - first_at
                        if streamed >= RATE_GRACE_S and chars / streamed < min_rate:
                            raise provider.error(
                                "too_slow",
                                f"{chars} characters in {streamed:.0f} s is slower than min_chars_per_s = {min_rate:g}",
                            )
                    # Before the first text only the first-token clock runs; after it,
                    # any sign of life (text or not) restarts the idle clock — at most every
                    # RESCHEDULE_S: moving a timer per chunk was a visible share of a busy
                    # gateway's work, and the idle limit then holds within that margin.
                    if not first and idle_clock:
                        now = loop.time()
                        if now - rescheduled >= RESCHEDULE_S:
                            timer.reschedule(deadline(False))
                            rescheduled = now
                    # Chunks already received are parsed without waiting on the socket:
                    # a burst would hold the loop (the app's GUI thread) until it is all
                    # read. Let the loop turn at least every YIELD_S.
                    now = loop.time()
                    if now - yielded >= YIELD_S:
                        await asyncio.sleep(0)
                        yielded = loop.time()
        except TimeoutError:
            now = loop.time()
            if now >= run_end - 0.001:
                error = provider.error("timeout", f"the run's budget of {self.options.max_total_s:g} s ran out")
                error.budget_spent = True
            elif now >= attempt_end - 0.001:
                error = provider.error(
                    "too_slow",
                    f"the attempt used its whole budget of {self.options.attempt_timeout_s:g} s (attempt_timeout_s)",
                )
            elif first:
                error = provider.error("timeout", f"no answer within {self.options.first_token_timeout_s:g} s")
            else:
                error = provider.error("timeout", f"stream idle for {self.options.idle_timeout_s:g} s")
            raise error from None
        finally:
            if redactor is not None:
                deliver(redactor.flush())  # what was held back of a broken stream is still its text
            await chunks.aclose()
        raise provider.error("malformed_response", "stream ended without a finish")

    async def _provider(self, model: Model) -> ChatProvider:
        provider = self.providers[model.provider]  # _usable() checked it
        key = await read_key(provider.api_key, self.secrets, provider.id)
        assert self.client is not None
        return make_provider(provider, self.client, key, request_timeout(self.options.connect_timeout_s))

    # -- helpers --------------------------------------------------------------------------

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
        why = (
            fallback.skip_reason(model, needs=self.needs, state=state)
            # The estimate only where a known window can rule the model out.
            or (model.context_window is not None and fallback.window_skip_reason(model, self._needed_tokens(provider)))
            or (
                self.options.cost != "any"  # "any" rules nothing out: no need to ask whether it is local
                and fallback.cost_skip_reason(
                    model, primary=self.primary, local=self._is_local(provider.id), limit=self.options.cost
                )
            )
        )
        return (None, why) if why else (model, "")

    def _is_local(self, provider_id: str) -> bool:
        """:func:`is_local` of a provider, worked out once per run (it parses the URL)."""
        local = self.local.get(provider_id)
        if local is None:
            local = self.local[provider_id] = is_local(self.providers.get(provider_id))
        return local

    def _needed_tokens(self, provider: Provider) -> int:
        """The request's estimated tokens on ``provider``, with the max_tokens it will ask for."""
        conversation = self.conversation
        default = 0
        if provider.kind == "anthropic":  # the Messages API always asks for some
            default = ANTHROPIC_DEFAULT_MAX_TOKENS if conversation is None else DEFAULT_TRANSLATED_MAX_TOKENS
        asked = (conversation.max_tokens if conversation is not None else None) or self.max_tokens or default
        key = (len(self.partial), asked)
        if self._estimate is None or self._estimate[0] != key:
            self._estimate = (key, fallback.estimate_tokens(self._request_texts(), asked + self._image_tokens()))
        return self._estimate[1]

    def _request_texts(self) -> list[str]:
        """Every text the request sends: instruction, prompt (or the conversation's turns,
        tool calls and tool declarations) and any partial answer being continued."""
        conversation = self.conversation
        if conversation is None:
            return [text for text in (self.system, self.prompt, self.partial) if text]
        texts = [conversation.system or "", self.partial]
        for message in conversation.messages:
            texts.append(message.text())
            texts += [call.name + call.arguments for call in message.tool_calls]
        texts += [tool.name + (tool.description or "") + json.dumps(tool.parameters) for tool in conversation.tools]
        return [text for text in texts if text]

    def _image_tokens(self) -> int:
        """Images are counted by number, not by the size of their data: a model's cost of an
        image is bounded (about 1,600 tokens for the largest at Anthropic and OpenAI)."""
        if self.conversation is None:
            return 0
        images = sum(isinstance(p, ImagePart) for m in self.conversation.messages for p in m.parts)
        return images * IMAGE_TOKENS

    def _too_small_message(self) -> str | None:
        """When every model skipped was skipped for its window: the run's error message."""
        small: list[tuple[str, int]] = []
        needed = 0
        for attempt in self.attempts:
            model = self.models.get(attempt.model)
            provider = self.providers.get(model.provider) if model is not None else None
            if model is None or provider is None or model.context_window is None:
                continue
            if fallback.window_skip_reason(model, self._needed_tokens(provider)) == attempt.error:
                small.append((model.id, model.context_window))
                needed = max(needed, self._needed_tokens(provider))
        if not small:
            return None
        windows = ", ".join(f"{model_id} {window}" for model_id, window in small)
        return (
            f"The request needs about {needed} tokens (prompt and max_tokens), more than the context window of "
            f"every model that could take it ({windows}); nothing was sent."
        )

    def _is_last(self, pending: list[str], seen: set[str], state: fallback.SkipState) -> bool:
        """No model still pending would be tried as things stand (it may still be skipped later)."""
        earlier = set(seen)  # a model listed again is not tried again
        for model_id in pending:
            if model_id not in earlier and self._usable(model_id, state)[0] is not None:
                return False
            earlier.add(model_id)
        return True

    def _after_success(self, answered: str, failures: list[tuple[str, str]]) -> None:
        if self.cooldowns is None:
            return
        # A success ends the answering model's own cooldown (SPEC §4).
        if self.cooldowns.cooling(self.agent_id, [answered]):
            self.cooldowns.clear(self.agent_id, answered)
        for model_id, error_class in failures:
            if error_class != "quota" and error_class in fallback.COOLDOWN_CLASSES:
                self._cool(model_id, error_class, answered)

    def _warn_store(self) -> None:
        """Say once per run that the shared cooldown store is unreachable."""
        if self.cooldowns is not None and self.cooldowns.warning and not self.store_warned:
            self.store_warned = True
            self.emit(Note(f"Warning: {self.cooldowns.warning}"))

    def _cool(self, model_id: str, error_class: str, answered: str | None) -> None:
        seconds = fallback.cooldown_for(error_class, self.options)
        if self.cooldowns is None or seconds <= 0 or not self.options.enabled:
            return
        self.cooldowns.cool(self.agent_id, [model_id], seconds, reason=error_class, replaced_by=answered)
        self._warn_store()
        self.emit(CooldownStarted(answered or model_id, model_id, seconds, error_class))

    def _check_budget(self) -> None:
        if self.clock() >= self.deadline:
            raise _Stop("budget_exceeded", self._budget_message())

    def _budget_message(self) -> str:
        return f"Gave up: the run's time budget of {self.options.max_total_s:g} s (max_total_s) ran out."

    def _skipped_summary(self) -> str:
        return (
            "; ".join(f"{a.model} ({a.error})" for a in self.attempts if a.outcome == "skipped") or "the list is empty"
        )

    def _failed(self, code: str, message: str) -> RunResult:
        self.emit(AllFailed(code, message))
        return RunResult(
            attempts=self.attempts,
            elapsed_s=self.clock() - self.started,
            error={"code": code, "message": message},
        )


@dataclass(frozen=True)
class _Deferred:
    """A model left for later by failover "at_once": its next attempt and when it may start."""

    model_id: str
    number: int
    ready_at: float  # on the run's clock


def _other_providers_first(pending: list[str], provider: str, models: dict[str, Model]) -> list[str]:
    """``pending`` with models of other providers than ``provider`` first, order kept otherwise."""
    same = [m for m in pending if m in models and models[m].provider == provider]
    return [m for m in pending if m not in same] + same


class _AttemptFailed(Exception):
    def __init__(self, error: ProviderError, chars: int, text: str = "", tool_content: bool = False) -> None:
        super().__init__(error.message)
        self.error = error
        self.chars = chars
        self.text = text
        self.tool_content = tool_content


def _headline(error: ProviderError) -> str:
    return f"{error.status} {error.message}" if error.status is not None else error.message


def _ms(seconds: float) -> int:
    # Callers pass the same reading their event carries, so an AttemptLog built from the
    # events agrees with the runner's attempts to the millisecond.
    return max(round(seconds * 1000), 0)
