"""The capture record (``record.json``): every fact about one capture of one URL.

It is written twice, byte for byte the same: as the item's ``record`` artifact and as the
``metadata`` record inside the WARC, so the WARC alone tells the whole story. Its JSON
Schema is published at ``docs/schema/capture-record.schema.json`` (a test keeps the file
equal to this model). Times are UTC with microseconds; digests are ``sha256:<hex>``.
"""

from __future__ import annotations

import json
from typing import Any, Literal, Protocol

from pydantic import AliasChoices, BaseModel, ConfigDict, Field

RECORD_FORMAT = "cybercase-capture/1"

Outcome = Literal[
    "captured",
    "truncated",
    "http-error",
    "redirect-loop",
    "too-many-redirects",
    "bad-redirect",
    "dns-failure",
    "connection-refused",
    "connection-failed",
    "tls-failure",
    "timeout",
    "protocol-error",
    "proxy-error",
]
"""What happened to one attempt (see docs/capture.md for each)."""

CheckState = Literal["checked", "failed", "not checked"]


class Model(BaseModel):
    """Frozen, strict about unknown fields; field docstrings become schema descriptions."""

    model_config = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True)


class Certificate(Model):
    """One certificate the server presented."""

    pem: str
    """The certificate, PEM."""
    sha256_fingerprint: str
    """SHA-256 of the DER bytes, ``sha256:<hex>``."""
    subject: str
    """Subject distinguished name (RFC 4514)."""
    issuer: str
    """Issuer distinguished name (RFC 4514)."""
    serial_number: str
    """Serial number, hex."""
    not_before: str
    """Start of validity, UTC."""
    not_after: str
    """End of validity, UTC."""
    subject_alt_names: list[str] = Field(default_factory=list)
    """DNS names and IP addresses the certificate is valid for."""


class TlsFacts(Model):
    """The TLS session of one connection."""

    protocol: str | None
    """Negotiated protocol, e.g. ``TLSv1.3``."""
    cipher: str | None
    """Negotiated cipher suite."""
    cipher_bits: int | None
    """Secret bits of the cipher."""
    alpn: str | None
    """Application protocol negotiated by ALPN."""
    server_name: str | None
    """The name sent in SNI and checked against the certificate."""
    verified: bool
    """Whether the certificate chain and name were verified for this connection."""
    verification_error: str | None = None
    """Why verification failed (with ``--insecure`` the capture went on regardless)."""
    peer_chain: list[Certificate] = Field(default_factory=list)
    """The chain as the server sent it, leaf first."""


class Marks(Protocol):
    """What saw a hop's steps happen (the wire recorder's tap)."""

    def ms(self, name: str) -> float | None:
        """Milliseconds from the hop's start to a step, if it happened."""
        ...


class FailureFacts(Protocol):
    """A classified failure, as the fetch and the browser's traffic name one."""

    @property
    def outcome(self) -> Outcome: ...

    @property
    def error_type(self) -> str | None: ...

    @property
    def message(self) -> str: ...


class Timings(Model):
    """Milliseconds from the start of the hop."""

    @classmethod
    def measured(cls, marks: Marks | None, started_mono: float, now: float) -> Timings:
        """The steps ``marks`` saw, and the hop's whole time up to ``now``."""
        return cls(
            connected_ms=marks.ms("connected") if marks else None,
            tls_ms=marks.ms("tls") if marks else None,
            request_sent_ms=marks.ms("request_sent") if marks else None,
            first_byte_ms=marks.ms("first_byte") if marks else None,
            total_ms=round((now - started_mono) * 1000, 3),
        )

    connected_ms: float | None = None
    """TCP connection established (through the proxy, if any)."""
    tls_ms: float | None = None
    """TLS handshake complete."""
    request_sent_ms: float | None = None
    """Request fully sent."""
    first_byte_ms: float | None = None
    """Response headers received."""
    total_ms: float | None = None
    """Body received (or the hop ended)."""


class Body(Model):
    """A response body as it came off the wire (content-encoding kept, chunking removed)."""

    size: int
    """Bytes stored (after removing chunked transfer coding)."""
    sha256: str
    """SHA-256 of those bytes: the WARC-Payload-Digest."""
    truncated: Literal["length", "time", "disconnect"] | None = None
    """Why the body is incomplete: size limit, time limit, or the server stopped early."""
    declared_length: int | None = None
    """The Content-Length the server announced, if any."""
    content_type: str | None = None
    """The Content-Type header."""
    content_encoding: str | None = None
    """The Content-Encoding header (the stored bytes keep that encoding)."""
    transfer_encoding_removed: str | None = None
    """Transfer-Encoding undone for the WARC (its header line is left out of the WARC block)."""


class Failure(Model):
    """An error that ended a hop or an attempt."""

    @classmethod
    def of(cls, failure: FailureFacts | None) -> Failure | None:
        """The record of a classified failure (the outcome stands in for a missing type)."""
        if failure is None:
            return None
        return cls(
            outcome=failure.outcome,
            error_type=failure.error_type or failure.outcome,
            message=failure.message,
        )

    outcome: Outcome
    """The classification."""
    error_type: str
    """The exception's class, for specialists."""
    message: str
    """What happened, in words."""


class ConnectTry(Model):
    """One address tried while connecting."""

    address: str
    """IP address (or the proxy's host)."""
    port: int
    """TCP port."""
    error: str | None = None
    """Why it failed (``None``: connected)."""


class Hop(Model):
    """One request and its response in a redirect chain."""

    index: int
    """0 for the requested URL, then one per redirect followed."""
    url: str
    """The URL requested."""
    method: str
    """The HTTP method."""
    started: str
    """When the hop began (UTC)."""
    ended: str
    """When it ended (UTC)."""
    status: int | None = None
    """HTTP status code received."""
    reason: str | None = None
    """Reason phrase received."""
    http_version: str | None = None
    """Protocol version of the response."""
    request_headers: list[tuple[str, str]] = Field(default_factory=list)
    """Headers as sent, in order (secret values replaced unless kept)."""
    response_headers: list[tuple[str, str]] = Field(default_factory=list)
    """Headers as received, in order, exactly (Transfer-Encoding included)."""
    informational: list[int] = Field(default_factory=list)
    """1xx responses received before the final one."""
    remote_ip: str | None = None
    """The IP address actually connected to, from the socket (the proxy's with a proxy)."""
    remote_port: int | None = None
    """Its port."""
    local_ip: str | None = None
    """This machine's address on that connection."""
    local_port: int | None = None
    """This machine's port."""
    via_proxy: bool = False
    """Whether the connection went through the configured proxy."""
    connect_tries: list[ConnectTry] = Field(default_factory=list)
    """Addresses tried, in order, with their errors."""
    tls: TlsFacts | None = None
    """The TLS session, for https."""
    timings: Timings = Field(default_factory=Timings)
    """When each step happened."""
    body: Body | None = None
    """The response body, if one was received."""
    error: Failure | None = None
    """Why the hop failed, if it did."""
    warc_request_id: str | None = None
    """WARC-Record-ID of the request record."""
    warc_response_id: str | None = None
    """WARC-Record-ID of the response record."""
    unparsed_bytes: int | None = None
    """Bytes received that were not a valid HTTP response (kept as a WARC resource record)."""
    warc_unparsed_id: str | None = None
    """WARC-Record-ID of that resource record."""


class Attempt(Model):
    """One try at the URL (a transient failure is retried; every try is kept)."""

    number: int
    """1 for the first try."""
    started: str
    """UTC."""
    ended: str
    """UTC."""
    outcome: Outcome
    """How it ended."""
    message: str
    """The outcome in words."""
    hops: list[Hop] = Field(default_factory=list)
    """The redirect chain, in order."""


class DnsLookup(Model):
    """The answer of the system resolver for one host, when it was asked."""

    host: str
    """The name looked up."""
    port: int
    """The port asked for."""
    at: str
    """When (UTC)."""
    resolver: str = "system (getaddrinfo)"
    """Which resolver answered."""
    addresses: list[str] = Field(default_factory=list)
    """The addresses returned, in the resolver's order."""
    error: str | None = None
    """The resolver's error, if the lookup failed."""
    elapsed_ms: float | None = None
    """How long the lookup took."""


class Exif(Model):
    """EXIF facts of one image, read with exifread."""

    gps_latitude: float | None = None
    """Decimal degrees, north positive."""
    gps_longitude: float | None = None
    """Decimal degrees, east positive."""
    gps_altitude_m: float | None = None
    """Metres above sea level."""
    make: str | None = None
    """Camera maker."""
    model: str | None = None
    """Camera model."""
    serial_number: str | None = None
    """Camera body serial number."""
    datetime_original: str | None = None
    """When the photo was taken, as the camera wrote it (camera local time)."""
    software: str | None = None
    """Software that wrote the file."""
    tags: dict[str, str] = Field(default_factory=dict)
    """Every tag read (thumbnails and maker notes left out), as text."""


class Image(Model):
    """One image of the page."""

    url: str
    """The image's URL (as resolved against the page)."""
    outcome: Outcome
    """How fetching it ended."""
    message: str
    """That outcome in words."""
    status: int | None = None
    """HTTP status of the last hop."""
    artifact: str | None = None
    """The artifact's name (``images/...``), when stored."""
    sha256: str | None = None
    """Digest of the stored image bytes."""
    size: int | None = None
    """Its size."""
    media_type: str | None = None
    """Its Content-Type."""
    truncated: bool = False
    """Cut at the image size limit."""
    exif: Exif | None = None
    """EXIF facts, when the image has any."""
    exif_error: str | None = None
    """Why EXIF could not be read."""
    hops: list[Hop] = Field(default_factory=list)
    """Its own request/response chain."""


class Page(Model):
    """What the page says, read from its HTML."""

    title: str | None = None
    """The ``<title>``."""
    charset: str | None = None
    """Character encoding used to read it."""
    charset_source: str | None = None
    """Where it came from: ``header``, ``bom``, ``meta``, or ``default``."""
    text_chars: int = 0
    """Characters of extracted text (stored as the ``text`` artifact)."""
    text_truncated: bool = False
    """Only the first part of a very large page was decoded."""
    links: list[str] = Field(default_factory=list)
    """Outgoing links, absolute, in page order, without duplicates."""
    image_urls: list[str] = Field(default_factory=list)
    """Images referenced by the page, absolute."""


class Investigator(Model):
    """Who collected."""

    name: str
    """Name, as in the signing key."""
    key: str
    """Key fingerprint (hex)."""


class Machine(Model):
    """Which machine collected."""

    hostname: str
    """Host name."""
    os: str
    """Operating system and release."""
    platform: str
    """Full platform string."""
    local_addresses: list[str] = Field(default_factory=list)
    """The machine's own IP addresses (loopback excluded)."""


class ClockCheck(Model):
    """The collecting machine's clock."""

    system_utc: str
    """The system's UTC time when the capture started."""
    ntp_server: str | None = None
    """The NTP server asked, if one is configured."""
    ntp_status: CheckState = "not checked"
    """Whether the offset was measured."""
    ntp_offset_ms: float | None = None
    """System clock minus NTP time, in milliseconds."""
    ntp_error: str | None = None
    """Why the measurement failed."""


class Egress(Model):
    """The public address servers saw."""

    status: CheckState = "not checked"
    """Looked up only through a lookup URL the user configured."""
    lookup_url: str | None = None
    """That URL."""
    address: str | None = None
    """The address it answered."""
    error: str | None = None
    """Why the lookup failed."""


class Environment(Model):
    """Who, where and with what clock (the Berkeley Protocol's minimum collection data)."""

    investigator: Investigator
    """The investigator who signed."""
    persona: str | None = None
    """The online persona (account) used, if any."""
    machine: Machine
    """The collecting machine."""
    software: dict[str, str]
    """Tool and library versions."""
    clock: ClockCheck
    """The clock."""
    egress: Egress
    """The public egress address."""


class SettingsUsed(Model):
    """The capture settings in force (secrets never included)."""

    user_agent: str
    """User-Agent sent."""
    proxy: str | None
    """Proxy used (password removed)."""
    extra_header_names: list[str]
    """Names of extra headers sent."""
    cookies_file: str | None
    """Name of the cookies file used."""
    connect_timeout: float
    """Seconds."""
    read_timeout: float
    """Seconds."""
    total_timeout: float
    """Seconds."""
    max_body_bytes: int
    """Bytes."""
    max_redirects: int
    """Count."""
    insecure: bool
    """Whether TLS failures were allowed."""
    keep_secrets: bool
    """Whether secret header values were kept."""
    kept_header_names: list[str] = Field(default_factory=list)
    """Extra headers the investigator marked safe to keep verbatim (``--keep-header``)."""
    images: bool
    """Whether images were fetched."""
    retries: int
    """Further attempts allowed on transient failures."""


class Redaction(Model):
    """A secret value the investigator sent, replaced in the evidence."""

    where: str
    """Where it was replaced, e.g. ``attempt 1 hop 0 request``."""
    header: str
    """The header's name."""
    algorithm: Literal["hmac-sha256", "sha256"] = "sha256"
    """``hmac-sha256`` (keyed with the investigator's redaction key); ``sha256`` in records
    made before keyed hashing."""
    key_id: str | None = None
    """Which redaction key made the hash (``rk-…``); the key itself is never recorded."""
    digest: str = Field(validation_alias=AliasChoices("digest", "sha256"))
    """The keyed hash of the original value (``hmac-sha256:<hex>``), so that the
    investigator, and only they, can confirm a value without disclosing it."""
    placeholder: str
    """The text that stands in its place."""


class UrlCredentials(Model):
    """Credentials written in the URL (``http://user:password@host/``), withheld."""

    status: Literal["withheld", "kept"] = "withheld"
    """``withheld``: neither the user name nor the password is in the evidence; ``kept``
    (``--keep-secrets``): the Authorization header that carried them is kept verbatim."""
    sent_to: str
    """The origin they were sent to (HTTP Basic authentication), and only to it."""
    algorithm: Literal["hmac-sha256"] = "hmac-sha256"
    """How :attr:`digest` was made."""
    key_id: str
    """Which redaction key made the hash."""
    digest: str
    """Keyed hash of ``user:password`` as written in the URL (percent-decoded)."""


class StageArtifact(Model):
    """A file another stage (e.g. the browser) added to this item."""

    role: str
    """Its role (``screenshot``, ``pdf``...)."""
    name: str
    """Its name in the item."""
    sha256: str
    """Its digest."""
    size: int
    """Its size."""
    media_type: str
    """Its media type."""


class StageRecord(Model):
    """What an extra stage produced for this URL."""

    name: str
    """The stage (``browser``...)."""
    artifacts: list[StageArtifact] = Field(default_factory=list)
    """Files it added."""
    warnings: list[str] = Field(default_factory=list)
    """What it could not do."""
    detail: dict[str, Any] = Field(default_factory=dict)
    """Its own facts (e.g. the browser's request list)."""


class BatchRef(Model):
    """The batch this capture belongs to."""

    id: str
    """The batch id (recorded in every entry; ``--resume`` uses it)."""
    index: int
    """Position of the URL in the batch (1-based)."""
    total: int
    """Number of URLs in the batch."""


class CaptureRecord(Model):
    """``record.json``: one capture of one URL."""

    format: str = RECORD_FORMAT
    """Version of this record's layout."""
    capture_id: str
    """A UUID naming this capture (also in the WARC's warcinfo)."""
    case_id: str
    """The case."""
    requested_url: str
    """The URL asked for, as fetched (normalised: ``a/../b`` is ``b``)."""
    requested_as_typed: str | None = None
    """The URL exactly as the investigator gave it, when normalising changed it."""
    final_url: str | None
    """The URL of the last response (after redirects)."""
    outcome: Outcome
    """How the capture ended (the last attempt's outcome)."""
    message: str
    """That outcome in plain words."""
    status: int | None
    """HTTP status of the last response."""
    started: str
    """UTC."""
    ended: str
    """UTC."""
    attempts: list[Attempt]
    """Every try, the last one deciding the outcome."""
    dns: list[DnsLookup] = Field(default_factory=list)
    """The DNS answers for each host connected to (empty through a proxy that resolves)."""
    page: Page | None = None
    """What the page says, when it is a text page."""
    images: list[Image] = Field(default_factory=list)
    """The page's images."""
    environment: Environment
    """Who, where, with what clock."""
    settings: SettingsUsed
    """Limits and identity in force."""
    redactions: list[Redaction] = Field(default_factory=list)
    """Secret values replaced in this record and in the WARC's request records."""
    withheld_headers: list[str] = Field(default_factory=list)
    """Names of the headers whose values were withheld (the values are nowhere in the
    evidence; their keyed hashes are in :attr:`redactions`)."""
    url_credentials: UrlCredentials | None = None
    """Set when the URL given carried a user name and password: they were used for the
    request only and stripped from every URL stored."""
    secrets_kept: bool = False
    """True when ``--keep-secrets`` kept them verbatim."""
    batch: BatchRef | None = None
    """The batch, for ``--from`` captures."""
    tags: list[str] = Field(default_factory=list)
    """Tags given by the investigator."""
    note: str | None = None
    """The investigator's note."""
    stages: list[StageRecord] = Field(default_factory=list)
    """Extra stages (browser rendering...) and what they added."""
    warnings: list[str] = Field(default_factory=list)
    """Everything worth knowing that did not stop the capture."""
    warc_filename: str = "capture.warc.gz"
    """The WARC's name in the item."""
    warcinfo_id: str | None = None
    """WARC-Record-ID of the WARC's warcinfo record."""

    def to_bytes(self) -> bytes:
        """The record as stored: indented JSON, UTF-8, newline-terminated."""
        return self.model_dump_json(indent=2).encode("utf-8") + b"\n"


def record_schema() -> dict[str, Any]:
    """The JSON Schema of :class:`CaptureRecord` (published under docs/schema)."""
    schema = CaptureRecord.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://cybercase.invalid/schema/capture-record.schema.json"
    return schema


def schema_text() -> str:
    """The schema file's exact content."""
    return json.dumps(record_schema(), indent=2, ensure_ascii=False, sort_keys=True) + "\n"
