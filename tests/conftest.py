"""Suite-wide isolation: every test gets its own config and policy paths, and no test
reads or writes a real user's files."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    # pytest-xvfb has started Xvfb and set DISPLAY by now when Xvfb is installed; real
    # drags need the xcb platform, everything else runs the same on it.
    os.environ.setdefault("QT_QPA_PLATFORM", "xcb" if os.environ.get("DISPLAY") else "offscreen")


@pytest.fixture(autouse=True)
def _isolated_user_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / ".local/state"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local/share"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    monkeypatch.setenv("MODELDESK_CONFIG", str(home / "config.json"))
    monkeypatch.setenv("MODELDESK_POLICY", str(home / "no-policy.json"))
    # The null keyring never touches a real keyring; tests that need secrets install their own.
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")


@pytest.fixture(autouse=True)
def _forget_keys() -> Iterator[None]:
    # Keys read in one test are redacted for the rest of the process: forget them after it.
    yield
    from modeldesk.core.redaction import forget_all

    forget_all()


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    # Each test under tests/security is an attack: count whether it held or broke.
    from tests.support import attacks

    attacks.TALLY.note(report.nodeid, report.when, report.outcome)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    # The reliability suite's counts (tests/reliability) and the security suite's
    # (tests/security), printed whether or not output capture is on.
    from tests.support import attacks
    from tests.support.figures import FIGURES

    if FIGURES:
        terminalreporter.section("reliability figures")
        for name, text in FIGURES:
            terminalreporter.write_line(f"{name}: {text}")
    if lines := attacks.TALLY.summary():
        terminalreporter.section("security figures")
        for line in lines:
            terminalreporter.write_line(line)
