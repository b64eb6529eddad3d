"""Reading a capture's WARC records fast, for the WACZ's CDXJ index: SURT keys, and the
records of a gzip-per-record WARC read member by member (warcio is the slow reference).
"""

from __future__ import annotations

import ipaddress
import json
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO
from urllib.parse import urlsplit

from cybercase.errors import StorageError

_INDEXED = frozenset({"response", "resource", "revisit"})
_CHUNK = 1024 * 1024


def surt(url: str) -> str:
    """The sort-friendly URL key of CDXJ (``com,example)/path?q``), lowercased."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    try:
        ipaddress.ip_address(host)
        key = host
    except ValueError:
        key = ",".join(reversed(host.removeprefix("www.").split(".")))
    if parts.port and not (
        (parts.scheme == "http" and parts.port == 80)
        or (parts.scheme == "https" and parts.port == 443)
    ):
        key += f":{parts.port}"
    path = parts.path or "/"
    if parts.query:
        path += "?" + "&".join(sorted(parts.query.split("&")))
    return f"{key}){path}".lower()


def _ts14(warc_date: str) -> str:
    return "".join(ch for ch in warc_date if ch.isdigit())[:14]


@dataclass(frozen=True, slots=True)
class _Record:
    """What the index needs of one WARC record."""

    offset: int
    length: int
    kind: str
    uri: str
    date: str
    mime: str
    status: str
    digest: str


_HEAD_BYTES = 64 * 1024
"""Enough decompressed bytes for a record's WARC and HTTP heads."""


def _head_fields(head: bytes) -> tuple[dict[str, str], bytes]:
    """The header fields of a WARC or HTTP head (names lowercased), and what follows."""
    block, _, rest = head.partition(b"\r\n\r\n")
    fields: dict[str, str] = {}
    for line in block.split(b"\r\n")[1:]:
        name, sep, value = line.partition(b":")
        if sep:
            fields.setdefault(
                name.strip().lower().decode("latin-1"), value.strip().decode("utf-8", "replace")
            )
    return fields, rest


def _inflate_member(fh: IO[bytes], first: bytes, path: Path) -> tuple[bytes, int, bytes]:
    """One gzip member: its first decompressed bytes, its compressed length, the bytes after."""
    inflater = zlib.decompressobj(zlib.MAX_WBITS | 16)
    head = bytearray()
    consumed = 0
    chunk = first
    while True:
        data = chunk
        while not inflater.eof:
            out = inflater.decompress(data, _CHUNK)
            if len(head) < _HEAD_BYTES:
                head += out[: _HEAD_BYTES - len(head)]
            data = inflater.unconsumed_tail
            if not data and not out:
                break
        if inflater.eof:
            leftover = inflater.unused_data
            return bytes(head), consumed + len(chunk) - len(leftover), leftover
        consumed += len(chunk)
        chunk = fh.read(_CHUNK)
        if not chunk:
            raise StorageError(f"{path.name}: a gzip member is cut short")


def _gzip_records(path: Path) -> Iterator[_Record]:
    """Each record of a record-per-gzip-member WARC, at zlib's speed.

    Only the heads are parsed (warcio parses every record fully, which took most of an
    export's time); a WARC that is not gzipped goes to :func:`_warcio_records`.
    """
    with path.open("rb") as fh:
        offset = 0
        pending = b""
        while True:
            chunk = pending or fh.read(_CHUNK)
            if not chunk:
                return
            head, length, pending = _inflate_member(fh, chunk, path)
            warc, rest = _head_fields(head)
            kind = warc.get("warc-type", "")
            mime = warc.get("content-type", "")
            status = ""
            if kind == "response" and rest.startswith(b"HTTP/"):
                parts = rest.split(b"\r\n", 1)[0].split(b" ")
                status = parts[1].decode("ascii", "replace") if len(parts) > 1 else ""
                mime = _head_fields(rest)[0].get("content-type", "")
            yield _Record(
                offset,
                length,
                kind,
                warc.get("warc-target-uri", ""),
                warc.get("warc-date", ""),
                mime,
                status,
                warc.get("warc-payload-digest", ""),
            )
            offset += length


def _warcio_records(path: Path) -> Iterator[_Record]:
    from warcio.archiveiterator import ArchiveIterator

    with path.open("rb") as fh:
        records = ArchiveIterator(fh, no_record_parse=False, arc2warc=False)
        for record in records:
            kind = record.rec_type
            mime = record.rec_headers.get_header("Content-Type") or ""
            status = ""
            if record.http_headers is not None and kind == "response":
                status = record.http_headers.get_statuscode() or ""
                mime = record.http_headers.get_header("Content-Type") or ""
            headers = record.rec_headers
            records.read_to_end(record)
            yield _Record(
                records.get_record_offset(),
                records.get_record_length(),
                kind,
                headers.get_header("WARC-Target-URI") or "",
                headers.get_header("WARC-Date") or "",
                mime,
                status,
                headers.get_header("WARC-Payload-Digest") or "",
            )


def index_warc(path: Path, name: str, lines: list[str]) -> dict[str, str]:
    """CDXJ lines for one WARC; returns the WARC-Date of the last response per URL."""
    with path.open("rb") as fh:
        gzipped = fh.read(2) == b"\x1f\x8b"
    dates: dict[str, str] = {}
    for record in (_gzip_records if gzipped else _warcio_records)(path):
        uri = record.uri
        if record.kind not in _INDEXED or not uri or uri.startswith("urn:"):
            continue
        entry: dict[str, str] = {
            "url": uri,
            "mime": record.mime.split(";")[0].strip().lower() or "unk",
            "digest": record.digest,
            "length": str(record.length),
            "offset": str(record.offset),
            "filename": name,
        }
        if record.status:
            entry["status"] = record.status
        if record.kind == "revisit":
            entry["mime"] = "warc/revisit"
        lines.append(f"{surt(uri)} {_ts14(record.date)} {json.dumps(entry, sort_keys=True)}")
        if record.kind == "response":
            dates[uri] = record.date
    return dates
