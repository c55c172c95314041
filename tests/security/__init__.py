"""The attack suite: each test function is one attack on ModelDesk (named for what the
attacker does), its parametrized cases are variations of it, and the run ends with
"Security: N attacks held, M broke" (tests/support/attacks.py). docs/security.md holds the
threat model and the attack table these tests vouch for."""
