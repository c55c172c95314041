"""The shared resolver: which models an agent's run (or background task) uses, and why.

Resolution is pure. It reads a :class:`~modeldesk.core.schema.Config` (and optionally the
organization :class:`~modeldesk.core.schema.Policy`), fires no request, and returns a
:class:`Resolution`: the ordered model list (primary first), the layer that won, a trace of
every layer considered up to the winner, and warnings.

Layers, highest first (SPEC §3):

* top-level chat run: ``call``, ``agent``, ``project``, ``settings``, ``organization``;
* delegated run (a sub-agent): ``agent``, ``parent``, ``request``, ``project``,
  ``settings``, ``organization``;
* task T after chat primary C: ``agent-task`` (``task_models[T]``), then ``project-task``,
  ``settings-task``, ``organization-task`` (``task_models[T][C]``, else ``[T]["*"]``), and
  finally ``chat-model`` (the chat list itself).

Skipping rules, for every layer and every list: blank entries and the placeholder
``default`` (any case, spaces around it ignored) are dropped; ids that are unknown,
disabled or on a missing/disabled provider are removed with a warning each (``strict``
turns them into :class:`UnusableModelError`); repeated ids are dropped with a warning; a
layer left with nothing usable is skipped and the next one is tried.

A :class:`Resolver` indexes the config once, so resolving any agent costs time in
proportion to the lists involved, not to the number of agents. It does not watch the
config: after an edit, build a new Resolver.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .errors import NoModelConfiguredError, UnknownAgentError, UnusableModelError
from .model_values import PLACEHOLDER as PLACEHOLDER  # "default" in a list: inherit (kept importable from here)
from .model_values import WILDCARD, ModelValue, model_list

if TYPE_CHECKING:  # only read, never built here: `resolve` runs without pydantic (core/fast_read.py)
    from .schema import Agent, Config, Model, Policy, Project, Provider

# Reason texts shared by the trace, the CLI and the app.
NOT_SET = "not set"


class TraceStep:
    """One layer considered during a resolution.

    ``reason`` is text for people. Most resolutions are read for their models only (the
    agents table resolves 10,000 agents, the runner one per run), so the reason is kept as
    the facts it is made of and written out the first time someone reads it.
    """

    __slots__ = ("_reason", "layer", "outcome", "value")

    def __init__(self, layer: str, value: list[str] | None, outcome: str, reason: str | Callable[[], str]) -> None:
        self.layer = layer
        self.value = value
        self.outcome = outcome  # "used" | "skipped"
        self._reason = reason

    @property
    def reason(self) -> str:
        reason = self._reason
        if not isinstance(reason, str):
            reason = self._reason = reason()
        return reason

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, TraceStep):
            return NotImplemented
        return (self.layer, self.value, self.outcome, self.reason) == (
            other.layer,
            other.value,
            other.outcome,
            other.reason,
        )

    __hash__ = None  # type: ignore[assignment]  # equal by value, and the value is a list

    def __repr__(self) -> str:
        return f"TraceStep({self.layer!r}, {self.value!r}, {self.outcome!r}, {self.reason!r})"

    def to_json(self) -> dict[str, Any]:
        return {
            "layer": self.layer,
            "value": None if self.value is None else list(self.value),
            "outcome": self.outcome,
            "reason": self.reason,
        }


class Resolution:
    """The result: ``models`` (primary first, never empty), the winning ``source`` layer,
    the ``trace`` of layers considered, and ``warnings`` for people. Read-only by
    convention (a plain class: a frozen dataclass cost a third of a resolution to build)."""

    __slots__ = ("models", "source", "trace", "warnings")

    def __init__(
        self, models: list[str], source: str, trace: list[TraceStep] | None = None, warnings: list[str] | None = None
    ) -> None:
        self.models = models
        self.source = source
        self.trace: list[TraceStep] = [] if trace is None else trace
        self.warnings: list[str] = [] if warnings is None else warnings

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Resolution):
            return NotImplemented
        return (self.models, self.source, self.trace, self.warnings) == (
            other.models,
            other.source,
            other.trace,
            other.warnings,
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        fields = f"models={self.models!r}, source={self.source!r}, trace={self.trace!r}, warnings={self.warnings!r}"
        return f"Resolution({fields})"

    @property
    def primary(self) -> str:
        return self.models[0]

    @property
    def fallbacks(self) -> list[str]:
        return self.models[1:]

    def to_json(self) -> dict[str, Any]:
        return {
            "models": list(self.models),
            "source": self.source,
            "trace": [step.to_json() for step in self.trace],
            "warnings": list(self.warnings),
        }


def is_placeholder(entry: str) -> bool:
    """True for the placeholder ``default`` in any case, spaces around it ignored."""
    return entry.strip().casefold() == PLACEHOLDER


def is_blank_value(value: ModelValue | None) -> bool:
    """True when a ModelValue holds nothing but blanks and placeholders (or nothing)."""
    return all(not entry.strip() or is_placeholder(entry) for entry in model_list(value))


class _Layer:
    """The outcome of reading one ModelValue under the skipping rules: the usable ids and
    the facts its reason is written from (:meth:`reason`, only when asked)."""

    __slots__ = ("blanks", "empty", "placeholders", "problems", "usable")

    def __init__(
        self, usable: list[str], problems: list[tuple[str, str]] | None, empty: bool, blanks: int, placeholders: int
    ) -> None:
        self.usable = usable
        self.problems = problems  # (id, why) for each unusable id
        self.empty = empty
        self.blanks = blanks
        self.placeholders = placeholders

    def reason(self) -> str:
        """Why the layer was skipped, or ``used: ...`` when it is usable."""
        removed = "; ".join(f"{m}: {why}" for m, why in self.problems or ())
        if self.usable:
            return "used: " + ", ".join(self.usable) + (f" (removed {removed})" if removed else "")
        if removed:
            return f"no usable model ({removed})"
        if self.empty:
            return "empty list"
        if self.placeholders and not self.blanks:
            return f"placeholder '{PLACEHOLDER}'"
        if self.blanks and not self.placeholders:
            return "blank"
        return f"blank or placeholder '{PLACEHOLDER}'"


class _Run:
    """Collects the trace and warnings of one resolution."""

    __slots__ = ("_said", "strict", "trace", "warnings")

    def __init__(self, strict: bool) -> None:
        self.strict = strict
        self.trace: list[TraceStep] = []
        self.warnings: list[str] = []
        self._said: set[str] = set()  # the warnings, for a constant-time "said already?"

    def warn(self, text: str) -> None:
        if text not in self._said:
            self._said.add(text)
            self.warnings.append(text)

    def skip(self, layer: str, value: ModelValue | None, reason: str | Callable[[], str]) -> None:
        self.trace.append(TraceStep(layer, _as_list(value), "skipped", reason))

    def done(self, layer: str, value: ModelValue | None, result: _Layer) -> Resolution:
        self.trace.append(TraceStep(layer, _as_list(value), "used", result.reason))
        return Resolution(list(result.usable), layer, self.trace, self.warnings)


def _as_list(value: ModelValue | None) -> list[str] | None:
    # A copy: the trace must not change when the config is edited later.
    if value is None:
        return None
    return [value] if isinstance(value, str) else list(value)


class Resolver:
    """Resolves agents' chat and task models over one config (and optional policy).

    Build it once per config version; every look-up inside is a dict access.
    """

    def __init__(self, config: Config, policy: Policy | None = None) -> None:
        self.config = config
        self.policy = policy
        # The user's own definitions win over the policy's when ids collide: the policy is
        # the lowest layer, there to fill gaps, not to override what the user set up.
        self._providers: dict[str, Provider] = {}
        self._models: dict[str, Model] = {}
        if policy is not None:
            self._providers.update((p.id, p) for p in policy.providers)
            self._models.update((m.id, m) for m in policy.models)
        self._providers.update((p.id, p) for p in config.providers)
        self._models.update((m.id, m) for m in config.models)
        self._projects: dict[str, Project] = {p.id: p for p in config.projects}
        self._problems: dict[str, str | None] = {}
        self._reads: dict[tuple[str, str | tuple[str, ...]], tuple[_Layer, tuple[str, ...]]] = {}
        # A plain chat resolution (no call, parent, request or project given) depends on the
        # agent only through its list and its project: agents that share both share the answer.
        self._plain_chats: dict[tuple[str | tuple[str, ...] | None, str | None], Resolution] = {}

    # --- registry ---------------------------------------------------------------------

    @property
    def models(self) -> dict[str, Model]:
        """Every known model by id: the config's and the policy's (config wins)."""
        return dict(self._models)

    @property
    def providers(self) -> dict[str, Provider]:
        """Every known provider by id: the config's and the policy's (config wins)."""
        return dict(self._providers)

    def agent(self, agent_id: str) -> Agent:
        found = self.config.find("agents", agent_id)  # the config's id index: no copy of 10,000 agents
        if found is None:
            raise UnknownAgentError(f"There is no agent '{agent_id}'.")
        agent: Agent = found[1]
        return agent

    def model_problem(self, model_id: str) -> str | None:
        """``None`` if the model can be used, else why not, in a few words."""
        if model_id in self._problems:
            return self._problems[model_id]
        model = self._models.get(model_id)
        problem: str | None
        if model is None:
            problem = "unknown model"
        elif not model.enabled:
            problem = "model disabled"
        else:
            provider = self._providers.get(model.provider)
            if provider is None:
                problem = f"provider '{model.provider}' missing"
            elif not provider.enabled:
                problem = f"provider '{model.provider}' disabled"
            else:
                problem = None
        self._problems[model_id] = problem
        return problem

    # --- chat -------------------------------------------------------------------------

    def chat(
        self,
        agent_id: str,
        *,
        call: ModelValue | None = None,
        delegated: bool = False,
        parent: ModelValue | None = None,
        request: ModelValue | None = None,
        project: str | None = None,
        strict: bool = False,
    ) -> Resolution:
        """The chat models for a run of ``agent_id``.

        A top-level run tries ``call`` first. A delegated run (``delegated=True``, implied
        by ``parent`` or ``request``) tries the agent's own list, then ``parent``, then
        ``request``; there a ``call`` value counts as the request model, since it is what
        the caller passed (ignored, with a warning, when ``request`` is given too).
        ``project`` overrides the agent's own project.
        """
        agent = self.agent(agent_id)
        if call is None and parent is None and request is None and project is None and not delegated and not strict:
            value = agent.model
            key = (value if value is None or isinstance(value, str) else tuple(value), agent.project)
            known = self._plain_chats.get(key)
            if known is None:
                known = self._plain_chats[key] = self._chat(agent, None, False, None, None, None, False)
            # Fresh lists for each caller (the trace steps are read-only and shared).
            return Resolution(list(known.models), known.source, list(known.trace), list(known.warnings))
        return self._chat(agent, call, delegated, parent, request, project, strict)

    def _chat(
        self,
        agent: Agent,
        call: ModelValue | None,
        delegated: bool,
        parent: ModelValue | None,
        request: ModelValue | None,
        project: str | None,
        strict: bool,
    ) -> Resolution:
        delegated = delegated or parent is not None or request is not None
        run = _Run(strict)
        if delegated:
            if call is not None and request is not None:
                run.warn("call: ignored in a delegated run, where the request model takes its place")
            layers: list[tuple[str, ModelValue | None]] = [
                ("agent", agent.model),
                ("parent", parent),
                ("request", request if request is not None else call),
            ]
        elif call is None:
            # The common case (no model passed to the run), kept free of extra steps: most
            # agents resolve at their own list.
            run.trace.append(TraceStep("call", None, "skipped", NOT_SET))
            layers = [("agent", agent.model)]
        else:
            layers = [("call", call), ("agent", agent.model)]
        for name, value in layers:
            found = self._try(run, name, value)
            if found is not None:
                return found
        found = self._try_project(run, agent, project)
        if found is not None:
            return found
        found = self._try(run, "settings", self.config.settings.default_agent_model)
        if found is not None:
            return found
        if self.policy is None:
            run.skip("organization", None, "no organization policy")
        else:
            found = self._try(run, "organization", self.policy.default_agent_model)
            if found is not None:
                return found
        error = NoModelConfiguredError(
            f"No usable model for agent '{agent.id}': choose a preferred model for it in the agent "
            "editor, or set Settings → Models → Default agent model."
        )
        error.trace = run.trace
        error.warnings = run.warnings
        raise error

    def _try_project(self, run: _Run, agent: Agent, override: str | None) -> Resolution | None:
        project = self._project(run, "project", agent, override)
        return None if project is None else self._try(run, "project", project.default_model)

    def _project(self, run: _Run, layer: str, agent: Agent, override: str | None) -> Project | None:
        """The project whose layer applies (``override`` else the agent's), or ``None``
        after recording why the layer is skipped."""
        project_id = override if override is not None else agent.project
        if project_id is None or not project_id.strip():
            run.skip(layer, None, "agent has no project")
            return None
        project = self._projects.get(project_id)
        if project is None:
            run.warn(f"project: unknown project '{project_id}'")
            run.skip(layer, None, f"unknown project '{project_id}'")
        return project

    def _try(self, run: _Run, layer: str, value: ModelValue | None) -> Resolution | None:
        if value is None:
            run.trace.append(TraceStep(layer, None, "skipped", NOT_SET))
            return None
        # _read inlined (the look-up of every agent's list comes here): one copy of the
        # value serves as the trace's (the config may change later) and the cache key.
        if isinstance(value, str):
            values = [value]
            key: tuple[str, str | tuple[str, ...]] = (layer, value)
        else:
            values = list(value)
            key = (layer, tuple(values))
        seen = self._reads.get(key)
        if seen is not None and not (run.strict and seen[0].problems):
            result = seen[0]
            for text in seen[1]:
                run.warn(text)
        else:
            result = self._read(run, layer, value)
        if result.usable:
            run.trace.append(TraceStep(layer, values, "used", result.reason))
            return Resolution(list(result.usable), layer, run.trace, run.warnings)
        run.trace.append(TraceStep(layer, values, "skipped", result.reason))
        return None

    def _read(self, run: _Run, layer: str, value: ModelValue) -> _Layer:
        """Apply the skipping rules to one value, recording warnings (or raising if strict).

        Lists repeat across agents (a team's agents share a few lists), so what reading one
        gave is remembered per layer and list; the config a Resolver reads does not change.
        """
        key = (layer, value if isinstance(value, str) else tuple(value))
        seen = self._reads.get(key)
        if seen is not None and not (run.strict and seen[0].problems):
            for text in seen[1]:
                run.warn(text)
            return seen[0]
        warnings_before = len(run.warnings)
        result = self._read_entries(run, layer, value)
        self._reads[key] = (result, tuple(run.warnings[warnings_before:]))
        return result

    def _read_entries(self, run: _Run, layer: str, value: ModelValue) -> _Layer:
        entries = [value] if isinstance(value, str) else value
        usable: list[str] = []
        problems: list[tuple[str, str]] | None = None
        blanks = placeholders = 0
        known = self._problems
        listed: set[str] = set()  # ids met so far (usable or not): linear in a long list
        for entry in entries:
            model_id = entry.strip()
            if not model_id:
                blanks += 1
                continue
            if len(model_id) == len(PLACEHOLDER) and model_id.casefold() == PLACEHOLDER:
                placeholders += 1
                continue
            if model_id in listed:
                run.warn(f"{layer}: '{model_id}' is listed twice; the later copy is ignored")
                continue
            listed.add(model_id)
            problem = known[model_id] if model_id in known else self.model_problem(model_id)
            if problem is None:
                usable.append(model_id)
                continue
            if run.strict:
                error = UnusableModelError(f"Model '{model_id}' ({layer}) cannot be used: {problem}.")
                error.trace, error.warnings = list(run.trace), list(run.warnings)  # the layers before
                raise error
            if problems is None:
                problems = []
            problems.append((model_id, problem))
            run.warn(f"{layer}: '{model_id}' removed: {problem}")
        return _Layer(usable, problems, not entries, blanks, placeholders)

    # --- tasks ------------------------------------------------------------------------

    def task(
        self,
        agent_id: str,
        task: str,
        *,
        chat: Resolution | None = None,
        strict: bool = False,
        **chat_kwargs: Any,
    ) -> Resolution:
        """The models a background task ``task`` (titles, summaries, ...) runs on.

        ``chat`` is the agent's chat resolution when already known; otherwise it is
        resolved here with ``chat_kwargs`` (the same keywords as :meth:`chat`). The task
        keys its map look-ups on the chat primary. Warnings of the chat resolution are
        carried over, since the task result depends on it.
        """
        agent = self.agent(agent_id)
        if chat is None:
            chat = self.chat(agent_id, strict=strict, **chat_kwargs)
        run = _Run(strict)
        for text in chat.warnings:
            run.warn(text)
        found = self._try(run, "agent-task", agent.task_models.get(task))
        if found is not None:
            return found
        project = self._project(run, "project-task", agent, chat_kwargs.get("project"))
        if project is not None:
            found = self._try_map(run, "project-task", project.task_models.get(task), chat.primary)
            if found is not None:
                return found
        found = self._try_map(run, "settings-task", self.config.settings.task_models.get(task), chat.primary)
        if found is not None:
            return found
        if self.policy is None:
            run.skip("organization-task", None, "no organization policy")
        else:
            found = self._try_map(run, "organization-task", self.policy.task_models.get(task), chat.primary)
            if found is not None:
                return found
        models = chat.models
        run.trace.append(
            TraceStep("chat-model", list(models), "used", lambda: "used the chat models: " + ", ".join(models))
        )
        return Resolution(list(chat.models), "chat-model", run.trace, run.warnings)

    def _try_map(
        self, run: _Run, layer: str, entries: dict[str, ModelValue] | None, chat_primary: str
    ) -> Resolution | None:
        """A task map layer: the entry for the chat primary, else the wildcard entry.

        A stale or blank specific entry does not hide the wildcard: both are tried, and the
        trace step names the entry that decided.
        """
        if not entries:
            run.skip(layer, None, NOT_SET)
            return None
        # Each tried entry: (label, what reading it gave); the reason text is written later.
        tried: list[tuple[str, _Layer]] = []
        last_value: ModelValue | None = None
        for key in (chat_primary, WILDCARD) if chat_primary != WILDCARD else (WILDCARD,):
            if key not in entries:
                continue
            value = entries[key]
            last_value = value
            result = self._read(run, layer, value)
            label = "'*'" if key == WILDCARD else f"'{key}'"
            if result.usable:
                run.trace.append(
                    TraceStep(layer, _as_list(value), "used", functools.partial(_map_reason, label, result, tried))
                )
                return Resolution(list(result.usable), layer, run.trace, run.warnings)
            tried.append((label, result))
        if not tried:
            run.skip(layer, last_value, f"no entry for '{chat_primary}' or '*'")
        else:
            run.skip(layer, last_value, functools.partial(_skipped_entries, tried))
        return None


def _skipped_entries(tried: list[tuple[str, _Layer]]) -> str:
    return "; ".join(f"entry {label} skipped: {result.reason()}" for label, result in tried)


def _map_reason(label: str, result: _Layer, tried: list[tuple[str, _Layer]]) -> str:
    reason = f"entry {label} {result.reason()}"
    return f"{reason}; {_skipped_entries(tried)}" if tried else reason


# --- convenience --------------------------------------------------------------------


def resolve_chat(config: Config, agent_id: str, policy: Policy | None = None, **kwargs: Any) -> Resolution:
    """One-off chat resolution (build a :class:`Resolver` to resolve many agents)."""
    return Resolver(config, policy).chat(agent_id, **kwargs)


def resolve_task(config: Config, agent_id: str, task: str, policy: Policy | None = None, **kwargs: Any) -> Resolution:
    """One-off task resolution (build a :class:`Resolver` to resolve many agents)."""
    return Resolver(config, policy).task(agent_id, task, **kwargs)
