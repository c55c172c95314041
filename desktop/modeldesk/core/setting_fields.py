"""What a setting's declaration says, read once from its pydantic field: a number's type,
bounds, title, help and default; a switch's choices (true/false, or the words of a
Literal). The app's spin boxes, the CLI's help and parsing, and the per-agent fallback
overrides are all built from this, so a setting is declared in exactly one place
(core/schema.py) and everything else follows it."""

from __future__ import annotations

import types
from dataclasses import dataclass
from typing import Any, Literal, Union, get_args, get_origin

from annotated_types import Ge, Gt, Le, Lt
from pydantic import BaseModel
from pydantic.fields import FieldInfo


@dataclass(frozen=True)
class NumberField:
    name: str
    title: str
    help: str
    integer: bool
    default: float
    low: float | None = None
    low_open: bool = False  # the bound itself is not allowed (gt rather than ge)
    high: float | None = None
    high_open: bool = False

    def range_text(self) -> str:
        """The allowed values in words: ``0 to 20``, ``above 0, up to 600``."""
        low = None if self.low is None else f"{'above' if self.low_open else 'from'} {self.low:g}"
        high = None if self.high is None else f"{'below' if self.high_open else 'up to'} {self.high:g}"
        if low and high and not self.low_open and not self.high_open:
            return f"{self.low:g} to {self.high:g}"
        return ", ".join(part for part in (low, high) if part) or "any number"

    def describe(self) -> str:
        """One line of help: title, range, default, and the declared description."""
        text = f"{self.title}: {self.range_text()}, default {self.default:g}"
        return f"{text}. {self.help}" if self.help else text

    def parse(self, text: str) -> int | float:
        """A number typed by a person (ValueError if it is none). Whether it fits (a whole
        number, within the bounds) is for the schema to say when the value is applied, so
        the wording is the same as for a value read from a file."""
        try:
            number = float(text)
        except ValueError:
            raise ValueError(f"'{text}' is not a number") from None
        return int(number) if self.integer and number.is_integer() else number


def number_field(name: str, info: FieldInfo) -> NumberField:
    """The declaration of one int or float field (an optional one counts as its type)."""
    low = high = None
    low_open = high_open = False
    for rule in info.metadata:
        if isinstance(rule, Ge):
            low = _number(rule.ge)
        elif isinstance(rule, Gt):
            low, low_open = _number(rule.gt), True
        elif isinstance(rule, Le):
            high = _number(rule.le)
        elif isinstance(rule, Lt):
            high, high_open = _number(rule.lt), True
    default = info.get_default(call_default_factory=True)
    return NumberField(
        name=name,
        title=info.title or name.replace("_", " ").capitalize(),
        help=info.description or "",
        integer=info.annotation is int or info.annotation == (int | None),
        default=_number(default) if default is not None else 0.0,
        low=low,
        low_open=low_open,
        high=high,
        high_open=high_open,
    )


def number_fields(model: type[BaseModel]) -> dict[str, NumberField]:
    """Every int or float field of ``model``, in declaration order, as a :class:`NumberField`
    (switches such as ``enabled`` or ``on_stream_break`` are not numbers and are left out)."""
    numeric = (int, float, int | None, float | None)
    return {name: number_field(name, info) for name, info in model.model_fields.items() if info.annotation in numeric}


def _number(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"not a number bound: {value!r}")
    return float(value)


@dataclass(frozen=True)
class SwitchField:
    """A setting that is one of a few words: a bool (``true``/``false``) or a Literal."""

    name: str
    title: str
    help: str
    choices: tuple[str, ...]
    default: str
    boolean: bool

    def describe(self) -> str:
        """One line of help: title, choices, default, and the declared description."""
        text = f"{self.title}: {' or '.join(self.choices)}, default {self.default}"
        return f"{text}. {self.help}" if self.help else text

    def parse(self, text: str) -> bool | str:
        """One of the choices, as typed (any case); ValueError names the choices."""
        word = text.strip().lower()
        if word not in self.choices:
            raise ValueError(f"'{text}' is not one of: {', '.join(self.choices)}")
        return word == "true" if self.boolean else word


def switch_field(name: str, info: FieldInfo) -> SwitchField | None:
    """The declaration of a bool or Literal-of-words field (optional or not), else None."""
    annotation = _without_none(info.annotation)
    default = info.get_default(call_default_factory=True)
    if annotation is bool:
        choices: tuple[str, ...] = ("true", "false")
        shown = "true" if default else "false"
    elif get_origin(annotation) is Literal and all(isinstance(a, str) for a in get_args(annotation)):
        choices = tuple(get_args(annotation))
        shown = str(default)
    else:
        return None
    title = info.title or name.replace("_", " ").capitalize()
    return SwitchField(name, title, info.description or "", choices, shown, annotation is bool)


def setting_fields(model: type[BaseModel]) -> dict[str, NumberField | SwitchField]:
    """Every number and switch field of ``model`` in declaration order (fields of other
    kinds, such as nested objects, are left out)."""
    numbers = number_fields(model)
    out: dict[str, NumberField | SwitchField] = {}
    for name, info in model.model_fields.items():
        field = numbers.get(name) or switch_field(name, info)
        if field is not None:
            out[name] = field
    return out


def _without_none(annotation: Any) -> Any:
    """``X | None`` as ``X`` (an override's fields are the settings' made optional)."""
    if get_origin(annotation) in (Union, types.UnionType):
        rest = [a for a in get_args(annotation) if a is not type(None)]
        if len(rest) == 1:
            return rest[0]
    return annotation
