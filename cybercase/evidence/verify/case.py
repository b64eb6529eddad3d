"""Verification of a case: every object, every entry, every signature, every key.

Verification never stops at the first problem: it returns a report of findings, one
precise line each, naming the place (a line of the log, an item's artifact, a file).
Findings are errors (the case is not intact), warnings (worth knowing, not a breach,
e.g. an object left unreferenced by an interrupted write) or information. Checks that
could not be run are reported as "not checked", never as passed.

The pieces (:func:`check_log`, :func:`check_objects`) are public so that an exported
package, whose files are laid out by name rather than by hash, is verified by the
same code as a live case.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from cybercase.digest import Digest
from cybercase.evidence.actions import CASE_CREATED, CASE_VERIFIED, CaseVerified
from cybercase.evidence.log import jsonl as logfile
from cybercase.evidence.log.entry import CustodyEntry, EntryDraft
from cybercase.evidence.models import CaseMeta
from cybercase.evidence.store import ObjectStore
from cybercase.evidence.verify.custody import (
    LogCheck,
    anchoring,
    anchoring_text,
    check_head,
    check_log,
    check_seal_copies,
)
from cybercase.evidence.verify.findings import CheckResult, Finding, VerificationReport
from cybercase.evidence.verify.objects import StoreSource, check_objects, referenced_objects
from cybercase.evidence.verify.timestamps import check_timestamps
from cybercase.evidence.verify.trust import check_key_files, check_trust, root_keys
from cybercase.progress import Progress


def check_links(root: Path) -> list[Finding]:
    """No file verification reads in a case is a symbolic link.

    A link to an identical copy elsewhere would pass every hash while the case no longer
    holds its own evidence (and the copy can change, or vanish, at any time).
    """
    names = ["case.json", logfile.LOG_NAME, logfile.HEAD_NAME, "keys", logfile.SEALS_DIR]
    names += ["objects", f"objects/{Path(ObjectStore(root / 'objects').base).name}"]
    paths = [root / n for n in names]
    for folder in ("keys", logfile.SEALS_DIR):
        if (root / folder).is_dir() and not (root / folder).is_symlink():
            paths.extend(sorted((root / folder).iterdir()))
    return [
        Finding(
            "error",
            "case.symlink",
            path.relative_to(root).as_posix(),
            "a symbolic link: the case must hold its own files",
        )
        for path in paths
        if path.is_symlink()
    ]


def check_case_json(path: Path, check: LogCheck) -> tuple[list[Finding], str | None]:
    """``case.json`` is readable and is byte-for-byte the one recorded at creation."""
    created = next((e for e in check.entries if e.action == CASE_CREATED), None)
    recorded = created.detail.get("case_json") if created else None
    try:
        data = path.read_bytes()
    except OSError:
        return [Finding("error", "case.missing", "case.json", "missing or unreadable")], None
    case_id: str | None = None
    findings: list[Finding] = []
    try:
        case_id = CaseMeta.model_validate_json(data).id
    except ValidationError:
        findings.append(
            Finding("error", "case.unreadable", "case.json", "not a valid case description")
        )
    if recorded is None:
        findings.append(
            Finding(
                "error", "case.unrecorded", "case.json", "the log does not record this file's hash"
            )
        )
    elif str(Digest.of_bytes(data)) != recorded:
        findings.append(
            Finding(
                "error",
                "case.altered",
                "case.json",
                "changed since the case was created (hash differs from the log)",
            )
        )
    return findings, case_id


ExtraCheck = Callable[[Path, LogCheck], CheckResult]
"""A check beyond the common ones (the trusted timestamps): one more line of the report."""


def common_families(
    log_check: LogCheck,
    *,
    case: list[Finding],
    log: list[Finding],
    keys: list[Finding],
    objects: list[Finding],
    stats: dict[str, int],
    noun: str = "objects",
    trust: str = "",
) -> list[CheckResult]:
    """The lines a live case and a package share: case.json, log, keys, objects."""
    entries, signatures, custodians = (
        len(log_check.entries),
        log_check.signatures,
        len(log_check.keys),
    )
    return [
        CheckResult.judge(
            "case", case, "case.json matches the log", "case.json does not match the log"
        ),
        CheckResult.judge(
            "log",
            log,
            f"{entries} entries chained, {signatures} signatures checked"
            + anchoring_text(anchoring(log_check)),
            f"the log is not intact ({entries} entries read, {signatures} signatures checked)",
        ),
        CheckResult.judge(
            "keys",
            keys,
            f"{custodians} custodian key(s)" + (f", {trust}" if trust else ""),
            f"{custodians} custodian key(s); the key files do not match them or the root "
            "is not trusted",
        ),
        CheckResult.judge(
            "objects",
            objects,
            f"{stats['objects']} {noun}, {stats['bytes']} bytes re-hashed",
            f"{stats['objects']} {noun} re-hashed; some are wrong or missing",
        ),
    ]


def default_checks() -> list[tuple[str, ExtraCheck]]:
    """The checks beyond objects and log that ``verify`` runs by default."""
    return [("timestamps", check_timestamps)]


def verify_case(
    root: Path,
    *,
    progress: Progress | None = None,
    extra_checks: Sequence[tuple[str, ExtraCheck]] | None = None,
    trusted_keys: Sequence[str] = (),
) -> VerificationReport:
    """Verify a case folder completely; never raises for a problem it can describe.

    ``extra_checks`` replaces :func:`default_checks` (trusted timestamps) when given.
    ``trusted_keys`` are the fingerprints the case must be rooted in (none: any root,
    reported).
    """
    if extra_checks is None:
        extra_checks = default_checks()
    scan = logfile.scan(root / logfile.LOG_NAME)
    log_check = check_log(scan)
    case_findings, case_id = check_case_json(root / "case.json", log_check)
    head_findings = check_head(root / logfile.HEAD_NAME, log_check)
    head_findings += check_seal_copies(root, log_check)
    if any(f.code == "head.truncated" for f in head_findings):
        # The damaged last line held a committed entry: it is not an interrupted write.
        log_check.findings = [f for f in log_check.findings if f.code != "log.torn-tail"]
    trust_findings, trust_summary = check_trust(log_check, trusted_keys)
    key_findings = check_key_files(root / "keys", log_check.keys) + trust_findings
    case_findings += check_links(root)
    object_findings, object_stats = check_objects(
        referenced_objects(log_check.entries), StoreSource(ObjectStore(root / "objects")), progress
    )
    checks = common_families(
        log_check,
        case=case_findings,
        log=log_check.findings + head_findings,
        keys=key_findings,
        objects=object_findings,
        stats=object_stats,
        trust=trust_summary,
    )
    for name, check in extra_checks:
        checks.append(replace(check(root, log_check), name=name))
    return case_report(str(root), case_id, log_check, checks, object_stats)


def case_report(
    target: str,
    case_id: str | None,
    log_check: LogCheck,
    checks: Sequence[CheckResult],
    object_stats: dict[str, int],
) -> VerificationReport:
    """The report of a case or of an exported package, from its lines in order.

    Both say the same of the log they hold: how many entries, signatures and keys,
    the case's root key and custodians, and the entries no seal anchors yet.
    """
    report = VerificationReport(target=target, case_id=case_id)
    report.add(*checks)
    report.stats = {
        "entries": len(log_check.entries),
        "signatures": log_check.signatures,
        "keys": len(log_check.keys),
        **object_stats,
    }
    report.keys = root_keys(log_check)
    report.unanchored = anchoring(log_check)
    return report


def record_verification(case: Any, signer: Any, report: VerificationReport) -> CustodyEntry:
    """Log a custodian's verification run (``case.verified``) with its outcome."""
    detail = CaseVerified(
        result="passed" if report.ok else "failed",
        errors=len(report.errors),
        warnings=len(report.warnings),
        stats=report.stats,
        problems=[f.line() for f in report.errors[:50]],
    )
    entries: list[CustodyEntry] = case.append(signer, EntryDraft.of(CASE_VERIFIED, detail))
    return entries[-1]
