"""Hostile config files (mutated valid configs, random JSON with huge numbers and deep
nesting, random bytes): loading gives a Config or a ConfigError, never anything else;
the file is never changed; `config validate` answers with exit 0 or 1."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from modeldesk.cli.main import main
from modeldesk.core.errors import ConfigError
from modeldesk.core.store import ConfigStore
from tests.core.helpers import WORLD
from tests.support.figures import record

EXAMPLES = 400
OUTCOMES: Counter[str] = Counter()

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(max_size=30),
    # Long numbers, up to the 4,300 digits Python converts (longer ones: "huge-number").
    st.integers(min_value=1, max_value=4300).map(lambda n: int("7" * n)),
)
json_values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
)


def huge_number(digits: int) -> str:
    return "9" * digits


def nested(depth: int, opener: str) -> str:
    if opener == "{":
        return '{"a":' * depth + "1" + "}" * depth
    return "[" * depth + "1" + "]" * depth


@st.composite
def hostile_documents(draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from(["mutated", "random-json", "huge-number", "deep", "bytes", "truncated"]))
    OUTCOMES[f"kind:{kind}"] += 1
    if kind == "mutated":
        data: Any = json.loads(json.dumps(WORLD))
        section = draw(st.sampled_from(["providers", "models", "agents", "squads", "projects", "settings"]))
        value = draw(json_values)
        if isinstance(data[section], list) and data[section]:
            index = draw(st.integers(0, len(data[section]) - 1))
            item = data[section][index]
            key = draw(st.sampled_from([*sorted(item), "extra"]))
            item[key] = value
        else:
            data[section] = value
        return json.dumps(data).encode()
    if kind == "random-json":
        return json.dumps(draw(json_values)).encode()
    if kind == "huge-number":
        digits = draw(st.integers(4000, 6000))
        place = draw(st.sampled_from(["retries", "context_window", "top"]))
        if place == "top":
            return ('{"schema_version": ' + huge_number(digits) + "}").encode()
        if place == "retries":
            return ('{"settings": {"fallback": {"retries": ' + huge_number(digits) + "}}}").encode()
        return (
            '{"providers": [{"id": "p", "kind": "openai", "base_url": "http://h/v1"}], "models": [{"id": "m", '
            '"provider": "p", "name": "m", "context_window": ' + huge_number(digits) + "}]}"
        ).encode()
    if kind == "deep":
        depth = draw(st.sampled_from([50, 500, 990, 1_500, 20_000, 200_000]))
        return ('{"agents": ' + nested(depth, draw(st.sampled_from(["[", "{"]))) + "}").encode()
    if kind == "bytes":
        return draw(st.binary(max_size=200))
    text = json.dumps(WORLD).encode()
    return text[: draw(st.integers(0, len(text) - 1))]


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=True,
)
@given(document=hostile_documents())
def test_hostile_files_give_a_config_or_a_clear_error(tmp_path: Path, document: bytes) -> None:
    folder = tmp_path / f"case{sum(OUTCOMES.values())}"
    folder.mkdir()
    path = folder / "config.json"
    path.write_bytes(document)
    store = ConfigStore(path, policy_path=folder / "none.json")
    # Every outcome is counted before it is asserted: the figures printed at the end are
    # what this run saw, failures included.
    try:
        store.load()
        OUTCOMES["loaded"] += 1
    except ConfigError as exc:
        OUTCOMES["config error"] += 1
        message = exc.message
        OUTCOMES["limit named"] += "limit" in message
        assert message
        assert "Traceback" not in message
    except Exception:
        OUTCOMES["other exception"] += 1
        raise
    try:
        code = main(["--config", str(path), "config", "validate", "--json"])
    except Exception:
        OUTCOMES["other exception"] += 1
        raise
    OUTCOMES["other exit code"] += code not in (0, 1)
    changed = path.read_bytes() != document
    OUTCOMES["file changed"] += changed
    assert code in (0, 1)
    assert not changed


def test_report_fuzzing_figures() -> None:
    # Runs after the fuzzing test (file order); reports what it went through.
    total = OUTCOMES["loaded"] + OUTCOMES["config error"]
    kinds = ", ".join(
        f"{kind.removeprefix('kind:')} {count}" for kind, count in sorted(OUTCOMES.items()) if kind.startswith("kind:")
    )
    record(
        "fuzzed config files",
        f"{total} documents checked (drawn: {kinds}): {OUTCOMES['loaded']} loaded, "
        f"{OUTCOMES['config error']} clear errors ({OUTCOMES['limit named']} naming a limit), "
        f"{OUTCOMES['other exception']} other exceptions, {OUTCOMES['other exit code']} other exit codes "
        f"of `config validate`, {OUTCOMES['file changed']} files changed",
    )
