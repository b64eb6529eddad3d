"""Restoring a case from its replica into a new folder, checked as it is written.

Every object is re-hashed as it arrives and written read-only; the log is rebuilt from its
segments; the restored case is verified before the call returns.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cybercase.agency.replica import HEX, OBJECT_PREFIX, Replica
from cybercase.agency.replicate import DEFAULT_JOBS, run_all
from cybercase.agency.s3 import (
    S3Client,
    S3Location,
)
from cybercase.digest import Digest
from cybercase.errors import (
    CaseExistsError,
    InvalidInputError,
)
from cybercase.evidence.case import CASE_JSON, KEYS_DIR
from cybercase.evidence.fsio import fsync_dir, make_read_only, storage_error
from cybercase.evidence.log import jsonl as logfile
from cybercase.evidence.store import OBJECTS_DIR, ObjectStore
from cybercase.evidence.verify import (
    VerificationReport,
    verify_case,
)
from cybercase.progress import NullProgress, Progress


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
            if not HEX.match(hex_digest):
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
            run_all(fetch, names, jobs)
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


__all__ = ["RestoreResult", "restore"]
