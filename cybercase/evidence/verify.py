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

import os
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import ValidationError

from cybercase.clock import parse_utc
from cybercase.digest import Digest, hash_file
from cybercase.errors import CybercaseError
from cybercase.evidence import log as logfile
from cybercase.evidence.entry import CustodyEntry, hash_bytes
from cybercase.evidence.keys import PublicIdentity, fingerprint_of, verify_signature
from cybercase.evidence.models import CaseMeta
from cybercase.evidence.state import (
    CASE_CREATED,
    CUSTODIAN_ADDED,
    KeyRecord,
    artifacts_of,
    custodian_from_detail,
)
from cybercase.evidence.store import ObjectStore
from cybercase.progress import NullProgress, Progress

Severity = Literal["error", "warning", "info"]
CheckStatus = Literal["passed", "failed", "warning", "not checked"]


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem (or remark), at one place."""

    severity: Severity
    code: str
    """A stable identifier for scripts, e.g. ``object.corrupt``."""
    where: str
    """The place: ``custody.jsonl line 7 (seq 7)``, ``E0003 screenshot.png``, a file."""
    message: str

    def line(self) -> str:
        """The one line shown to a person."""
        return f"{self.severity.upper()}: {self.where}: {self.message}"

    def to_json(self) -> dict[str, str]:
        """For ``--json``."""
        return {
            "severity": self.severity,
            "code": self.code,
            "where": self.where,
            "message": self.message,
        }


@dataclass(slots=True)
class CheckResult:
    """The outcome of one family of checks."""

    name: str
    status: CheckStatus
    summary: str


@dataclass(slots=True)
class VerificationReport:
    """Everything a verification found."""

    target: str
    case_id: str | None
    findings: list[Finding] = field(default_factory=list)
    checks: list[CheckResult] = field(default_factory=list)
    stats: dict[str, int] = field(default_factory=dict)

    @property
    def errors(self) -> list[Finding]:
        """Findings that mean the case is not intact."""
        return [f for f in self.findings if f.severity == "error"]

    @property
    def warnings(self) -> list[Finding]:
        """Findings worth reading that do not break integrity."""
        return [f for f in self.findings if f.severity == "warning"]

    @property
    def ok(self) -> bool:
        """True when no error was found."""
        return not self.errors

    def to_json(self) -> dict[str, Any]:
        """For ``--json`` and ``verification.json`` in an export."""
        return {
            "target": self.target,
            "case_id": self.case_id,
            "result": "passed" if self.ok else "failed",
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "checks": [
                {"name": c.name, "status": c.status, "summary": c.summary} for c in self.checks
            ],
            "stats": self.stats,
            "findings": [f.to_json() for f in self.findings],
        }


@dataclass(frozen=True, slots=True)
class ObjectRef:
    """Where the log says an object is needed, and what size it must have."""

    digest: str
    size: int
    where: str


@dataclass(slots=True)
class LogCheck:
    """What :func:`check_log` learned: the readable entries and the keys in force."""

    entries: list[CustodyEntry] = field(default_factory=list)
    keys: dict[str, KeyRecord] = field(default_factory=dict)
    valid_entries: set[int] = field(default_factory=set)
    """Seqs of entries whose hash, chain link and signature all check out."""
    signatures: int = 0
    torn_bytes: int = 0
    findings: list[Finding] = field(default_factory=list)


def _where_line(number: int, seq: int | None = None, log_name: str = logfile.LOG_NAME) -> str:
    return f"{log_name} line {number}" + (f" (seq {seq})" if seq is not None else "")


def check_log(scan: logfile.LogScan, log_name: str = logfile.LOG_NAME) -> LogCheck:
    """Check the hash chain, sequence, signatures and key registrations of a log."""
    result = LogCheck(torn_bytes=len(scan.torn))
    out = result.findings
    expected_seq = 1
    prev_hash: str | None = None
    prev_at = None
    for line in scan.lines:
        if line.entry is None:
            out.append(
                Finding(
                    "error",
                    "log.unreadable",
                    _where_line(line.number, None, log_name),
                    f"{line.error}; the line was altered or damaged",
                )
            )
            prev_hash = None
            expected_seq += 1
            continue
        entry = line.entry
        where = _where_line(line.number, entry.seq, log_name)
        result.entries.append(entry)
        good = True
        if entry.seq != expected_seq:
            out.append(
                Finding(
                    "error",
                    "log.sequence",
                    where,
                    f"seq {entry.seq} where {expected_seq} was expected: an entry "
                    "was removed, duplicated, inserted or reordered",
                )
            )
            good = False
        if line.number == 1:
            if entry.action != CASE_CREATED or entry.prev is not None:
                out.append(
                    Finding(
                        "error",
                        "log.start",
                        where,
                        "the log does not begin with the case.created entry",
                    )
                )
                good = False
        elif prev_hash is not None and entry.prev != prev_hash:
            out.append(
                Finding(
                    "error",
                    "log.chain",
                    where,
                    "prev does not match the hash of the entry before it: the chain "
                    "is broken here (an entry was removed, inserted or reordered)",
                )
            )
            good = False
        computed = entry.computed_hash()
        if computed != entry.hash:
            out.append(
                Finding(
                    "error",
                    "log.hash",
                    where,
                    "the entry's content does not match its hash: it was altered",
                )
            )
            good = False
        key = result.keys.get(entry.actor_key)
        public_raw: bytes | None = key.public_raw if key else None
        if entry.action == CASE_CREATED and line.number == 1 and key is None:
            custodian = custodian_from_detail(entry.detail)
            if custodian is not None and fingerprint_of(custodian[2]) == entry.actor_key:
                public_raw = custodian[2]
        if public_raw is None:
            out.append(
                Finding(
                    "error",
                    "log.unknown-key",
                    where,
                    f"signed by key {entry.actor_key[:16]}, which was not registered "
                    "as a custodian before this entry",
                )
            )
            good = False
        else:
            try:
                signature = bytes.fromhex(entry.sig)
                sig_ok = verify_signature(public_raw, signature, hash_bytes(entry.hash))
            except ValueError:
                sig_ok = False
            result.signatures += 1
            if not sig_ok:
                out.append(
                    Finding(
                        "error",
                        "log.signature",
                        where,
                        f"the signature is not valid for key {entry.actor_key[:16]} "
                        f"({entry.actor_name})",
                    )
                )
                good = False
        try:
            at = parse_utc(entry.at)
            if prev_at is not None and at < prev_at:
                out.append(
                    Finding(
                        "warning",
                        "log.time",
                        where,
                        "this entry's time is earlier than the previous entry's: "
                        "the clock went backwards",
                    )
                )
            prev_at = at
        except ValueError:
            out.append(Finding("error", "log.time", where, f"unreadable time {entry.at!r}"))
            good = False
        if good:
            result.valid_entries.add(entry.seq)
            if entry.action in (CASE_CREATED, CUSTODIAN_ADDED):
                custodian = custodian_from_detail(entry.detail)
                if custodian is None:
                    out.append(
                        Finding(
                            "error",
                            "log.custodian",
                            where,
                            "the custodian registration is malformed",
                        )
                    )
                else:
                    name, email, raw = custodian
                    fp = fingerprint_of(raw)
                    result.keys.setdefault(fp, KeyRecord(fp, name, email, raw, entry.seq))
        prev_hash = entry.hash
        expected_seq = entry.seq + 1
    if scan.torn:
        out.append(
            Finding(
                "warning",
                "log.torn-tail",
                f"{log_name} end",
                f"{len(scan.torn)} bytes of an interrupted write (never committed); "
                "they are set aside and logged at the next change to the case",
            )
        )
    return result


def check_head(head_path: Path, check: LogCheck) -> list[Finding]:
    """Compare ``custody.head`` with the log: were committed entries cut off the end?"""
    head = logfile.read_head(head_path)
    if head is None:
        return [
            Finding(
                "warning",
                "head.missing",
                logfile.HEAD_NAME,
                "missing or unreadable: removal of the log's last entries cannot "
                "be detected (trusted timestamps and seals still anchor it)",
            )
        ]
    by_seq = {e.seq: e for e in check.entries}
    last = max(by_seq, default=0)
    if head.seq > last:
        return [
            Finding(
                "error",
                "head.truncated",
                logfile.LOG_NAME,
                f"the log ends at seq {last} but entry {head.seq} was committed: "
                f"{head.seq - last} entr{'y was' if head.seq - last == 1 else 'ies were'} "
                "removed from the end"
                + (
                    f" (what follows entry {last} is damaged, not an interrupted write)"
                    if check.torn_bytes
                    else ""
                ),
            )
        ]
    entry = by_seq.get(head.seq)
    if entry is None or entry.hash != head.hash:
        return [
            Finding(
                "error",
                "head.mismatch",
                logfile.HEAD_NAME,
                f"entry {head.seq} is not the one that was committed",
            )
        ]
    return []


class ObjectSource:
    """Where verification finds the bytes of an object."""

    def locate(self, digest: Digest) -> Path | None:
        """The file holding these bytes, or ``None`` if absent."""
        raise NotImplementedError

    def unclaimed(self, referenced: set[str]) -> list[Finding]:
        """Findings for files present but not referenced by any entry."""
        return []


class StoreSource(ObjectSource):
    """Objects in a case's content-addressed store."""

    def __init__(self, store: ObjectStore) -> None:
        self.store = store

    def locate(self, digest: Digest) -> Path | None:
        """The object's file, if present."""
        path = self.store.path_for(digest)
        return path if path.is_file() else None

    def unclaimed(self, referenced: set[str]) -> list[Finding]:
        """Unreferenced and misnamed objects, and leftover temporary files."""
        found: list[Finding] = []
        for path in self.store.iter_objects():
            rel = f"objects/sha256/{path.parent.name}/{path.name}"
            if not path.is_file() or len(path.name) != 64 or path.parent.name != path.name[:2]:
                found.append(
                    Finding(
                        "warning",
                        "object.misplaced",
                        rel,
                        "a file the store did not write (wrong name or place)",
                    )
                )
            elif f"sha256:{path.name}" not in referenced:
                found.append(
                    Finding(
                        "warning",
                        "object.unreferenced",
                        rel,
                        "no custody entry names this object (probably left by an "
                        "interrupted write); it is not evidence",
                    )
                )
        for path in self.store.leftover_temp_files():
            found.append(
                Finding(
                    "info",
                    "object.temp",
                    f"objects/tmp/{path.name}",
                    "a temporary file left by an interrupted write",
                )
            )
        return found


def referenced_objects(entries: Iterable[CustodyEntry]) -> dict[str, ObjectRef]:
    """Every object the log names, with the first place that names it."""
    refs: dict[str, ObjectRef] = {}
    for entry in entries:
        label = ",".join(entry.items) if entry.items else entry.action
        for artifact in artifacts_of(entry):
            refs.setdefault(
                artifact.digest,
                ObjectRef(
                    artifact.digest, artifact.size, f"{label} {artifact.name} (seq {entry.seq})"
                ),
            )
    return refs


def check_objects(
    refs: dict[str, ObjectRef],
    source: ObjectSource,
    progress: Progress | None = None,
    workers: int | None = None,
    hasher: Callable[[Path], Digest] = hash_file,
) -> tuple[list[Finding], dict[str, int]]:
    """Re-hash every referenced object (in parallel); report missing and changed ones.

    ``hasher`` lets a caller that has just hashed the same files (an exported package's
    manifest check) supply those digests instead of reading every file twice.
    """
    progress = progress or NullProgress()
    located: list[tuple[ObjectRef, Path]] = []
    findings: list[Finding] = []
    for ref in refs.values():
        path = source.locate(Digest.parse(ref.digest))
        if path is None:
            findings.append(
                Finding("error", "object.missing", ref.where, f"the file is missing ({ref.digest})")
            )
        else:
            located.append((ref, path))
    total = sum(ref.size for ref, _ in located)
    progress.start("Re-hashing evidence", total)

    def work(pair: tuple[ObjectRef, Path]) -> Finding | None:
        ref, path = pair
        try:
            digest = hasher(path)
        except OSError as exc:
            return Finding(
                "error", "object.unreadable", ref.where, f"cannot be read: {exc.strerror}"
            )
        finally:
            progress.advance(ref.size)
        if str(digest) != ref.digest:
            return Finding(
                "error",
                "object.corrupt",
                ref.where,
                f"the content changed: expected {ref.digest}, found {digest}",
            )
        if digest.size != ref.size:
            return Finding(
                "error",
                "object.size",
                ref.where,
                f"size {digest.size} where the log recorded {ref.size}",
            )
        return None

    # Larger files first, so one big file does not finish last on its own.
    located.sort(key=lambda pair: pair[0].size, reverse=True)
    count = workers or min(8, max(2, os.cpu_count() or 2))
    with ThreadPoolExecutor(max_workers=count) as pool:
        for finding in pool.map(work, located):
            if finding is not None:
                findings.append(finding)
    progress.finish()
    findings.extend(source.unclaimed(set(refs)))
    return findings, {"objects": len(located), "bytes": total}


def check_key_files(keys_dir: Path, keys: dict[str, KeyRecord]) -> list[Finding]:
    """Each registered key has its ``.pub`` file, holding exactly that key."""
    findings: list[Finding] = []
    for fp in keys:
        path = keys_dir / f"{fp}.pub"
        where = f"keys/{fp}.pub"
        if not path.is_file():
            findings.append(
                Finding(
                    "error",
                    "key.missing",
                    where,
                    f"the public key file of {keys[fp].name} is missing",
                )
            )
            continue
        record = keys[fp]
        try:
            data = path.read_bytes()
            identity = PublicIdentity.from_pub_bytes(data, where)
        except (CybercaseError, OSError) as exc:
            findings.append(Finding("error", "key.unreadable", where, f"unreadable: {exc}"))
            continue
        if identity.public_raw != record.public_raw:
            findings.append(
                Finding(
                    "error",
                    "key.swapped",
                    where,
                    "holds a different key from the one registered in the log",
                )
            )
        elif data != PublicIdentity(record.name, record.email, record.public_raw).to_pub_file():
            findings.append(
                Finding("error", "key.altered", where, "changed after it was registered")
            )
    if keys_dir.is_dir():
        for path in sorted(keys_dir.glob("*.pub")):
            if path.stem not in keys:
                findings.append(
                    Finding(
                        "warning",
                        "key.unregistered",
                        f"keys/{path.name}",
                        "a key file no custody entry registers",
                    )
                )
    return findings


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


@dataclass(frozen=True, slots=True)
class CheckOutcome:
    """What an extra check found, with its own summary line.

    ``checked`` is False when there was nothing the check could check (it is then
    shown as "not checked", never as passed).
    """

    findings: Sequence[Finding]
    summary: str
    checked: bool = True


ExtraCheck = Callable[[Path, LogCheck], Sequence[Finding] | CheckOutcome]


@dataclass(frozen=True, slots=True)
class Family:
    """One line of a verification: its findings, and what it says when passed or failed."""

    name: str
    findings: list[Finding]
    passed: str
    failed: str
    checked: bool = True

    def result(self) -> CheckResult:
        """Its status from the worst finding, and a summary true either way."""
        errors = sum(1 for f in self.findings if f.severity == "error")
        status: CheckStatus
        if errors:
            status = "failed"
        elif any(f.severity == "warning" for f in self.findings):
            status = "warning"
        else:
            status = "passed" if self.checked else "not checked"
        summary = f"{self.failed}: {errors} problem(s)" if errors else self.passed
        return CheckResult(self.name, status, summary)


def common_families(
    log_check: LogCheck,
    *,
    case: list[Finding],
    log: list[Finding],
    keys: list[Finding],
    objects: list[Finding],
    stats: dict[str, int],
    noun: str = "objects",
) -> list[Family]:
    """The lines a live case and a package share: case.json, log, keys, objects."""
    entries, signatures, custodians = (
        len(log_check.entries),
        log_check.signatures,
        len(log_check.keys),
    )
    return [
        Family("case", case, "case.json matches the log", "case.json does not match the log"),
        Family(
            "log",
            log,
            f"{entries} entries chained, {signatures} signatures checked",
            f"the log is not intact ({entries} entries read, {signatures} signatures checked)",
        ),
        Family(
            "keys",
            keys,
            f"{custodians} custodian key(s)",
            f"{custodians} custodian key(s); the key files do not match them",
        ),
        Family(
            "objects",
            objects,
            f"{stats['objects']} {noun}, {stats['bytes']} bytes re-hashed",
            f"{stats['objects']} {noun} re-hashed; some are wrong or missing",
        ),
    ]


def default_checks() -> list[tuple[str, ExtraCheck]]:
    """The checks beyond objects and log that ``verify`` runs by default."""
    from cybercase.evidence.timestamp_check import check_timestamps

    return [("timestamps", check_timestamps)]


def verify_case(
    root: Path,
    *,
    progress: Progress | None = None,
    extra_checks: Sequence[tuple[str, ExtraCheck]] | None = None,
) -> VerificationReport:
    """Verify a case folder completely; never raises for a problem it can describe.

    ``extra_checks`` replaces :func:`default_checks` (trusted timestamps) when given.
    """
    if extra_checks is None:
        extra_checks = default_checks()
    scan = logfile.scan(root / logfile.LOG_NAME)
    log_check = check_log(scan)
    report = VerificationReport(target=str(root), case_id=None)
    case_findings, report.case_id = check_case_json(root / "case.json", log_check)
    head_findings = check_head(root / logfile.HEAD_NAME, log_check)
    if any(f.code == "head.truncated" for f in head_findings):
        # The damaged last line held a committed entry: it is not an interrupted write.
        log_check.findings = [f for f in log_check.findings if f.code != "log.torn-tail"]
    key_findings = check_key_files(root / "keys", log_check.keys)
    object_findings, object_stats = check_objects(
        referenced_objects(log_check.entries), StoreSource(ObjectStore(root / "objects")), progress
    )
    families = common_families(
        log_check,
        case=case_findings,
        log=log_check.findings + head_findings,
        keys=key_findings,
        objects=object_findings,
        stats=object_stats,
    )
    for name, check in extra_checks:
        result = check(root, log_check)
        if isinstance(result, CheckOutcome):
            summary = result.summary
            families.append(Family(name, list(result.findings), summary, summary, result.checked))
        else:
            families.append(Family(name, list(result), f"{name} checked", f"{name}: problems"))
    for family in families:
        report.findings.extend(family.findings)
        report.checks.append(family.result())
    report.stats = {
        "entries": len(log_check.entries),
        "signatures": log_check.signatures,
        "keys": len(log_check.keys),
        **object_stats,
    }
    return report


def record_verification(case: Any, signer: Any, report: VerificationReport) -> CustodyEntry:
    """Log a custodian's verification run (``case.verified``) with its outcome."""
    from cybercase.evidence.entry import EntryDraft
    from cybercase.evidence.state import CASE_VERIFIED

    detail = {
        "result": "passed" if report.ok else "failed",
        "errors": len(report.errors),
        "warnings": len(report.warnings),
        "stats": report.stats,
        "problems": [f.line() for f in report.errors[:50]],
    }
    entries: list[CustodyEntry] = case.append(signer, EntryDraft(CASE_VERIFIED, (), detail))
    return entries[-1]
