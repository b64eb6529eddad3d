"""A persona's own browser profile under cybercase's home, never the user's own profile.

Logins made while browsing as a persona stay in its profile, out of the case.
"""

from __future__ import annotations

import re
from pathlib import Path

from cybercase.errors import InvalidInputError
from cybercase.settings import user_home

_PERSONA = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def persona_profile(name: str, home: Path | None = None) -> Path:
    """The persona's own browser profile folder under cybercase's home (made if missing)."""
    if not _PERSONA.match(name):
        raise InvalidInputError(
            f"persona name {name!r} is not usable as a profile name",
            hint="use letters, digits, '.', '_' or '-' (at most 64), e.g. --persona trader-anna",
        )
    folder = (home or user_home()) / "personas" / name
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder
