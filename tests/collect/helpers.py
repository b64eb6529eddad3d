"""Reading a capture back with the real readers (warcio, the object store)."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from warcio.archiveiterator import ArchiveIterator

from cybercase.collect.commit import CaptureResult
from cybercase.digest import Digest
from cybercase.evidence import Artifact, Case


def artifact(result: CaptureResult, role: str) -> Artifact:
    """The one artifact of a role."""
    found = [a for a in result.artifacts if a.role == role]
    assert len(found) == 1, [a.role for a in result.artifacts]
    return found[0]


def object_path(case: Case, item: Artifact) -> Path:
    """Where the store keeps an artifact."""
    return case.store.path_for(Digest.parse(item.digest))


def record_of(case: Case, result: CaptureResult) -> dict[str, Any]:
    """The capture record, parsed."""
    data: dict[str, Any] = json.loads(case.read_object(artifact(result, "record").digest))
    return data


@dataclass
class WarcRecord:
    """One record read back by warcio."""

    type: str
    uri: str | None
    headers: dict[str, str]
    http_head: bytes
    payload: bytes
    status: str | None


def read_warc(path: Path) -> list[WarcRecord]:
    """Every record, with the raw payload (content-encoding kept, as stored)."""
    records: list[WarcRecord] = []
    with path.open("rb") as fh:
        for rec in ArchiveIterator(fh, no_record_parse=False, ensure_http_headers=False):
            head = rec.http_headers.to_bytes() if rec.http_headers else b""
            payload = rec.raw_stream.read()
            records.append(
                WarcRecord(
                    type=rec.rec_type,
                    uri=rec.rec_headers.get_header("WARC-Target-URI"),
                    headers=dict(rec.rec_headers.headers),
                    http_head=head,
                    payload=payload,
                    status=rec.http_headers.get_statuscode() if rec.http_headers else None,
                )
            )
    return records


def warcio_cli(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the real ``warcio`` command."""
    return subprocess.run(
        [sys.executable, "-m", "warcio.cli", *args], capture_output=True, text=True, check=False
    )


def check_warc(path: Path) -> list[dict[str, str]]:
    """``warcio check`` passes and ``warcio index`` reads every record; returns the index."""
    checked = warcio_cli("check", "-v", str(path))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    digests = [line.strip() for line in checked.stdout.splitlines() if "digest" in line]
    assert digests and all(line == "digest pass" for line in digests), checked.stdout
    index = warcio_cli(
        "index", "-f", "offset,warc-type,warc-target-uri,http:status,warc-payload-digest", str(path)
    )
    assert index.returncode == 0, index.stderr
    return [json.loads(line) for line in index.stdout.splitlines() if line.strip()]


def sha256(data: bytes) -> str:
    """``sha256:<hex>``."""
    return "sha256:" + hashlib.sha256(data).hexdigest()
