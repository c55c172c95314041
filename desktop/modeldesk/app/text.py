"""Short human texts for model facts, shared by the picker, the registry and the lists."""

from __future__ import annotations

from modeldesk.core.model_facts import is_local
from modeldesk.core.schema import Capabilities, Model, Provider

# Shown under every model picker, with an "Open settings" link (SPEC 3.3).
HINT_TEXT = "Agents without a preferred model use the Default agent model."


def capability_text(capabilities: Capabilities) -> str:
    """Badges such as 'tools · vision'; known-missing capabilities are left out."""
    names = [name for name in type(capabilities).model_fields if getattr(capabilities, name)]
    return " · ".join(names)


def context_text(tokens: int | None) -> str:
    """128000 -> '128k tokens', and the binary sizes models are built with as their
    makers name them: 32768 -> '32k tokens', 131072 -> '128k tokens'; unknown -> ''."""
    if not tokens:
        return ""
    for unit, binary, decimal in (("M", 1 << 20, 1_000_000), ("k", 1 << 10, 1000)):
        if tokens >= decimal:
            if tokens % decimal and tokens % binary == 0:  # 32768, not 128000 (125 x 1024)
                return f"{tokens // binary}{unit} tokens"
            return f"{round(tokens / decimal, 1):g}{unit} tokens"
    return f"{tokens} tokens"


def price_text(model: Model, provider: Provider | None) -> str:
    """'local · free' for a model served from this machine, '$2.5/$10 per M' when the
    price is known (input/output, US dollars per million tokens), else 'unpriced'."""
    if is_local(provider):
        return "local · free"
    price = model.price
    if price.input is None and price.output is None:
        return "unpriced"
    if price.input == 0 and price.output == 0:
        return "free"

    def amount(value: float | None) -> str:
        return "?" if value is None else f"${value:g}"

    return f"{amount(price.input)}/{amount(price.output)} per M"


def model_badges(model: Model, provider: Provider | None) -> str:
    """The picker's badges: capabilities, then price (or unpriced, or local · free)."""
    return " · ".join(part for part in (capability_text(model.capabilities), price_text(model, provider)) if part)


def counted(count: int, noun: str, plural: str | None = None) -> str:
    """'1 agent', '2 agents', '0 agents' (``plural`` for nouns that do not just take -s),
    with thousands separated: '10,000 agents'."""
    return f"{count:,} {noun if count == 1 else (plural or noun + 's')}"


def latency_text(milliseconds: int | None) -> str:
    if milliseconds is None:
        return "—"
    return f"{milliseconds} ms" if milliseconds < 1000 else f"{milliseconds / 1000:.1f} s"
