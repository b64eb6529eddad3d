"""The one exception hierarchy of cybercase.

Every error a user can meet is a :class:`CybercaseError`: it carries a one-line
message saying what happened, a hint saying what to do next, and the process exit
code the CLI must use. Third-party exceptions are mapped into the most specific
child at the boundary where they occur (``raise ... from exc``), so the CLI has a
single catch point and never shows a traceback for a user's mistake.

::

    CybercaseError (3: could not run)
    ├── UsageError (2: bad usage or input)
    │   ├── InvalidInputError
    │   ├── NotFoundError            (unknown item, request, file)
    │   └── InvalidTransitionError   (a request step that is not allowed now)
    ├── CaseError (3)
    │   ├── CaseNotFoundError
    │   ├── CaseExistsError (2)
    │   └── CaseCorruptError          (cannot even be read; verify explains)
    ├── IdentityError (3)
    │   ├── NoIdentityError
    │   ├── WrongPassphraseError
    │   ├── DamagedKeyError           (a key file that cannot be read as written)
    │   ├── PassphraseRequiredError
    │   └── NotCustodianError        (the key is not a custodian of this case)
    ├── StorageError (3)              (disk full, permission denied, lock)
    ├── NetworkError (3)
    ├── BrowserUnavailableError (3)   (no usable Chromium; capture goes on without it)
    ├── TimestampError (3)
    └── VerificationFailedError (1)
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_PROBLEM = 1
EXIT_USAGE = 2
EXIT_CANNOT_RUN = 3


class CybercaseError(Exception):
    """Base of every error cybercase reports to a user.

    ``message`` says what happened in one line; ``hint`` (optional) says what to do.
    """

    exit_code: int = EXIT_CANNOT_RUN

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def one_line(self) -> str:
        """The message and hint as the single line the CLI prints."""
        if self.hint:
            return f"{self.message} — {self.hint}"
        return self.message


class UsageError(CybercaseError):
    """The user asked for something malformed or impossible."""

    exit_code = EXIT_USAGE


class InvalidInputError(UsageError):
    """An argument or input file is malformed (a bad URL, an unreadable file...)."""


class NotFoundError(UsageError):
    """A named thing (item, request, file, key) does not exist."""


class InvalidTransitionError(UsageError):
    """A step that is not allowed in the current state (e.g. responding before sending)."""


class CaseError(CybercaseError):
    """A problem with the case folder itself."""


class CaseNotFoundError(CaseError):
    """No case folder where one was expected."""


class CaseExistsError(CaseError):
    """``init`` was asked to create a case where one (or other files) already exist."""

    exit_code = EXIT_USAGE


class CaseCorruptError(CaseError):
    """The case cannot be opened safely; ``cybercase verify`` gives the details."""


class IdentityError(CybercaseError):
    """A problem with an investigator's signing key."""


class NoIdentityError(IdentityError):
    """No investigator key exists yet."""


class WrongPassphraseError(IdentityError):
    """The passphrase does not unlock the private key."""


class DamagedKeyError(IdentityError):
    """A key file is truncated, edited or corrupted (never reported as a wrong passphrase)."""


class PassphraseRequiredError(IdentityError):
    """A passphrase is needed and neither a terminal nor the environment gives one."""


class NotCustodianError(IdentityError):
    """The signing key is not registered as a custodian of this case."""


class StorageError(CybercaseError):
    """The disk refused (full, read-only, permission denied) or a lock is held."""


class NetworkError(CybercaseError):
    """The network could not be used at all (not a failed capture, which is evidence)."""


class BrowserUnavailableError(CybercaseError):
    """No headless browser could be started (the raw capture does not need one)."""


class TimestampError(CybercaseError):
    """No time-stamping authority answered, or a token cannot be parsed."""


class VerificationFailedError(CybercaseError):
    """Verification ran and found at least one problem."""

    exit_code = EXIT_PROBLEM
