"""A small sample workspace: what a first-time user can start from instead of an empty
file, and what the screenshots and app tests use.

It shows every layer at work: agents with their own lists, agents inheriting from a
project or from Settings → Default agent model, task models, a local OpenAI-compatible
server, and one disabled model that an agent still lists (flagged, never replaced).

The "Demo (offline)" agent runs on the ``simulated`` provider, which answers in-process:
Test run works on first start with no key and no network, and shows a real fallback (its
primary always answers "429 rate limited", so the backup answers and a cooldown starts).
"""

from __future__ import annotations

from .schema import (
    Agent,
    ApiKeyRef,
    Capabilities,
    Config,
    FallbackOverride,
    Model,
    Project,
    Provider,
    Settings,
    Squad,
)


def _model(
    model_id: str,
    provider: str,
    label: str,
    context: int,
    *,
    tools: bool,
    vision: bool,
    enabled: bool = True,
    name: str | None = None,
) -> Model:
    return Model(
        id=model_id,
        provider=provider,
        name=name or model_id,
        label=label,
        context_window=context,
        capabilities=Capabilities(tools=tools, vision=vision),
        enabled=enabled,
    )


def sample_config() -> Config:
    """A fresh sample Config (a new object each call; callers may change it)."""
    providers = [
        Provider(
            id="openai",
            kind="openai",
            base_url="https://api.openai.com/v1",
            label="OpenAI",
            api_key=ApiKeyRef(env="OPENAI_API_KEY"),
        ),
        Provider(
            id="anthropic",
            kind="anthropic",
            base_url="https://api.anthropic.com",
            label="Anthropic",
            api_key=ApiKeyRef(keyring="anthropic"),
        ),
        Provider(id="local", kind="openai", base_url="http://127.0.0.1:8080/v1", label="Local (llama.cpp)"),
        Provider(id="demo", kind="simulated", label="Simulated (offline)"),
    ]
    models = [
        _model("gpt-4o", "openai", "GPT-4o", 128_000, tools=True, vision=True),
        _model("gpt-4o-mini", "openai", "GPT-4o mini", 128_000, tools=True, vision=True),
        _model("gpt-4.1", "openai", "GPT-4.1", 1_047_576, tools=True, vision=True),
        _model("o3-mini", "openai", "o3-mini", 200_000, tools=True, vision=False),
        _model(
            "claude-sonnet-4",
            "anthropic",
            "Claude Sonnet 4",
            200_000,
            tools=True,
            vision=True,
            name="claude-sonnet-4-20250514",
        ),
        _model(
            "claude-haiku-4", "anthropic", "Claude Haiku 4", 200_000, tools=True, vision=True, name="claude-haiku-4-5"
        ),
        _model(
            "claude-opus-4",
            "anthropic",
            "Claude Opus 4",
            200_000,
            tools=True,
            vision=True,
            name="claude-opus-4-20250514",
        ),
        # Retired but still listed by one agent: shows how the app flags it.
        _model(
            "claude-3-haiku",
            "anthropic",
            "Claude 3 Haiku (retired)",
            200_000,
            tools=True,
            vision=True,
            enabled=False,
            name="claude-3-haiku-20240307",
        ),
        _model(
            "llama-3.2-3b",
            "local",
            "Llama 3.2 3B (local)",
            8_192,
            tools=False,
            vision=False,
            name="llama-3.2-3b-instruct",
        ),
        _model(
            "qwen2.5-7b", "local", "Qwen2.5 7B (local)", 32_768, tools=True, vision=False, name="qwen2.5-7b-instruct"
        ),
        # A simulated model named fail-429 always answers "429 rate limited".
        _model("demo-busy", "demo", "Demo: always busy", 8_192, tools=False, vision=False, name="fail-429"),
        _model("demo-steady", "demo", "Demo: steady", 8_192, tools=False, vision=False, name="steady"),
    ]
    settings = Settings(
        default_agent_model=["claude-sonnet-4", "gpt-4o"],
        task_models={
            "title": {"*": "gpt-4o-mini", "claude-opus-4": "claude-haiku-4"},
            "summary": {"*": ["gpt-4o-mini", "llama-3.2-3b"]},
        },
    )
    projects = [
        Project(
            id="support",
            name="Customer support",
            default_model="gpt-4o-mini",
            task_models={"summary": {"*": "claude-haiku-4"}},
        ),
        Project(id="research", name="Research", default_model=["claude-opus-4", "gpt-4.1"]),
    ]
    agents = [
        Agent(
            id="analyst",
            name="Analyst",
            project="research",
            model=["claude-sonnet-4", "gpt-4o"],
            task_models={"title": "gpt-4o-mini"},
            fallback=FallbackOverride(cooldown_s=0),
            instruction="You analyse data sets and explain what they show.",
        ),
        Agent(
            id="researcher",
            name="Researcher",
            project="research",
            instruction="You find and summarise sources on a topic.",
        ),
        Agent(
            id="fact-checker",
            name="Fact checker",
            project="research",
            model=["o3-mini", "claude-3-haiku"],
            instruction="You check claims against the sources given.",
        ),
        Agent(
            id="triage",
            name="Ticket triage",
            project="support",
            model="gpt-4o-mini",
            instruction="You sort incoming tickets by product and urgency.",
        ),
        Agent(
            id="responder",
            name="Responder",
            project="support",
            instruction="You draft friendly, accurate replies to customers.",
        ),
        Agent(
            id="escalation",
            name="Escalation",
            project="support",
            model=["claude-opus-4", "gpt-4.1"],
            instruction="You handle tickets other agents could not resolve.",
        ),
        Agent(
            id="note-taker",
            name="Note taker",
            model=["qwen2.5-7b", "llama-3.2-3b"],
            instruction="You turn meeting transcripts into short notes, offline.",
        ),
        Agent(id="helper", name="General helper", instruction="You help with whatever is asked."),
        Agent(
            id="demo",
            name="Demo (offline)",
            model=["demo-busy", "demo-steady"],
            instruction="You show how fallback works, without a network.",
        ),
    ]
    squads = [
        Squad(id="research-team", name="Research team", agents=["analyst", "researcher", "fact-checker"]),
        Squad(id="support-desk", name="Support desk", agents=["triage", "responder", "escalation"]),
    ]
    return Config(
        providers=providers, models=models, settings=settings, projects=projects, agents=agents, squads=squads
    )
