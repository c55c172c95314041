"""Keyring failures in words a person can act on, instead of the keyring library's class
names ("NoKeyringError", "KeyringLocked"). Used by the provider dialog, the doctor and runs."""

from __future__ import annotations

# Class name of the keyring library's exception -> what it means and what to do.
_WORDING = {
    "NoKeyringError": (
        "there is no OS keyring on this computer (no Secret Service, KWallet or Keychain is running)",
        "name an environment variable for the key instead, or start a keyring service and try again",
    ),
    "KeyringLocked": ("the OS keyring is locked", "unlock it (log in to it) and try again"),
    "InitError": (
        "the OS keyring could not be opened",
        "check that its service is running, or use an environment variable",
    ),
    "PasswordSetError": ("the OS keyring refused to store the key", "check that the keyring is unlocked and writable"),
    "PasswordDeleteError": ("the OS keyring refused to remove the key", "remove it with the keyring's own tool"),
}
_DEFAULT = ("the OS keyring could not be used", "try again, or name an environment variable for the key instead")


def is_known(error: BaseException | str) -> bool:
    """Whether the error is one the wording table explains (else its own text says more)."""
    text = error if isinstance(error, str) else type(error).__name__
    return any(name in text for name in _WORDING)


def keyring_problem(error: BaseException | str) -> tuple[str, str]:
    """(what went wrong, what to do) for a keyring exception, or for a message naming one."""
    text = error if isinstance(error, str) else type(error).__name__
    for name, wording in _WORDING.items():
        if name in text:
            return wording
    return _DEFAULT


def keyring_error_text(error: BaseException | str) -> str:
    """One sentence: "There is no OS keyring on this computer (...): name an environment ..."."""
    what, fix = keyring_problem(error)
    return f"{what[0].upper()}{what[1:]}: {fix}."
