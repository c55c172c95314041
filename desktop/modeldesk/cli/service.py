"""`modeldesk install-service` / `uninstall-service`: a systemd user unit that runs
`modeldesk serve` for the chosen config (Linux). Writing the unit does not start it:
systemd's own ``systemctl --user enable --now`` does, as the output says."""

from __future__ import annotations

import argparse
from pathlib import Path

from modeldesk.core.paths import config_path
from modeldesk.runtime.serve_control import ServeOptions
from modeldesk.runtime.systemd_unit import UNIT_NAME, ServeUnit, remove_unit, unit_path, write_unit

from .arguments import SubParsers, UsageError, add_command, add_dry_run_flag
from .output import print_json, wants_json

ENABLE = f"systemctl --user daemon-reload && systemctl --user enable --now {UNIT_NAME}"
STOP = f"systemctl --user stop {UNIT_NAME} && systemctl --user daemon-reload"


def register(subparsers: SubParsers) -> None:
    install = add_command(
        subparsers,
        "install-service",
        "Write a systemd user unit that runs the gateway (modeldesk serve) for this config.",
        run_install,
        epilog=f"Then start it now and at every login:\n  {ENABLE}\n"
        "Keys kept in environment variables go in serve.env beside the config (KEY=value lines).",
    )
    install.add_argument("--host", metavar="H", help="address to listen on (default: the gateway's, 127.0.0.1)")
    install.add_argument("--port", metavar="P", type=int, help="port to listen on (default: the gateway's)")
    install.add_argument(
        "--token-file", metavar="PATH", help="file holding the token every request must carry (needed off loopback)"
    )
    add_dry_run_flag(install)
    uninstall = add_command(
        subparsers,
        "uninstall-service",
        "Remove the systemd user unit that install-service wrote.",
        run_uninstall,
        epilog=f"A service still running keeps running until stopped:\n  {STOP}",
    )
    add_dry_run_flag(uninstall)


def _unit(args: argparse.Namespace) -> ServeUnit:
    if args.port is not None and not 0 <= args.port <= 65535:
        raise UsageError(f"--port must be between 0 and 65535, not {args.port}")
    token = None
    if args.token_file:
        token = Path(args.token_file).expanduser().absolute()
        if not token.is_file():
            raise UsageError(f"The token file {token} does not exist.")
    return ServeUnit(
        config=config_path(getattr(args, "config", None)).absolute(),
        options=ServeOptions(host=args.host, port=args.port, token_file=token),
    )


def run_install(args: argparse.Namespace) -> int:
    unit = _unit(args)
    text = unit.text()
    target = unit_path()
    if args.dry_run:
        if wants_json(args):
            print_json({"path": str(target), "unit": text, "written": False})
        else:
            print(f"# {target} (not written: --dry-run)")
            print(text, end="")
        return 0
    write_unit(unit)
    if wants_json(args):
        print_json({"path": str(target), "unit": text, "written": True, "enable": ENABLE})
    else:
        print(f"Wrote {target}")
        print(f"It runs: modeldesk --config {unit.config} serve")
        print(f"Start it now and at every login:  {ENABLE}")
        print(f"Keys kept in environment variables go in {unit.env_file()} (KEY=value lines).")
    return 0


def run_uninstall(args: argparse.Namespace) -> int:
    target = unit_path()
    if args.dry_run:
        exists = target.exists()
        if wants_json(args):
            print_json({"path": str(target), "removed": False, "exists": exists})
        else:
            print(f"Would remove {target}" if exists else f"There is no {target}.")
        return 0
    removed = remove_unit()
    if wants_json(args):
        print_json({"path": str(target), "removed": [str(p) for p in removed]})
    elif not removed:
        print(f"There is no {target}; nothing to remove.")
    else:
        for path in removed:
            print(f"Removed {path}")
        print(f"If it is still running, stop it with:  {STOP}")
    return 0
