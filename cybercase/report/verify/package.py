"""``cybercase verify PACKAGE``: an exported package checked as strictly as a live case.

The same checks as for a case folder, applied to the package's copies: the custody
log's chain and signatures (:func:`~cybercase.evidence.verify.case.check_log`), ``case.json``
against the log, the custodians' key files, and every artifact the log names, found by
its path in ``hashes.csv`` and re-hashed (:func:`~cybercase.evidence.verify.case.check_objects`).
On top of that the BagIt manifests (with the ``bagit`` library, plus a strict reading of
their exact bytes), the completeness of the package, and the signed export statement,
which pins where the log ended so a log cut short is noticed; and every trusted
timestamp, by the same check a live case gets
(:func:`~cybercase.evidence.verify.timestamps.timestamp_check`) reading the package's
copies: a token over data changed since, a seal over a rewritten log, or a token that
does not chain to a trusted root is reported exactly as in a case. A zip is unpacked
into a temporary folder first, refusing any member that would land outside it.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path

from cybercase.errors import InvalidInputError, NotFoundError
from cybercase.evidence.log import jsonl as logfile
from cybercase.evidence.log.state import artifacts_of
from cybercase.evidence.timestamps.tsa_client import TsaSettings
from cybercase.evidence.verify.case import case_report, check_case_json, common_families
from cybercase.evidence.verify.custody import check_log
from cybercase.evidence.verify.findings import CheckResult, Finding, VerificationReport
from cybercase.evidence.verify.objects import ObjectRef, check_objects, referenced_objects
from cybercase.evidence.verify.timestamps import timestamp_check
from cybercase.evidence.verify.trust import check_key_files, check_trust
from cybercase.progress import NullProgress, Progress
from cybercase.report.verify.bag import (
    BAGIT_TXT,
    LOG_PATH,
    PackageSource,
    check_bag,
    inventory,
    read_rows,
)
from cybercase.report.verify.statement import check_statement
from cybercase.report.verify.unzip import unzip


def is_package(path: Path) -> bool:
    """Whether ``path`` looks like an exported package (a bag folder, or a zip)."""
    if path.is_dir():
        return (path / BAGIT_TXT).is_file()
    return path.is_file() and path.suffix.lower() == ".zip"


def verify_package(
    path: Path,
    *,
    progress: Progress | None = None,
    tsa_settings: TsaSettings | None = None,
    trusted_keys: Sequence[str] = (),
) -> VerificationReport:
    """Verify a package folder or zip; never raises for a problem it can describe.

    Trusted timestamps are judged against ``tsa_settings`` (default: the ``[tsa]``
    configuration in effect), like a live case: a token that chains only to the root
    shipped in the package is a warning naming that root's fingerprint. ``trusted_keys``
    are the fingerprints the case must be rooted in, as for a live case.
    """
    if path.is_dir():
        if not (path / BAGIT_TXT).is_file():
            raise InvalidInputError(
                f"{path} is not an exported package (no bagit.txt)",
                hint="give the package folder (the one holding VERIFY.txt) or its .zip",
            )
        return _verify_folder(path, str(path), progress, tsa_settings, trusted_keys)
    if not path.is_file():
        raise NotFoundError(f"no package at {path}")
    with tempfile.TemporaryDirectory(prefix=".cybercase-verify-") as tmp:
        root, findings = unzip(path, Path(tmp))
        if root is None:
            report = VerificationReport(target=str(path), case_id=None)
            report.add(CheckResult("zip", "failed", "the zip cannot be unpacked", tuple(findings)))
            return report
        report = _verify_folder(root, str(path), progress, tsa_settings, trusted_keys)
        zip_check = CheckResult.judge(
            "zip", findings, "unpacked safely", "the zip is not safe to unpack"
        )
        report.findings[:0] = zip_check.findings
        report.checks.insert(0, zip_check)
        return report


def _verify_folder(
    root: Path,
    label: str,
    progress: Progress | None,
    tsa_settings: TsaSettings | None,
    trusted_keys: Sequence[str] = (),
) -> VerificationReport:
    progress = progress or NullProgress()
    unsafe = inventory(root)
    if unsafe:
        report = VerificationReport(target=label, case_id=None)
        report.add(
            CheckResult.judge(
                "package", unsafe, "", "the package holds links or special files: not read"
            )
        )
        return report
    bag = check_bag(root, progress)
    bag_findings = bag.findings
    scan = logfile.scan(root / "data" / "4-custody" / logfile.LOG_NAME)
    log_check = check_log(scan, LOG_PATH)
    log_findings = list(log_check.findings)
    if scan.torn:
        log_findings.append(
            Finding("error", "log.incomplete", LOG_PATH, "the last line is incomplete")
        )
    if not scan.lines:
        log_findings.append(Finding("error", "log.empty", LOG_PATH, "missing or empty"))
    case_findings, case_id = check_case_json(root / "data" / "case.json", log_check)
    export_findings: list[Finding] = []
    statement = check_statement(root, log_check, case_id, export_findings)
    key_findings = check_key_files(root / "data" / "4-custody" / "keys", log_check.keys)
    trust_findings, trust_summary = check_trust(log_check, trusted_keys)
    key_findings += trust_findings
    object_findings: list[Finding] = []
    rows = read_rows(root, object_findings)
    refs = referenced_objects(log_check.entries)
    excluded = set(statement.excluded) if statement else set()
    needed: set[str] = set()
    left_out: set[str] = set()
    for entry in log_check.entries:
        skip = bool(entry.items) and set(entry.items) <= excluded
        for artifact in artifacts_of(entry):
            (left_out if skip else needed).add(artifact.digest)
    left_out -= needed
    wanted: dict[str, ObjectRef] = {d: r for d, r in refs.items() if d not in left_out}
    source = PackageSource(root, rows, bag.hasher)
    found, stats = check_objects(wanted, source, progress, hasher=bag.hasher)
    object_findings.extend(found)
    timestamps = timestamp_check(tsa_settings, source, left_out=excluded)(root, log_check)
    if left_out:
        object_findings.append(
            Finding(
                "info",
                "object.excluded",
                "export.json",
                f"{len(left_out)} file(s) of items left out at export "
                f"({', '.join(sorted(excluded))}) are not in this package",
            )
        )
    case_check, log_check_line, keys_check, objects_check = common_families(
        log_check,
        case=case_findings,
        log=log_findings,
        keys=key_findings,
        objects=object_findings,
        stats=stats,
        noun="files",
        trust=trust_summary,
    )
    checks = [
        CheckResult.judge(
            "bag",
            bag_findings,
            f"{bag.matched} files match the BagIt manifests",
            f"{bag.matched} of {bag.listed} listed files match the BagIt manifests",
        ),
        case_check,
        log_check_line,
        CheckResult.judge(
            "export",
            export_findings,
            "signed export statement and end of the log",
            "the signed export statement or the end of the log does not hold",
        ),
        keys_check,
        objects_check,
        timestamps,
    ]
    return case_report(label, case_id, log_check, checks, stats)
