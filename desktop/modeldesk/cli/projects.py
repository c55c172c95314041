"""`modeldesk projects`: projects group agents and give them a default model list and task
models (the ``project`` and ``project-task`` layers of the resolver)."""

from __future__ import annotations

import argparse
from typing import Any

from modeldesk.core.edits import AddItem, SetTaskModel, UpdateItem, apply_edit, check_model_list
from modeldesk.core.errors import EditError
from modeldesk.core.item_edits import RemoveProject
from modeldesk.core.schema import WILDCARD, Config, Project, as_model_value, model_list
from modeldesk.core.text import clean_text

from . import items
from .arguments import (
    SubParsers,
    UsageError,
    add_command,
    add_dry_run_flag,
    add_group,
    add_models_argument,
)
from .config_file import Session, validated
from .output import emit_warnings, models_text, print_json, print_listing, table, wants_json
from .resolution import resolution_json, try_chat


class UnknownProjectError(EditError):
    code = "unknown_project"


def register(subparsers: SubParsers) -> None:
    group = add_group(subparsers, "projects", "List, add, rename, remove projects and set their default models.")
    add_command(group, "list", "Every project with its default models and how many agents belong to it.", list_projects)
    items.command(group, "show", "One project: its default models, task models and agents.", show_project, "project")

    items.new_command(
        group,
        "project",
        "Add a project.",
        add_project,
        epilog="Example: modeldesk projects add support --name Support --model gpt-4o-mini,claude-haiku",
        models_help="default model(s) of the project's agents, primary first",
    )

    items.rename_command(
        group,
        "project",
        "Give a project a new id (its agents follow) and/or a new display name.",
        rename_project,
        epilog="Examples:\n"
        "  modeldesk projects rename support helpdesk\n"
        "  modeldesk projects rename support --name 'Help desk'",
        new_id_help="the new id",
    )

    p = items.command(
        group,
        "remove",
        "Remove a project. If agents belong to it, say what happens to them.",
        remove_project,
        "project",
        epilog="Examples:\n"
        "  modeldesk projects remove support --agents detach --dry-run\n"
        "  modeldesk projects remove support --agents move --to helpdesk",
    )
    p.add_argument(
        "--agents",
        choices=("detach", "move", "remove"),
        help="its agents: detach them (they inherit from Settings), move them --to another project, or remove them",
    )
    p.add_argument("--to", metavar="P", help="with --agents move: the project they move to")
    add_dry_run_flag(p)

    p = items.command(
        group,
        "set-model",
        "Set a project's default models (primary first), or --clear them.",
        set_model,
        "project",
        epilog="Example: modeldesk projects set-model support gpt-4o-mini claude-haiku",
    )
    add_models_argument(p, required=False)
    p.add_argument("--clear", action="store_true", help="remove the project's default (its agents inherit Settings)")

    p = items.command(
        group,
        "set-task-model",
        "Set the models a background task runs on for this project's agents; --clear removes the entry.",
        set_task_model,
        "project",
        epilog="Examples:\n"
        "  modeldesk projects set-task-model support title gpt-4o-mini\n"
        "  modeldesk projects set-task-model support title claude-haiku --chat claude-sonnet-4",
    )
    items.task_arguments(p)
    p.add_argument(
        "--chat", default=WILDCARD, metavar="M", help="only when the chat model is M (default: '*', any chat model)"
    )
    p.add_argument("--clear", action="store_true", help="remove this entry")


def find_project(config: Config, project_id: str) -> Project:
    project = config.project(project_id)
    if project is None:
        raise items.no_such("project", project_id, (p.id for p in config.projects), UnknownProjectError)
    return project


def _project_json(session: Session, project: Project, *, agents: bool = False) -> dict[str, Any]:
    members = [a for a in session.config.agents if a.project == project.id]
    default = model_list(project.default_model)
    problems = [m for m in default if session.resolver.model_problem(m.strip()) is not None]
    data: dict[str, Any] = {
        "id": project.id,
        "name": project.name,
        "default_model": default,
        "usable_default": [m for m in default if m not in problems],
        "task_models": {
            task: {k: model_list(v) for k, v in entries.items()} for task, entries in project.task_models.items()
        },
        "agent_count": len(members),
    }
    if agents:
        data["agents"] = [
            {"id": a.id, "name": a.name, **resolution_json(*try_chat(session.resolver, a.id))} for a in members
        ]
    return data


def list_projects(args: argparse.Namespace) -> int:
    session = Session(args)
    rows = [_project_json(session, p) for p in session.config.projects]
    return print_listing(
        args,
        "projects",
        rows,
        "No projects yet. Add one with: modeldesk projects add ID --name NAME",
        lambda: table(
            ("ID", "NAME", "DEFAULT MODELS", "AGENTS"),
            ((r["id"], r["name"], models_text(r["default_model"]), r["agent_count"]) for r in rows),
        ),
    )


def show_project(args: argparse.Namespace) -> int:
    session = Session(args)
    project = find_project(session.config, args.project)
    data = _project_json(session, project, agents=True)
    if wants_json(args):
        print_json(data)
        return 0
    print(clean_text(f"Project {project.id}: {project.name}", keep_newlines=False))
    print(f"Default models: {models_text(data['default_model'])}")
    for task, entries in data["task_models"].items():
        for chat, models in entries.items():
            print(f"Task model for {task} (chat model {chat}): {', '.join(models)}")
    print()
    if data["agents"]:
        print(
            table(
                ("AGENT", "NAME", "EFFECTIVE", "SOURCE"),
                (
                    (
                        a["id"],
                        a["name"],
                        ", ".join(a["models"]) if a["models"] else f"error: {a['error']['code']}",
                        a["source"],
                    )
                    for a in data["agents"]
                ),
            )
        )
    else:
        print("No agents belong to this project.")
    return 0


def add_project(args: argparse.Namespace) -> int:
    session = Session(args, create=True)
    fields, models = items.new_fields(args, args.project, "project", "default_model")
    project = validated(Project, fields, "Cannot add this project")
    warnings = session.model_warnings(models)
    session.apply(AddItem("projects", project))
    return _report(args, session, project.id, f"Added project {project.id}.", warnings)


def rename_project(args: argparse.Namespace) -> int:
    session, new_id = items.rename(args, "projects", Project, lambda s, i: find_project(s.config, i), args.project)
    return _report(args, session, new_id, f"Project {args.project} is now {new_id}.", [])


def remove_project(args: argparse.Namespace) -> int:
    if args.agents == "move" and not args.to:
        raise UsageError("--agents move needs --to PROJECT.")
    if args.to and args.agents != "move":
        raise UsageError("--to goes with --agents move.")
    session = Session(args)
    project = find_project(session.config, args.project)
    members = [a.id for a in session.config.agents if a.project == project.id]
    edit = RemoveProject(project.id, args.agents or "refuse", args.to)
    # Worked out on a copy first: the dry run and a refusal show exactly what the apply does.
    preview = session.config.model_copy(deep=True)
    apply_edit(preview, edit)
    removed_agents = [a for a in members if preview.agent(a) is None]
    changes: list[dict[str, Any]] = []
    for agent_id in members:
        after = preview.agent(agent_id)
        changes.append({"agent": agent_id, "project_before": project.id, "project_after": after and after.project})
    if not args.dry_run:
        session.apply(edit)
    if wants_json(args):
        print_json(
            {"removed": project.id, "dry_run": bool(args.dry_run), "agents": changes, "removed_agents": removed_agents}
        )
        return 0
    verb = "Would remove" if args.dry_run else "Removed"
    print(f"{verb} project {project.id}.")
    for change in changes:
        if change["agent"] in removed_agents:
            print(f"  agent {change['agent']}: removed")
        else:
            print(f"  agent {change['agent']}: project {project.id} -> {change['project_after'] or '(none)'}")
    if args.dry_run:
        print("Nothing was written (dry run).")
    return 0


def set_model(args: argparse.Namespace) -> int:
    models = items.models_or_clear(args, "Give model ids, or --clear to remove the project's default.")
    session = Session(args)
    project = find_project(session.config, args.project)
    models = check_model_list(models, f"project '{project.id}'")
    warnings = session.model_warnings(models)
    value = as_model_value(models, like=project.default_model)
    session.apply(UpdateItem("projects", project.id, {"default_model": value}, label=f"Set models of {project.id}"))
    return _report(args, session, project.id, f"{project.id}: default models set to {models_text(models)}.", warnings)


def set_task_model(args: argparse.Namespace) -> int:
    models = items.models_or_clear(args, "Give model ids, or --clear to remove this task entry.")
    session = Session(args)
    find_project(session.config, args.project)
    warnings = session.model_warnings(models)
    session.apply(SetTaskModel("projects", args.task, tuple(models), owner_id=args.project, chat=args.chat.strip()))
    target = ", ".join(models) if models else "(entry removed)"
    return _report(
        args, session, args.project, f"{args.project}: task {args.task} [{args.chat}] -> {target}.", warnings
    )


def _report(args: argparse.Namespace, session: Session, project_id: str, summary: str, warnings: list[str]) -> int:
    project = find_project(session.config, project_id)
    if wants_json(args):
        print_json({"project": _project_json(session, project, agents=True), "warnings": warnings})
        return 0
    emit_warnings(warnings)
    print(clean_text(summary))
    return 0
