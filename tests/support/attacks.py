"""The security suite's tally: every test function under tests/security is one attack, its
parametrized cases are variations of it, and an attack held only when every variation
held. The suite prints "Security: N attacks held, M broke" from these counts at the end of
each run that collected any attack, so the CI log carries the figures of docs/security.md."""

from __future__ import annotations

from dataclasses import dataclass, field

SUITE = "tests/security/"


@dataclass
class Attack:
    """One attack's outcome over its variations."""

    variations: int = 0
    broke: list[str] = field(default_factory=list)
    skipped: int = 0


@dataclass
class Tally:
    """The attacks of one test run, counted from pytest's phase reports."""

    attacks: dict[str, Attack] = field(default_factory=dict)

    def note(self, nodeid: str, when: str, outcome: str) -> None:
        """Count one phase report; reports outside the security suite are ignored.

        A variation is counted at its call phase (or at setup when setup failed or was
        skipped), and broke when any of its phases failed."""
        if not nodeid.startswith(SUITE):
            return
        attack = self.attacks.setdefault(nodeid.split("[", 1)[0], Attack())
        if outcome == "failed":
            if nodeid not in attack.broke:
                attack.broke.append(nodeid)
                attack.variations += when != "teardown"
            return
        if when == "call" or (when == "setup" and outcome == "skipped"):
            attack.variations += 1
            attack.skipped += outcome == "skipped"

    def summary(self) -> list[str]:
        """The lines printed at the end of the run: the figures, then each attack that
        broke or was not tried. Empty when no attack ran."""
        if not self.attacks:
            return []
        broke = sorted(name for name, a in self.attacks.items() if a.broke)
        untried = sorted(name for name, a in self.attacks.items() if not a.broke and a.skipped == a.variations)
        held = len(self.attacks) - len(broke) - len(untried)
        variations = sum(a.variations - a.skipped for a in self.attacks.values())
        line = f"Security: {held} attacks held, {len(broke)} broke"
        if untried:
            line += f", {len(untried)} not tried (skipped)"
        lines = [f"{line} ({variations} variations tried)"]
        lines += [f"  broke: {name.removeprefix(SUITE)}" for name in broke]
        lines += [f"  not tried: {name.removeprefix(SUITE)}" for name in untried]
        return lines


TALLY = Tally()
