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
from typing import Any
from urllib.parse import urlsplit

from cybercase.collect.item_files import ROLE_RECORD, ROLE_TEXT
from cybercase.investigate.images import perceptual_hashes
from cybercase.investigate.prices import find_prices
from cybercase.monitor.models import (
    CaptureFacts,
    ImageFact,
    PriceFact,
)
from cybercase.monitor.state import CaptureRef
from cybercase.request.identifiers import account_links

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


def read_facts(
    ref: CaptureRef,
    url: str,
    read: ReadObject,
    previous: CaptureFacts | None = None,
) -> CaptureFacts:
    """A capture reduced to what a comparison looks at (see the module)."""
    record: dict[str, Any] = {}
    record_artifact = ref.artifact(ROLE_RECORD)
    if record_artifact is not None:
        try:
            loaded = json.loads(read(record_artifact.digest))
        except ValueError:
            loaded = None
        record = loaded if isinstance(loaded, dict) else {}
    payload = _payload_digest(record)
    text_artifact = ref.artifact(ROLE_TEXT)
    text_digest = text_artifact.digest if text_artifact is not None else None
    text: str | None = None
    prices: list[PriceFact] = []
    if text_digest is not None:
        if previous is not None and previous.text_digest == text_digest:
            prices = list(previous.prices)
            text = None
        else:
            text = read(text_digest).decode("utf-8", errors="replace")
            before = None
            if previous is not None and previous.text_digest is not None:
                before = read(previous.text_digest).decode("utf-8", errors="replace")
            prices = prices_of(text, before, previous.prices if previous is not None else [])
    known = {i.sha256: i for i in previous.images} if previous is not None else {}
    images: list[ImageFact] = []
    for image in _list(record.get("images")):
        if not isinstance(image, dict):
            continue
        digest, image_url = image.get("sha256"), image.get("url")
        if not isinstance(digest, str) or not isinstance(image_url, str):
            continue
        if image.get("outcome") != "captured":
            continue
        seen = known.get(digest)
        if seen is not None:
            images.append(seen.model_copy(update={"url": image_url}))
            continue
        hashes = None
        size = image.get("size")
        if isinstance(size, int) and size <= MAX_IMAGE_BYTES and not image.get("truncated"):
            hashes = perceptual_hashes(read(digest))
        images.append(
            ImageFact(
                url=image_url,
                sha256=digest,
                phash=hashes.phash if hashes else None,
                algorithm=hashes.algorithm if hashes else None,
                width=hashes.width if hashes else None,
                height=hashes.height if hashes else None,
            )
        )
    page = record.get("page")
    page = page if isinstance(page, dict) else {}
    same_page = (
        previous is not None
        and payload is not None
        and previous.payload_sha256 == payload
        and previous.final_url == ref.final_url
    )
    if same_page and previous is not None:
        sellers = list(previous.seller_links)
    else:
        links = [
            link
            for link in _list(page.get("links"))
            if isinstance(link, str) and _maybe_account(link)
        ]
        sellers = account_links(links, ref.final_url or url) if links else []
    title = page.get("title")
    reason = gone_reason(url, ref.outcome, ref.status, ref.final_url, text)
    if reason is None and text is None and previous is not None and text_digest is not None:
        said = previous.gone_reason or ""
        if previous.text_digest == text_digest and said.startswith(_SAYS):
            reason = said
    return CaptureFacts(
        item=ref.item,
        started=ref.started,
        outcome=ref.outcome,
        status=ref.status,
        final_url=ref.final_url,
        payload_sha256=payload,
        title=title if isinstance(title, str) else ref.title,
        text_digest=text_digest,
        prices=prices,
        images=images,
        seller_links=sellers,
        gone=reason is not None,
        gone_reason=reason,
    )


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
