"""One declaration per setting: the fallback settings are declared once in the schema, and
the per-agent override, the app's spin boxes and the CLI's help and parsing all follow it."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, Field, ValidationError

from modeldesk.core.schema import SETTINGS_ONLY_FALLBACK, Agent, FallbackOverride, FallbackSettings
from modeldesk.core.setting_fields import NumberField, number_fields


@pytest.mark.parametrize("name", [n for n in FallbackSettings.model_fields if n not in SETTINGS_ONLY_FALLBACK])
def test_the_override_of_each_setting_is_the_setting_made_optional(name: str) -> None:
    setting = FallbackSettings.model_fields[name]
    override = FallbackOverride.model_fields[name]
    assert override.default is None and not override.is_required()
    assert (override.title, override.description) == (setting.title, setting.description)
    assert override.metadata == setting.metadata  # the same bounds, not a copy typed again


def test_the_override_has_no_option_the_settings_lack() -> None:
    # Where cooldowns are shared (``state``) is one answer for the whole file, not per agent.
    assert {"state"} == SETTINGS_ONLY_FALLBACK
    assert list(FallbackOverride.model_fields) == [
        n for n in FallbackSettings.model_fields if n not in SETTINGS_ONLY_FALLBACK
    ]


@pytest.mark.parametrize(("name", "field"), list(number_fields(FallbackSettings).items()))
def test_an_override_is_held_to_the_settings_bounds(name: str, field: NumberField) -> None:
    if field.high is not None:
        too_high = field.high + 1
        with pytest.raises(ValidationError) as settings_error:
            FallbackSettings.model_validate({name: too_high})
        with pytest.raises(ValidationError) as agent_error:
            Agent.model_validate({"id": "a", "name": "A", "fallback": {name: too_high}})
        assert agent_error.value.errors()[0]["msg"] == settings_error.value.errors()[0]["msg"]
    assert Agent.model_validate({"id": "a", "name": "A", "fallback": {name: field.default}}).fallback is not None


class Sample(BaseModel):
    count: int = Field(3, ge=0, le=20, title="Count", description="How many.")
    wait_s: float = Field(10, gt=0, le=600, title="Wait (s)")
    ratio: float = Field(0.5, ge=0, lt=1)
    free: float = 1.5


def test_a_number_field_reads_type_bounds_title_help_and_default() -> None:
    fields = number_fields(Sample)
    assert fields["count"] == NumberField("count", "Count", "How many.", True, 3.0, 0.0, False, 20.0, False)
    assert fields["wait_s"] == NumberField("wait_s", "Wait (s)", "", False, 10.0, 0.0, True, 600.0, False)
    assert fields["count"].range_text() == "0 to 20"
    assert fields["wait_s"].range_text() == "above 0, up to 600"
    assert fields["ratio"].range_text() == "from 0, below 1"
    assert fields["free"].range_text() == "any number"
    assert fields["free"].title == "Free"
    assert fields["count"].describe() == "Count: 0 to 20, default 3. How many."


def test_typed_numbers_keep_their_kind_and_leave_the_bounds_to_the_schema() -> None:
    fields = number_fields(Sample)
    assert fields["count"].parse("5") == 5 and isinstance(fields["count"].parse("5"), int)
    assert fields["count"].parse("2.5") == 2.5  # the schema says "a valid integer"
    assert fields["count"].parse("99") == 99  # the schema says "less than or equal to 20"
    assert isinstance(fields["wait_s"].parse("5"), float)
    with pytest.raises(ValueError, match="'many' is not a number"):
        fields["count"].parse("many")
