"""Well-known providers: base URL, API kind and the usual key variable, so adding one is
picking a name and pasting a key. The local servers among them also make up the port
table that `modeldesk providers detect` probes on 127.0.0.1."""

from __future__ import annotations

from dataclasses import dataclass

from .schema import ApiKeyRef, Provider, ProviderKind


@dataclass(frozen=True)
class Preset:
    id: str  # also the provider id it suggests
    label: str
    kind: ProviderKind
    base_url: str
    key_env: str | None = None  # the variable the provider's own docs use; None: no key
    port: int | None = None  # local servers: the port they listen on by default

    @property
    def local(self) -> bool:
        return self.port is not None

    def provider(self, provider_id: str | None = None, *, key: ApiKeyRef | None = None) -> Provider:
        """A provider from this preset; the key defaults to the usual variable."""
        if key is None and self.key_env is not None:
            key = ApiKeyRef(env=self.key_env)
        return Provider(
            id=provider_id or self.id,
            kind=self.kind,
            base_url=self.base_url,
            api_key=key,
            label=self.label,
        )


def _local(preset_id: str, label: str, port: int) -> Preset:
    return Preset(preset_id, label, "openai", f"http://127.0.0.1:{port}/v1", None, port)


PRESETS: tuple[Preset, ...] = (
    Preset("openai", "OpenAI", "openai", "https://api.openai.com/v1", "OPENAI_API_KEY"),
    Preset("anthropic", "Anthropic", "anthropic", "https://api.anthropic.com", "ANTHROPIC_API_KEY"),
    Preset("openrouter", "OpenRouter", "openai", "https://openrouter.ai/api/v1", "OPENROUTER_API_KEY"),
    Preset(
        "gemini",
        "Google Gemini (OpenAI-compatible)",
        "openai",
        "https://generativelanguage.googleapis.com/v1beta/openai",
        "GEMINI_API_KEY",
    ),
    Preset("groq", "Groq", "openai", "https://api.groq.com/openai/v1", "GROQ_API_KEY"),
    Preset("mistral", "Mistral", "openai", "https://api.mistral.ai/v1", "MISTRAL_API_KEY"),
    Preset("deepseek", "DeepSeek", "openai", "https://api.deepseek.com/v1", "DEEPSEEK_API_KEY"),
    Preset("xai", "xAI", "openai", "https://api.x.ai/v1", "XAI_API_KEY"),
    Preset("together", "Together AI", "openai", "https://api.together.xyz/v1", "TOGETHER_API_KEY"),
    Preset("fireworks", "Fireworks AI", "openai", "https://api.fireworks.ai/inference/v1", "FIREWORKS_API_KEY"),
    _local("ollama", "Ollama", 11434),
    _local("lmstudio", "LM Studio", 1234),
    _local("llamacpp", "llama.cpp server", 8080),
    _local("vllm", "vLLM", 8000),
)

# Detected but not offered in the provider dialog's list: rarer, same API as the others.
DETECT_ONLY: tuple[Preset, ...] = (_local("jan", "Jan", 1337), _local("koboldcpp", "KoboldCpp", 5001))


def preset(preset_id: str) -> Preset | None:
    return next((p for p in PRESETS + DETECT_ONLY if p.id == preset_id), None)


def local_servers() -> tuple[Preset, ...]:
    """The port table `providers detect` probes, in the order it reports them."""
    return tuple(p for p in PRESETS if p.local) + DETECT_ONLY


def free_provider_id(wanted: str, taken: set[str]) -> str:
    """``wanted``, or ``wanted-2``, ``wanted-3``… when it is taken."""
    if wanted not in taken:
        return wanted
    n = 2
    while f"{wanted}-{n}" in taken:
        n += 1
    return f"{wanted}-{n}"
