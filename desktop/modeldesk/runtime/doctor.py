"""The health check behind `modeldesk doctor` and the app's Health view.

For each provider: whether its key is present and where it comes from (never its value),
whether the server answers and how fast, and optionally a one-token request per model.
For each agent: whether it resolves, and whether any of its layers points at a model that
is removed, disabled, or whose provider has no key on this machine. Every finding that
needs the user's hand becomes one :class:`Problem` saying what to do.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from modeldesk.core.errors import ModelDeskError
from modeldesk.core.resolver import Resolver, is_placeholder
from modeldesk.core.schema import ApiKeyRef, Config, ModelValue, Policy, Provider, model_list
from modeldesk.core.urls import plain_http_key_warning

from .errors import ProviderError
from .keyring_errors import keyring_problem
from .secrets import EnvKeyringSecrets, SecretSource, describe_ref

DEFAULT_TIMEOUT_S = 5.0


@dataclass(frozen=True)
class KeyStatus:
    """Whether a provider's key can be read here. ``source`` names where it would come from."""

    needed: bool
    present: bool
    source: str | None  # "environment variable OPENAI_API_KEY", "keyring entry 'x'", None if none needed
    error: str | None = None  # the keyring could not be read


@dataclass(frozen=True)
class ModelProbe:
    """A one-token request to one model."""

    model: str
    ok: bool
    latency_ms: int | None
    error: str | None = None
    error_class: str | None = None


@dataclass
class ProviderHealth:
    id: str
    kind: str
    base_url: str
    enabled: bool
    key: KeyStatus
    reachable: bool | None = None  # None: not checked (disabled, or the check was skipped)
    latency_ms: int | None = None
    status: int | None = None
    error: str | None = None
    probes: list[ModelProbe] = field(default_factory=list)


@dataclass
class AgentHealth:
    id: str
    name: str
    resolves: bool
    models: list[str]
    source: str | None
    error: str | None
    issues: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Problem:
    """Something that needs fixing: what it concerns, what is wrong, and what to do."""

    subject: str  # "provider openai", "agent analyst", "settings"
    message: str
    fix: str

    @property
    def line(self) -> str:
        return f"{self.subject}: {self.message} — {self.fix}"


@dataclass
class HealthReport:
    providers: list[ProviderHealth]
    agents: list[AgentHealth]
    problems: list[Problem]

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "providers": [asdict(p) for p in self.providers],
            "agents": [asdict(a) for a in self.agents],
            "problems": [{"subject": p.subject, "message": p.message, "fix": p.fix} for p in self.problems],
        }


# --- keys ------------------------------------------------------------------------------


def key_status(ref: ApiKeyRef | None, secrets: SecretSource) -> KeyStatus:
    """Look the key up (its value is dropped at once): present or not, and from where."""
    if ref is None:
        return KeyStatus(needed=False, present=True, source=None)
    where = describe_ref(ref)
    try:
        present = bool(secrets.get(ref))
    except ProviderError as exc:
        return KeyStatus(needed=True, present=False, source=where, error=exc.message)
    return KeyStatus(needed=True, present=present, source=where)


def _key_fix(provider: Provider) -> str:
    ref = provider.api_key
    assert ref is not None
    if ref.env is not None:
        return f"set the environment variable {ref.env} (export {ref.env}=...) before starting ModelDesk"
    return f"store the key in the OS keyring (entry '{ref.keyring}', service 'modeldesk'): Settings → Providers → Edit"


# --- network ---------------------------------------------------------------------------


async def reach(
    provider: Provider, key: str | None, timeout_s: float
) -> tuple[bool, int | None, int | None, str | None]:
    """GET the provider's model list: (reachable, latency ms, HTTP status, error).

    Any HTTP answer counts as reachable, even 401: the server is there, the key is the
    matter (reported separately). Only a failure to connect or to answer is unreachable.
    """
    # The HTTP stack loads with the first network check: the offline check (keys and
    # references, what the Health page shows first) needs none of it.
    from .providers import make_provider, new_client

    async with new_client(timeout_s, timeout_s) as client:
        chat = make_provider(provider, client, key)
        started = time.monotonic()
        try:
            async with asyncio.timeout(timeout_s):
                await chat.list_models()
        except TimeoutError:
            return False, None, None, f"no answer within {timeout_s:g} s"
        except ProviderError as exc:
            if exc.status is not None:
                return True, _ms(started), exc.status, exc.message
            return False, None, None, exc.message
        return True, _ms(started), 200, None


async def probe_model(provider: Provider, key: str | None, model_id: str, name: str, timeout_s: float) -> ModelProbe:
    """A one-token chat request, not streamed: the cheapest proof that a model answers."""
    from .providers import ChatRequest, Finished, make_provider, new_client

    async with new_client(timeout_s, timeout_s) as client:
        chat = make_provider(provider, client, key)
        started = time.monotonic()
        try:
            async with asyncio.timeout(timeout_s):
                async for chunk in chat.chat(ChatRequest(model=name, prompt="Hi", max_tokens=1, stream=False)):
                    if isinstance(chunk, Finished):
                        break
        except TimeoutError:
            return ModelProbe(model_id, False, None, f"no answer within {timeout_s:g} s")
        except ProviderError as exc:
            return ModelProbe(model_id, False, None, exc.message, exc.error_class)
        return ModelProbe(model_id, True, _ms(started))


def _ms(started: float) -> int:
    return round((time.monotonic() - started) * 1000)


# --- the whole check -------------------------------------------------------------------


# What to do when a model fails its one-token probe, by error class.
_PROBE_FIX = {
    "not_found": "check the model's name at the provider (`modeldesk providers models ID`), or disable it",
    "rate_limit": "it is rate-limited right now: try again later, or check your plan's limits",
    "quota": "the account's quota or credit is used up: top it up, or disable the model",
    "auth": "check the key and that it may use this model",
    "timeout": "the model answered too slowly: try again, or raise the timeout (--timeout)",
    "context_overflow": "check the model's context window",
}
_PROBE_FIX_DEFAULT = "runs fall back past it while it fails; check the error, or disable the model"

_LAYER_FIX = {
    "agent": "edit the agent's preferred models (agent editor, or `modeldesk agents set-model`)",
    "project": "edit the project's default model (Projects page)",
    "settings": "edit Settings → Models → Default agent model",
}


async def check_health(
    config: Config,
    policy: Policy | None = None,
    *,
    secrets: SecretSource | None = None,
    network: bool = True,
    probe: bool = False,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    on_provider: Callable[[ProviderHealth], None] | None = None,
) -> HealthReport:
    """Check every provider (concurrently) and every agent. ``network=False`` checks keys
    and references only. ``on_provider`` is called as each provider's check finishes."""
    secrets = secrets or EnvKeyringSecrets()
    resolver = Resolver(config, policy)
    problems: list[Problem] = []

    providers = list(resolver.providers.values())
    keys: dict[str, str | None] = {}
    health: list[ProviderHealth] = []
    for provider in providers:
        status = await asyncio.to_thread(key_status, provider.api_key, secrets)
        health.append(ProviderHealth(provider.id, provider.kind, provider.base_url, provider.enabled, status))
        if status.present and provider.api_key is not None:
            keys[provider.id] = await asyncio.to_thread(secrets.get, provider.api_key)
        else:
            keys[provider.id] = None

    async def check_one(provider: Provider, item: ProviderHealth) -> None:
        if network and provider.enabled:
            item.reachable, item.latency_ms, item.status, item.error = await reach(
                provider, keys[provider.id], timeout_s
            )
            if probe and item.reachable and item.key.present:
                item.probes = list(
                    await asyncio.gather(
                        *(
                            probe_model(provider, keys[provider.id], m.id, m.name, timeout_s)
                            for m in resolver.models.values()
                            if m.provider == provider.id and m.enabled
                        )
                    )
                )
        if on_provider is not None:
            on_provider(item)

    await asyncio.gather(*(check_one(p, h) for p, h in zip(providers, health, strict=True)))
    keys.clear()  # drop the values as soon as the requests are done

    keyless: set[str] = set()
    for provider, item in zip(providers, health, strict=True):
        subject = f"provider {provider.id}"
        if not provider.enabled:
            continue
        if item.key.needed and not item.key.present:
            keyless.add(provider.id)
            if item.key.error:
                what, fix = keyring_problem(item.key.error)
                problems.append(Problem(subject, f"its key cannot be read: {what}", fix))
            else:
                problems.append(Problem(subject, f"no API key: {item.key.source} is not set", _key_fix(provider)))
        if plain_http_key_warning(provider.id, provider.base_url, provider.api_key is not None) is not None:
            problems.append(
                Problem(subject, "its API key would travel over plain http to another machine", "use https://")
            )
        if item.reachable is False:
            problems.append(
                Problem(
                    subject,
                    f"not reachable at {provider.base_url} ({item.error})",
                    "start the server, or check the base URL and your network or proxy",
                )
            )
        elif item.status in (401, 403) and item.key.present:
            problems.append(
                Problem(subject, f"the server refused the key ({item.status})", "replace the key with a valid one")
            )
        problems.extend(
            Problem(
                f"model {probe_result.model}",
                f"did not answer a one-token request ({probe_result.error})",
                _PROBE_FIX.get(probe_result.error_class or "", _PROBE_FIX_DEFAULT),
            )
            for probe_result in item.probes
            if not probe_result.ok
        )

    def unusable(model_id: str) -> str | None:
        problem = resolver.model_problem(model_id)
        if problem is not None:
            return problem
        model = resolver.models[model_id]
        if model.provider in keyless:
            return f"provider '{model.provider}' has no key on this machine"
        return None

    def layer_issues(value: ModelValue | None) -> list[tuple[str, bool]]:
        """Each unusable entry as text, with whether the only trouble is a missing key
        (already a provider problem, so not repeated as a problem of its own)."""
        out = []
        for entry in model_list(value):
            model_id = entry.strip()
            if not model_id or is_placeholder(model_id):
                continue
            reason = unusable(model_id)
            if reason is not None:
                out.append((f"'{model_id}': {reason}", resolver.model_problem(model_id) is None))
        return out

    # Settings and projects are checked once, not once per agent that inherits them.
    for issue, only_key in layer_issues(config.settings.default_agent_model):
        if not only_key:
            problems.append(Problem("settings", f"the default agent model lists {issue}", _LAYER_FIX["settings"]))
    for project in config.projects:
        for issue, only_key in layer_issues(project.default_model):
            if not only_key:
                problems.append(
                    Problem(f"project {project.id}", f"the default model lists {issue}", _LAYER_FIX["project"])
                )

    agents: list[AgentHealth] = []
    for agent in config.agents:
        own = layer_issues(agent.model)
        issues = [issue for issue, _ in own]
        try:
            resolution = resolver.chat(agent.id)
        except ModelDeskError as exc:
            agent_health = AgentHealth(agent.id, agent.name, False, [], None, exc.message, issues)
            problems.append(Problem(f"agent {agent.id}", f"does not resolve: {exc.message}", _LAYER_FIX["agent"]))
        else:
            agent_health = AgentHealth(agent.id, agent.name, True, resolution.models, resolution.source, None, issues)
            if resolution.models and all(
                m in keyless for m in (resolver.models[m].provider for m in resolution.models)
            ):
                agent_health.issues.append("cannot run here: no model it would run on has a key")
                problems.append(
                    Problem(
                        f"agent {agent.id}",
                        "every model it would run on belongs to a provider without a key",
                        "add the provider's key, or give the agent a model whose provider has one",
                    )
                )
        problems.extend(
            Problem(f"agent {agent.id}", f"its preferred models list {issue}", _LAYER_FIX["agent"])
            for issue, only_key in own
            if not only_key
        )
        agents.append(agent_health)

    return HealthReport(health, agents, problems)
