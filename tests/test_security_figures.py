"""The security suite's figures are counted from the run's own reports: an attack is a test
function under tests/security, it held when every variation passed, and it broke when any
phase of any variation failed."""

from __future__ import annotations

from tests.support.attacks import Tally


def test_figures_count_attacks_not_variations_and_name_what_broke() -> None:
    tally = Tally()
    for case in ("a", "b", "c"):
        nodeid = f"tests/security/test_keys_x.py::test_cut_key[{case}]"
        tally.note(nodeid, "setup", "passed")
        tally.note(nodeid, "call", "passed")
        tally.note(nodeid, "teardown", "passed")
    tally.note("tests/security/test_keys_x.py::test_cut_key[d]", "call", "failed")
    tally.note("tests/security/test_import_y.py::test_new_host", "setup", "passed")
    tally.note("tests/security/test_import_y.py::test_new_host", "call", "passed")
    tally.note("tests/security/test_import_y.py::test_new_host", "teardown", "failed")
    tally.note("tests/security/test_keys_z.py::test_fixture_breaks", "setup", "failed")
    tally.note("tests/security/test_keys_z.py::test_keyring", "setup", "skipped")
    tally.note("tests/security/test_keys_z.py::test_held", "call", "passed")
    tally.note("tests/core/test_other.py::test_not_an_attack", "call", "failed")
    assert tally.summary() == [
        "Security: 1 attacks held, 3 broke, 1 not tried (skipped) (7 variations tried)",
        "  broke: test_import_y.py::test_new_host",
        "  broke: test_keys_x.py::test_cut_key",
        "  broke: test_keys_z.py::test_fixture_breaks",
        "  not tried: test_keys_z.py::test_keyring",
    ]


def test_no_attack_run_prints_nothing() -> None:
    tally = Tally()
    tally.note("tests/core/test_other.py::test_a", "call", "passed")
    assert tally.summary() == []
