"""Writing a capture's WARC/1.1 file with warcio: SHA-256 digests, one gzip member a record.

Records, in order: ``warcinfo`` (tool, case, investigator, capture id); for every hop of
every attempt a ``response`` and a ``request`` record (linked by ``WARC-Concurrent-To``)
with the bytes as they came off the wire (and, when a server's answer is not valid HTTP, a
``resource`` record holding what it sent); the same for each image, then for every
exchange the browser made (:mod:`cybercase.collect.browser.traffic`); and last a
``metadata`` record holding the capture record (``application/json``).

The HTTP head in a record is the exact bytes received (or sent); warcio would re-serialise
a parsed head, so :class:`_ExactHead` hands it the original bytes. A body whose chunked
transfer coding was removed has its ``Transfer-Encoding`` line left out of the head
(decoded-but-still-labelled-chunked records break readers); the capture record keeps the
header as received. The payload digest is the SHA-256 of the entity body as served
(content-encoding kept), computed while the body was streamed to disk.
"""

from __future__ import annotations

import hashlib
import io
import zlib
from typing import IO, Any, Protocol

from warcio.statusandheaders import StatusAndHeaders
from warcio.utils import Digester
from warcio.warcwriter import WARCWriter

from cybercase.collect.http.hops import WireHop
from cybercase.collect.record import Hop

WARC_VERSION = "1.1"
GZIP_LEVEL = 6
WARC_MEDIA_TYPE = "application/warc"


class _Sink(Protocol):
    def write(self, data: bytes) -> int: ...


class _GzipMembers:
    """Compresses each WARC record as its own gzip member (warcio flushes after each)."""

    def __init__(self, out: _Sink, level: int = GZIP_LEVEL) -> None:
        self._out = out
        self._level = level
        self._compressor = self._new()

    def _new(self) -> Any:
        return zlib.compressobj(self._level, zlib.DEFLATED, zlib.MAX_WBITS + 16)

    def write(self, data: bytes) -> int:
        out = self._compressor.compress(data)
        if out:
            self._out.write(out)
        return len(data)

    def flush(self) -> None:
        self._out.write(self._compressor.flush())
        self._compressor = self._new()


class _ExactHead(StatusAndHeaders):  # type: ignore[misc]
    """An HTTP head whose bytes are written exactly as given."""

    def __init__(self, raw: bytes, *, is_request: bool) -> None:
        first = raw.split(b"\n", 1)[0].decode("latin-1").strip()
        if is_request:
            super().__init__(first, [], protocol="", is_http_request=True)
        else:
            protocol, _, status = first.partition(" ")
            super().__init__(status, [], protocol=protocol)
        self.headers_buff = raw

    def compute_headers_buffer(self, header_filter: Any = None) -> None:
        """Keep the exact bytes."""


class _Sha256Writer(WARCWriter):  # type: ignore[misc]
    @staticmethod
    def _create_digester() -> Digester:
        return Digester("sha256")


class WarcBuilder:
    """Writes one capture's records into a binary sink (the object store's writer)."""

    def __init__(self, sink: _Sink, *, filename: str = "capture.warc.gz") -> None:
        self._members = _GzipMembers(sink)
        self._writer = _Sha256Writer(self._members, gzip=False, warc_version=WARC_VERSION)
        self.filename = filename

    def warcinfo(self, record_id: str, date: str, fields: dict[str, str]) -> None:
        """The file's description."""
        body = "".join(f"{k}: {v}\r\n" for k, v in fields.items() if v).encode("utf-8")
        self._write(
            "",
            "warcinfo",
            io.BytesIO(body),
            len(body),
            {
                "WARC-Record-ID": record_id,
                "WARC-Date": date,
                "WARC-Filename": self.filename,
                "WARC-Block-Digest": _digest(body),
            },
            content_type="application/warc-fields",
        )

    def exchange(self, wire: WireHop, warcinfo_id: str) -> None:
        """The response and request records of one hop (whichever exist)."""
        hop: Hop = wire.hop
        common = {"WARC-Warcinfo-ID": warcinfo_id}
        protocol = _protocol(hop)
        if protocol:
            common["WARC-Protocol"] = protocol
        if hop.tls and hop.tls.cipher:
            common["WARC-Cipher-Suite"] = hop.tls.cipher
        if hop.remote_ip and not hop.via_proxy:
            common["WARC-IP-Address"] = hop.remote_ip
        if wire.response_head is not None and hop.warc_response_id and wire.body is not None:
            headers = {
                "WARC-Record-ID": hop.warc_response_id,
                "WARC-Date": hop.started,
                "WARC-Block-Digest": wire.block_digest or "",
                "WARC-Payload-Digest": wire.payload_digest or "",
                **common,
            }
            if hop.body and hop.body.truncated:
                headers["WARC-Truncated"] = hop.body.truncated
            size = hop.body.size if hop.body else 0
            with wire.body.open() as body:
                self._write(
                    hop.url,
                    "response",
                    body,
                    size,
                    headers,
                    http_head=_ExactHead(wire.response_head, is_request=False),
                )
        if wire.unparsed and hop.warc_unparsed_id:
            headers = {
                "WARC-Record-ID": hop.warc_unparsed_id,
                "WARC-Date": hop.started,
                "WARC-Block-Digest": _digest(wire.unparsed),
                "WARC-Payload-Digest": _digest(wire.unparsed),
                **common,
            }
            if hop.warc_request_id:
                headers["WARC-Concurrent-To"] = hop.warc_request_id
            self._write(
                hop.url,
                "resource",
                io.BytesIO(wire.unparsed),
                len(wire.unparsed),
                headers,
                content_type="application/octet-stream",
            )
        if wire.request_bytes is not None and hop.warc_request_id:
            raw = wire.request_bytes
            end = raw.find(b"\r\n\r\n")
            split = end + 4 if end >= 0 else len(raw)
            head, payload = raw[:split], raw[split:]
            headers = {
                "WARC-Record-ID": hop.warc_request_id,
                "WARC-Date": hop.started,
                "WARC-Block-Digest": _digest(raw),
                "WARC-Payload-Digest": _digest(payload),
                **common,
            }
            if hop.warc_response_id and wire.response_head is not None:
                headers["WARC-Concurrent-To"] = hop.warc_response_id
            self._write(
                hop.url,
                "request",
                io.BytesIO(payload),
                len(payload),
                headers,
                http_head=_ExactHead(head, is_request=True),
            )

    def metadata(
        self,
        uri: str,
        record_id: str,
        date: str,
        body: bytes,
        refers_to: str | None,
        warcinfo_id: str,
    ) -> None:
        """The capture record, as JSON."""
        headers = {
            "WARC-Record-ID": record_id,
            "WARC-Date": date,
            "WARC-Block-Digest": _digest(body),
            "WARC-Payload-Digest": _digest(body),
            "WARC-Warcinfo-ID": warcinfo_id,
        }
        if refers_to:
            headers["WARC-Refers-To"] = refers_to
        self._write(
            uri, "metadata", io.BytesIO(body), len(body), headers, content_type="application/json"
        )

    def _write(
        self,
        uri: str,
        kind: str,
        payload: IO[bytes],
        length: int,
        headers: dict[str, str],
        *,
        http_head: StatusAndHeaders | None = None,
        content_type: str = "",
    ) -> None:
        record = self._writer.create_warc_record(
            uri,
            kind,
            payload=payload,
            length=length,
            warc_content_type=content_type,
            warc_headers_dict=headers,
            http_headers=http_head,
        )
        self._writer.write_record(record)


def _digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _protocol(hop: Hop) -> str:
    parts: list[str] = []
    if hop.http_version:
        parts.append(hop.http_version.lower())
    if hop.tls and hop.tls.protocol:
        parts.append(hop.tls.protocol.lower().replace("tlsv", "tls/"))
    return ", ".join(parts)
