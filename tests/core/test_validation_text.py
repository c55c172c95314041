"""The one wording of validation problems (core/validation_text.py): places read as paths
into the file, rules read as words."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from modeldesk.core.schema import IDENTIFIER_PATTERN, Agent, Config
from modeldesk.core.validation_text import PATTERN_WORDS, error_place, first_problem, schema_problems


def problems(data: dict[str, object]) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        Config.model_validate(data)
    return schema_problems(caught.value, data)


def test_places_leave_out_union_member_names_with_or_without_the_data() -> None:
    assert error_place(("agents", 3, "model", "list[str]")) == "agents[3].model"
    assert error_place(("agents", 3, "model", "str")) == "agents[3].model"
    assert error_place(("settings", "task_models", "title", "*", "function-after[x]")) == (
        "settings.task_models.title.*"
    )
    assert error_place(()) == "(top level)"


def test_a_pattern_reads_as_its_rule_and_every_place_is_named() -> None:
    data = {"schema_version": 1, "agents": [{"id": "ok", "name": "A"}, {"id": "no way", "name": "B", "colour": 1}]}
    assert problems(data) == [
        f"agents[1].id: {PATTERN_WORDS[IDENTIFIER_PATTERN]}",
        "agents[1].colour: unknown field (check the spelling)",
    ]


def test_a_model_value_of_the_wrong_kind_is_one_problem() -> None:
    data = {"schema_version": 1, "agents": [{"id": "a", "name": "A", "model": 5}]}
    assert problems(data) == ["agents[0].model: expected a model id (text) or a list of model ids"]


def test_the_first_problem_for_a_form() -> None:
    with pytest.raises(ValidationError) as caught:
        Agent.model_validate({"id": "a", "name": ""})
    assert first_problem(caught.value) == "name: must not be empty"
