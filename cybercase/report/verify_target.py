"""What ``cybercase verify`` checks, and whether the run is recorded in the custody log.

Two decisions every front end (the CLI, a script, the training tamper exercise) must make
the same way, so they live here rather than in a command:

- :func:`verify_target`: a ``.wacz`` file, an exported package, or a case folder (the
  one given, else the current case). A folder with a ``case.json`` is always a case.
- :func:`recording_plan`: a verification is logged (``case.verified``) only when the
  local investigator's key is one of the case's custodians and can sign now (the
  passphrase is in the environment, or someone is at a terminal to type it).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from cybercase.errors import CybercaseError
from cybercase.evidence import Case, KeyRing, locate_case
from cybercase.evidence.case import CASE_JSON
from cybercase.settings import ENV_KEY, ENV_PASSPHRASE, user_home

TargetKind = Literal["wacz", "package", "case"]

NO_PASSPHRASE = "not recorded in the log: set CYBERCASE_PASSPHRASE to sign the verification"


@dataclass(frozen=True, slots=True)
class VerifyTarget:
    """The thing to verify and how (a case is the only kind a run is logged in)."""

    kind: TargetKind
    path: Path


def verify_target(target: Path | None, case_dir: Path | None = None) -> VerifyTarget:
    """``target`` classified; without one, the case at ``case_dir`` or the current case.

    Raises :class:`cybercase.errors.CaseNotFoundError` when a case is wanted and none is
    found (the same error as every case command).
    """
    if target is not None and target.suffix.lower() == ".wacz":
        return VerifyTarget("wacz", target)
    if target is not None and not (target / CASE_JSON).is_file():
        from cybercase.report.verify import is_package

        if is_package(target):
            return VerifyTarget("package", target)
    return VerifyTarget("case", locate_case(target or case_dir))


@dataclass(frozen=True, slots=True)
class RecordingPlan:
    """Whether to log a verification run, with which key, or why not."""

    fingerprint: str | None
    """The custodian key to sign ``case.verified`` with; ``None``: do not record."""
    why_not: str | None = None
    """Said to the user when the run could have been recorded but cannot be now."""

    @property
    def record(self) -> bool:
        """True when the run is to be recorded."""
        return self.fingerprint is not None


def recording_plan(
    root: Path,
    key: str | None,
    *,
    interactive: bool,
    home: Path | None = None,
) -> RecordingPlan:
    """Decide whether this verification of the case at ``root`` goes into its log.

    Not a custodian, no key, or a case that cannot be opened: silently not recorded (a
    reviewer verifying someone else's case must not need a key). A custodian who cannot
    sign now (no ``CYBERCASE_PASSPHRASE`` and no terminal): not recorded, and told why.
    """
    try:
        case = Case.open(root)
        stored = KeyRing(home or user_home()).find(key or os.environ.get(ENV_KEY) or None)
    except CybercaseError:
        return RecordingPlan(None)
    if stored.fingerprint not in case.state.keys:
        return RecordingPlan(None)
    if os.environ.get(ENV_PASSPHRASE) is None and not interactive:
        return RecordingPlan(None, NO_PASSPHRASE)
    return RecordingPlan(stored.fingerprint)
