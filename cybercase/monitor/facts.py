"""A capture reduced to what a comparison looks at: its facts.

:func:`read_facts` reads a capture's ``record.json`` and ``text.txt`` into
:class:`~cybercase.monitor.models.CaptureFacts`: status, where redirects ended, the
payload's digest, title, prices, images by SHA-256 and by perceptual hash, seller links,
and whether the page shows the listing gone.

Costs are kept to what a change needs: the same payload digest means the same page and
only the images are looked at (the seller links are the previous capture's); prices are
read again only from the lines of a text that changed; an image already hashed in the
previous capture (same SHA-256) is not decoded again. That is what keeps a ``watch run``
close to a plain ``capture --from`` of the same list.

A listing is **gone** when its URL answers 404 or 410, redirects to the site's home or a
search page, or answers with a page that says the listing is no longer available.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from cybercase.collect.commit import listed_title
from cybercase.collect.item_files import ROLE_RECORD, ROLE_TEXT
from cybercase.collect.record import CaptureRecord
from cybercase.evidence import Artifact
from cybercase.investigate.images import perceptual_hashes
from cybercase.investigate.prices import find_prices
from cybercase.monitor.models import (
    CaptureFacts,
    ImageFact,
    PriceFact,
)
from cybercase.monitor.state import CaptureRef
from cybercase.request.accounts import account_links

MAX_IMAGE_BYTES = 32 * 1024 * 1024
GONE_STATUSES = (404, 410)
GONE_TEXT_CHARS = 600
"""Only the top of the text is read for a "no longer available" notice, where sites put it."""
_SEARCH_PATH = re.compile(r"(^|/)(search|find|results?|recherche|buscar|suche)(/|$|\.)", re.I)
_SEARCH_QUERY = re.compile(r"(^|&)(q|query|search|keywords?|s)=", re.I)
_GONE_PHRASES = re.compile(
    r"(listing|item|ad|advert|offer|annonce|anuncio)\s+(is\s+|has\s+been\s+|was\s+)?"
    r"(no longer available|removed|deleted|expired|n'est plus disponible|supprimée?)"
    r"|no longer available",
    re.I,
)

_MAYBE_ACCOUNT = (
    "user",
    "seller",
    "profile",
    "member",
    "shop",
    "store",
    "people",
    "vendor",
    "account",
    "/u/",
    "usr",
    "uid",
    "sid",
)
"""A cheap superset of what :func:`account_links` recognises, to skip the other links.

A listing page links to dozens of related items; splitting every URL is most of the cost
of finding the seller, and most links cannot be one.
"""
_SAYS = "the page says: "

ReadObject = Callable[[str], bytes]
"""Bytes of a stored object by its ``sha256:<hex>`` name."""


def gone_reason(
    requested: str, outcome: str, status: int | None, final_url: str | None, text: str | None
) -> str | None:
    """Why this capture shows the listing gone, or ``None`` when it still shows it."""
    if status in GONE_STATUSES:
        return f"HTTP {status}"
    if final_url and status is not None and final_url != requested:
        parts = urlsplit(final_url)
        same_site = parts.hostname == urlsplit(requested).hostname
        if same_site and parts.path in ("", "/") and not parts.query:
            return f"redirected to the home page ({final_url})"
        if same_site and (_SEARCH_PATH.search(parts.path) or _SEARCH_QUERY.search(parts.query)):
            return f"redirected to a search page ({final_url})"
    match = _GONE_PHRASES.search(text[:GONE_TEXT_CHARS]) if outcome == "captured" and text else None
    if match is not None:
        return f"{_SAYS}{match.group(0)!r}"
    return None


@dataclass(frozen=True, slots=True)
class ShownImage:
    """An image the capture stored, as its record lists it."""

    url: str
    sha256: str
    hashable: bool
    """Complete and small enough to decode for a perceptual hash."""


def _decodable(size: object, truncated: object) -> bool:
    """Whether an image of this size, complete or not, is decoded for its perceptual hash."""
    return isinstance(size, int) and size <= MAX_IMAGE_BYTES and not truncated


@dataclass(frozen=True, slots=True)
class RecordView:
    """The parts of a capture record that a comparison reads.

    Made from the stored ``record.json`` (:meth:`of_json`: read, not trusted, so every
    field is checked) or, where the capture is prepared, from the record in memory
    (:meth:`of_record`); both give the same view of the same capture.
    """

    payload_sha256: str | None
    images: tuple[ShownImage, ...]
    title: str | None
    links: tuple[str, ...]

    @classmethod
    def of_json(cls, record: dict[str, Any]) -> RecordView:
        """The view of a parsed ``record.json``; what does not fit is left out."""
        images = []
        for image in _list(record.get("images")):
            if not isinstance(image, dict) or image.get("outcome") != "captured":
                continue
            digest, image_url = image.get("sha256"), image.get("url")
            if not isinstance(digest, str) or not isinstance(image_url, str):
                continue
            hashable = _decodable(image.get("size"), image.get("truncated"))
            images.append(ShownImage(image_url, digest, hashable))
        page = record.get("page")
        page = page if isinstance(page, dict) else {}
        title = page.get("title")
        return cls(
            payload_sha256=_payload_digest(record),
            images=tuple(images),
            title=title if isinstance(title, str) else None,
            links=tuple(link for link in _list(page.get("links")) if isinstance(link, str)),
        )

    @classmethod
    def of_record(cls, record: CaptureRecord) -> RecordView:
        """The view of a record in memory (the capture being prepared)."""
        hops = record.attempts[-1].hops if record.attempts else []
        body = hops[-1].body if hops else None
        page = record.page
        return cls(
            payload_sha256=body.sha256 if body is not None else None,
            images=tuple(
                ShownImage(image.url, image.sha256, _decodable(image.size, image.truncated))
                for image in record.images
                if image.outcome == "captured" and image.sha256 is not None
            ),
            title=page.title if page is not None else None,
            links=tuple(page.links) if page is not None else (),
        )


@dataclass(frozen=True, slots=True)
class Captured:
    """Who a capture is, as its ``item.acquired`` entry says it."""

    item: str
    started: str
    outcome: str
    status: int | None
    final_url: str | None
    title: str | None
    """The listed title (cut to 300 characters), for a record that gives none."""
    text_digest: str | None

    @classmethod
    def of_ref(cls, ref: CaptureRef) -> Captured:
        """From the capture's entry, as folded."""
        text = ref.artifact(ROLE_TEXT)
        return cls(
            ref.item,
            ref.started,
            ref.outcome,
            ref.status,
            ref.final_url,
            ref.title,
            text.digest if text is not None else None,
        )

    @classmethod
    def of_record(cls, record: CaptureRecord, artifacts: Sequence[Artifact]) -> Captured:
        """From a capture being prepared; its item id is not known yet (``""``)."""
        text = next((a for a in artifacts if a.role == ROLE_TEXT), None)
        return cls(
            "",
            record.started,
            record.outcome,
            record.status,
            record.final_url,
            listed_title(record),
            text.digest if text is not None else None,
        )


def read_facts(
    ref: CaptureRef,
    url: str,
    read: ReadObject,
    previous: CaptureFacts | None = None,
) -> CaptureFacts:
    """A stored capture reduced to what a comparison looks at (see the module)."""
    record: dict[str, Any] = {}
    record_artifact = ref.artifact(ROLE_RECORD)
    if record_artifact is not None:
        try:
            loaded = json.loads(read(record_artifact.digest))
        except ValueError:
            loaded = None
        record = loaded if isinstance(loaded, dict) else {}
    return facts_of(Captured.of_ref(ref), url, RecordView.of_json(record), read, previous)


def facts_of(
    captured: Captured,
    url: str,
    view: RecordView,
    read: ReadObject,
    previous: CaptureFacts | None = None,
    *,
    text: str | None = None,
) -> CaptureFacts:
    """The facts of a capture from its record's view; ``text``, when the caller holds it,
    saves reading it (it must be the stored text's)."""
    text_digest = captured.text_digest
    prices: list[PriceFact] = []
    if text_digest is not None:
        if previous is not None and previous.text_digest == text_digest:
            prices = list(previous.prices)
            text = None
        else:
            if text is None:
                text = read(text_digest).decode("utf-8", errors="replace")
            before = None
            if previous is not None and previous.text_digest is not None:
                before = read(previous.text_digest).decode("utf-8", errors="replace")
            prices = prices_of(text, before, previous.prices if previous is not None else [])
    else:
        text = None
    known = {i.sha256: i for i in previous.images} if previous is not None else {}
    images: list[ImageFact] = []
    for image in view.images:
        seen = known.get(image.sha256)
        if seen is not None:
            images.append(seen.model_copy(update={"url": image.url}))
            continue
        hashes = perceptual_hashes(read(image.sha256)) if image.hashable else None
        images.append(
            ImageFact(
                url=image.url,
                sha256=image.sha256,
                phash=hashes.phash if hashes else None,
                algorithm=hashes.algorithm if hashes else None,
                width=hashes.width if hashes else None,
                height=hashes.height if hashes else None,
            )
        )
    same_page = (
        previous is not None
        and view.payload_sha256 is not None
        and previous.payload_sha256 == view.payload_sha256
        and previous.final_url == captured.final_url
    )
    if same_page and previous is not None:
        sellers = list(previous.seller_links)
    else:
        links = [link for link in view.links if _maybe_account(link)]
        sellers = account_links(links, captured.final_url or url) if links else []
    reason = gone_reason(url, captured.outcome, captured.status, captured.final_url, text)
    if reason is None and text is None and previous is not None and text_digest is not None:
        said = previous.gone_reason or ""
        if previous.text_digest == text_digest and said.startswith(_SAYS):
            reason = said
    return CaptureFacts(
        item=captured.item,
        started=captured.started,
        outcome=captured.outcome,
        status=captured.status,
        final_url=captured.final_url,
        payload_sha256=view.payload_sha256,
        title=view.title if view.title is not None else captured.title,
        text_digest=text_digest,
        prices=prices,
        images=images,
        seller_links=sellers,
        gone=reason is not None,
        gone_reason=reason,
    )


@dataclass(frozen=True, slots=True)
class Analysed:
    """A capture's facts, read where it was prepared (its item id left ``""``)."""

    previous: str | None
    """The capture whose facts they were read against (``None``: the URL's first)."""
    facts: CaptureFacts

    def for_capture(self, ref: CaptureRef, previous: CaptureRef | None) -> CaptureFacts | None:
        """The facts for ``ref`` as committed, or ``None`` when they do not belong to it
        (read against another previous capture, or of other bytes): read them again."""
        facts = self.facts
        text = ref.artifact(ROLE_TEXT)
        fits = (
            self.previous == (previous.item if previous is not None else None)
            and (facts.started, facts.outcome, facts.status, facts.final_url)
            == (ref.started, ref.outcome, ref.status, ref.final_url)
            and facts.text_digest == (text.digest if text is not None else None)
        )
        return facts.model_copy(update={"item": ref.item}) if fits else None


class FactsAhead:
    """Reads each capture's facts where it is prepared, from the page still in memory.

    An :data:`~cybercase.collect.commit.Analyse` for the capture library: a watch run
    hands it the previous facts of every URL it captures, before the captures start (in
    worker processes, which it reaches by being inherited), and gets an :class:`Analysed`
    with each capture. The stored record is then never read back, and the work is spread
    over the processes that prepare the captures.
    """

    def __init__(
        self, previous: dict[str, tuple[str | None, CaptureFacts | None]], read: ReadObject
    ) -> None:
        self.previous = previous
        """By URL: the item of its last capture (``None``: none yet) and that capture's facts."""
        self.read = read

    def __call__(
        self, record: CaptureRecord, artifacts: Sequence[Artifact], text: str | None
    ) -> Analysed | None:
        url = record.requested_url
        known = self.previous.get(url)
        if known is None:
            return None
        item, previous = known
        captured = Captured.of_record(record, artifacts)
        facts = facts_of(
            captured, url, RecordView.of_record(record), self.read, previous, text=text
        )
        return Analysed(item, facts)


def _line_prices(lines: Sequence[str], start: int, end: int) -> list[PriceFact]:
    found: list[PriceFact] = []
    for number in range(start, end):
        line = lines[number]
        if not any(ch.isdigit() for ch in line):
            continue
        found.extend(
            PriceFact(amount=str(p.amount), currency=p.currency, text=p.text, line=number)
            for p in find_prices(line)
        )
    return found


def prices_of(text: str, before: str | None, known: Sequence[PriceFact]) -> list[PriceFact]:
    """The prices in ``text``, reading again only the lines that differ from ``before``.

    :func:`~cybercase.investigate.prices.find_prices` never matches across a line break
    (the gap between a number and its currency is a space, never a newline), so the
    prices of a text are those of its lines, and a line kept from the previous capture
    keeps the prices found there (``known``, with their line numbers). A price on a
    changed page is then read from the few lines that changed, not the whole page.
    """
    lines = text.splitlines()
    if before is None or any(p.line is None for p in known):
        return _line_prices(lines, 0, len(lines))
    old = before.splitlines()
    by_line: dict[int, list[PriceFact]] = {}
    for price in known:
        by_line.setdefault(price.line or 0, []).append(price)
    found: list[PriceFact] = []
    matcher = difflib.SequenceMatcher(None, old, lines, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            for offset in range(i2 - i1):
                found.extend(
                    p.model_copy(update={"line": j1 + offset}) for p in by_line.get(i1 + offset, [])
                )
        else:
            found.extend(_line_prices(lines, j1, j2))
    return found


def _maybe_account(link: str) -> bool:
    low = link.lower()
    return any(word in low for word in _MAYBE_ACCOUNT)


def _list(value: object) -> list[Any]:
    """``value`` if it is a JSON array, else an empty one (records are read, not trusted)."""
    return value if isinstance(value, list) else []


def _payload_digest(record: dict[str, Any]) -> str | None:
    """The last response body's SHA-256 in a capture record, if it has one."""
    attempts = _list(record.get("attempts"))
    hops = _list(attempts[-1].get("hops")) if attempts and isinstance(attempts[-1], dict) else []
    last = hops[-1] if hops and isinstance(hops[-1], dict) else {}
    body = last.get("body")
    digest = body.get("sha256") if isinstance(body, dict) else None
    return digest if isinstance(digest, str) else None
