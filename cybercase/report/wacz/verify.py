"""``cybercase verify FILE.wacz``: every file's hash, the signature and the trusted timestamp.

The checks follow the WACZ signing spec's verification steps (wacz-auth 0.1.0, anonymous
form): every file against ``datapackage.json``, the hash in ``datapackage-digest.json``
against ``datapackage.json``, the ECDSA signature of that hash with the ``publicKey``.
Then what cybercase adds: the investigator's Ed25519 key binding of that public key,
and the RFC 3161 token over the signature, judged against the configured trust roots
like every other token (one that chains only to the root shipped inside the WACZ is a
warning naming that root's fingerprint), whose time must lie within 10 minutes of
``created`` (the spec's rule for its timestamped form). Findings name the file inside the
WACZ they concern, in the same format as ``verify PACKAGE``.

NOTE: only ``hash`` is signed in ``signedData``; its other fields are checked against
``datapackage.json`` (which the hash covers), and a digest file written by cybercase must
be byte for byte as cybercase writes it, so no byte of the WACZ can change unnoticed.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from cybercase.errors import NotFoundError
from cybercase.evidence.timestamps.tsa_client import TsaSettings
from cybercase.evidence.verify.findings import CheckResult, VerificationReport
from cybercase.report.wacz.verify_files import WaczCheck, check_files, read_members
from cybercase.report.wacz.verify_signature import check_signature, check_timestamp


def is_wacz(path: Path) -> bool:
    """Whether ``path`` names a WACZ file (by its extension)."""
    return path.suffix.lower() == ".wacz"


def verify_wacz(path: Path, *, tsa_settings: TsaSettings | None = None) -> VerificationReport:
    """Verify a WACZ file; never raises for a problem it can describe."""
    if not path.is_file():
        raise NotFoundError(f"no WACZ file at {path}")
    report = VerificationReport(target=str(path), case_id=None)
    state = WaczCheck()
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        state.add("zip", "error", "wacz.unreadable", path.name, f"not a readable zip: {exc}")
        archive = None
    if archive is not None:
        with archive:
            members = read_members(archive, state)
            check_files(archive, members, state)
            if state.package_bytes is not None:
                digest = check_signature(archive, members, state)
                if digest is not None:
                    check_timestamp(digest, state, tsa_settings)
        if state.package is not None:
            block = state.package.get("cybercase")
            if isinstance(block, dict) and isinstance(block.get("case_id"), str):
                report.case_id = block["case_id"]
    report.add(
        CheckResult.judge(
            "zip", state.findings["zip"], "a readable zip", "the zip is damaged or unsafe"
        ),
        CheckResult.judge(
            "files",
            state.findings["files"],
            f"{state.matched} files match datapackage.json",
            f"{state.matched} of {state.listed} files match datapackage.json",
        ),
        CheckResult.judge(
            "signature",
            state.findings["signature"],
            f"datapackage.json signed by {state.signer or 'an anonymous key'}",
            "the signature of datapackage.json does not hold",
        ),
        CheckResult.judge(
            "timestamp",
            state.findings["timestamp"],
            state.timestamp_summary,
            "the trusted timestamp over the signature does not hold",
            checked=state.timestamp_checked,
        ),
    )
    report.stats = {"files": state.listed, "matched": state.matched}
    return report
