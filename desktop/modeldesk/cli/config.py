"""`modeldesk config`: check the config file, print its JSON Schema, show where it is."""

from __future__ import annotations

import argparse
from typing import Any

from modeldesk.core.checks import config_warnings
from modeldesk.core.errors import ConfigError
from modeldesk.core.schema import json_schema

from .arguments import SubParsers, add_command, add_group
from .config_file import check_config_exists, open_store
from .output import print_json, wants_json


def register(subparsers: SubParsers) -> None:
    group = add_group(subparsers, "config", "Validate the config file, print its JSON Schema, show its path.")
    p = add_command(
        group,
        "validate",
        "Check the config (and the organization policy). Exit 0 if valid, 1 with every problem and its place.",
        validate,
    )
    p.add_argument(
        "--strict",
        action="store_true",
        help="also fail on warnings (unknown models, projects or agents named in lists)",
    )
    add_command(group, "schema", "Print the JSON Schema of the config file.", schema, json_flag=False)
    add_command(group, "path", "Print the config file and policy file paths.", path)


def validate(args: argparse.Namespace) -> int:
    store = open_store(args)
    check_config_exists(args, store)  # a mistyped --config is not "valid (no file yet)"
    result: dict[str, Any] = {"valid": True, "path": str(store.path), "problems": [], "warnings": []}
    broken = store.path  # the file the problems are in
    try:
        config = store.load()
        broken = store.policy_path
        policy = store.load_policy()
    except ConfigError as exc:
        result |= {"valid": False, "problems": exc.problems or [exc.message], "error": exc.to_json()["error"]}
    else:
        result["warnings"] = config_warnings(config, policy)
        if args.strict and result["warnings"]:
            result["valid"] = False
    if wants_json(args):
        print_json(result)
    elif result["valid"]:
        note = "" if store.exists() else " (no file yet; the defaults apply)"
        print(f"{store.path}: valid{note}")
        for text in result["warnings"]:
            print(f"  warning: {text}")
    elif "error" not in result:
        print(f"{store.path}: not valid (--strict)")
        for text in result["warnings"]:
            print(f"  warning: {text}")
    else:
        what = " (organization policy)" if broken == store.policy_path else ""
        print(f"{broken}: not valid{what}")
        for text in result["problems"]:
            print(f"  {text}")
        message = result["error"]["message"]
        if broken == store.path and "\n" in message:
            print(message.rsplit("\n", 1)[-1])  # where the copy of the broken file was kept
    return 0 if result["valid"] else 1


def schema(args: argparse.Namespace) -> int:
    print_json(json_schema())
    return 0


def path(args: argparse.Namespace) -> int:
    store = open_store(args)
    if wants_json(args):
        print_json({"config": str(store.path), "policy": str(store.policy_path), "exists": store.exists()})
    else:
        print(f"config: {store.path}{'' if store.exists() else ' (not created yet)'}")
        print(f"policy: {store.policy_path}")
    return 0
