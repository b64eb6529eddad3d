"""Sending a case to its replica: objects, keys and log segments, then ``case.replicated``.

The bucket's layout and the write-once client are in :mod:`cybercase.agency.replica`; a run
is incremental (what the bucket holds is skipped) and resumable (an interrupted run leaves
only complete, checked keys).
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC
from pathlib import Path
from typing import Any, BinaryIO

from cybercase.agency.actions import CASE_REPLICATED, CaseReplicatedDetail
from cybercase.agency.replica import (
    HEX,
    Replica,
    Retention,
    head_name,
    object_name,
    segment_name,
)
from cybercase.agency.s3 import (
    S3Client,
    S3Location,
    endpoint_of,
)
from cybercase.clock import Clock, SystemClock, format_utc
from cybercase.digest import hash_file
from cybercase.errors import (
    CaseCorruptError,
    InvalidInputError,
    StorageError,
)
from cybercase.evidence import Case, EntryDraft, Signer
from cybercase.evidence.case import CASE_JSON, KEYS_DIR
from cybercase.evidence.fsio import storage_error
from cybercase.evidence.log import jsonl as logfile
from cybercase.evidence.store import ObjectStore
from cybercase.progress import NullProgress, Progress

DEFAULT_JOBS = 8


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


def local_objects(store: ObjectStore) -> Iterator[tuple[str, Path]]:
    for path in store.iter_objects():
        if HEX.match(path.name) and path.parent.name == path.name[:2]:
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
    todo = [(h, p) for h, p in local_objects(case.store)]
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
        run_all(send_object, todo, jobs)
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
    logged = result.to_json()
    del logged["entry_seq"]
    detail = CaseReplicatedDetail.model_validate(logged)
    entry = case.append(signer, EntryDraft.of(CASE_REPLICATED, detail))[-1]
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


def run_all(work: Callable[[Any], None], items: Iterable[Any], jobs: int) -> None:
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


__all__ = ["CASE_REPLICATED", "ReplicationResult", "replicate"]
