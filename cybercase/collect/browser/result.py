"""What rendering one page produced, in memory and as a record for the capture.

:class:`RenderResult` is what the renderer hands back (files written into the
caller's folder, requests, warnings, times); :meth:`RenderResult.record` turns it into
:class:`BrowserRecord`, the frozen model the capture record embeds. Neither carries
header values, cookie values or proxy credentials: the record names what was set and
says that values are omitted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import Field

from cybercase.clock import format_utc
from cybercase.collect.browser.feed import FeedRecord
from cybercase.collect.browser.options import Identity
from cybercase.collect.record import Hop
from cybercase.evidence.models import Record

if TYPE_CHECKING:
    from cybercase.collect.browser.recording import TrafficLog

ROLE_SCREENSHOT = "screenshot"
ROLE_SCREENSHOT_ANNOTATED = "screenshot-annotated"
ROLE_PDF = "pdf"
ROLE_DOM = "dom"
ROLE_MHTML = "mhtml"

FILE_NAMES = {
    ROLE_SCREENSHOT: "screenshot.png",
    ROLE_SCREENSHOT_ANNOTATED: "screenshot-annotated.png",
    ROLE_PDF: "page.pdf",
    ROLE_DOM: "rendered.html",
    ROLE_MHTML: "page.mhtml",
}
MEDIA_TYPES = {
    ROLE_SCREENSHOT: "image/png",
    ROLE_SCREENSHOT_ANNOTATED: "image/png",
    ROLE_PDF: "application/pdf",
    ROLE_DOM: "text/html",
    ROLE_MHTML: "multipart/related",
}


@dataclass(frozen=True, slots=True)
class RenderedFile:
    """One file the browser produced, written into the caller's folder."""

    role: str
    name: str
    path: Path
    media_type: str


@dataclass(frozen=True, slots=True)
class BrowserRequest:
    """One request the browser made while showing the page (redirect hops included)."""

    url: str
    method: str
    resource_type: str
    status: int | None
    failure: str | None


@dataclass(frozen=True, slots=True)
class BrowserInfo:
    """Which browser rendered, and through what."""

    name: str
    version: str
    product: str
    user_agent: str
    executable: Path
    driver: str
    sandboxed: bool


@dataclass(frozen=True)
class RenderResult:
    """Everything rendering one URL produced.

    ``complete`` is true only when every step finished within its limits; otherwise
    ``warnings`` say what was cut short, and ``files`` hold what was produced anyway.
    """

    url: str
    final_url: str | None
    status: int | None
    title: str | None
    files: list[RenderedFile]
    requests: list[BrowserRequest]
    warnings: list[str]
    started: datetime
    ended: datetime
    browser: BrowserInfo
    user_agent: str
    identity: Identity
    page_size: tuple[int, int] | None
    complete: bool
    traffic: TrafficLog | None = None
    """Every exchange of the page as raw HTTP, when the traffic was recorded (bodies are
    files under the result's folder until the capture writes them into its WARC)."""
    tls_failure: str | None = None
    """Why the page itself could not be shown because its TLS certificate failed."""
    feed: FeedRecord | None = None
    """How the feed was loaded, when the page was loaded as a feed."""

    def file(self, role: str) -> RenderedFile | None:
        """The file with ``role``, if it was produced."""
        return next((f for f in self.files if f.role == role), None)

    def record(self) -> BrowserRecord:
        """The JSON-ready record of this rendering (no secrets, no local paths)."""
        return BrowserRecord(
            requested_url=self.url,
            final_url=self.final_url,
            status=self.status,
            title=self.title,
            started=format_utc(self.started),
            ended=format_utc(self.ended),
            complete=self.complete,
            browser=self.browser.name,
            browser_version=self.browser.version,
            browser_product=self.browser.product,
            driver=self.browser.driver,
            sandboxed=self.browser.sandboxed,
            user_agent=self.user_agent,
            proxy=self.identity.proxy_scheme,
            extra_header_names=list(self.identity.header_names),
            cookies_sent=self.identity.cookie_count,
            secrets_omitted=bool(
                self.identity.header_names
                or self.identity.cookie_count
                or self.identity.url_credentials
            ),
            page_width=self.page_size[0] if self.page_size else None,
            page_height=self.page_size[1] if self.page_size else None,
            files=[
                BrowserFileRecord(role=f.role, name=f.name, media_type=f.media_type)
                for f in self.files
            ],
            requests=[
                BrowserRequestRecord(
                    url=r.url,
                    method=r.method,
                    resource_type=r.resource_type,
                    status=r.status,
                    failure=r.failure,
                )
                for r in self.requests
            ],
            warnings=list(self.warnings),
            traffic_recorded=self.traffic is not None,
            traffic=[w.hop for w in self.traffic.exchanges] if self.traffic else [],
            tls_failure=self.tls_failure,
            feed=self.feed,
        )


class BrowserFileRecord(Record):
    """A file of the browser view; its digest and size are in the custody entry's artifacts."""

    role: str
    """``screenshot``, ``screenshot-annotated``, ``pdf``, ``dom`` or ``mhtml``."""
    name: str
    """The file's name in the item."""
    media_type: str
    """IANA media type."""


class BrowserRequestRecord(Record):
    """A request the browser made while rendering."""

    url: str
    """The URL requested (``data:`` and ``blob:`` URLs are not requests and are left out)."""
    method: str
    """HTTP method."""
    resource_type: str
    """What the browser fetched it for: ``document``, ``script``, ``image``, ``xhr``..."""
    status: int | None
    """HTTP status of the answer; ``None`` when none came."""
    failure: str | None
    """Why the request failed (the browser's error text), if it did."""


class BrowserRecord(Record):
    """The browser view of one capture: what was rendered, how, and what went wrong."""

    requested_url: str
    """The URL the browser was asked to open."""
    final_url: str | None
    """The URL shown after redirects and script navigation; ``None`` if nothing loaded."""
    status: int | None
    """HTTP status of the main document as the browser received it."""
    title: str | None
    """The document title after scripts ran."""
    started: str
    """UTC time the browser started on this page."""
    ended: str
    """UTC time the browser finished (or abandoned) this page."""
    complete: bool
    """True only when every step finished within its time limit."""
    browser: str
    """Browser name (Chromium, Google Chrome, Microsoft Edge)."""
    browser_version: str
    """Browser version."""
    browser_product: str
    """The product string the browser reports (e.g. ``HeadlessChrome/150.0.7871.100``)."""
    driver: str
    """The automation library and its version."""
    sandboxed: bool
    """Whether the browser ran with its sandbox (off when running as root)."""
    user_agent: str
    """The User-Agent the browser sent."""
    proxy: str | None
    """The kind of proxy (``http``, ``https``, ``socks5``) or ``None``; its address is not kept."""
    extra_header_names: list[str]
    """Names of the extra request headers set; their values are not recorded."""
    cookies_sent: int = Field(ge=0)
    """How many cookies were given to the browser; their values are not recorded."""
    secrets_omitted: bool
    """True when header or cookie values, or credentials from the URL, were left out."""
    page_width: int | None
    """Width of the rendered document in CSS pixels."""
    page_height: int | None
    """Height of the rendered document in CSS pixels (the full-page screenshot's height)."""
    files: list[BrowserFileRecord]
    """The files produced."""
    requests: list[BrowserRequestRecord]
    """Every request the browser made, in order."""
    warnings: list[str]
    """What was cut short or failed, in plain words."""
    traffic_recorded: bool = False
    """Whether every request and response went through the recording proxy into the WARC."""
    traffic: list[Hop] = Field(default_factory=list)
    """Each exchange as recorded (same fields as the raw fetch's hops; the WARC-Record-IDs
    name its request and response records)."""
    tls_failure: str | None = None
    """Why the page itself failed TLS in the browser, if it did."""
    feed: FeedRecord | None = None
    """Each scroll and "load more" click made before capturing (``--scroll``)."""
