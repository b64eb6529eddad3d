"""Finding the case a command works on: ``--case``, then ``CYBERCASE_CASE``, then the
current folder and its parents (as git finds a repository).
"""

from __future__ import annotations

import os
from pathlib import Path

from cybercase.errors import CaseNotFoundError
from cybercase.evidence.case import CASE_JSON
from cybercase.evidence.log import jsonl as logfile

ENV_CASE = "CYBERCASE_CASE"


def locate_case(explicit: Path | None = None, start: Path | None = None) -> Path:
    """Find the case: ``--case``, then ``CYBERCASE_CASE``, then this folder and its parents."""
    if explicit is not None:
        if not (explicit / CASE_JSON).is_file():
            raise CaseNotFoundError(
                f"no case at {explicit}", hint="check the path, or create one with 'cybercase init'"
            )
        return explicit
    env = os.environ.get(ENV_CASE)
    if env:
        path = Path(env).expanduser()
        if not (path / CASE_JSON).is_file():
            raise CaseNotFoundError(
                f"CYBERCASE_CASE names {path}, which holds no case",
                hint="fix or unset CYBERCASE_CASE",
            )
        return path
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / CASE_JSON).is_file() and (folder / logfile.LOG_NAME).exists():
            return folder
    raise CaseNotFoundError(
        "no case here (searched this folder and its parents)",
        hint="pass --case DIR, set CYBERCASE_CASE, or create one with 'cybercase init DIR'",
    )
