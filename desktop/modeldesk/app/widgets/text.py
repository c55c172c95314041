"""Short human texts for model facts, shared by the picker, the registry and the lists."""

from __future__ import annotations

from modeldesk.core.schema import Capabilities

# Shown under every model picker, with an "Open settings" link (SPEC 3.3).
HINT_TEXT = "Agents without a preferred model use the Default agent model."


def capability_text(capabilities: Capabilities) -> str:
    """Badges such as 'tools · vision'; known-missing capabilities are left out."""
    names = [name for name in type(capabilities).model_fields if getattr(capabilities, name)]
    return " · ".join(names)


def context_text(tokens: int | None) -> str:
    """128000 -> '128k tokens'; unknown -> ''."""
    if not tokens:
        return ""
    if tokens >= 1_000_000:
        return f"{round(tokens / 1_000_000, 1):g}M tokens"
    if tokens >= 1000:
        return f"{tokens / 1000:.0f}k tokens" if tokens >= 10_000 else f"{tokens / 1000:.1f}k tokens"
    return f"{tokens} tokens"
