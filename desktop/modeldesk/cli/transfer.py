"""`modeldesk export` and `modeldesk import`: moving agents, squads and projects (with the
models and providers they use) between config files. No secret value is ever exported."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from modeldesk.core import limits
from modeldesk.core.errors import StoreError
from modeldesk.core.safe_files import atomic_write
from modeldesk.core.text import clean_text
from modeldesk.core.transfer import (
    ImportItem,
    ImportPlan,
    OnConflict,
    export_bundle,
    key_hosts_message,
    key_ref_text,
    plan_import,
    read_bundle,
)

from .arguments import SubParsers, add_command, add_dry_run_flag, split_models
from .config_file import Session
from .output import emit_warnings, print_json, table, wants_json


def register(subparsers: SubParsers) -> None:
    p = add_command(
        subparsers,
        "export",
        "Write agents, squads and projects with the models and providers they use as one JSON file (no secrets).",
        run_export,
        epilog="Examples:\n"
        "  modeldesk export -o team.json --squads research\n"
        "  modeldesk export --agents analyst,writer > two-agents.json\n\n"
        "With no --agents/--squads/--projects everything is exported. Keys stay references\n"
        "(an environment variable or keyring entry name); key values are never written.",
        json_flag=False,
    )
    p.add_argument("-o", "--output", metavar="FILE", help="write here instead of stdout")
    p.add_argument("--agents", action="append", metavar="IDS", help="agents to export (comma-separated or repeated)")
    p.add_argument("--squads", action="append", metavar="IDS", help="squads to export, with their member agents")
    p.add_argument("--projects", action="append", metavar="IDS", help="projects to export, with their agents")
    p.add_argument("--json", action="store_true", help="with -o: print a JSON summary instead of text")

    p = add_command(
        subparsers,
        "import",
        "Add what an export file (or another config file) holds: shows every change, then applies it as one edit.",
        run_import,
        epilog="Examples:\n"
        "  modeldesk import team.json --dry-run\n"
        "  modeldesk import team.json --replace\n\n"
        "An id that exists already with other content is a conflict: the import stops unless\n"
        "--replace (take the file's version) or --keep-existing (keep yours) says what to do.\n\n"
        "A file that would send a key you already use (an environment variable or keyring entry\n"
        "a provider of yours names) to a host that key never went to is refused as a whole,\n"
        "unless --allow-new-key-hosts says you trust those hosts with it.",
    )
    p.add_argument("file", metavar="FILE", help="the file to import ('-' reads stdin)")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--replace", action="store_true", help="conflicting ids take the file's version")
    mode.add_argument("--keep-existing", action="store_true", help="conflicting ids keep the config's version")
    p.add_argument(
        "--allow-new-key-hosts",
        action="store_true",
        help="let the file send keys you already use to hosts they never went to (shown in the preview)",
    )
    add_dry_run_flag(p)


def _ids(values: list[str] | None) -> list[str]:
    return [v for v in split_models(values) if v]


def run_export(args: argparse.Namespace) -> int:
    session = Session(args)
    result = export_bundle(
        session.config,
        session.policy,
        agents=_ids(args.agents),
        squads=_ids(args.squads),
        projects=_ids(args.projects),
    )
    text = result.text()
    emit_warnings(result.warnings)
    bundle = result.bundle
    counts = {name: len(getattr(bundle, name)) for name in ("agents", "squads", "projects", "models", "providers")}
    if args.output is None or args.output == "-":
        sys.stdout.write(text)
        return 0
    target = Path(args.output)
    if not target.parent.is_dir():
        raise StoreError(f"Cannot write {target}: the folder {target.parent} does not exist.")
    try:
        atomic_write(target, text.encode("utf-8"))
    except OSError as exc:
        raise StoreError(f"Cannot write {target}: {exc.strerror or exc}") from None
    if args.json:
        print_json({"path": str(target), "counts": counts, "warnings": result.warnings})
    else:
        summary = ", ".join(f"{n} {name}" for name, n in counts.items())
        print(f"Exported {summary} to {target}.")
    return 0


def _read(path: str) -> Any:
    return limits.read_json_file(path)


def run_import(args: argparse.Namespace) -> int:
    mode: OnConflict = "replace" if args.replace else "keep" if args.keep_existing else "fail"
    bundle, warnings = read_bundle(_read(args.file), args.file)
    session = Session(args, create=True)
    plan = plan_import(session.config, bundle, mode, warnings, allow_new_key_hosts=args.allow_new_key_hosts)
    applied = False
    if not args.dry_run and not plan.blocked and plan.writes:
        # Planned again under the store's lock against the file as it is then.
        session.apply(plan.edit)
        applied = True
    if wants_json(args):
        print_json(plan.to_json() | {"dry_run": bool(args.dry_run), "applied": applied})
    else:
        _print_plan(plan, dry_run=bool(args.dry_run), applied=applied)
    if plan.blocked and not args.dry_run:
        return 1
    return 0


ACTION_TEXT = {"add": "add", "replace": "replace (conflict)", "keep": "keep yours (conflict)", "same": "unchanged"}


def _print_plan(plan: ImportPlan, *, dry_run: bool, applied: bool) -> None:
    emit_warnings(plan.warnings)
    if not plan.items:
        print("The file holds nothing to import.")
        return
    print(
        table(
            ("KIND", "ID", "ACTION", "DETAIL"),
            ((i.kind, i.id, ACTION_TEXT[i.action], _item_detail(i)) for i in plan.items),
        )
    )
    print(
        f"{len(plan.added)} added, {len(plan.changed)} replaced, {len(plan.conflicting)} conflicting, "
        f"{len(plan.unchanged)} unchanged."
    )
    if plan.key_hosts:
        out = sys.stderr if plan.blocked_by_key_hosts and not dry_run else sys.stdout
        if plan.blocked_by_key_hosts:
            print(clean_text(key_hosts_message(plan.key_hosts)), file=out)
            return
        print("Keys sent to new hosts (allowed with --allow-new-key-hosts):")
        for change in plan.key_hosts:
            print(clean_text(f"  - {change.text()}"))
    if plan.blocked:
        ids = ", ".join(plan.conflicting)
        message = (
            f"{len(plan.conflicting)} id(s) exist with other content ({ids}); "
            "choose --replace or --keep-existing. Nothing was written."
        )
        print(clean_text(message), file=sys.stderr if not dry_run else sys.stdout)
    elif dry_run:
        print("Nothing was written (dry run).")
    elif applied:
        print("Imported as one change.")
    else:
        print("Nothing to change.")


def _item_detail(item: ImportItem) -> str:
    """A provider always shows where it sends requests and which key; other items what differs."""
    detail = _detail(item.before, item.after)
    if item.kind == "provider" and isinstance(item.after, dict):
        where = f"base_url {item.after.get('base_url', '')}"
        before = item.before if isinstance(item.before, dict) else {}
        if item.conflict and before.get("base_url") != item.after.get("base_url"):
            where = f"base_url {before.get('base_url', '')} -> {item.after.get('base_url', '')}"
        where += f", key in {key_ref_text(item.after.get('api_key')) or '(none)'}"
        return f"{where}; {detail}" if detail else where
    return detail


def _detail(before: Any, after: Any) -> str:
    """The fields that differ, for a conflict; empty otherwise."""
    if before is None or before == after:
        return ""
    if isinstance(before, dict) and isinstance(after, dict):
        names = [k for k in dict.fromkeys([*before, *after]) if before.get(k) != after.get(k)]
        return "differs in " + ", ".join(names)
    return f"{_short(before)} -> {_short(after)}"


def _short(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)
