"""The custody action the report layer writes (``case.exported``) and its detail's model.

An export is evidence handed out, so the log says what left, where to, from which
machine, and how to recognise it again (the tag manifest's hash, the zip's, the WACZ's).
"""

from __future__ import annotations

from typing import Any, Literal

from cybercase.evidence.details import Detail, action


class ExportedLog(Detail):
    """Where the custody log ended when the package was made."""

    seq: int
    hash: str


class CaseExported(Detail):
    """``case.exported``: a BagIt package (``format: bagit``) or a WACZ (``format: wacz``)."""

    package: str
    """The package's folder or file name."""
    format: Literal["bagit", "wacz"]
    tagmanifest: str | None = None
    """BagIt: ``sha256:`` of ``tagmanifest-sha256.txt``, which pins every file."""
    files: int | None = None
    bytes: int | None = None
    items: list[str] | None = None
    """BagIt: the items and requests whose files are in the package."""
    excluded: list[str] | None = None
    """BagIt: those left out (``--items``)."""
    log: ExportedLog | None = None
    zip: str | None = None
    """BagIt made as a zip: the zip's ``sha256:``."""
    to: str | None = None
    """BagIt: where the package was written (absolute)."""
    host: str | None = None
    """BagIt: the machine it was written on."""
    wacz: str | None = None
    """The WACZ's ``sha256:`` (a WACZ export, or the one inside a package)."""
    wacz_bytes: int | None = None
    wacz_public_key: str | None = None
    """The WACZ signing key, base64 SubjectPublicKeyInfo DER (ECDSA P-384)."""
    wacz_timestamped: bool | None = None
    wacz_items: list[str] | None = None

    def to_detail(self) -> dict[str, Any]:
        """As written: a WACZ's size is recorded even when unknown (``null``)."""
        detail = super().to_detail()
        if self.wacz is not None:
            detail["wacz_bytes"] = self.wacz_bytes
        return detail


CASE_EXPORTED = action("case.exported", CaseExported, "report")
