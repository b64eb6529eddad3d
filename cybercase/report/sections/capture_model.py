"""The view model of a capture as the report shows it.

Plain frozen records that the HTML section and ``case.jsonld`` read, filled by
:func:`~cybercase.report.sections.capture_view.capture_view`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from cybercase.collect.browser.result import BrowserRecord
from cybercase.collect.record import (
    Attempt,
    CaptureRecord,
    Certificate,
    Exif,
    Hop,
    Image,
    Redaction,
    TlsFacts,
)
from cybercase.report.layout import ItemPlan, PlannedFile

MAX_RECORD_BYTES = 8 * 1024 * 1024
RECORD_ROLE = "record"
CAPTURE_ROLES = frozenset({"warc", "record", "screenshot", "dom", "pdf", "mhtml"})
ANNOTATED_ROLE = "screenshot-annotated"
BROWSER_STAGE = "browser"
REMOVED_STATUSES = frozenset({404, 410})
"""Answers that say the page is not there: for a listing, the record of its removal."""
FAILURES = {
    "redirect-loop": "the redirects went round in a loop",
    "too-many-redirects": "there were more redirects than the limit allows",
    "bad-redirect": "a redirect pointed to an invalid or unsupported address",
    "dns-failure": "the host name could not be resolved (DNS)",
    "connection-refused": "the server refused the connection",
    "connection-failed": "no connection could be made, or it broke",
    "tls-failure": "the secure connection (TLS) failed",
    "timeout": "the server did not answer in time",
    "protocol-error": "what came back was not a valid HTTP answer",
    "proxy-error": "the proxy refused or failed",
}
"""Each failed outcome of ``docs/capture.md`` in plain words."""


OutcomeKind = Literal["captured", "truncated", "removed", "http-error", "failed"]


@dataclass(frozen=True, slots=True)
class Outcome:
    """How the capture ended, in words for people."""

    kind: OutcomeKind
    code: str
    """The record's outcome (``captured``, ``http-error``, ``connection-refused``...)."""
    message: str
    """The record's own words for it."""
    headline: str
    """One sentence that says plainly what happened."""
    short: str | None
    """A few words for the evidence table (``None`` for an ordinary capture)."""


@dataclass(frozen=True, slots=True)
class HopView:
    """One step of a redirect chain, with the attempt it belongs to."""

    attempt: int
    hop: Hop
    remote: str | None
    """``ip:port`` actually connected to (``[ip]:port`` for IPv6)."""
    error: str | None
    location: str | None
    """Where a redirect pointed (its ``Location`` header)."""


@dataclass(frozen=True, slots=True)
class TlsView:
    """The TLS session of one step."""

    url: str
    facts: TlsFacts


@dataclass(frozen=True, slots=True)
class GpsPosition:
    """A position read from EXIF, in signed decimal degrees."""

    latitude: float
    longitude: float
    altitude_m: float | None = None

    @property
    def no_fix(self) -> bool:
        """0, 0 is what a camera writes without a satellite fix: not a place."""
        return self.latitude == 0 and self.longitude == 0

    @property
    def text(self) -> str:
        """``-1.2925, 36.8219``."""
        return f"{decimal(self.latitude)}, {decimal(self.longitude)}"


@dataclass(frozen=True, slots=True)
class ImageView:
    """One image of the page, its packaged copy and its EXIF facts."""

    image: Image
    file: PlannedFile | None
    """The copy in the package (``None`` when it could not be fetched)."""
    gps: GpsPosition | None
    camera: str | None
    """Make and model, e.g. ``Canon EOS 5D Mark IV``."""
    serial: str | None
    taken: str | None
    """DateTimeOriginal as the camera wrote it (its local clock, no time zone)."""

    @property
    def exif(self) -> Exif | None:
        """The record's EXIF facts."""
        return self.image.exif


@dataclass(frozen=True, slots=True)
class BrowserView:
    """What the browser stage recorded."""

    record: BrowserRecord | None
    warnings: list[str]
    problem: str | None
    failed_requests: int


@dataclass(frozen=True, slots=True)
class AnnotatedCopy:
    """The captioned copy of the screenshot (for exhibits; the original is the evidence)."""

    file: PlannedFile
    matches_screenshot: bool | None
    """Whether its ``item.annotated`` entry names the screenshot's hash (``None``: no entry)."""


@dataclass(frozen=True, slots=True)
class CaptureView:
    """Everything the report says about one capture."""

    item_id: str
    title: str
    requested_url: str | None
    final_url: str | None
    started: str | None
    ended: str | None
    outcome: Outcome
    record: CaptureRecord | None
    problem: str | None
    """Why the record could not be read (the facts above then come from the log)."""
    hops: list[HopView]
    tls: list[TlsView]
    certificates: list[Certificate]
    server_addresses: list[str]
    via_proxy: bool
    dns_note: str | None
    clock: str | None
    egress: str | None
    redaction: str | None
    redactions: list[Redaction]
    images: list[ImageView]
    browser: BrowserView | None
    screenshot: PlannedFile | None
    annotated: AnnotatedCopy | None
    warc: PlannedFile | None
    text_file: PlannedFile | None

    @property
    def attempts(self) -> list[Attempt]:
        """Every try, in order (empty without a record)."""
        return self.record.attempts if self.record else []

    @property
    def shown_files(self) -> set[str]:
        """Paths this view already shows as pictures (the section leaves them out of its
        thumbnails)."""
        shown = {i.file.path for i in self.images if i.file is not None}
        if self.screenshot is not None:
            shown.add(self.screenshot.path)
        if self.annotated is not None:
            shown.add(self.annotated.file.path)
        return shown


def decimal(value: float) -> str:
    """Degrees as the record holds them, without trailing zeros (``-1.0``, ``36.8219``)."""
    shown = f"{value:.7f}".rstrip("0")
    return shown + "0" if shown.endswith(".") else shown


def is_capture(plan: ItemPlan) -> bool:
    """Whether an item is a web capture (it has a record, a WARC or a browser file)."""
    return any(f.role in CAPTURE_ROLES for f in plan.files)
