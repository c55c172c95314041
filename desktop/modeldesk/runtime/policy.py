"""The fallback policy of SPEC §4, as pure functions.

No I/O, no clock, no asyncio: the runner asks this module what to do after each failed
attempt and which models to skip, and carries out the answer. Randomness (jitter) comes
in as a function so tests can pin it.

| error class                           | action                                               |
|---------------------------------------|------------------------------------------------------|
| rate_limit                            | next model; on the last model retry after Retry-After |
|                                       | (≤ 60 s; longer means give up) or backoff             |
| quota                                 | next model on another provider; long cooldown         |
| no_key                                | skip the provider's models (no attempt, no cooldown)  |
| server, timeout, connection,          | retry the same model with backoff (a Retry-After on   |
| malformed_response, empty_answer      | 503/529 replaces it), then next model                 |
| too_slow                              | next model (the attempt used its own budget)          |
| context_overflow                      | next model with a larger known context window        |
| not_found, not_implemented (501)      | next model                                           |
| auth, redirect                        | next model on another provider                       |
| refusal (finish_reason content_filter, | on_refusal "fallback": next model, another provider  |
| stop_reason refusal)                  | first; "stop": stop                                  |
| invalid_request, content_policy       | stop                                                 |
| cancelled                             | stop                                                 |
"""

from __future__ import annotations

import random
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from enum import Enum

from modeldesk.core.schema import Agent, FallbackSettings, Model, Price, Settings

from .errors import ProviderError

# The longest Retry-After the runner waits for on the last model (SPEC §4).
MAX_RETRY_AFTER_S = 60.0

RETRYABLE = frozenset({"server", "timeout", "connection", "malformed_response", "empty_answer"})
STOPPING = frozenset({"invalid_request", "content_policy", "cancelled"})
# A primary failing with one of these (and a fallback answering) starts a cooldown. Context
# overflow is left out on purpose: it says the prompt was too long, not that the primary
# is unwell, so the next (probably shorter) prompt should go to the primary again.
COOLDOWN_CLASSES = frozenset({"rate_limit", "auth", "not_found", "quota"})
# Every later model on the provider is skipped after one of these: the account, the key or
# the address is wrong for all of them alike.
PROVIDER_WIDE = frozenset({"auth", "quota", "no_key", "redirect"})

CAPABILITIES = ("tools", "vision")


class Action(str, Enum):
    RETRY = "retry"  # the same model again, after ``delay_s``
    NEXT = "next"  # on to the next usable model
    STOP = "stop"  # end the run now, no fallback


@dataclass(frozen=True)
class Decision:
    action: Action
    delay_s: float = 0.0
    reason: str = ""
    # Set for 401/403, quota, a missing key, a redirect: later models on this provider
    # are skipped, with this reason.
    block_provider: bool = False
    block_reason: str = ""
    # Set for context overflow: later models need a larger known window than this.
    min_context_exceeded: bool = False
    # Set for a refusal: the next model on another provider comes before the rest of this
    # provider's (the same model family would likely refuse the same turn).
    other_provider_first: bool = False


def effective_options(settings: Settings, agent: Agent | None) -> FallbackSettings:
    """The settings' fallback defaults with the agent's own options laid over them."""
    if agent is not None and agent.fallback is not None:
        return agent.fallback.apply_to(settings.fallback)
    return settings.fallback


def attempts_per_model(options: FallbackSettings) -> int:
    return 1 + options.retries


def backoff_delay(retry: int, options: FallbackSettings, rand: Callable[[], float] = random.random) -> float:
    """Wait before retry number ``retry`` (0 for the first): ``base·2^retry``, capped at
    ``backoff_max_s``, then moved by up to ± ``jitter`` of itself."""
    delay = min(options.backoff_base_s * (2.0 ** max(retry, 0)), options.backoff_max_s)
    if options.jitter:
        delay *= 1 + options.jitter * (2 * rand() - 1)
    return max(delay, 0.0)


def decide(
    error: ProviderError,
    *,
    attempt: int,
    options: FallbackSettings,
    on_last_model: bool,
    rand: Callable[[], float] = random.random,
) -> Decision:
    """What to do after attempt number ``attempt`` (1-based) on a model failed with ``error``.

    The provider's ``x-should-retry`` has the last word on retrying the same model: ``false``
    turns a retry into the next model, ``true`` allows one retry the class would not get.
    """
    decision = _by_class(error, attempt=attempt, options=options, on_last_model=on_last_model, rand=rand)
    if error.should_retry is False and decision.action is Action.RETRY:
        return Decision(Action.NEXT, reason=f"{error.message} (the provider said not to retry: x-should-retry)")
    if (
        error.should_retry is True
        and decision.action is not Action.RETRY
        and error.error_class not in _NEVER_RETRIED
        and attempt == 1
        and attempts_per_model(options) > 1
    ):
        return Decision(Action.RETRY, delay_s=backoff_delay(0, options, rand), reason=error.message)
    return decision


# Nothing a server says makes these worth sending again.
_NEVER_RETRIED = frozenset({"cancelled", "no_key", "refusal"})


def _by_class(
    error: ProviderError,
    *,
    attempt: int,
    options: FallbackSettings,
    on_last_model: bool,
    rand: Callable[[], float],
) -> Decision:
    cls = error.error_class
    attempts = attempts_per_model(options)
    if cls in STOPPING:
        return Decision(Action.STOP, reason=error.message)
    if cls == "refusal":
        # Never the same model again: the same turn would be refused again.
        if options.on_refusal == "stop":
            return Decision(Action.STOP, reason=error.message)
        return Decision(Action.NEXT, reason=error.message, other_provider_first=True)
    if cls in PROVIDER_WIDE:
        why = _BLOCK_REASONS[cls].replace("{error}", error.message)
        return Decision(Action.NEXT, reason=error.message, block_provider=True, block_reason=why)
    if cls in ("not_found", "too_slow", "not_implemented"):
        return Decision(Action.NEXT, reason=error.message)
    if cls == "context_overflow":
        return Decision(Action.NEXT, reason=error.message, min_context_exceeded=True)
    if cls == "rate_limit":
        if not on_last_model or attempt >= attempts:
            return Decision(Action.NEXT, reason=error.message)
        return _wait(error, attempt, options, rand)
    if cls in RETRYABLE and attempt < attempts:
        return _wait(error, attempt, options, rand)
    return Decision(Action.NEXT, reason=error.message)


# Why later models of a provider are skipped; {provider} and {model} are filled in by SkipState.
_BLOCK_REASONS = {
    "auth": "provider '{provider}' refused the key for {model}",
    "quota": "provider '{provider}' is out of quota or credit ({model}: {error})",
    "no_key": "{error}",
    "redirect": "provider '{provider}' redirects elsewhere ({model}: {error})",
}


def _wait(error: ProviderError, attempt: int, options: FallbackSettings, rand: Callable[[], float]) -> Decision:
    """A retry after the server's Retry-After (429, 503, 529; at most 60 s, longer means the
    next model) or else after the backoff."""
    if error.retry_after is not None:
        if error.retry_after > MAX_RETRY_AFTER_S:
            return Decision(
                Action.NEXT,
                reason=f"Retry-After of {error.retry_after:g} s is longer than {MAX_RETRY_AFTER_S:g} s",
            )
        return Decision(Action.RETRY, delay_s=max(error.retry_after, 0.0), reason=error.message)
    return Decision(Action.RETRY, delay_s=backoff_delay(attempt - 1, options, rand), reason=error.message)


@dataclass
class SkipState:
    """What earlier failures in this run rule out for later models."""

    blocked_providers: dict[str, str]  # provider id -> why its models are skipped
    context_floor: tuple[int, str] | None = None  # (window that overflowed, model id)
    context_unknown_failed: str | None = None  # a model with no known window overflowed

    @classmethod
    def empty(cls) -> SkipState:
        return cls(blocked_providers={})

    def note(self, decision: Decision, model: Model) -> None:
        if decision.block_provider:
            why = decision.block_reason.replace("{provider}", model.provider).replace("{model}", model.id)
            self.blocked_providers.setdefault(model.provider, why)
        if decision.min_context_exceeded:
            if model.context_window is None:
                self.context_unknown_failed = self.context_unknown_failed or model.id
            elif self.context_floor is None or model.context_window > self.context_floor[0]:
                self.context_floor = (model.context_window, model.id)


def skip_reason(model: Model, *, needs: Collection[str], state: SkipState) -> str | None:
    """Why ``model`` should not be tried in this run, or ``None`` to try it."""
    for need in needs:
        if getattr(model.capabilities, need) is False:
            return f"does not support {need}"
    if model.provider in state.blocked_providers:
        return state.blocked_providers[model.provider]
    if state.context_floor is not None or state.context_unknown_failed is not None:
        if model.context_window is None:
            return "context window unknown, and the prompt did not fit an earlier model"
        if state.context_floor is not None and model.context_window <= state.context_floor[0]:
            window, failed = state.context_floor
            return f"context window {model.context_window} is not larger than {failed}'s {window}"
    return None


def check_needs(needs: Collection[str]) -> None:
    if not needs:  # most runs need nothing: no sets to build
        return
    unknown = sorted(set(needs) - set(CAPABILITIES))
    if unknown:
        raise ValueError(f"unknown capability {', '.join(unknown)}; known: {', '.join(CAPABILITIES)}")


def starts_cooldown(primary_failures: Collection[str], options: FallbackSettings) -> bool:
    """Whether a fallback answering after the primary failed with these classes is sticky."""
    return options.cooldown_s > 0 and any(cls in COOLDOWN_CLASSES for cls in primary_failures)


def cooldown_for(error_class: str, options: FallbackSettings) -> float:
    """How long a model that failed with ``error_class`` is skipped (0: not at all)."""
    if error_class == "quota":
        return options.quota_cooldown_s
    return options.cooldown_s if error_class in COOLDOWN_CLASSES else 0.0


# --- cost ------------------------------------------------------------------------------------


def price_text(price: Price) -> str:
    """``$3 in / $15 out per 1M tokens``, with ``unknown`` for a price not known."""

    def one(value: float | None) -> str:
        return "unknown" if value is None else f"${value:g}"

    return f"{one(price.input)} in / {one(price.output)} out per 1M tokens"


def is_priced(model: Model) -> bool:
    return model.price.input is not None and model.price.output is not None


def cost_skip_reason(model: Model, *, primary: Model | None, local: bool, limit: str) -> str | None:
    """Why ``cost`` rules out ``model`` as a fallback of ``primary``, or None.

    "not_more": neither its input nor its output price exceeds the primary's (an unpriced
    primary sets no ceiling); "free_only": price 0. A local model is free under both; a
    remote one with no known price is skipped under both, since it may cost anything.
    """
    if limit == "any" or local or (primary is not None and model.id == primary.id):
        return None
    price = model.price
    if not is_priced(model):
        return f"price unknown ({price_text(price)}), and cost is {limit}"
    assert price.input is not None and price.output is not None
    if limit == "free_only":
        if price.input == 0 and price.output == 0:
            return None
        return f"costs {price_text(price)}, not free (cost: free_only)"
    if primary is None or not is_priced(primary):
        return None
    ceiling = primary.price
    assert ceiling.input is not None and ceiling.output is not None
    if price.input > ceiling.input or price.output > ceiling.output:
        return f"costs {price_text(price)}, more than {primary.id}'s {price_text(ceiling)} (cost: not_more)"
    return None


def attempt_cost(model: Model, usage: dict[str, int] | None, *, local: bool) -> float | None:
    """US dollars for one attempt: the reported tokens times the price per 1M tokens. A local
    model costs 0; without usage or a price the cost is unknown (None)."""
    if local:
        return 0.0
    if usage is None or not is_priced(model):
        return None
    assert model.price.input is not None and model.price.output is not None
    prompt, completion = usage.get("prompt_tokens", 0), usage.get("completion_tokens", 0)
    return (prompt * model.price.input + completion * model.price.output) / 1_000_000


# --- the pre-send check --------------------------------------------------------------------

# What a message costs beyond its text (role, separators), rounded up.
MESSAGE_OVERHEAD_TOKENS = 8


def estimate_tokens(texts: Iterable[str], max_tokens: int = 0) -> int:
    """A conservative (high) estimate of a request's tokens: the messages' ``texts`` plus the
    ``max_tokens`` the request asks to be able to write.

    Tokenizers give about four characters of English or code per token; this counts three,
    and for other scripts half a token per UTF-8 byte (1.5 per CJK character, 2 per emoji),
    more than the usual tokenizers use. No tokenizer is loaded: it must be cheap and offline.
    """
    total = max(max_tokens, 0)
    for text in texts:
        ascii_chars = len(text.encode("ascii", "ignore"))
        other_bytes = len(text.encode("utf-8", "surrogatepass")) - ascii_chars
        total += -(-ascii_chars // 3) + -(-other_bytes // 2) + MESSAGE_OVERHEAD_TOKENS
    return total


def window_skip_reason(model: Model, needed: int) -> str | None:
    """Why ``model`` cannot take a request of about ``needed`` tokens (its known context
    window is smaller), or None. An unknown window is never a reason."""
    if model.context_window is None or needed <= model.context_window:
        return None
    return f"needs ~{needed} tokens, window {model.context_window}"
