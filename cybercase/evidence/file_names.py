"""File names as the custody log records them: readable, and exact even when a name is
not UTF-8 (a file from an old Windows or Linux system).
"""

from __future__ import annotations

import os
import string
from pathlib import Path
from urllib.parse import quote_from_bytes

RAW_NAME_SAFE = "".join(c for c in string.punctuation + " " if c != "%")


def is_text(value: str) -> bool:
    """Whether a string is real text (no undecodable bytes smuggled in as surrogates)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def printable_name(path: Path | str) -> str:
    """A file name as a person can read it: bytes that are not UTF-8 become U+FFFD."""
    return os.fsencode(path).decode("utf-8", "replace")


def name_fields(key: str, name: str) -> dict[str, str]:
    """A file name for the log, losslessly.

    A name that is not UTF-8 (a file from an old Windows or Linux system) cannot be
    written as JSON text: it is recorded readable (``key``, with U+FFFD for the bad
    bytes) and exactly (``key_bytes``: every byte, percent-escaped except printable
    ASCII; ``urllib.parse.unquote_to_bytes`` gives the name back).
    """
    if is_text(name):
        return {key: name}
    raw = os.fsencode(name)
    return {key: printable_name(name), f"{key}_bytes": quote_from_bytes(raw, safe=RAW_NAME_SAFE)}
