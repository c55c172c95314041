"""The ``cost`` option against the scripted server: "any" (default), "not_more" (no fallback
costs more per token than the primary) and "free_only" (price 0 or served locally), by the
registry's prices per 1M tokens; and each attempt's cost from the usage the provider reported."""

from __future__ import annotations

from typing import Any

import pytest

from modeldesk.runtime.events import ModelSkipped, Note
from tests.support.scripted_server import ScriptedServer, ok, status

from .conftest import build_config, route_remote_hosts, run

pytestmark = pytest.mark.timeout(30)


@pytest.fixture(autouse=True)
def remote_hosts(scripted_server: ScriptedServer, monkeypatch: pytest.MonkeyPatch) -> None:
    route_remote_hosts(scripted_server, monkeypatch)


def _config(server: ScriptedServer, models: list[dict[str, Any]], cost: str, **extra: Any) -> Any:
    providers = [
        {"id": "p1", "kind": "openai", "base_url": "http://one.remote.test/v1"},
        {"id": "p2", "kind": "openai", "base_url": "http://two.remote.test/v1"},
        {"id": "loop", "kind": "openai", "base_url": server.openai_url.replace("127.0.0.1", "localhost")},
        {"id": "remote", "kind": "openai", "base_url": "http://three.remote.test/v1"},
        {"id": "sim", "kind": "simulated", "base_url": "http://simulated.invalid/v1"},
    ]
    return build_config(server, models, providers=providers, fallback={"cost": cost, **extra})


def price(inp: float | None, out: float | None) -> dict[str, Any]:
    return {"price": {k: v for k, v in (("input", inp), ("output", out)) if v is not None}}


PRIMARY = {"id": "P", "provider": "p1", "name": "primary", **price(3, 15)}


def _skips(outcome: Any) -> dict[str, str]:
    return {e.model: e.reason for e in outcome.events if isinstance(e, ModelSkipped)}


def test_any_uses_every_fallback_whatever_it_costs(scripted_server: ScriptedServer) -> None:
    scripted_server.script("primary", status(404))
    models = [PRIMARY, {"id": "X", "provider": "p2", "name": "pricey", **price(30, 60)}]
    outcome = run(_config(scripted_server, models, "any"))
    assert outcome.result.model == "X"


def test_not_more_skips_a_fallback_dearer_on_input_or_output(scripted_server: ScriptedServer) -> None:
    scripted_server.script("primary", status(404))
    models = [
        PRIMARY,
        {"id": "IN", "provider": "p2", "name": "dear-in", **price(5, 15)},
        {"id": "OUT", "provider": "p2", "name": "dear-out", **price(1, 20)},
        {"id": "OK", "provider": "p2", "name": "cheaper", **price(3, 10)},
    ]
    outcome = run(_config(scripted_server, models, "not_more"))
    assert outcome.result.model == "OK"
    assert [r.model for r in scripted_server.chat_requests()] == ["primary", "cheaper"]
    skips = _skips(outcome)
    assert "$5" in skips["IN"] and "$3" in skips["IN"] and "not_more" in skips["IN"]
    assert "$20" in skips["OUT"] and "$15" in skips["OUT"]


def test_not_more_skips_an_unpriced_remote_model_and_names_its_price(scripted_server: ScriptedServer) -> None:
    scripted_server.script("primary", status(404))
    models = [
        PRIMARY,
        {"id": "U", "provider": "p2", "name": "unpriced"},
        {"id": "H", "provider": "p2", "name": "half", **price(1, None)},
        {"id": "OK", "provider": "p2", "name": "cheap", **price(0.5, 1)},
    ]
    outcome = run(_config(scripted_server, models, "not_more"))
    assert outcome.result.model == "OK"
    skips = _skips(outcome)
    assert "price unknown" in skips["U"] and "Skipping U" in ModelSkipped("U", skips["U"]).describe()
    assert "price unknown" in skips["H"] and "$1" in skips["H"]


def test_local_models_are_free_under_both_limits(scripted_server: ScriptedServer) -> None:
    for cost in ("not_more", "free_only"):
        scripted_server.script("primary", status(404))
        models = [PRIMARY, {"id": "L", "provider": "loop", "name": "local-unpriced"}]
        outcome = run(_config(scripted_server, models, cost))
        assert outcome.result.model == "L", (cost, outcome.lines())


def test_free_only_takes_price_zero_and_local_models_only(scripted_server: ScriptedServer) -> None:
    scripted_server.script("primary", status(404))
    scripted_server.script("free", status(404))
    models = [
        PRIMARY,
        {"id": "CHEAP", "provider": "p2", "name": "cheap", **price(0.1, 0.1)},
        {"id": "U", "provider": "remote", "name": "unpriced"},
        {"id": "FREE", "provider": "p2", "name": "free", **price(0, 0)},
        {"id": "SIM", "provider": "sim", "name": "steady"},
    ]
    outcome = run(_config(scripted_server, models, "free_only"))
    assert outcome.result.model == "SIM"
    assert [r.model for r in scripted_server.chat_requests()] == ["primary", "free"]
    skips = _skips(outcome)
    assert "free_only" in skips["CHEAP"] and "$0.1" in skips["CHEAP"]
    assert "price unknown" in skips["U"]


def test_an_unpriced_primary_sets_no_ceiling_and_says_so(scripted_server: ScriptedServer) -> None:
    scripted_server.script("primary", status(404))
    models = [
        {"id": "P", "provider": "p1", "name": "primary"},
        {"id": "X", "provider": "p2", "name": "pricey", **price(30, 60)},
    ]
    outcome = run(_config(scripted_server, models, "not_more"))
    assert outcome.result.model == "X"
    notes = [e.message for e in outcome.events if isinstance(e, Note)]
    assert any("P" in n and "no known price" in n and "no ceiling" in n for n in notes), notes


def test_the_primary_itself_is_never_skipped_for_its_price(scripted_server: ScriptedServer) -> None:
    models = [{"id": "P", "provider": "p1", "name": "primary", **price(100, 100)}]
    outcome = run(_config(scripted_server, models, "free_only"))
    assert outcome.result.model == "P"


def test_each_attempts_cost_comes_from_the_reported_usage_and_the_price(scripted_server: ScriptedServer) -> None:
    scripted_server.script("primary", status(429))
    scripted_server.script("second", ok("Paid for.", usage=(1000, 2000)))
    models = [PRIMARY, {"id": "S", "provider": "p2", "name": "second", **price(2, 10)}]
    outcome = run(_config(scripted_server, models, "any"))
    failed, answered = outcome.result.attempts
    assert failed.cost_usd is None  # nothing reported for a refused request
    assert answered.cost_usd == pytest.approx(1000 * 2 / 1e6 + 2000 * 10 / 1e6)
    assert outcome.result.cost_usd == pytest.approx(0.022)
    data = outcome.result.to_json()
    assert data["cost_usd"] == pytest.approx(0.022) and data["attempts"][1]["cost_usd"] == pytest.approx(0.022)


def test_a_local_answer_costs_nothing_and_an_unpriced_remote_one_is_unknown(scripted_server: ScriptedServer) -> None:
    models = [{"id": "L", "provider": "loop", "name": "local"}]
    outcome = run(_config(scripted_server, models, "any"))
    assert outcome.result.attempts[0].cost_usd == 0.0
    models = [{"id": "U", "provider": "p2", "name": "unpriced"}]
    outcome = run(_config(scripted_server, models, "any"))
    assert outcome.result.attempts[0].cost_usd is None and outcome.result.cost_usd is None
