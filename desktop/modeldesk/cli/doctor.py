"""`modeldesk doctor`: what stands between this machine and a working run, and what to do."""

from __future__ import annotations

import argparse
import asyncio

from modeldesk.runtime.doctor import DEFAULT_TIMEOUT_S, HealthReport, ProviderHealth, check_health

from .arguments import SubParsers, add_command, add_timeout_option
from .config_file import Session
from .output import print_json, table, wants_json


def register(subparsers: SubParsers) -> None:
    parser = add_command(
        subparsers,
        "doctor",
        "Check keys, providers and agents; exit 1 with one line per problem when something needs fixing.",
        run_doctor,
        epilog="examples:\n  modeldesk doctor\n  modeldesk doctor --probe --json\n  modeldesk doctor --offline",
    )
    parser.add_argument("--probe", action="store_true", help="also send a one-token request to every enabled model")
    parser.add_argument("--offline", action="store_true", help="check keys and references only, no network")
    add_timeout_option(parser, DEFAULT_TIMEOUT_S, "each provider")


def run_doctor(args: argparse.Namespace) -> int:
    session = Session(args)
    report = asyncio.run(
        check_health(session.config, session.policy, network=not args.offline, probe=args.probe, timeout_s=args.timeout)
    )
    if wants_json(args):
        print_json(report.to_json())
    else:
        print(report_text(report))
    return 0 if report.ok else 1


def _key_cell(item: ProviderHealth) -> str:
    if not item.key.needed:
        return "none needed"
    return f"{'present' if item.key.present else 'MISSING'} ({item.key.source})"


def _reach_cell(item: ProviderHealth) -> str:
    if item.reachable is None:
        return "not checked" if item.enabled else "disabled"
    if not item.reachable:
        return "unreachable"
    return f"ok {item.latency_ms} ms" if item.status == 200 else f"answers ({item.status}) {item.latency_ms} ms"


def report_text(report: HealthReport) -> str:
    lines = ["Providers:"]
    if report.providers:
        lines.append(
            table(
                ("PROVIDER", "KIND", "KEY", "REACHABLE"),
                ((p.id, p.kind, _key_cell(p), _reach_cell(p)) for p in report.providers),
            )
        )
    else:
        lines.append("  none — add one with `modeldesk providers add` or detect local servers")
    probes = [(p.id, m) for p in report.providers for m in p.probes]
    if probes:
        lines += ["", "Models (one-token probe):"]
        lines.append(
            table(
                ("MODEL", "PROVIDER", "ANSWER", "LATENCY"),
                (
                    (m.model, pid, "ok" if m.ok else m.error, f"{m.latency_ms} ms" if m.ok else None)
                    for pid, m in probes
                ),
            )
        )
    lines += ["", "Agents:"]
    if report.agents:
        lines.append(
            table(
                ("AGENT", "RESOLVES", "MODELS", "SOURCE", "ISSUES"),
                (
                    (a.id, "yes" if a.resolves else "NO", a.models or None, a.source, "; ".join(a.issues) or None)
                    for a in report.agents
                ),
            )
        )
    else:
        lines.append("  none")
    lines.append("")
    if report.ok:
        lines.append("No problems found.")
    else:
        lines.append(f"{len(report.problems)} problem(s) to fix:")
        lines += [f"  - {p.line}" for p in report.problems]
    return "\n".join(lines)
