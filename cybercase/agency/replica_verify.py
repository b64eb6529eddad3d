"""``verify --against``: read a replica back, re-hash every byte, compare it with the case.

Only this shows the store kept the promise Object Lock made: every object and key is read
back and hashed, and the log segments must join into the case's log.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Literal

from cybercase.agency.replica import Discard, Replica, object_name
from cybercase.agency.replicate import DEFAULT_JOBS, local_objects, log_lines, run_all
from cybercase.agency.s3 import (
    S3Client,
    S3Location,
)
from cybercase.digest import Digest
from cybercase.evidence import Case
from cybercase.evidence.case import CASE_JSON, KEYS_DIR
from cybercase.evidence.verify import (
    CheckResult,
    Finding,
    VerificationReport,
    referenced_objects,
)
from cybercase.progress import NullProgress, Progress


def verify_against(
    root: Path,
    location: S3Location,
    *,
    client: S3Client | None = None,
    jobs: int = DEFAULT_JOBS,
    progress: Progress | None = None,
) -> VerificationReport:
    """Read the whole replica back and compare it with the case; never raises for a finding.

    Every byte is re-hashed: the store's own checksum records what it received, not what
    it holds now. A key whose latest version was altered is an error even when the
    original, locked version is still there (the message says so: restore reads it).
    """
    case = Case.open(root)
    replica = Replica(location, client)
    progress = progress or NullProgress()
    report = VerificationReport(target=str(location), case_id=case.meta.id)
    lines = log_lines(case)
    present = replica.listing()
    findings: dict[str, list[Finding]] = {"case": [], "log": [], "keys": [], "objects": []}

    case_json = (case.root / CASE_JSON).read_bytes()
    if CASE_JSON not in present:
        findings["case"].append(
            Finding("error", "replica.missing", CASE_JSON, "not in the replica")
        )
    elif replica.get_bytes(CASE_JSON) != case_json:
        findings["case"].append(
            Finding("error", "replica.altered", CASE_JSON, "differs from the case's case.json")
        )
    keys_checked = 0
    for key_file in sorted((case.root / KEYS_DIR).glob("*.pub")):
        name = f"{KEYS_DIR}/{key_file.name}"
        keys_checked += 1
        if name not in present:
            findings["keys"].append(Finding("error", "replica.missing", name, "not in the replica"))
        elif replica.get_bytes(name) != key_file.read_bytes():
            findings["keys"].append(Finding("error", "replica.altered", name, "differs"))

    through = _verify_log(replica, present, lines, findings["log"])
    refs = referenced_objects(case.entries())
    replicated_refs = referenced_objects(e for e in case.entries() if e.seq <= through)
    wanted = {Digest.parse(d).hex for d in refs} | {h for h, _ in local_objects(case.store)}
    stats = {"objects": 0, "bytes": 0, "locked": 0}
    lock = threading.Lock()
    progress.start(f"Reading back {len(wanted)} object(s) from {location}", len(wanted))

    def check(hex_digest: str) -> None:
        name = object_name(hex_digest)
        where = f"{name}"
        if name not in present:
            needed = f"sha256:{hex_digest}" in replicated_refs
            finding = Finding(
                "error" if needed else "warning",
                "replica.missing",
                where,
                "not in the replica"
                if needed
                else "not replicated yet (named after the replica's last run)",
            )
            with lock:
                findings["objects"].append(finding)
            progress.advance(1)
            return
        digest, version, latest = replica.copy_checked(name, hex_digest, Discard())  # type: ignore[arg-type]
        with lock:
            stats["objects"] += 1
            stats["bytes"] += digest.size or 0
            if latest.get("ObjectLockMode") or latest.get("ObjectLockLegalHoldStatus") == "ON":
                stats["locked"] += 1
            if version is None:
                findings["objects"].append(
                    Finding("error", "replica.altered", where, f"holds {digest}, not its name")
                )
            elif version != latest.get("VersionId"):
                findings["objects"].append(
                    Finding(
                        "error",
                        "replica.altered",
                        where,
                        f"its latest version holds other bytes; the original version {version} "
                        "is intact (restore reads it)",
                    )
                )
        progress.advance(1)

    try:
        run_all(check, sorted(wanted), jobs)
    finally:
        progress.finish()
    unlocked = stats["objects"] - stats["locked"]
    if unlocked:
        findings["objects"].append(
            Finding(
                "warning",
                "replica.unlocked",
                str(location),
                f"{unlocked} object(s) have no retention or legal hold",
            )
        )
    summaries = {
        "case": ("case.json matches", "case.json does not match"),
        "log": (f"entries 1-{through} match the case's log", "the replica's log does not match"),
        "keys": (f"{keys_checked} key file(s) match", "key files differ"),
        "objects": (
            f"{stats['objects']} object(s), {stats['bytes']} bytes read back and re-hashed",
            f"{stats['objects']} object(s) read back; some are wrong or missing",
        ),
    }
    for family, found in findings.items():
        report.findings.extend(found)
        errors = [f for f in found if f.severity == "error"]
        status: Literal["passed", "failed", "warning"] = (
            "failed" if errors else ("warning" if found else "passed")
        )
        passed, failed = summaries[family]
        report.checks.append(
            CheckResult(
                f"replica {family}", status, f"{failed}: {len(errors)}" if errors else passed
            )
        )
    report.stats = {"entries": through, "of_entries": len(lines), **stats}
    return report


def _verify_log(
    replica: Replica, present: dict[str, int], lines: list[bytes], found: list[Finding]
) -> int:
    expected = 1
    through = 0
    for first, last, name in replica.segments(present):
        if first != expected:
            found.append(
                Finding("error", "replica.gap", name, f"expected a segment starting at {expected}")
            )
            return through
        body = replica.get_bytes(name)
        if body != b"".join(lines[first - 1 : last]):
            found.append(Finding("error", "replica.altered", name, "differs from the case's log"))
            return through
        expected, through = last + 1, last
    if through < len(lines):
        found.append(
            Finding(
                "warning",
                "replica.behind",
                "custody",
                f"the replica holds entries 1-{through} of {len(lines)}; run 'cybercase "
                "replicate' to send the rest",
            )
        )
    return through


__all__ = ["verify_against"]
