"""`modeldesk providers detect`: find model servers running on this machine."""

from __future__ import annotations

import argparse
import asyncio

from modeldesk.core.text import clean_text
from modeldesk.runtime.local_servers import DEFAULT_TIMEOUT_S, PORTS_ENV, add_edit, detect, plan_add, port_table

from .arguments import SubParsers, UsageError, add_command, add_timeout_option
from .config_file import Session
from .output import print_json, table, wants_json


def register_detect(group: SubParsers) -> None:
    parser = add_command(
        group,
        "detect",
        "Look for local model servers (Ollama, LM Studio, llama.cpp, vLLM, Jan, KoboldCpp) on 127.0.0.1.",
        run_detect,
        epilog=(
            "Probes each server's usual port; set "
            f"{PORTS_ENV}=name=port,... to probe other ports.\n\n"
            "examples:\n  modeldesk providers detect\n  modeldesk providers detect --add"
        ),
    )
    parser.add_argument("--add", action="store_true", help="add each server found as a provider, with its models")
    add_timeout_option(parser, DEFAULT_TIMEOUT_S, "each port, above 0")


def run_detect(args: argparse.Namespace) -> int:
    try:
        servers = port_table()
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    found = asyncio.run(detect(servers, timeout_s=args.timeout))
    result: dict[str, object] = {"found": [f.to_json() for f in found]}
    added_text: list[str] = []
    if args.add and found:
        # Adding creates the config file, as every adding command does.
        session = Session(args, create=True)
        plan = plan_add(session.config, found, reserved=session.policy_model_ids())
        edit = add_edit(plan)
        if edit is not None:
            session.apply(edit)
        result["added"] = {
            "providers": [p.id for p in plan.providers],
            "models": plan.models_added,
            "already_configured": plan.existing,
            "skipped": {
                provider_id: [{"name": s.name, "reason": s.reason} for s in imported.skipped]
                for provider_id, imported in plan.imports.items()
                if imported.skipped
            },
        }
        added_text.extend(f"Added provider '{p.id}' ({p.base_url})" for p in plan.providers)
        for base_url, provider_id in plan.existing.items():
            added_text.append(f"{base_url} is already the provider '{provider_id}'")
        for provider_id, imported in plan.imports.items():
            added_text.append(f"  {provider_id}: {imported.summary()}")
    if wants_json(args):
        print_json(result)
        return 0
    if not found:
        ports = ", ".join(f"{s.label} {s.port}" for s in servers)
        print(f"No local model server answered on 127.0.0.1 (tried {ports}).")
        return 0
    print(
        table(
            ("SERVER", "BASE URL", "LATENCY", "MODELS"),
            ((f.server.label, f.base_url, f"{f.latency_ms} ms", [m.id for m in f.models] or None) for f in found),
        )
    )
    if added_text:
        print("\n" + "\n".join(clean_text(line, keep_newlines=False) for line in added_text))
    elif not args.add:
        print("\nAdd them with: modeldesk providers detect --add")
    return 0
