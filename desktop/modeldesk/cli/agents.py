"""`modeldesk agents`: list agents with their effective models, add, show, remove, set
an agent's preferred models and override its fallback options."""

from __future__ import annotations

import argparse
from typing import Any

from modeldesk.core import limits
from modeldesk.core.edits import (
    AddItem,
    Batch,
    RemoveAgent,
    SetAgentFallback,
    SetAgentModels,
    SetTaskModel,
    UpdateItem,
)
from modeldesk.core.errors import EditError
from modeldesk.core.schema import Agent, FallbackOverride, model_list
from modeldesk.core.text import clean_text
from modeldesk.runtime.policy import effective_options

from . import items
from .arguments import (
    SubParsers,
    UsageError,
    add_command,
    add_dry_run_flag,
    add_fallback_option_arguments,
    add_group,
    add_models_argument,
    clean_models,
    fallback_value,
    read_stdin_text,
    setting_text,
)
from .config_file import Session, validated
from .output import emit_warnings, models_text, print_json, print_listing, table, wants_json
from .resolution import resolution_json, resolution_text, try_chat


def register(subparsers: SubParsers) -> None:
    group = add_group(subparsers, "agents", "List, add, show, remove agents and set their preferred models.")
    add_command(group, "list", "Every agent with its preferred models, effective models and their source.", list_agents)
    items.command(
        group, "show", "One agent: its settings, effective models and the resolution trace.", show_agent, "agent"
    )

    p = items.new_command(
        group,
        "agent",
        "Add an agent.",
        add_agent,
        epilog="Example: modeldesk agents add writer --name Writer --model claude-sonnet-4,gpt-4o",
        models_help="preferred model(s), primary first; repeat or separate with commas (none = inherit)",
    )
    p.add_argument("--project", metavar="P", help="the project the agent belongs to")
    p.add_argument("--instruction", metavar="TEXT", default=None, help="the agent's instruction (system prompt)")

    p = items.command(
        group,
        "set-model",
        "Set an agent's preferred models (primary first), or --inherit to clear them.",
        set_model,
        "agent",
        epilog="Example: modeldesk agents set-model analyst claude-sonnet-4 gpt-4o",
    )
    add_models_argument(p, required=False)
    p.add_argument(
        "--inherit",
        action="store_true",
        help="clear the list so the agent inherits (project, then Settings → Default agent model)",
    )

    p = items.command(
        group,
        "set-task-model",
        "Set the models one background task of this agent runs on (overrides every map); --clear removes it.",
        set_task_model,
        "agent",
        epilog="Example: modeldesk agents set-task-model analyst title gpt-4o-mini",
    )
    items.task_arguments(p)
    p.add_argument("--clear", action="store_true", help="remove the agent's own choice for this task")

    p = items.command(
        group,
        "set-fallback",
        "Override one fallback option (retries, timeouts, cooldown...) for this agent; --reset follows Settings again.",
        set_fallback,
        "agent",
    )
    add_fallback_option_arguments(
        p,
        "the agent's own value (a number, or one of the option's words)",
        epilog="Examples:\n"
        "  modeldesk agents set-fallback analyst retries 5\n"
        "  modeldesk agents set-fallback analyst on_stream_break continue\n"
        "  modeldesk agents set-fallback analyst retries --reset",
        names=FallbackOverride.model_fields,
    )
    p.add_argument("--reset", action="store_true", help="remove the agent's override: Settings' value applies again")

    p = add_command(group, "remove", "Remove agents (and take them out of every squad).", remove_agent)
    p.add_argument("agents", nargs="+", metavar="ID")
    add_dry_run_flag(p)

    items.rename_command(
        group,
        "agent",
        "Give an agent a new id (squads follow) and/or a new display name.",
        rename_agent,
        epilog="Examples:\n"
        "  modeldesk agents rename analyst researcher\n"
        "  modeldesk agents rename analyst --name 'Data analyst'",
    )

    p = add_command(
        group,
        "set-project",
        "Put agents in a project (its default models apply when they have none), or --none to take them out.",
        set_project,
        epilog="Example: modeldesk agents set-project support triage billing",
    )
    p.add_argument("project", metavar="PROJECT", nargs="?", help="the project (omit with --none)")
    p.add_argument("agents", nargs="*", metavar="AGENT")
    p.add_argument("--none", action="store_true", help="take the agents out of their project")
    add_dry_run_flag(p)

    p = items.command(
        group,
        "set-instruction",
        "Set an agent's instruction (system prompt): TEXT, --file PATH, '-' for stdin, or --clear.",
        set_instruction,
        "agent",
        epilog="Examples:\n"
        "  modeldesk agents set-instruction analyst 'You analyse data.'\n"
        "  modeldesk agents set-instruction analyst --file prompts/analyst.md",
    )
    p.add_argument("text", nargs="?", metavar="TEXT")
    p.add_argument("--file", metavar="PATH", help="read the instruction from this file")
    p.add_argument("--clear", action="store_true", help="remove the instruction")


def _agent_json(session: Session, agent: Agent) -> dict[str, Any]:
    resolution, error = try_chat(session.resolver, agent.id)
    return {
        "id": agent.id,
        "name": agent.name,
        "project": agent.project,
        "preferred": model_list(agent.model),
        "task_models": {task: model_list(value) for task, value in agent.task_models.items()},
        **resolution_json(resolution, error),
    }


def list_agents(args: argparse.Namespace) -> int:
    session = Session(args)
    rows = [_agent_json(session, agent) for agent in session.config.agents]

    def render() -> str:
        text = table(
            ("ID", "NAME", "PREFERRED", "EFFECTIVE", "SOURCE"),
            (
                (
                    r["id"],
                    r["name"],
                    models_text(r["preferred"]),
                    ", ".join(r["models"]) if r["models"] else f"error: {r['error']['code']}",
                    r["source"],
                )
                for r in rows
            ),
        )
        # Errors are shown per agent, in full, and do not fail the command.
        return text + "".join(f"\n\n{r['id']}: {r['error']['message']}" for r in rows if r["error"])

    empty = "No agents yet. Add one with: modeldesk agents add ID --name NAME"
    return print_listing(args, "agents", rows, empty, render)


def show_agent(args: argparse.Namespace) -> int:
    session = Session(args)
    agent = session.resolver.agent(args.agent)
    resolution, error = try_chat(session.resolver, agent.id)
    if wants_json(args):
        data = _agent_json(session, agent) | {
            "instruction": agent.instruction,
            "fallback": _overrides(agent),
            "trace": [s.to_json() for s in (resolution.trace if resolution else getattr(error, "trace", []))],
        }
        print_json(data)
        return 0
    print(clean_text(f"Agent {agent.id}: {agent.name}", keep_newlines=False))
    print(f"Project: {agent.project or '-'}")
    print(f"Preferred models: {models_text(model_list(agent.model))}")
    for task, value in agent.task_models.items():
        print(f"Task model for {task}: {', '.join(model_list(value))}")
    overrides = _overrides(agent)
    if overrides:
        print(
            "Fallback overrides: " + ", ".join(f"{name} = {setting_text(value)}" for name, value in overrides.items())
        )
    else:
        print("Fallback overrides: none (follows Settings)")
    if agent.instruction:
        print(clean_text(f"Instruction: {agent.instruction}"))
    print()
    if resolution is not None:
        print(resolution_text(resolution))
    elif error is not None:
        print(f"Effective models: none: {error.message}")
    return 0


def add_agent(args: argparse.Namespace) -> int:
    session = Session(args, create=True)
    fields, models = items.new_fields(args, args.agent, "agent", "model")
    if args.project:
        fields["project"] = args.project
    if args.instruction is not None:
        fields["instruction"] = args.instruction
    agent = validated(Agent, fields, "Cannot add this agent")
    warnings = session.model_warnings(models)
    if args.project and session.config.project(args.project) is None:
        warnings.append(f"there is no project '{args.project}' yet; the project layer is skipped until it exists")
    session.apply(AddItem("agents", agent))
    return _report(args, session, args.agent, f"Added agent {args.agent}.", warnings)


def set_model(args: argparse.Namespace) -> int:
    models = clean_models(args.models)
    if args.inherit and models:
        raise UsageError("Give model ids or --inherit, not both.")
    if not args.inherit and not models:
        raise UsageError("Give at least one model id, or --inherit to clear the agent's list.")
    session = Session(args)
    session.resolver.agent(args.agent)  # a clear unknown_agent error before any write
    warnings = session.model_warnings(models)
    session.apply(SetAgentModels(args.agent, tuple(models)))
    summary = f"{args.agent}: preferred models set to {models_text(models)}."
    return _report(args, session, args.agent, summary, warnings)


def set_task_model(args: argparse.Namespace) -> int:
    models = items.models_or_clear(args, "Give model ids, or --clear to remove the agent's choice for this task.")
    session = Session(args)
    session.resolver.agent(args.agent)
    warnings = session.model_warnings(models)
    session.apply(SetTaskModel("agents", args.task, tuple(models), owner_id=args.agent))
    summary = f"{args.agent}: task {args.task} runs on {', '.join(models) if models else '(inherited again)'}."
    return _report(args, session, args.agent, summary, warnings)


def _overrides(agent: Agent) -> dict[str, Any]:
    """The agent's own fallback options (those it does not take from Settings)."""
    return agent.fallback.model_dump(exclude_none=True) if agent.fallback is not None else {}


def set_fallback(args: argparse.Namespace) -> int:
    if args.reset == (args.value is not None):
        raise UsageError("Give a value, or --reset to follow Settings again.")
    value = None if args.value is None else fallback_value(args.option, args.value)
    session = Session(args)
    session.resolver.agent(args.agent)  # a clear unknown_agent error before any write
    session.apply(SetAgentFallback(args.agent, args.option, value))
    agent = session.config.agent(args.agent)
    assert agent is not None
    option = args.option
    # The options the runner will use for this agent (Settings with the overrides laid over).
    effective = getattr(effective_options(session.config.settings, agent), option)
    default = getattr(session.config.settings.fallback, option)
    source = "agent" if option in _overrides(agent) else "settings"
    if wants_json(args):
        print_json(
            {
                "agent": _agent_json(session, agent) | {"fallback": _overrides(agent)},
                "option": option,
                "value": effective,
                "source": source,
                "settings_value": default,
            }
        )
        return 0
    shown, settings_shown = setting_text(effective), setting_text(default)
    if source == "agent":
        print(f"{agent.id}: {option} = {shown} (the agent's own; Settings: {settings_shown}).")
    else:
        print(f"{agent.id}: {option} = {shown} (from Settings; no override).")
    return 0


def remove_agent(args: argparse.Namespace) -> int:
    session = Session(args)
    ids = list(dict.fromkeys(args.agents))
    for agent_id in ids:
        session.resolver.agent(agent_id)
    session.apply(Batch(tuple(RemoveAgent(a) for a in ids), label="Remove agents"))
    if wants_json(args):
        # One id keeps the original shape; "dry_run" is there only for a dry run.
        print_json({"removed": ids[0] if len(ids) == 1 else ids} | ({"dry_run": True} if session.dry_run else {}))
    else:
        verb = "Would remove" if session.dry_run else "Removed"
        print(f"{verb} agent{'s' if len(ids) > 1 else ''} {', '.join(ids)}." + _dry_note(session))
    return 0


def _dry_note(session: Session) -> str:
    return " Nothing was written (dry run)." if session.dry_run else ""


def rename_agent(args: argparse.Namespace) -> int:
    session, new_id = items.rename(args, "agents", Agent, lambda s, agent_id: s.resolver.agent(agent_id), args.agent)
    return _report(args, session, new_id, f"Agent {args.agent} is now {new_id}.", [])


def set_project(args: argparse.Namespace) -> int:
    agents = list(args.agents)
    project: str | None = args.project
    if args.none:
        # `set-project --none a b`: what parsed as the project is the first agent.
        if project is not None:
            agents.insert(0, project)
        project = None
    elif project is None:
        raise UsageError("Give a project and agents, or --none and agents.")
    agents = [a for a in dict.fromkeys(clean_models(agents)) if a]
    if not agents:
        raise UsageError("Give at least one agent.")
    session = Session(args)
    for agent_id in agents:
        session.resolver.agent(agent_id)
    warnings: list[str] = []
    if project is not None and session.config.project(project) is None:
        raise EditError(f"There is no project '{project}' (add it with: modeldesk projects add {project} --name NAME).")
    session.apply(
        Batch(tuple(UpdateItem("agents", a, {"project": project}) for a in agents), label="Set project of agents")
    )
    if wants_json(args):
        rows = [_agent_json(session, agent) for a in agents if (agent := session.config.agent(a)) is not None]
        print_json({"agents": rows, "warnings": warnings, "dry_run": session.dry_run})
        return 0
    for agent_id in agents:
        resolution, error = try_chat(session.resolver, agent_id)
        effective = f"{', '.join(resolution.models)} (from {resolution.source})" if resolution else f"none: {error}"
        print(clean_text(f"{agent_id}: project {project or '(none)'}; effective models {effective}"))
    if session.dry_run:
        print("Nothing was written (dry run).")
    return 0


def set_instruction(args: argparse.Namespace) -> int:
    given = [args.text is not None, args.file is not None, args.clear]
    if sum(given) != 1:
        raise UsageError("Give the instruction as TEXT, --file PATH or '-', or --clear.")
    if args.clear:
        text = ""
    elif args.file is not None:
        try:
            # Bounded, not limited to regular files: `--file <(command)` is a pipe.
            with open(args.file, "rb") as handle:
                text = limits.read_stream(handle, args.file).decode("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise EditError(f"Cannot read {args.file}: {getattr(exc, 'strerror', None) or exc}") from None
    elif args.text == "-":
        text = read_stdin_text()
    else:
        text = args.text
    session = Session(args)
    session.resolver.agent(args.agent)
    session.apply(
        UpdateItem("agents", args.agent, {"instruction": text or None}, label=f"Set instruction of {args.agent}")
    )
    summary = f"{args.agent}: instruction {'cleared' if not text else f'set ({len(text)} characters)'}."
    return _report(args, session, args.agent, summary, [])


def _report(args: argparse.Namespace, session: Session, agent_id: str, summary: str, warnings: list[str]) -> int:
    """After a write: the agent as saved and what it now resolves to."""
    agent = session.config.agent(agent_id)
    assert agent is not None
    if wants_json(args):
        print_json({"agent": _agent_json(session, agent), "warnings": warnings})
        return 0
    emit_warnings(warnings)
    resolution, error = try_chat(session.resolver, agent_id)
    print(summary)
    if resolution is not None:
        print(f"Effective models: {', '.join(resolution.models)} (from {resolution.source})")
    elif error is not None:
        print(f"Effective models: none: {error.message}")
    return 0
