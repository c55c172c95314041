"""The argument parser class of every `modeldesk` command.

argparse matches a positional list (``nargs="*"``) as soon as it can, so in
``agents set-model x --json a b`` the list is already taken (empty) when ``a b`` come
after the option, and the command fails. Leaf commands (those without sub-commands) are
therefore parsed with ``parse_known_intermixed_args``: options may come before, between
or after list arguments. Groups (``agents``, ``squads``...) parse as usual, since
argparse cannot intermix around a sub-command.

Kept free of heavy imports: `modeldesk --help` loads only this and argparse.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any


class IntermixedParser(argparse.ArgumentParser):
    """An ArgumentParser whose leaf commands accept options anywhere among positionals."""

    _intermixing = False

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        # parse_known_intermixed_args calls parse_known_args twice itself: those calls
        # take the ordinary path.
        if self._intermixing or self._subparsers is not None:
            return super().parse_known_args(args, namespace)
        self._intermixing = True
        try:
            return self.parse_known_intermixed_args(args, namespace)
        finally:
            self._intermixing = False

    def add_subparsers(self, **kwargs: Any) -> Any:
        kwargs.setdefault("parser_class", IntermixedParser)
        return super().add_subparsers(**kwargs)
