"""A write-once replica of a case in an S3 bucket with Object Lock.

The replica mirrors the case folder under ``s3://BUCKET/PREFIX``::

    case.json
    keys/<fingerprint>.pub
    objects/sha256/<2 hex>/<64 hex>
    custody/<first seq>-<last seq>.jsonl     the log, in segments that are never rewritten

Every key is written once: each PUT carries ``If-None-Match: *`` (the store refuses to
replace a key), ``x-amz-checksum-sha256`` (the store re-hashes the body and refuses a
mismatch, so what arrived is what was sent) and, unless the bucket's default rule does it,
a retention date and mode. The custody log grows, so it is cut into segments, each
holding the entries added since the last run: a segment, once written, is as immutable as
an object.

Replication is incremental and resumable: what is already in the bucket (by key, and a
key is a hash or a seq range) is not sent again, and an interrupted run leaves only
complete, checked keys, which the next run skips. At the end a ``case.replicated`` entry
records what was replicated where, and is itself sent as one more segment.

NOTE: what this does not prove. The checksum shows the store received the right bytes;
Object Lock shows the store promises not to change or delete them before the retention
date. Only ``verify --against``, which reads every byte back and re-hashes it, shows the
store kept that promise.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import os
import re
import secrets
import shutil
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO, Literal

from cybercase.agency.s3 import (
    S3Client,
    S3Location,
    endpoint_of,
    error_code,
    make_client,
    map_error,
)
from cybercase.clock import Clock, SystemClock, format_utc
from cybercase.digest import CHUNK_SIZE, Digest, HashingWriter, hash_file
from cybercase.errors import (
    CaseCorruptError,
    CaseExistsError,
    InvalidInputError,
    StorageError,
)
from cybercase.evidence import Case, EntryDraft, Signer
from cybercase.evidence.case import CASE_JSON, KEYS_DIR
from cybercase.evidence.fsio import fsync_dir, make_read_only, storage_error
from cybercase.evidence.log import jsonl as logfile
from cybercase.evidence.store import ALGO_DIR, OBJECTS_DIR, ObjectStore
from cybercase.evidence.verify import (
    CheckResult,
    Finding,
    VerificationReport,
    referenced_objects,
    verify_case,
)
from cybercase.progress import NullProgress, Progress

CASE_REPLICATED = "case.replicated"
CUSTODY_DIR = "custody"
OBJECT_PREFIX = f"{OBJECTS_DIR}/{ALGO_DIR}/"
DEFAULT_JOBS = 8
_HEX = re.compile(r"^[0-9a-f]{64}$")
_SEGMENT = re.compile(r"^custody/(\d{10})-(\d{10})\.jsonl$")

Mode = Literal["COMPLIANCE", "GOVERNANCE"]


@dataclass(frozen=True, slots=True)
class Retention:
    """How long and how firmly the store must keep what is replicated."""

    days: int | None = None
    """Retention from now; ``None`` relies on the bucket's default rule."""
    mode: Mode = "COMPLIANCE"
    legal_hold: bool = False

    def until(self, now: datetime) -> datetime | None:
        """The retain-until date for objects sent now."""
        if self.days is None:
            return None
        return now + timedelta(days=self.days)


@dataclass(slots=True)
class ReplicationResult:
    """What one ``replicate`` run did."""

    location: str
    endpoint: str
    objects_total: int = 0
    objects_sent: int = 0
    bytes_sent: int = 0
    keys_sent: int = 0
    segments_sent: int = 0
    custody_through: int = 0
    retain_until: str | None = None
    mode: str | None = None
    legal_hold: bool = False
    entry_seq: int | None = None
    problems: list[str] = field(default_factory=list)
    """Local objects not sent because they no longer match their names."""

    def to_json(self) -> dict[str, Any]:
        """For ``--json`` and the custody entry."""
        return {
            "to": self.location,
            "endpoint": self.endpoint,
            "objects": {
                "total": self.objects_total,
                "sent": self.objects_sent,
                "bytes_sent": self.bytes_sent,
            },
            "keys_sent": self.keys_sent,
            "segments_sent": self.segments_sent,
            "custody_through": self.custody_through,
            "retention": {"mode": self.mode, "until": self.retain_until},
            "legal_hold": self.legal_hold,
            "entry_seq": self.entry_seq,
            "problems": self.problems,
        }


def head_name(seq: int) -> str:
    """The key of the signed ``custody.head`` as it was when entry ``seq`` was the last."""
    return f"heads/{seq:09d}.json"


def segment_name(first: int, last: int) -> str:
    """The key (relative to the replica) of the log segment holding seqs first..last."""
    return f"{CUSTODY_DIR}/{first:010d}-{last:010d}.jsonl"


def object_name(hex_digest: str) -> str:
    """The key (relative to the replica) of an object."""
    return f"{OBJECT_PREFIX}{hex_digest[:2]}/{hex_digest}"


def checksum_b64(hex_digest: str) -> str:
    """The ``x-amz-checksum-sha256`` value: the digest in base64."""
    return base64.b64encode(bytes.fromhex(hex_digest)).decode("ascii")


class Replica:
    """One replica folder in a bucket, through one client."""

    def __init__(self, location: S3Location, client: S3Client | None = None) -> None:
        self.location = location
        self.client: S3Client = client if client is not None else make_client()

    # -- reading ------------------------------------------------------------

    def listing(self, under: str = "") -> dict[str, int]:
        """Every key below the replica (or one of its folders) with its size."""
        found: dict[str, int] = {}
        prefix = self.location.key(under) if under else self.location.key("")
        try:
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.location.bucket, Prefix=prefix
            )
            for page in pages:
                for item in page.get("Contents", []):
                    found[self.location.relative(item["Key"])] = int(item["Size"])
        except Exception as exc:
            raise map_error(exc, f"list {self.location}") from exc
        return found

    def segments(self, listing: dict[str, int]) -> list[tuple[int, int, str]]:
        """The log segments present, in order, as ``(first, last, name)``."""
        found = []
        for name in listing:
            match = _SEGMENT.match(name)
            if match:
                found.append((int(match.group(1)), int(match.group(2)), name))
        return sorted(found)

    def get(self, name: str, version: str | None = None) -> dict[str, Any]:
        """GET one key (latest version unless named); the response, body unread."""
        args: dict[str, Any] = {"Bucket": self.location.bucket, "Key": self.location.key(name)}
        if version is not None:
            args["VersionId"] = version
        try:
            return dict(self.client.get_object(**args))
        except Exception as exc:
            raise map_error(exc, f"read {name} from {self.location}") from exc

    def get_bytes(self, name: str) -> bytes:
        """A small key's bytes."""
        body = self.get(name)["Body"]
        try:
            return bytes(body.read())
        finally:
            body.close()

    def versions(self, name: str) -> list[str]:
        """Every version id of a key, newest first."""
        try:
            reply = self.client.list_object_versions(
                Bucket=self.location.bucket, Prefix=self.location.key(name)
            )
        except Exception as exc:
            raise map_error(exc, f"list the versions of {name}") from exc
        key = self.location.key(name)
        return [v["VersionId"] for v in reply.get("Versions", []) if v["Key"] == key]

    def copy_checked(
        self, name: str, hex_digest: str, out: BinaryIO
    ) -> tuple[Digest, str | None, dict[str, Any]]:
        """Stream a key's latest version into ``out``, hashing; falls back on older versions.

        Returns the digest of the bytes written, the version that matched (``None`` when
        none did: then ``out`` holds the latest version's bytes) and the latest response.
        """
        latest = self.get(name)
        digest = _stream(latest["Body"], out)
        if digest.hex == hex_digest:
            return digest, latest.get("VersionId"), latest
        for version in self.versions(name):
            if version == latest.get("VersionId"):
                continue
            out.seek(0)
            out.truncate()
            older = self.get(name, version)
            candidate = _stream(older["Body"], out)
            if candidate.hex == hex_digest:
                return candidate, version, latest
        return digest, None, latest

    # -- writing ------------------------------------------------------------

    def lock_defaults(self) -> dict[str, Any] | None:
        """The bucket's Object Lock configuration; ``None`` means the bucket has none."""
        try:
            reply = self.client.get_object_lock_configuration(Bucket=self.location.bucket)
        except Exception as exc:
            if error_code(exc) in (
                "ObjectLockConfigurationNotFoundError",
                "ObjectLockConfigurationNotFound",
            ):
                return None
            raise map_error(exc, f"read the Object Lock settings of {self.location}") from exc
        config = dict(reply.get("ObjectLockConfiguration", {}))
        if config.get("ObjectLockEnabled") != "Enabled":
            return None
        return config

    def put(
        self,
        name: str,
        body: bytes | BinaryIO,
        hex_digest: str,
        retention: Retention,
        until: datetime | None,
    ) -> bool:
        """Write a key once; False when it already held exactly these bytes."""
        args: dict[str, Any] = {
            "Bucket": self.location.bucket,
            "Key": self.location.key(name),
            "Body": body,
            "ChecksumSHA256": checksum_b64(hex_digest),
            "IfNoneMatch": "*",
        }
        if until is not None:
            args["ObjectLockMode"] = retention.mode
            args["ObjectLockRetainUntilDate"] = until
        if retention.legal_hold:
            args["ObjectLockLegalHoldStatus"] = "ON"
        try:
            self.client.put_object(**args)
            return True
        except Exception as exc:
            if error_code(exc) not in ("PreconditionFailed", "412"):
                raise map_error(exc, f"write {name} to {self.location}") from exc
        held = self.stored_checksum(name)
        if held != args["ChecksumSHA256"]:
            raise StorageError(
                f"{self.location.key(name)} already holds different bytes",
                hint="this replica was written by something else; choose another prefix",
            )
        return False

    def stored_checksum(self, name: str) -> str | None:
        """The SHA-256 the store recorded for a key's latest version, if any."""
        try:
            head = self.client.head_object(
                Bucket=self.location.bucket, Key=self.location.key(name), ChecksumMode="ENABLED"
            )
        except Exception as exc:
            raise map_error(exc, f"read {name} from {self.location}") from exc
        value = head.get("ChecksumSHA256")
        return str(value) if value else None


def _stream(body: Any, out: BinaryIO) -> Digest:
    writer = HashingWriter(out)
    try:
        for chunk in body.iter_chunks(CHUNK_SIZE):
            writer.write(chunk)
    finally:
        body.close()
    return writer.digest()


class _Discard:
    """A sink that keeps nothing (hashing what is read back needs no copy)."""

    def write(self, data: bytes | bytearray | memoryview) -> int:
        return len(data)

    def seek(self, offset: int, whence: int = 0) -> int:
        return 0

    def truncate(self, size: int | None = None) -> int:
        return 0


def log_lines(case: Case) -> list[bytes]:
    """The committed lines of the case's log (newline included), one per entry."""
    if case.state.damaged_lines:
        raise CaseCorruptError(
            f"the custody log has damaged line(s) {case.state.damaged_lines[:5]}",
            hint="run 'cybercase verify'; a damaged log is not replicated",
        )
    try:
        with case.log_path.open("rb") as fh:
            data = fh.read(case.state.end)
    except OSError as exc:
        raise storage_error("read", case.log_path, exc) from exc
    return data.splitlines(keepends=True)


def _local_objects(store: ObjectStore) -> Iterator[tuple[str, Path]]:
    for path in store.iter_objects():
        if _HEX.match(path.name) and path.parent.name == path.name[:2]:
            yield path.name, path


def _check_segments(
    replica: Replica, segments: list[tuple[int, int, str]], lines: list[bytes]
) -> int:
    """The last seq the replica's log holds, after checking it is this case's log."""
    expected = 1
    for first, last, _name in segments:
        if first != expected or last < first:
            raise StorageError(
                f"the log segments in {replica.location} are not contiguous at seq {first}",
                hint="run 'cybercase verify --against' for details",
            )
        expected = last + 1
    through = expected - 1
    if through > len(lines):
        raise InvalidInputError(
            f"{replica.location} holds {through} log entries, this case only {len(lines)}",
            hint="that replica is of another case, or of a later copy of this one",
        )
    if segments:
        first, last, name = segments[-1]
        if replica.get_bytes(name) != b"".join(lines[first - 1 : last]):
            raise InvalidInputError(
                f"the log in {replica.location} is not this case's log",
                hint="replicate this case to another prefix",
            )
    return through


def replicate(
    case: Case,
    signer: Signer,
    location: S3Location,
    retention: Retention,
    *,
    client: S3Client | None = None,
    jobs: int = DEFAULT_JOBS,
    progress: Progress | None = None,
    clock: Clock | None = None,
) -> ReplicationResult:
    """Copy the case into the bucket (see the module's description); log what was done."""
    replica = Replica(location, client)
    progress = progress or NullProgress()
    clock = clock or SystemClock()
    defaults = replica.lock_defaults()
    if defaults is None:
        raise InvalidInputError(
            f"the bucket {location.bucket} has no Object Lock: a replica there could be "
            "changed or deleted",
            hint="create the bucket with Object Lock enabled (see docs/agency.md)",
        )
    rule = defaults.get("Rule", {}).get("DefaultRetention")
    if retention.days is None and not rule:
        raise InvalidInputError(
            f"the bucket {location.bucket} has no default retention",
            hint="give --retention-days N (and --mode), or set a default rule on the bucket",
        )
    until = retention.until(clock.now().astimezone(UTC))
    result = ReplicationResult(
        location=str(location),
        endpoint=endpoint_of(replica.client),
        legal_hold=retention.legal_hold,
    )
    if until is not None:
        result.retain_until, result.mode = format_utc(until), retention.mode
    elif isinstance(rule, dict):
        result.mode = str(rule.get("Mode"))
        span = f"{rule['Days']} days" if rule.get("Days") else f"{rule.get('Years')} years"
        result.retain_until = f"bucket default: {span} from each write"
    case.refresh()
    lines = log_lines(case)
    present = replica.listing()
    through = _check_segments(replica, replica.segments(present), lines)

    def send(name: str, body: bytes | BinaryIO, hex_digest: str) -> bool:
        return replica.put(name, body, hex_digest, retention, until)

    case_json = (case.root / CASE_JSON).read_bytes()
    case_hex = hashlib.sha256(case_json).hexdigest()
    if CASE_JSON in present:
        if replica.get_bytes(CASE_JSON) != case_json:
            raise InvalidInputError(
                f"{location} holds another case's case.json", hint="choose another prefix"
            )
    else:
        send(CASE_JSON, case_json, case_hex)
    for key_file in sorted((case.root / KEYS_DIR).glob("*.pub")):
        name = f"{KEYS_DIR}/{key_file.name}"
        if name not in present:
            data = key_file.read_bytes()
            result.keys_sent += send(name, data, hashlib.sha256(data).hexdigest())
    todo = [(h, p) for h, p in _local_objects(case.store)]
    result.objects_total = len(todo)
    todo = [(h, p) for h, p in todo if object_name(h) not in present]
    progress.start(f"Replicating {len(todo)} object(s) to {location}", len(todo))
    counter = threading.Lock()

    def send_object(item: tuple[str, Path]) -> None:
        hex_digest, path = item
        if hash_file(path).hex != hex_digest:
            with counter:
                result.problems.append(f"{object_name(hex_digest)} no longer matches its name")
            return
        with path.open("rb") as fh:
            sent = send(object_name(hex_digest), fh, hex_digest)
        with counter:
            if sent:
                result.objects_sent += 1
                result.bytes_sent += path.stat().st_size
        progress.advance(1)

    try:
        _run_all(send_object, todo, jobs)
    finally:
        progress.finish()
    for seal in sorted((case.root / logfile.SEALS_DIR).glob("*.tsr")):
        name = f"{logfile.SEALS_DIR}/{seal.name}"
        if logfile.seal_copy_seq(seal.name) is not None and name not in present:
            data = seal.read_bytes()
            send(name, data, hashlib.sha256(data).hexdigest())
    if len(lines) > through:
        body = b"".join(lines[through:])
        send(segment_name(through + 1, len(lines)), body, hashlib.sha256(body).hexdigest())
        result.segments_sent += 1
    result.custody_through = len(lines)
    detail = result.to_json()
    del detail["entry_seq"]
    entry = case.append(signer, EntryDraft(CASE_REPLICATED, (), detail))[-1]
    result.entry_seq = entry.seq
    own = log_lines(case)[len(lines) :]
    body = b"".join(own)
    send(
        segment_name(len(lines) + 1, len(lines) + len(own)), body, hashlib.sha256(body).hexdigest()
    )
    result.segments_sent += 1
    # The signed head cannot be made again without the key, and a head is rewritten on
    # every append: each one sent is kept under its own seq, written once like the rest.
    head = (case.root / logfile.HEAD_NAME).read_bytes()
    send(head_name(len(lines) + len(own)), head, hashlib.sha256(head).hexdigest())
    return result


def _run_all(work: Callable[[Any], None], items: Iterable[Any], jobs: int) -> None:
    """Run ``work`` over ``items`` in threads; the first error stops the rest and is raised."""
    failed = threading.Event()

    def guarded(item: Any) -> None:
        if not failed.is_set():
            try:
                work(item)
            except BaseException:
                failed.set()
                raise

    with ThreadPoolExecutor(max_workers=max(1, jobs), thread_name_prefix="s3") as pool:
        futures = [pool.submit(guarded, item) for item in items]
        errors = [f.exception() for f in futures]
    for error in errors:
        if error is not None:
            raise error


# -- verification ---------------------------------------------------------------------


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
    wanted = {Digest.parse(d).hex for d in refs} | {h for h, _ in _local_objects(case.store)}
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
        digest, version, latest = replica.copy_checked(name, hex_digest, _Discard())  # type: ignore[arg-type]
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
        _run_all(check, sorted(wanted), jobs)
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


# -- restore --------------------------------------------------------------------------


@dataclass(slots=True)
class RestoreResult:
    """A case rebuilt from a replica, and its verification."""

    root: Path
    objects: int
    entries: int
    recovered_versions: list[str]
    """Keys whose latest version was altered, restored from their intact original."""
    report: VerificationReport

    def to_json(self) -> dict[str, Any]:
        """For ``--json``."""
        return {
            "case": str(self.root),
            "objects": self.objects,
            "entries": self.entries,
            "recovered_versions": self.recovered_versions,
            "verification": self.report.to_json(),
        }


def restore(
    location: S3Location,
    target: Path,
    *,
    client: S3Client | None = None,
    jobs: int = DEFAULT_JOBS,
    progress: Progress | None = None,
) -> RestoreResult:
    """Rebuild a case folder from a replica; it appears complete at ``target`` or not at all.

    Every object is re-hashed on the way and must match its name (an altered latest
    version is skipped for an intact older one). The restored case is then verified in
    full, as any case is: its log, signatures and objects prove themselves.
    """
    replica = Replica(location, client)
    progress = progress or NullProgress()
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise CaseExistsError(
            f"{target} already exists and is not empty", hint="restore into a new folder"
        )
    present = replica.listing()
    if CASE_JSON not in present:
        raise InvalidInputError(
            f"{location} holds no case (no case.json)", hint="check the bucket and prefix"
        )
    parent = target.absolute().parent
    parent.mkdir(parents=True, exist_ok=True)
    staging = parent / f".{target.name}.restoring-{secrets.token_hex(4)}"
    recovered: list[str] = []
    try:
        store = ObjectStore(staging / OBJECTS_DIR)
        store.create()
        (staging / KEYS_DIR).mkdir()
        _write(staging / CASE_JSON, replica.get_bytes(CASE_JSON))
        for name in present:
            if name.startswith(f"{KEYS_DIR}/") and name.endswith(".pub"):
                path = staging / name
                _write(path, replica.get_bytes(name))
                make_read_only(path)
        log = b"".join(replica.get_bytes(name) for _, _, name in replica.segments(present))
        _write(staging / logfile.LOG_NAME, log)
        names = [n for n in present if n.startswith(OBJECT_PREFIX)]
        progress.start(f"Restoring {len(names)} object(s) from {location}", len(names))
        lock = threading.Lock()

        def fetch(name: str) -> None:
            hex_digest = name.rsplit("/", 1)[-1]
            if not _HEX.match(hex_digest):
                return
            final = store.path_for(Digest(hex_digest))
            final.parent.mkdir(parents=True, exist_ok=True)
            tmp = store.tmp / f".restore.{secrets.token_hex(6)}.part"
            with tmp.open("w+b") as fh:
                _, version, latest = replica.copy_checked(name, hex_digest, fh)
                fh.flush()
                os.fsync(fh.fileno())
            if version is None:
                tmp.unlink()
                return
            make_read_only(tmp)
            os.replace(tmp, final)
            if version != latest.get("VersionId"):
                with lock:
                    recovered.append(name)
            progress.advance(1)

        try:
            _run_all(fetch, names, jobs)
        finally:
            progress.finish()
        for folder in store.base.iterdir():
            fsync_dir(folder)
        fsync_dir(store.base)
        scan = logfile.scan(staging / logfile.LOG_NAME)
        entries = [line.entry for line in scan.lines if line.entry is not None]
        heads = sorted(n for n in present if n.startswith("heads/") and n.endswith(".json"))
        if heads:
            _write(staging / logfile.HEAD_NAME, replica.get_bytes(heads[-1]))
        seals = [n for n in present if n.startswith(f"{logfile.SEALS_DIR}/")]
        if seals:
            (staging / logfile.SEALS_DIR).mkdir()
        for name in seals:
            if logfile.seal_copy_seq(name.rsplit("/", 1)[-1]) is not None:
                _write(staging / name, replica.get_bytes(name))
        fsync_dir(staging)
        with contextlib.suppress(FileNotFoundError):
            target.rmdir()
        staging.rename(target)
        fsync_dir(parent)
    except BaseException:
        _remove_tree(staging)
        raise
    report = verify_case(target)
    objects = sum(1 for _ in ObjectStore(target / OBJECTS_DIR).iter_objects())
    return RestoreResult(target, objects, len(entries), sorted(recovered), report)


def _write(path: Path, data: bytes) -> None:
    try:
        with path.open("xb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
    except OSError as exc:
        raise storage_error("write", path, exc) from exc


def _remove_tree(path: Path) -> None:
    """Remove a half-restored folder, read-only files included."""

    if path.exists():
        for folder, _dirs, files in os.walk(path):
            with contextlib.suppress(OSError):
                os.chmod(folder, 0o700)
            for file in files:
                with contextlib.suppress(OSError):
                    os.chmod(Path(folder) / file, 0o600)
        shutil.rmtree(path, ignore_errors=True)


__all__ = [
    "CASE_REPLICATED",
    "Replica",
    "ReplicationResult",
    "RestoreResult",
    "Retention",
    "replicate",
    "restore",
    "verify_against",
]
