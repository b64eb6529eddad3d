"""Checks of the custody log itself: the hash chain, sequence and signatures, the signed
head (were committed entries cut off the end?) and the copies of seals.

:func:`check_log` is also what an exported package's log is checked with.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from cybercase.clock import parse_utc
from cybercase.digest import hash_file
from cybercase.evidence.actions import CASE_CREATED, CUSTODIAN_ADDED, TIMESTAMP_GRANTED
from cybercase.evidence.keys.identity import fingerprint_of, verify_signature
from cybercase.evidence.log import jsonl as logfile
from cybercase.evidence.log.entry import CustodyEntry, hash_bytes
from cybercase.evidence.log.state import KeyRecord, artifacts_of, custodian_from_detail
from cybercase.evidence.verify.findings import Finding


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
