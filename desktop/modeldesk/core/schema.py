"""The config file format, version 1, as pydantic models.

Every setting is declared once here, with its default, a label and help text; the
validation, the JSON Schema (`modeldesk config schema`), the CLI and the app's forms
are all built from these declarations.

A *ModelValue* is what the user wrote for a model choice: a single model id or an
ordered list of ids (primary first, then fallbacks), declared with its helpers in
:mod:`.model_values` (free of pydantic) and importable from here as before.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Annotated, Any, Final, Literal
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationInfo,
    create_model,
    field_validator,
    model_validator,
)
from pydantic.fields import FieldInfo
from pydantic_core import PydanticCustomError

from .ids import ID_MAX_LENGTH
from .key_value import looks_like_key
from .model_values import PLACEHOLDER as PLACEHOLDER
from .model_values import WILDCARD as WILDCARD
from .model_values import ModelValue as ModelValue
from .model_values import TaskModelMap as TaskModelMap
from .model_values import as_model_value as as_model_value
from .model_values import model_list as model_list
from .redaction import remember_url_password
from .urls import check_base_url

SCHEMA_VERSION: Final = 1

# An id: what core/validation_text.py says of it must change with it.
IDENTIFIER_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:/@+-]*$"

Identifier = Annotated[str, Field(min_length=1, max_length=ID_MAX_LENGTH, pattern=IDENTIFIER_PATTERN)]


class _Strict(BaseModel):
    """Base for every config object: unknown keys are an error (typos must not vanish)."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, populate_by_name=True)


_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class ApiKeyRef(_Strict):
    """Where a provider's secret lives. The key's value is never stored in the config."""

    env: str | None = Field(None, title="Environment variable", description="Name of the variable holding the key.")
    keyring: str | None = Field(
        None, title="Keyring entry", description="Entry name in the OS keyring (service 'modeldesk')."
    )

    @model_validator(mode="after")
    def _exactly_one(self) -> ApiKeyRef:
        if (self.env is None) == (self.keyring is None):
            raise ValueError("api_key needs exactly one of 'env' or 'keyring'")
        # A key pasted where its name belongs would be written to the file, exported and
        # shown in every message naming the variable: refused, and never repeated.
        if self.env is not None and (not _ENV_NAME.fullmatch(self.env) or looks_like_key(self.env)):
            raise ValueError(
                "api_key.env takes the name of an environment variable (letters, digits and _), "
                "and this looks like a key itself; put the key in a variable and give its name"
            )
        if self.keyring is not None and looks_like_key(self.keyring):
            raise ValueError(
                "api_key.keyring takes the name of a keyring entry, and this looks like a key itself; "
                "store the key with `modeldesk providers set-key` and give the entry's name"
            )
        return self


ProviderKind = Literal["openai", "anthropic", "simulated"]


class Provider(_Strict):
    id: Identifier = Field(title="Id", description="The config's own name for this provider.")
    kind: ProviderKind = Field(
        title="Kind",
        description="'openai' for any OpenAI-compatible server, 'anthropic' for the Messages API, "
        "'simulated' for in-process answers (no network; for trying things out).",
    )
    base_url: str = Field(
        "",
        title="Base URL",
        description="For openai: up to and including /v1. Not needed for simulated.",
        validate_default=True,
    )
    api_key: ApiKeyRef | None = Field(None, title="API key", description="Where the key is kept; omit for none.")
    enabled: bool = Field(True, title="Enabled")
    label: str | None = Field(None, title="Label")

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str, info: ValidationInfo) -> str:
        if not value.strip():
            # A simulated provider answers in-process: it has nowhere to connect to.
            if info.data.get("kind") == "simulated":
                return ""
            # "required": placed at the field although the file does not have it
            # (core/validation_text.py), as pydantic's own "missing" is.
            kind = info.data.get("kind", "openai")
            raise PydanticCustomError(
                "required", "a base URL is required for a provider of kind {kind}", {"kind": kind}
            )
        return check_base_url(value)  # scheme, no credentials in it, port 1-65535


class Capabilities(_Strict):
    """What a model is known to support. ``None`` means unknown (never a reason to skip)."""

    model_config = ConfigDict(frozen=True)

    tools: bool | None = Field(None, title="Tools")
    vision: bool | None = Field(None, title="Vision")
    reasoning: bool | None = Field(None, title="Reasoning", description="Thinks before answering.")


class Price(_Strict):
    """What a model costs, in US dollars per million tokens. ``None`` means unknown."""

    model_config = ConfigDict(frozen=True)

    input: float | None = Field(None, ge=0, title="Input ($/M tokens)")
    output: float | None = Field(None, ge=0, title="Output ($/M tokens)")


# Frozen, so every model without facts of its own shares these (a new pair per model was
# a tenth of loading a file of 1,000 models and 10,000 agents).
_UNKNOWN_CAPABILITIES = Capabilities()
_UNKNOWN_PRICE = Price()


class Model(_Strict):
    id: Identifier = Field(title="Id", description="The config's own id, used in every model list.")
    provider: str = Field(title="Provider", description="Id of the provider that serves it.")
    name: str = Field(min_length=1, title="Name at provider", description="What is sent to the provider.")
    label: str | None = Field(None, title="Label")
    context_window: int | None = Field(None, gt=0, title="Context window", description="In tokens.")
    capabilities: Capabilities = Field(_UNKNOWN_CAPABILITIES, title="Capabilities")
    price: Price = Field(_UNKNOWN_PRICE, title="Price", description="US dollars per million tokens.")
    enabled: bool = Field(True, title="Enabled")

    @property
    def display_name(self) -> str:
        return self.label or self.id

    @field_validator("id")
    @classmethod
    def _not_the_placeholder(cls, value: str) -> str:
        if value.strip().casefold() == PLACEHOLDER:
            raise ValueError(
                f"'{value}' cannot be a model id: in a model list '{PLACEHOLDER}' means 'inherit', "
                "so runs would skip it"
            )
        return value


class FallbackState(_Strict):
    """Where cooldowns are kept: the local state folder (default) or a Redis server."""

    redis: str | None = Field(None, title="Redis URL", pattern=r"^rediss?://")
    scope: str | None = Field(
        None,
        title="Scope",
        description="Hosts that give the same scope share cooldowns; default: this host and this file only.",
    )

    @field_validator("redis")
    @classmethod
    def _mask_password(cls, value: str | None) -> str | None:
        # A password in the URL is a secret like a key: from the moment a config holding
        # one is read, it is redacted from every output (docs/security.md).
        if value is not None:
            remember_url_password(value)
            try:
                urlsplit(value).port  # noqa: B018 - read to check that it parses
            except ValueError:
                raise ValueError(
                    "the Redis URL does not parse: its host or port is malformed, or a password holding "
                    "'/', '@' or ':' is not percent-encoded (%2F, %40, %3A)"
                ) from None
        return value


class FallbackSettings(_Strict):
    """How a request is retried and handed to fallback models (SPEC §4)."""

    retries: int = Field(2, ge=0, le=20, title="Retries per model", description="Extra attempts on the same model.")
    backoff_base_s: float = Field(
        0.2, ge=0, le=60, title="Backoff base (s)", description="First retry waits this long; doubles each time."
    )
    backoff_max_s: float = Field(
        2.0, ge=0, le=600, title="Backoff cap (s)", description="Longest wait between retries."
    )
    jitter: float = Field(0.1, ge=0, le=1, title="Jitter", description="Random ± fraction added to each wait.")
    cooldown_s: float = Field(
        60,
        ge=0,
        le=86400,
        title="Cooldown (s)",
        description="After a fallback succeeds, start there for this long. 0 = always start at the primary.",
    )
    connect_timeout_s: float = Field(10, gt=0, le=600, title="Connect timeout (s)")
    first_token_timeout_s: float = Field(60, gt=0, le=3600, title="First-token timeout (s)")
    idle_timeout_s: float = Field(30, gt=0, le=3600, title="Idle stream timeout (s)")
    max_total_s: float = Field(300, gt=0, le=86400, title="Total budget (s)", description="No request runs longer.")
    quota_cooldown_s: float = Field(
        3600,
        ge=0,
        le=604800,
        title="Quota cooldown (s)",
        description="After a model's quota or credit ran out, skip it for this long.",
    )
    attempt_timeout_s: float = Field(
        120, gt=0, le=86400, title="Attempt budget (s)", description="No single attempt runs longer; then next model."
    )
    min_chars_per_s: float = Field(
        0,
        ge=0,
        le=100000,
        title="Minimum stream rate (chars/s)",
        description="A stream slower than this after its first 10 s moves on to the next model. 0 = no minimum.",
    )
    # Switches (not numbers): number_fields() and so the settings forms leave them out.
    enabled: bool = Field(True, title="Fall back", description="false: only the first model is ever tried.")
    allow_empty_answer: bool = Field(False, title="Allow empty answers")
    on_stream_break: Literal["withdraw", "continue"] = Field(
        "withdraw",
        title="On a broken stream",
        description="withdraw: drop the partial answer; continue: the next model continues it.",
    )
    probe_primary: bool = Field(
        False, title="Probe the primary", description="Send a 1-token request before leaving a cooldown early."
    )
    on_refusal: Literal["fallback", "stop"] = Field(
        "fallback",
        title="On a refusal",
        description="fallback: withdraw the refused text and try the next model (another provider first); "
        "stop: end the run.",
    )
    failover: Literal["after_retries", "at_once"] = Field(
        "after_retries",
        title="Failover",
        description="after_retries: retry a failing model before moving on; at_once: move to the next model "
        "(another provider first) at once, and retry the failed one only if nothing else answers.",
    )
    cost: Literal["any", "not_more", "free_only"] = Field(
        "any",
        title="Fallback cost",
        description="any; not_more: no fallback costs more per token than the primary; free_only: only free or "
        "local fallbacks. Under both limits a remote model with no known price is skipped.",
    )
    state: FallbackState | None = Field(
        None, title="Shared state", description='Where cooldowns live: {"redis": "redis://host:6379/0"}.'
    )


# Fallback settings an agent cannot override: where cooldowns are shared is one answer
# for the whole config file.
SETTINGS_ONLY_FALLBACK = frozenset({"state"})


class _FallbackOverrideBase(_Strict):
    def apply_to(self, base: FallbackSettings) -> FallbackSettings:
        """The settings' defaults with this override's fields laid over them."""
        # The fields as they are (all plain values): model_dump would serialise each first,
        # and every run asks this once.
        update = {name: value for name, value in self.__dict__.items() if value is not None}
        return base.model_copy(update=update) if update else base


def _override_of(info: FieldInfo) -> Any:
    """A FallbackSettings field as an override: the same bounds, title and help, but unset
    (None) by default, meaning "take the settings' value"."""
    assert info.annotation is not None  # every setting is declared with a type
    return (info.annotation | None, FieldInfo.merge_field_infos(info, default=None))


_OVERRIDE_DOC = """An agent's own fallback options; each field left out takes the settings' value.

Built from FallbackSettings: one optional field per setting, with its bounds, title and
help, so a setting declared there can be overridden per agent without a second declaration."""

if TYPE_CHECKING:
    # What type checkers see of the class built below: every field is a number, a switch
    # (bool or a word) or None.
    class FallbackOverride(_FallbackOverrideBase):
        def __init__(self, **values: float | str | None) -> None: ...
        def __getattr__(self, name: str) -> float | str | None: ...

else:
    FallbackOverride = create_model(
        "FallbackOverride",
        __base__=_FallbackOverrideBase,
        __module__=__name__,
        __doc__=_OVERRIDE_DOC,
        **{
            name: _override_of(info)
            for name, info in FallbackSettings.model_fields.items()
            if name not in SETTINGS_ONLY_FALLBACK
        },
    )


class ServeSettings(_Strict):
    """The gateway (`modeldesk serve`)."""

    aliases: dict[Annotated[str, Field(min_length=1, max_length=200)], Identifier] = Field(
        default_factory=dict,
        title="Model aliases",
        description="Model name or glob a client sends -> agent id, tried in order (first match wins) "
        'when the name is not an agent id; e.g. {"claude-*haiku*": "helper"}.',
    )


class Settings(_Strict):
    default_agent_model: ModelValue | None = Field(
        None,
        title="Default agent model",
        description="Used by every agent that has no preferred model of its own (and no project default).",
    )
    task_models: dict[str, TaskModelMap] = Field(
        default_factory=dict,
        title="Task models",
        description="task -> {chat model id or '*' -> model(s)} for background work such as titles.",
    )
    fallback: FallbackSettings = Field(default_factory=FallbackSettings, title="Fallback defaults")
    serve: ServeSettings = Field(default_factory=ServeSettings, title="Gateway")


class Project(_Strict):
    id: Identifier
    name: str = Field(min_length=1)
    default_model: ModelValue | None = Field(None, title="Default model")
    task_models: dict[str, TaskModelMap] = Field(default_factory=dict, title="Task models")


class Agent(_Strict):
    id: Identifier
    name: str = Field(min_length=1)
    project: str | None = Field(None, title="Project")
    model: ModelValue | None = Field(None, title="Preferred models", description="Primary first, then fallbacks.")
    task_models: dict[str, ModelValue] = Field(
        default_factory=dict, title="Task models", description="task -> model(s); a direct override."
    )
    fallback: FallbackOverride | None = Field(None, title="Fallback options")
    instruction: str = Field("", title="Instruction")


class Squad(_Strict):
    id: Identifier
    name: str = Field(min_length=1)
    agents: list[str] = Field(default_factory=list, title="Member agents")


def unique_ids(items: list[Any], where: str) -> None:
    """Raise ValueError naming the first id that repeats in ``items``."""
    if len({item.id for item in items}) == len(items):
        return  # the usual case, in one C-speed pass
    seen: dict[str, int] = {}
    for index, item in enumerate(items):
        if item.id in seen:
            raise ValueError(f"{where}[{index}].id '{item.id}' repeats {where}[{seen[item.id]}].id")
        seen[item.id] = index


class _IdIndex(dict[str, tuple[list[Any], int, dict[str, int]]]):
    """Config's look-up cache: collection -> (the list indexed, its length, id -> position).

    A cache, not content: equal to any other (two configs with the same items are equal)
    and never copied with the config (a copied config indexes its own lists; see
    ``Config.copy_ids_to`` for a copy whose lists are known to match)."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _IdIndex)

    def __ne__(self, other: object) -> bool:
        return not isinstance(other, _IdIndex)

    __hash__ = None

    def __copy__(self) -> _IdIndex:
        return _IdIndex()

    def __deepcopy__(self, memo: dict[int, Any]) -> _IdIndex:
        return _IdIndex()


class Config(_Strict):
    """The whole config file."""

    # Parsing a file caches only the keys' strings: pydantic's default, every string, cost
    # 13% of validating a 10,000-agent file (mostly unique ids and names), for 1.6 MiB that
    # sharing the repeated values (model ids in lists) would have saved.
    model_config = ConfigDict(cache_strings="keys")

    schema_version: Literal[1] = Field(SCHEMA_VERSION, title="Schema version")
    providers: list[Provider] = Field(default_factory=list)
    models: list[Model] = Field(default_factory=list)
    settings: Settings = Field(default_factory=Settings)
    projects: list[Project] = Field(default_factory=list)
    agents: list[Agent] = Field(default_factory=list)
    squads: list[Squad] = Field(default_factory=list)

    @model_validator(mode="after")
    def _ids_are_unique(self) -> Config:
        for name in ("providers", "models", "projects", "agents", "squads"):
            unique_ids(getattr(self, name), name)
        return self

    # id -> position, per collection, built on first look-up (10,000 agents made every
    # linear look-up cost ~1 ms). A hit is checked against the item it points at; a miss is
    # trusted while the list is the same object of the same length. Code that puts an item
    # with another id in place of one calls forget_ids (edits do, for every insert/delete).
    _ids: _IdIndex = PrivateAttr(default_factory=_IdIndex)

    def find(self, collection: str, item_id: str) -> tuple[int, Any] | None:
        """``(position, item)`` of the item with ``item_id`` in ``collection``, or ``None``."""
        items: list[Any] = getattr(self, collection)
        # Straight from pydantic's private store: ``self._ids`` goes through its slow
        # __getattr__ (~2.5 µs, most of a look-up; resolving 10,000 agents does many).
        ids: _IdIndex = self.__pydantic_private__["_ids"]  # type: ignore[index]
        cached = ids.get(collection)
        if cached is not None and cached[0] is items:
            known, positions = cached[1], cached[2]
            if known < len(items):
                # Items were appended since: index just the new tail (an import of 10,000 agents
                # looks each one up after the previous was added; a rebuild each time was quadratic).
                for index in range(known, len(items)):
                    positions.setdefault(items[index].id, index)
                ids[collection] = (items, len(items), positions)
                known = len(items)
            position = positions.get(item_id)
            if position is not None and position < len(items) and items[position].id == item_id:
                return position, items[position]
            if position is None and known == len(items):
                return None
        positions = {item.id: index for index, item in enumerate(items)}
        ids[collection] = (items, len(items), positions)
        position = positions.get(item_id)
        return None if position is None else (position, items[position])

    def copy_ids_to(self, copy: Config) -> None:
        """Give ``copy`` (whose lists are copies of this config's, same order) this config's
        id index: its own dicts, so later edits to either never reach the other's index
        (copying 10,000 positions takes ~0.1 ms; building them again ~2 ms)."""
        own: _IdIndex = self.__pydantic_private__["_ids"]  # type: ignore[index]
        copied = _IdIndex()
        for collection, (items, known, positions) in own.items():
            copied_items: list[Any] = getattr(copy, collection)
            # Only an index of the list this config holds now, whose copy has the same items.
            if items is getattr(self, collection) and len(copied_items) == len(items):
                copied[collection] = (copied_items, known, dict(positions))
        copy.__pydantic_private__["_ids"] = copied  # type: ignore[index]

    def forget_ids(self, collection: str) -> None:
        """Drop the id index of ``collection`` (after an edit that may have reordered it)."""
        self._ids.pop(collection, None)

    def agent(self, agent_id: str) -> Agent | None:
        found = self.find("agents", agent_id)
        return None if found is None else found[1]

    def model(self, model_id: str) -> Model | None:
        found = self.find("models", model_id)
        return None if found is None else found[1]

    def provider(self, provider_id: str) -> Provider | None:
        found = self.find("providers", provider_id)
        return None if found is None else found[1]

    def project(self, project_id: str) -> Project | None:
        found = self.find("projects", project_id)
        return None if found is None else found[1]

    def squad(self, squad_id: str) -> Squad | None:
        found = self.find("squads", squad_id)
        return None if found is None else found[1]


class Policy(_Strict):
    """The organization policy file: the lowest layer, read-only to ModelDesk."""

    schema_version: Literal[1] = Field(SCHEMA_VERSION)
    providers: list[Provider] = Field(default_factory=list)
    models: list[Model] = Field(default_factory=list)
    default_agent_model: ModelValue | None = None
    task_models: dict[str, TaskModelMap] = Field(default_factory=dict)


def dump_config(obj: BaseModel) -> dict[str, Any]:
    """A config object as plain JSON data, in declaration order, for writing to disk.

    A field is written when it was set (by the file or by an edit), even if it equals
    the default, so a hand-written ``"enabled": true`` survives a save; a nested object
    is also written when anything inside it was set. Unset defaults and ``None`` in an
    optional field are left out, which keeps hand-edited files short.
    """
    data: dict[str, Any] = _dump(obj)
    if isinstance(obj, (Config, Policy)):
        data = {"schema_version": SCHEMA_VERSION} | {k: v for k, v in data.items() if k != "schema_version"}
    return data


_DEFAULTS: dict[tuple[type[BaseModel], str], Any] = {}


def _field_default(cls: type[BaseModel], name: str) -> Any:
    # pydantic's get_default inspects the factory's signature on every call; saving a
    # 10,000-agent file asks tens of thousands of times, so remember the answer.
    key = (cls, name)
    if key not in _DEFAULTS:
        _DEFAULTS[key] = cls.model_fields[name].get_default(call_default_factory=True)
    return _DEFAULTS[key]


# Per model class: each field's name and default, worked out once (a 10,000-agent save
# dumps ~100,000 fields; asking pydantic per field was most of its cost).
_FIELD_DEFAULTS: dict[type[BaseModel], tuple[tuple[str, Any], ...]] = {}
_SCALARS = frozenset({str, int, float, bool})


def _dump(value: Any) -> Any:
    if isinstance(value, list):
        return [item if type(item) in _SCALARS else _dump(item) for item in value]
    if isinstance(value, dict):
        return {key: item if type(item) in _SCALARS else _dump(item) for key, item in value.items()}
    if not isinstance(value, BaseModel):
        return value
    cls = type(value)
    fields = _FIELD_DEFAULTS.get(cls)
    if fields is None:
        fields = _FIELD_DEFAULTS[cls] = tuple((name, _field_default(cls, name)) for name in cls.model_fields)
    values = value.__dict__
    fields_set = value.__pydantic_fields_set__
    out: dict[str, Any] = {}
    for name, default in fields:
        item = values[name]
        if item is None:
            continue
        # Scalars first: isinstance against pydantic's BaseModel (an ABC) is slow.
        if type(item) not in _SCALARS and isinstance(item, BaseModel):
            dumped = _dump(item)
            if dumped:  # a nested object is written when anything inside it is
                out[name] = dumped
        # A list or dict filled in place (an edit appending an agent) never enters
        # model_fields_set, so anything that differs from the default is written too.
        elif name in fields_set or item != default:
            out[name] = item if type(item) in _SCALARS else _dump(item)
    return out


def json_schema() -> dict[str, Any]:
    """The JSON Schema of the config file, as printed by `modeldesk config schema`."""
    schema = Config.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "ModelDesk config (schema_version 1)"
    return schema
