"""The watch feature's records: entry details (named in :mod:`.actions`) and the facts they hold.

They are frozen pydantic models that refuse unknown fields. What is written is what the
model allows, and what is read back is validated, so an entry edited by hand, or written
by a newer version, is skipped loudly rather than half understood.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from cybercase.evidence.details import Detail

COMPARISON_FORMAT = "cybercase-comparison/1"
WATCH_TAG = "watch"
MIN_EVERY_SECONDS = 60

Verdict = Literal["first", "unchanged", "changed", "gone", "failed"]
"""What a comparison found, worst first when several apply: ``gone`` wins over ``changed``."""

ChangeField = Literal["status", "redirect", "title", "price", "text", "images", "seller"]


class Model(Detail):
    """Frozen and strict: what is in the log is exactly what was written.

    The watch feature has always written every field, ``null`` included, so its details
    keep doing so (the custody vocabulary's default leaves ``None`` out).
    """

    def to_detail(self) -> dict[str, Any]:
        """Every field, as JSON."""
        return self.model_dump(mode="json")


class WatchAdded(Model):
    """Detail of a ``watch.added`` entry: one URL put under watch."""

    url: str
    """The URL, as checked by the capture library."""
    every_seconds: int = Field(ge=MIN_EVERY_SECONDS)
    """How often it is recaptured."""
    until: str | None = None
    """UTC time after which it is no longer recaptured."""
    browser: bool = True
    """Whether its recaptures are rendered by the browser too."""
    note: str | None = None
    """Why it is watched, in the investigator's words."""


class WatchRemoved(Model):
    """Detail of a ``watch.removed`` entry."""

    url: str
    """The URL taken off the watch list (its captures stay evidence)."""
    reason: str | None = None
    """Why, if the investigator said."""


class RunStarted(Model):
    """Detail of ``watch.run.started``: the URLs one run is to capture.

    Written before the first capture, so a run that is killed is resumed from the log:
    the next run captures the URLs of this list that have no item from this run yet.
    """

    run: str
    """The run's id; every capture of the run carries it as its batch id."""
    urls: list[str]
    """The URLs due (or all watched URLs, with ``--all``)."""
    reason: Literal["due", "all"]
    """Why these URLs."""


class RunFinished(Model):
    """Detail of ``watch.run.finished``: what one run did."""

    run: str
    """The run's id."""
    captured: int
    """Items captured by the run (including those of an earlier, interrupted start)."""
    compared: int
    """Comparisons recorded."""
    changed: int
    """Captures that differ from the one before."""
    gone: int
    """Captures showing the listing gone."""
    failed: int
    """URLs that could not be captured (a logged attempt each)."""


class PriceFact(Model):
    """One price found in the page's text."""

    amount: str
    """The amount as a decimal number (``1250.00``)."""
    currency: str
    """ISO 4217 code or the symbol as written."""
    text: str
    """The text it was read from (``€1,250``)."""
    line: int | None = None
    """The line of ``text.txt`` it is on (0-based)."""


class ImageFact(Model):
    """One image of the page, by its bytes and by its look."""

    url: str
    """Where the page pointed."""
    sha256: str
    """SHA-256 of the bytes served (``sha256:<hex>``)."""
    phash: str | None = None
    """Perceptual hash, when the image could be decoded."""
    algorithm: str | None = None
    """Which perceptual hash ``phash`` holds."""
    width: int | None = None
    """Pixels, as the file declares."""
    height: int | None = None
    """Pixels, as the file declares."""


class CaptureFacts(Model):
    """What one capture showed, reduced to what a comparison looks at.

    Kept in every comparison for its current capture, so the next comparison reads it
    from the log instead of re-reading and re-hashing that capture's objects.
    """

    item: str
    """The capture's item id."""
    started: str
    """When the capture started (UTC)."""
    outcome: str
    """The capture's outcome (``captured``, ``http-error``, ``failed``...)."""
    status: int | None
    """HTTP status of the last response."""
    final_url: str | None
    """Where redirects ended."""
    payload_sha256: str | None
    """Digest of the last response's body as served (the WARC-Payload-Digest)."""
    title: str | None = None
    """The page's title."""
    text_digest: str | None = None
    """Digest of the visible text, ``text.txt`` (``sha256:<hex>``), to diff it later."""
    prices: list[PriceFact] = Field(default_factory=list)
    """Prices in the text, in order."""
    images: list[ImageFact] = Field(default_factory=list)
    """Images captured with the page."""
    seller_links: list[str] = Field(default_factory=list)
    """Links to seller or account pages of the same site."""
    gone: bool = False
    """Whether this capture shows the listing gone."""
    gone_reason: str | None = None
    """Why, in words (``HTTP 404``, ``redirected to the home page``)."""


class Change(Model):
    """One thing that differs between two captures."""

    field: ChangeField
    """What changed."""
    summary: str
    """In words, for people: ``price 1,250.00 EUR -> 990.00 EUR``."""
    before: list[str] = Field(default_factory=list)
    """The earlier values (as text)."""
    after: list[str] = Field(default_factory=list)
    """The later values (as text)."""


class Comparison(Model):
    """Detail of an ``item.compared`` entry: one capture of a watched URL beside the one before.

    The entry names both items (current first). ``verdict`` says it in one word; each
    :class:`Change` says what differs.
    """

    format: str = COMPARISON_FORMAT
    """Version of this layout."""
    url: str
    """The watched URL."""
    current: str
    """The new capture's item id."""
    previous: str | None
    """The capture compared with (``None`` for the first capture of the URL)."""
    verdict: Verdict
    """``first``, ``unchanged``, ``changed``, ``gone`` or ``failed``."""
    identical: bool = False
    """Same payload digest as the previous capture: byte for byte the same page."""
    seller_changed: bool = False
    """The seller links differ (a listing taken over, or re-listed under another account)."""
    changes: list[Change] = Field(default_factory=list)
    """What differs, field by field."""
    text_diff: str | None = None
    """Unified diff of the visible text (bounded; see ``text_diff_truncated``)."""
    text_diff_truncated: bool = False
    """Whether the diff was cut to its first lines."""
    facts: CaptureFacts
    """The current capture, as compared (the next comparison starts from it; the previous
    capture's are in the comparison that names it as current, or in its own record)."""

    def to_detail(self) -> dict[str, Any]:
        """Fields left at their default are left out (nothing changed, no diff), which
        keeps the log small, except the format, always named."""
        return {"format": self.format, **self.model_dump(mode="json", exclude_defaults=True)}
