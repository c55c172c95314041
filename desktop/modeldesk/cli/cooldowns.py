"""`modeldesk cooldowns list|clear`: the models each agent of this config file skips for a
while after a rate limit, a refused key, an unknown model or an exhausted quota.

The entries are the runtime's (the state folder's store, or Redis when
``settings.fallback.state`` names one), so the app, every CLI run and this command see the
same thing.
"""

from __future__ import annotations

import argparse
import sys

from modeldesk.core.text import clean_text
from modeldesk.runtime.cooldown import ActiveCooldown, CooldownTracker

from .arguments import SubParsers, add_command, add_group
from .config_file import Session
from .output import print_json, table, wants_json

EPILOG = """Examples:
  modeldesk cooldowns list
  modeldesk cooldowns list --agent analyst --json
  modeldesk cooldowns clear --agent analyst
  modeldesk cooldowns clear --agent analyst --model gpt-4o
  modeldesk cooldowns clear"""


def register(subparsers: SubParsers) -> None:
    group = add_group(subparsers, "cooldowns", "Show and clear the models agents skip for a while after failures.")
    p = add_command(
        group, "list", "Active cooldowns of this config file, soonest to end first.", list_cooldowns, epilog=EPILOG
    )
    p.add_argument("--agent", metavar="A", help="only this agent's")
    p = add_command(
        group, "clear", "End cooldowns now: every one, one agent's, or one model's of an agent.", clear, epilog=EPILOG
    )
    p.add_argument("--agent", metavar="A", help="only this agent's")
    p.add_argument("--model", metavar="M", help="only this model's (with --agent)")


def _tracker(session: Session) -> CooldownTracker:
    return CooldownTracker.for_config(session.store.path, session.config.settings.fallback.state)


def _warn(tracker: CooldownTracker) -> None:
    if tracker.warning:
        print(f"modeldesk: warning: {tracker.warning}", file=sys.stderr)


def _reason(item: ActiveCooldown) -> str:
    return {
        "quota": "quota exhausted",
        "rate_limit": "rate limited",
        "auth": "key refused",
        "not_found": "not found",
    }.get(item.reason, item.reason)


def list_cooldowns(args: argparse.Namespace) -> int:
    session = Session(args)
    tracker = _tracker(session)
    active = tracker.active(args.agent)
    _warn(tracker)
    if wants_json(args):
        print_json({"cooldowns": [item.to_json() for item in active], "shared": tracker.shared})
        return 0
    if not active:
        print("No cooldowns: every agent starts at its primary model.")
        return 0
    rows = [
        (
            clean_text(item.agent_id),
            clean_text(item.cooling),
            _reason(item),
            f"{item.seconds_left:.0f} s",
            clean_text(item.model_id) if item.model_id != item.cooling else "-",
            item.failures,
        )
        for item in active
    ]
    print(table(("AGENT", "SKIPS", "WHY", "LEFT", "STARTS AT", "FAILURES"), rows))
    return 0


def clear(args: argparse.Namespace) -> int:
    if args.model and not args.agent:
        print("modeldesk: --model needs --agent (whose cooldown of that model to end)", file=sys.stderr)
        return 2
    session = Session(args)
    tracker = _tracker(session)
    ended = tracker.clear(args.agent, args.model)
    _warn(tracker)
    if wants_json(args):
        print_json({"cleared": ended})
    else:
        unit = "cooldown" if ended == 1 else "cooldowns"
        print(f"Ended {ended} {unit}.")
    return 0
