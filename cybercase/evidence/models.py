"""Records the case writes to disk: case metadata, actors and artifacts.

They are frozen pydantic models that refuse unknown fields, so a record that was
edited by hand, or written by a newer version, fails loudly instead of being half read.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

CASE_FORMAT = "cybercase-case/1"
_CASE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_FINGERPRINT = re.compile(r"^[0-9a-f]{64}$")
_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")


def _check_case_id(value: str) -> str:
    if not _CASE_ID.match(value):
        raise ValueError(
            "a case id is 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit"
        )
    return value


def _check_fingerprint(value: str) -> str:
    if not _FINGERPRINT.match(value):
        raise ValueError("a key fingerprint is 64 lowercase hex digits")
    return value


def _check_digest(value: str) -> str:
    if not _DIGEST.match(value):
        raise ValueError("a digest is written sha256:<64 lowercase hex digits>")
    return value


CaseId = Annotated[str, AfterValidator(_check_case_id)]
Fingerprint = Annotated[str, AfterValidator(_check_fingerprint)]
DigestText = Annotated[str, AfterValidator(_check_digest)]


class Record(BaseModel):
    """Base of every on-disk record: frozen, strict about unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class CaseMeta(Record):
    """``case.json``: what the case is about. Written once, at ``init``."""

    format: str = CASE_FORMAT
    """Version of the case layout, so later tools know how to read it."""
    id: CaseId
    """The case reference used by the agency (also the export package's name)."""
    title: str = Field(min_length=1)
    """A short human title."""
    agency: str = Field(min_length=1)
    """The investigating agency."""
    jurisdiction: str | None = None
    """Country or jurisdiction whose law applies."""
    offence: str | None = None
    """The suspected offence, with its legal provision where known."""
    species: list[str] = Field(default_factory=list)
    """Species concerned (scientific or common names)."""
    created: str
    """UTC creation time."""
    tool: str
    """The cybercase version that created the case."""


class Actor(Record):
    """Who signed a custody entry."""

    name: str
    """The investigator's name, as in their key."""
    key: Fingerprint
    """SHA-256 fingerprint of the investigator's Ed25519 public key (raw 32 bytes)."""


class Artifact(Record):
    """One stored file that is part of an item (or of a request, a seal, a recovery)."""

    role: str
    """What the file is: ``original``, ``warc``, ``record``, ``screenshot``, ``token``..."""
    name: str
    """The file's name in an export (no folders)."""
    digest: DigestText
    """``sha256:<hex>`` of the bytes, which is also where the object store keeps them."""
    size: int = Field(ge=0)
    """Size in bytes."""
    media_type: str = "application/octet-stream"
    """IANA media type."""
