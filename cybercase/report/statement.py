"""The signed export statement: what a package holds, as its exporter vouches for it.

Manifests prove that files did not change after bagging, but anyone can re-bag an
altered folder. The custody log is signed entry by entry, yet a copy of it cut short
still chains. ``data/4-custody/export.json`` closes both gaps: it names the case, the
last entry of the log at export time (seq and hash), and the items left out, and
``export.sig`` holds the exporter's Ed25519 signature over the SHA-256 of the file's
exact bytes, made with a key the log registers as a custodian.

The statement sits in the payload, so it cannot name the tag manifest's hash (which
covers the payload manifest, which covers the statement). ``tagmanifest-sha256.txt.sig``
at the top of the package closes the circle: the same exporter key signs the SHA-256 of
the tag manifest, so every file of the package — report, ``VERIFY.txt``, the checker,
``hashes.csv``, ``bag-info.txt`` — is covered by a signature, and a rewritten file or a
recomputed manifest fails without the key. ``checker`` names the SHA-256 of
``check_custody.py`` so a reader can compare it before running it.
"""

from __future__ import annotations

import hashlib
import json
import re

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from cybercase.errors import InvalidInputError
from cybercase.evidence.keys.identity import Signer, verify_signature

STATEMENT_FORMAT = "cybercase-export/2"
OLD_STATEMENT_FORMAT = "cybercase-export/1"
"""Made by cybercase 0.1: no signature over the tag manifest, no checker hash."""
STATEMENT_NAME = "export.json"
SIGNATURE_NAME = "export.sig"
TAG_SIGNATURE_NAME = "tagmanifest-sha256.txt.sig"
"""At the package's top: the exporter's signature over the SHA-256 of the tag manifest."""


class LogHead(BaseModel):
    """The last entry of the custody log when the package was made."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    seq: int = Field(ge=1)
    """Its sequence number: the package's log must end exactly here."""
    hash: str
    """Its hash, ``sha256:<hex>``."""


class Exporter(BaseModel):
    """Who made the package (a custodian of the case)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    name: str
    """The investigator's name, as in their key."""
    key: str
    """The fingerprint of the key that signed ``export.sig``."""


class ExportStatement(BaseModel):
    """``export.json``: the package's signed description of itself."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    format: str = STATEMENT_FORMAT
    """Version of this statement's layout."""
    case_id: str
    """The case exported."""
    package: str
    """The package's folder name."""
    created: str
    """UTC time of the export."""
    tool: str
    """The cybercase version that made the package."""
    exporter: Exporter
    """Who exported it."""
    log: LogHead
    """Where the custody log ended."""
    items: list[str]
    """Items and requests whose artifacts are in the package."""
    excluded: list[str] = Field(default_factory=list)
    """Items and requests deliberately left out (``--items``); their artifacts are absent."""
    checker: str | None = None
    """``sha256:`` of ``data/4-custody/check_custody.py`` (absent in format 1)."""

    @property
    def pins_every_file(self) -> bool:
        """Whether ``tagmanifest-sha256.txt.sig`` must sign the whole package (format 2)."""
        return self.format != OLD_STATEMENT_FORMAT

    def to_bytes(self) -> bytes:
        """The file's bytes (indented JSON, for people)."""
        return (json.dumps(self.model_dump(), indent=2, ensure_ascii=False) + "\n").encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> ExportStatement:
        """Parse the file; a malformed one is an input error."""
        try:
            return cls.model_validate_json(data)
        except (ValidationError, ValueError) as exc:
            raise InvalidInputError("export.json is malformed and may have been modified") from exc


def sign_statement(data: bytes, signer: Signer) -> bytes:
    """``export.sig``: hex Ed25519 signature over the SHA-256 of ``data``, and a newline."""
    return signer.sign(hashlib.sha256(data).digest()).hex().encode("ascii") + b"\n"


def statement_signature_ok(data: bytes, signature_file: bytes, public_raw: bytes) -> bool:
    """Whether ``export.sig`` is a valid signature of ``data`` by this key."""
    # Exactly as written (lowercase hex, one newline): any other spelling is a change.
    if re.fullmatch(rb"[0-9a-f]{128}\n", signature_file) is None:
        return False
    signature = bytes.fromhex(signature_file.decode("ascii"))
    return verify_signature(public_raw, signature, hashlib.sha256(data).digest())
