"""The fallback policy as pure functions: no server, no loop, no clock."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from modeldesk.core.schema import Agent, FallbackOverride, FallbackSettings, Model, Settings
from modeldesk.runtime import policy
from modeldesk.runtime.errors import ProviderError
from modeldesk.runtime.policy import Action, SkipState, backoff_delay, decide, skip_reason

OPTS = FallbackSettings(retries=2, backoff_base_s=0.2, backoff_max_s=2.0, jitter=0.0)


def err(cls: str, status: int | None = None, retry_after: float | None = None) -> ProviderError:
    return ProviderError.make(cls, status=status, retry_after=retry_after)  # type: ignore[arg-type]


def model(mid: str, provider: str = "p", window: int | None = None, **caps: bool) -> Model:
    return Model(id=mid, provider=provider, name=mid, context_window=window, capabilities=caps)


class TestBackoff:
    def test_doubles_from_the_base_and_stops_at_the_cap(self) -> None:
        assert [backoff_delay(n, OPTS) for n in range(6)] == pytest.approx([0.2, 0.4, 0.8, 1.6, 2.0, 2.0])

    def test_jitter_moves_the_wait_by_at_most_its_fraction(self) -> None:
        opts = OPTS.model_copy(update={"jitter": 0.1})
        assert backoff_delay(1, opts, rand=lambda: 0.0) == pytest.approx(0.36)
        assert backoff_delay(1, opts, rand=lambda: 1.0) == pytest.approx(0.44)
        assert backoff_delay(1, opts, rand=lambda: 0.5) == pytest.approx(0.4)

    @given(
        retry=st.integers(0, 30),
        base=st.floats(0, 60),
        cap=st.floats(0, 600),
        jitter=st.floats(0, 1),
        r=st.floats(0, 1),
    )
    def test_always_within_cap_plus_jitter_and_never_negative(
        self, retry: int, base: float, cap: float, jitter: float, r: float
    ) -> None:
        opts = FallbackSettings(backoff_base_s=base, backoff_max_s=cap, jitter=jitter)
        delay = backoff_delay(retry, opts, rand=lambda: r)
        assert 0 <= delay <= min(base * 2**retry, cap) * (1 + jitter) + 1e-9


class TestDecide:
    @pytest.mark.parametrize("cls", ["server", "timeout", "connection", "malformed_response"])
    def test_retryable_errors_retry_with_backoff_then_move_on(self, cls: str) -> None:
        first = decide(err(cls), attempt=1, options=OPTS, on_last_model=False)
        second = decide(err(cls), attempt=2, options=OPTS, on_last_model=False)
        third = decide(err(cls), attempt=3, options=OPTS, on_last_model=False)
        assert (first.action, first.delay_s) == (Action.RETRY, pytest.approx(0.2))
        assert (second.action, second.delay_s) == (Action.RETRY, pytest.approx(0.4))
        assert third.action is Action.NEXT

    def test_no_retries_means_straight_to_the_next_model(self) -> None:
        opts = OPTS.model_copy(update={"retries": 0})
        assert decide(err("server", 500), attempt=1, options=opts, on_last_model=False).action is Action.NEXT

    def test_rate_limit_moves_on_at_once_when_another_model_is_left(self) -> None:
        decision = decide(err("rate_limit", 429, retry_after=1), attempt=1, options=OPTS, on_last_model=False)
        assert decision.action is Action.NEXT

    def test_rate_limit_on_the_last_model_waits_for_retry_after(self) -> None:
        decision = decide(err("rate_limit", 429, retry_after=7), attempt=1, options=OPTS, on_last_model=True)
        assert (decision.action, decision.delay_s) == (Action.RETRY, 7)

    def test_rate_limit_on_the_last_model_gives_up_past_sixty_seconds(self) -> None:
        decision = decide(err("rate_limit", 429, retry_after=61), attempt=1, options=OPTS, on_last_model=True)
        assert decision.action is Action.NEXT
        assert "61 s" in decision.reason
        at_limit = decide(err("rate_limit", 429, retry_after=60), attempt=1, options=OPTS, on_last_model=True)
        assert at_limit.action is Action.RETRY

    def test_rate_limit_without_retry_after_backs_off_on_the_last_model(self) -> None:
        decision = decide(err("rate_limit", 429), attempt=2, options=OPTS, on_last_model=True)
        assert (decision.action, decision.delay_s) == (Action.RETRY, pytest.approx(0.4))
        assert decide(err("rate_limit", 429), attempt=3, options=OPTS, on_last_model=True).action is Action.NEXT

    @pytest.mark.parametrize("cls", ["invalid_request", "content_policy", "cancelled"])
    def test_stop_errors_stop(self, cls: str) -> None:
        assert decide(err(cls), attempt=1, options=OPTS, on_last_model=False).action is Action.STOP

    def test_auth_moves_on_and_blocks_the_provider(self) -> None:
        decision = decide(err("auth", 401), attempt=1, options=OPTS, on_last_model=False)
        assert decision.action is Action.NEXT and decision.block_provider

    def test_not_found_moves_on(self) -> None:
        decision = decide(err("not_found", 404), attempt=1, options=OPTS, on_last_model=False)
        assert decision.action is Action.NEXT and not decision.block_provider

    def test_context_overflow_moves_on_to_a_larger_window(self) -> None:
        decision = decide(err("context_overflow", 400), attempt=1, options=OPTS, on_last_model=False)
        assert decision.action is Action.NEXT and decision.min_context_exceeded


class TestSkipping:
    def test_capability_known_missing_is_skipped_unknown_is_not(self) -> None:
        state = SkipState.empty()
        assert skip_reason(model("m", vision=False), needs=["vision"], state=state) == "does not support vision"
        assert skip_reason(model("m"), needs=["vision"], state=state) is None
        assert skip_reason(model("m", vision=True, tools=False), needs=["vision"], state=state) is None

    def test_refused_key_blocks_every_model_of_that_provider(self) -> None:
        state = SkipState.empty()
        state.note(decide(err("auth", 403), attempt=1, options=OPTS, on_last_model=False), model("A", "p"))
        assert "refused the key for A" in (skip_reason(model("B", "p"), needs=(), state=state) or "")
        assert skip_reason(model("C", "q"), needs=(), state=state) is None

    def test_after_an_overflow_only_larger_known_windows_are_tried(self) -> None:
        state = SkipState.empty()
        overflow = decide(err("context_overflow", 400), attempt=1, options=OPTS, on_last_model=False)
        state.note(overflow, model("A", window=8000))
        assert (
            skip_reason(model("B", window=8000), needs=(), state=state)
            == "context window 8000 is not larger than A's 8000"
        )
        assert skip_reason(model("B", window=4000), needs=(), state=state) is not None
        assert "unknown" in (skip_reason(model("B"), needs=(), state=state) or "")
        assert skip_reason(model("C", window=32000), needs=(), state=state) is None
        # A second, larger overflow raises the floor.
        state.note(overflow, model("C", window=32000))
        assert skip_reason(model("D", window=16000), needs=(), state=state) is not None

    def test_overflow_on_a_model_of_unknown_window_requires_a_known_one(self) -> None:
        state = SkipState.empty()
        state.note(decide(err("context_overflow", 400), attempt=1, options=OPTS, on_last_model=False), model("A"))
        assert skip_reason(model("B"), needs=(), state=state) is not None
        assert skip_reason(model("C", window=1000), needs=(), state=state) is None

    def test_unknown_capability_names_are_refused(self) -> None:
        with pytest.raises(ValueError, match="telepathy"):
            policy.check_needs({"telepathy"})


class TestOptionsAndCooldown:
    def test_agent_options_lay_over_the_settings_field_by_field(self) -> None:
        settings = Settings(fallback=FallbackSettings(retries=5, cooldown_s=30))
        agent = Agent(id="a", name="A", fallback=FallbackOverride(cooldown_s=0))
        options = policy.effective_options(settings, agent)
        assert (options.retries, options.cooldown_s) == (5, 0)
        assert policy.effective_options(settings, Agent(id="b", name="B")) == settings.fallback

    @pytest.mark.parametrize(
        ("failures", "expected"),
        [
            (["rate_limit"], True),
            (["auth"], True),
            (["not_found"], True),
            (["server", "server"], False),
            (["context_overflow"], False),
            (["timeout", "rate_limit"], True),
            ([], False),
        ],
    )
    def test_cooldown_starts_after_rate_limit_or_non_retryable_primary_failures(
        self, failures: list[str], expected: bool
    ) -> None:
        assert policy.starts_cooldown(failures, OPTS) is expected

    def test_cooldown_zero_disables_it(self) -> None:
        assert not policy.starts_cooldown(["rate_limit"], OPTS.model_copy(update={"cooldown_s": 0}))
