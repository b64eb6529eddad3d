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

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from cybercase.clock import parse_utc
from cybercase.digest import Digest, hash_file
from cybercase.errors import CybercaseError
from cybercase.evidence.keys.keyring import PublicIdentity, fingerprint_of, verify_signature
from cybercase.evidence.log import jsonl as logfile
from cybercase.evidence.log.entry import CustodyEntry, hash_bytes
from cybercase.evidence.log.state import (
    CASE_CREATED,
    CUSTODIAN_ADDED,
    TIMESTAMP_GRANTED,
    KeyRecord,
    artifacts_of,
    custodian_from_detail,
)
from cybercase.evidence.models import CaseMeta
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
    keys: list[dict[str, str]] = field(default_factory=list)
    """The case's root key and custodian keys (fingerprint, name, role)."""
    unanchored: tuple[int, int] | None = None
    """The entries after the last seal (first, last seq): not yet anchored in time."""

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
            "keys": self.keys,
            "unanchored": (
                {"from_seq": self.unanchored[0], "to_seq": self.unanchored[1]}
                if self.unanchored
                else None
            ),
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


def _declares_signed_head(check: LogCheck) -> bool:
    created = check.entries[0] if check.entries else None
    return (
        created is not None
        and created.action == CASE_CREATED
        and created.seq in check.valid_entries
        and created.detail.get(logfile.SIGNED_HEAD_KEY) == logfile.SIGNED_HEAD_VALUE
    )


def check_head(head_path: Path, check: LogCheck) -> list[Finding]:
    """Compare ``custody.head`` with the log: were committed entries cut off the end?

    The head is signed by the key that made the last append, so it cannot be rewritten
    to match a shortened log without a custodian's key; a missing head is a failure,
    since deleting it is the easiest way to hide a cut. A case made before heads were
    signed (cybercase 0.1) still verifies, with a warning, until its next change signs it.
    """
    where = logfile.HEAD_NAME
    head = logfile.read_head(head_path)
    if head is None:
        return [
            Finding(
                "error",
                "head.missing",
                where,
                "missing or unreadable: entries removed from the end of the log could not "
                "be noticed (restore custody.head from a copy of the case)",
            )
        ]
    findings: list[Finding] = []
    if not head.signed:
        if _declares_signed_head(check):
            findings.append(
                Finding(
                    "error",
                    "head.unsigned",
                    where,
                    "not signed, but this case signs every head: it was replaced",
                )
            )
        else:
            findings.append(
                Finding(
                    "warning",
                    "head.unsigned",
                    where,
                    "written by cybercase 0.1 without a signature: a cut at the end of the log "
                    "together with a rewritten head would not show; the next change to the "
                    "case signs it",
                )
            )
    else:
        key = check.keys.get(head.key or "")
        try:
            sig_ok = key is not None and verify_signature(
                key.public_raw, bytes.fromhex(head.sig or ""), head.signed_bytes()
            )
        except ValueError:
            sig_ok = False
        if key is None:
            findings.append(
                Finding(
                    "error",
                    "head.unknown-key",
                    where,
                    f"signed by key {(head.key or '')[:16]}, which the log does not register",
                )
            )
        elif not sig_ok:
            findings.append(
                Finding(
                    "error",
                    "head.signature",
                    where,
                    f"the signature is not valid for key {key.fingerprint[:16]}: it was altered",
                )
            )
    by_seq = {e.seq: e for e in check.entries}
    last = max(by_seq, default=0)
    if head.seq > last:
        findings.append(
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
        )
        return findings
    entry = by_seq.get(head.seq)
    if entry is None or entry.hash != head.hash:
        findings.append(
            Finding(
                "error",
                "head.mismatch",
                where,
                f"entry {head.seq} is not the one that was committed",
            )
        )
    elif head.seq < last:
        findings.append(
            Finding(
                "info",
                "head.behind",
                where,
                f"names entry {head.seq}, the log ends at {last}: a write was interrupted "
                "before the head was updated; the next change updates it",
            )
        )
    return findings


def _is_seal(entry: CustodyEntry) -> bool:
    return entry.action == TIMESTAMP_GRANTED and entry.detail.get("kind") == "seal"


def _covered_seq(entry: CustodyEntry) -> int | None:
    covers = entry.detail.get("covers")
    seq = covers.get("seq") if isinstance(covers, dict) else None
    return seq if isinstance(seq, int) and not isinstance(seq, bool) else None


def check_seal_copies(root: Path, check: LogCheck) -> list[Finding]:
    """The copies of seal tokens kept beside the log (``seals/``) match the log.

    A seal's entry sits in the log, so cutting the log's tail past a seal would remove
    the seal with it; its copy in ``seals/`` survives such a cut, and names the entry it
    belongs to. A copy of a seal the log no longer holds means the log was cut.
    """
    findings: list[Finding] = []
    folder = root / logfile.SEALS_DIR
    by_seq = {e.seq: e for e in check.entries}
    last = max(by_seq, default=0)
    seen: set[int] = set()
    if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
        return [Finding("error", "seal.unsafe", logfile.SEALS_DIR, "not a plain folder")]
    paths = sorted(folder.iterdir()) if folder.is_dir() else []
    for path in paths:
        rel = f"{logfile.SEALS_DIR}/{path.name}"
        seq = logfile.seal_copy_seq(path.name)
        if path.is_symlink() or not path.is_file() or seq is None:
            findings.append(
                Finding("error", "seal.unexpected", rel, "a file cybercase did not write here")
            )
            continue
        seen.add(seq)
        entry = by_seq.get(seq)
        if entry is None:
            findings.append(
                Finding(
                    "error",
                    "head.truncated",
                    logfile.LOG_NAME,
                    f"{rel} is the trusted timestamp sealing entry {seq}, but the log "
                    + (
                        f"ends at seq {last}: entries were removed from the end"
                        if seq > last
                        else "has no readable entry there"
                    ),
                )
            )
            continue
        tokens = [a.digest for a in artifacts_of(entry) if a.role == "token"]
        try:
            digest = str(hash_file(path))
        except OSError as exc:
            findings.append(Finding("error", "seal.unreadable", rel, f"{exc.strerror}"))
            continue
        if not _is_seal(entry) or digest not in tokens:
            findings.append(
                Finding(
                    "error",
                    "seal.mismatch",
                    rel,
                    f"is not the token of the seal at seq {seq}: the log or the copy was altered",
                )
            )
    for entry in check.entries:
        if _is_seal(entry) and entry.seq not in seen:
            findings.append(
                Finding(
                    "warning",
                    "seal.uncopied",
                    _where_line(entry.seq, entry.seq),
                    f"the seal has no copy in {logfile.SEALS_DIR}/ (made by cybercase 0.1, or "
                    "interrupted); a cut of the log past it would not show",
                )
            )
    return findings


def anchoring(check: LogCheck) -> tuple[int, int] | None:
    """The span of entries no seal anchors in time yet (first, last), if any.

    Reported in the log's summary and in ``--json`` (``unanchored``), not as a finding:
    it is the normal state of a case between seals, not a problem.
    """
    last = max((e.seq for e in check.entries), default=0)
    covered = max(
        (
            seq
            for e in check.entries
            if _is_seal(e) and e.seq in check.valid_entries
            for seq in [_covered_seq(e)]
            if seq is not None
        ),
        default=0,
    )
    return None if last <= covered else (covered + 1, last)


def anchoring_text(span: tuple[int, int] | None) -> str:
    """How a person reads :func:`anchoring`."""
    if span is None:
        return ""
    first, last = span
    which = f"entry {last}" if first == last else f"entries {first}-{last}"
    return f"; {which} not yet anchored in time (no seal covers them)"


def normalise_fingerprint(text: str) -> str:
    """A fingerprint as given by a person: hex, any case, optionally ``sha256:`` and colons."""
    return text.strip().lower().removeprefix("sha256:").replace(":", "")


def check_trust(check: LogCheck, trusted: Sequence[str]) -> tuple[list[Finding], str]:
    """Which key the case is rooted in, and whether it is one the reader trusts.

    Every custodian key is registered by an entry signed by an earlier custodian, back to
    the key that signed ``case.created``: that key is the case's root. Someone who
    re-signs a whole log with a new key makes a new root; a reader who says which roots
    they expect (``--trust``, or ``[verify] trusted_keys``) sees that.
    """
    root = check.entries[0] if check.entries else None
    if root is None or root.action != CASE_CREATED or root.seq not in check.valid_entries:
        return [], "no valid case.created entry: the root key is unknown"
    record = check.keys.get(root.actor_key)
    name = record.name if record else root.actor_name
    summary = f"rooted in key {root.actor_key} ({name})"
    wanted = {normalise_fingerprint(t) for t in trusted if t.strip()}
    if not wanted:
        return [], summary + "; no trusted keys given (--trust, [verify] trusted_keys)"
    matches = any(
        root.actor_key == w or (len(w) >= 16 and root.actor_key.startswith(w)) for w in wanted
    )
    if matches:
        return [], summary + ", a trusted key"
    return [
        Finding(
            "error",
            "key.untrusted",
            _where_line(1, 1),
            f"the case is rooted in key {root.actor_key} ({name}), which is not among the "
            "trusted keys: the whole log may have been re-signed by someone else",
        )
    ], summary


class VerifySettings(BaseModel):
    """The ``[verify]`` table of the configuration."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    trusted_keys: list[str] = Field(default_factory=list)
    """Fingerprints of the keys a case may be rooted in (the agency's investigators)."""


def trusted_keys_setting(config: dict[str, Any]) -> list[str]:
    """``[verify] trusted_keys`` from a loaded configuration; a bad value is a usage error."""
    from cybercase.settings import invalid_setting, section

    try:
        return VerifySettings.model_validate(section(config, "verify")).trusted_keys
    except ValidationError as exc:
        raise invalid_setting(exc, "verify setting", "see docs/configuration.md") from exc


def root_keys(check: LogCheck) -> list[dict[str, str]]:
    """The case's root key and every custodian key, for ``--json``."""
    root = check.entries[0].actor_key if check.entries else None
    return [
        {
            "fingerprint": k.fingerprint,
            "name": k.name,
            "role": "root" if k.fingerprint == root else "custodian",
        }
        for k in check.keys.values()
    ]


class ObjectSource:
    """Where verification finds the bytes of an object."""

    def locate(self, digest: Digest) -> Path | None:
        """The file holding these bytes, or ``None`` if absent."""
        raise NotImplementedError

    def unclaimed(self, referenced: set[str]) -> list[Finding]:
        """Findings for files present but not referenced by any entry."""
        return []

    def problem(self, digest: Digest) -> str | None:
        """Why an object is not located, when it is worse than missing."""
        return None


class StoreSource(ObjectSource):
    """Objects in a case's content-addressed store."""

    def __init__(self, store: ObjectStore) -> None:
        self.store = store

    def locate(self, digest: Digest) -> Path | None:
        """The object's file, if present as a regular file (a symlink is not an object)."""
        path = self.store.path_for(digest)
        if any(p.is_symlink() for p in (path, path.parent, self.store.base, self.store.root)):
            return None
        return path if path.is_file() else None

    def problem(self, digest: Digest) -> str | None:
        """Why an object that is not located is absent, when it is not simply missing."""
        path = self.store.path_for(digest)
        for part in (self.store.root, self.store.base, path.parent, path):
            if part.is_symlink():
                rel = part.relative_to(self.store.root.parent).as_posix()
                return f"{rel} is a symbolic link, not the object itself"
        return None

    def unclaimed(self, referenced: set[str]) -> list[Finding]:
        """Unreferenced and misnamed objects, and leftover temporary files."""
        found: list[Finding] = []
        for path in self.store.iter_objects():
            rel = f"objects/sha256/{path.parent.name}/{path.name}"
            if path.is_symlink() or path.parent.is_symlink():
                found.append(
                    Finding("error", "object.symlink", rel, "a symbolic link in the object store")
                )
            elif not path.is_file() or len(path.name) != 64 or path.parent.name != path.name[:2]:
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
            problem = source.problem(Digest.parse(ref.digest))
            findings.append(
                Finding("error", "object.symlink", ref.where, problem)
                if problem
                else Finding(
                    "error", "object.missing", ref.where, f"the file is missing ({ref.digest})"
                )
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
    trust: str = "",
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
            f"{entries} entries chained, {signatures} signatures checked"
            + anchoring_text(anchoring(log_check)),
            f"the log is not intact ({entries} entries read, {signatures} signatures checked)",
        ),
        Family(
            "keys",
            keys,
            f"{custodians} custodian key(s)" + (f", {trust}" if trust else ""),
            f"{custodians} custodian key(s); the key files do not match them or the root "
            "is not trusted",
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
    from cybercase.evidence.verify.timestamps import check_timestamps

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
    report = VerificationReport(target=str(root), case_id=None)
    case_findings, report.case_id = check_case_json(root / "case.json", log_check)
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
    families = common_families(
        log_check,
        case=case_findings,
        log=log_check.findings + head_findings,
        keys=key_findings,
        objects=object_findings,
        stats=object_stats,
        trust=trust_summary,
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
    report.keys = root_keys(log_check)
    report.unanchored = anchoring(log_check)
    return report


def record_verification(case: Any, signer: Any, report: VerificationReport) -> CustodyEntry:
    """Log a custodian's verification run (``case.verified``) with its outcome."""
    from cybercase.evidence.log.entry import EntryDraft
    from cybercase.evidence.log.state import CASE_VERIFIED

    detail = {
        "result": "passed" if report.ok else "failed",
        "errors": len(report.errors),
        "warnings": len(report.warnings),
        "stats": report.stats,
        "problems": [f.line() for f in report.errors[:50]],
    }
    entries: list[CustodyEntry] = case.append(signer, EntryDraft(CASE_VERIFIED, (), detail))
    return entries[-1]
