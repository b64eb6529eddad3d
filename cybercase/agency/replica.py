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
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, BinaryIO, Literal

from cybercase.agency.s3 import (
    S3Client,
    S3Location,
    error_code,
    make_client,
    map_error,
)
from cybercase.digest import CHUNK_SIZE, Digest, HashingWriter
from cybercase.errors import (
    StorageError,
)
from cybercase.evidence.store import ALGO_DIR, OBJECTS_DIR

CUSTODY_DIR = "custody"

OBJECT_PREFIX = f"{OBJECTS_DIR}/{ALGO_DIR}/"

HEX = re.compile(r"^[0-9a-f]{64}$")

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


class Discard:
    """A sink that keeps nothing (hashing what is read back needs no copy)."""

    def write(self, data: bytes | bytearray | memoryview) -> int:
        return len(data)

    def seek(self, offset: int, whence: int = 0) -> int:
        return 0

    def truncate(self, size: int | None = None) -> int:
        return 0


__all__ = ["Replica", "Retention"]
