"""What changed between two captures of one URL.

A capture is first reduced to :class:`~cybercase.monitor.models.CaptureFacts` (status,
where redirects ended, the payload's digest, title, prices, images by SHA-256 and by
perceptual hash, seller links), read from its ``record.json`` and ``text.txt``. Two
facts are then compared field by field.

Costs are kept to what a change needs: the same payload digest means the same page and
only the images are looked at (the seller links are the previous capture's);
prices are read again only from the lines of a text that changed;
an image already hashed in the previous capture (same SHA-256) is not decoded again.
That is what keeps a ``watch run`` close to a plain ``capture --from`` of the same list.

A listing is **gone** when its URL answers 404 or 410, redirects to the site's home or a
search page, or answers with a page that says the listing is no longer available.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from cybercase.collect.item_files import ROLE_RECORD, ROLE_TEXT
from cybercase.investigate.images import ImageHashes, is_near, perceptual_hashes
from cybercase.investigate.prices import find_prices
from cybercase.monitor.models import (
    CaptureFacts,
    Change,
    Comparison,
    ImageFact,
    PriceFact,
    Verdict,
)
from cybercase.monitor.state import CaptureRef
from cybercase.request.identifiers import account_links

MAX_DIFF_LINES = 200
MAX_DIFF_CHARS = 16_000
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


@dataclass(frozen=True, slots=True)
class Texts:
    """The visible texts of the two captures, read only when a diff is needed."""

    read: ReadObject

    def of(self, facts: CaptureFacts | None) -> str | None:
        """The text of a capture, if it has one."""
        if facts is None or facts.text_digest is None:
            return None
        return self.read(facts.text_digest).decode("utf-8", errors="replace")


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


def _price_text(price: PriceFact) -> str:
    amount = Decimal(price.amount)
    return f"{amount:,} {price.currency}"


def _image_hashes(fact: ImageFact) -> ImageHashes | None:
    if fact.phash is None or fact.algorithm is None:
        return None
    return ImageHashes(
        sha256=fact.sha256.removeprefix("sha256:"),
        phash=fact.phash,
        width=fact.width or 0,
        height=fact.height or 0,
        algorithm=fact.algorithm,
    )


def _image_changes(before: Sequence[ImageFact], after: Sequence[ImageFact]) -> Change | None:
    old = {i.sha256: i for i in before}
    new = {i.sha256: i for i in after}
    removed = [i for s, i in old.items() if s not in new]
    added = [i for s, i in new.items() if s not in old]
    if not removed and not added:
        return None
    recoded = 0
    for image in list(added):
        mine = _image_hashes(image)
        match = None
        for other in removed:
            theirs = _image_hashes(other)
            if mine is None or theirs is None or mine.algorithm != theirs.algorithm:
                continue
            if is_near(mine, theirs):
                match = other
                break
        if match is not None:
            removed.remove(match)
            added.remove(image)
            recoded += 1
    parts = []
    if removed and added:
        parts.append(f"photo swapped: {len(removed)} removed, {len(added)} added")
    elif removed:
        parts.append(f"{len(removed)} photo(s) removed")
    elif added:
        parts.append(f"{len(added)} photo(s) added")
    if recoded:
        parts.append(f"{recoded} photo(s) re-encoded (same picture by perceptual hash)")
    return Change(
        field="images",
        summary="; ".join(parts),
        before=[i.sha256 for i in removed],
        after=[i.sha256 for i in added],
    )


def text_diff(before: str, after: str) -> tuple[str, int, int, bool]:
    """A unified diff of two texts: (diff, lines added, lines removed, truncated)."""
    lines = list(
        difflib.unified_diff(
            before.splitlines(), after.splitlines(), "before", "after", lineterm="", n=1
        )
    )
    added = sum(1 for x in lines if x.startswith("+") and not x.startswith("+++"))
    removed = sum(1 for x in lines if x.startswith("-") and not x.startswith("---"))
    truncated = len(lines) > MAX_DIFF_LINES
    text = "\n".join(lines[:MAX_DIFF_LINES])
    if len(text) > MAX_DIFF_CHARS:
        text, truncated = text[:MAX_DIFF_CHARS], True
    return text, added, removed, truncated


def compare(
    url: str,
    current: CaptureFacts,
    previous: CaptureFacts | None,
    texts: Texts,
) -> Comparison:
    """Compare a capture with the one before it (see the module)."""
    if previous is None:
        verdict: Verdict = "gone" if current.gone else "first"
        if current.outcome not in ("captured", "http-error"):
            verdict = "failed"
        return Comparison(
            url=url, current=current.item, previous=None, verdict=verdict, facts=current
        )
    changes: list[Change] = []
    if current.outcome not in ("captured", "http-error"):
        return Comparison(
            url=url,
            current=current.item,
            previous=previous.item,
            verdict="failed",
            changes=[
                Change(
                    field="status",
                    summary=f"not captured this time ({current.outcome})",
                    before=[str(previous.status)],
                    after=[current.outcome],
                )
            ],
            facts=current,
        )
    if previous.status != current.status:
        changes.append(
            Change(
                field="status",
                summary=f"HTTP {previous.status} -> {current.status}",
                before=[str(previous.status)],
                after=[str(current.status)],
            )
        )
    if (previous.final_url or url) != (current.final_url or url):
        changes.append(
            Change(
                field="redirect",
                summary=f"now ends at {current.final_url}",
                before=[previous.final_url or url],
                after=[current.final_url or url],
            )
        )
    identical = (
        previous.payload_sha256 is not None and previous.payload_sha256 == current.payload_sha256
    )
    diff = None
    diff_truncated = False
    if not identical:
        if previous.title != current.title:
            changes.append(
                Change(
                    field="title",
                    summary=f"title {previous.title!r} -> {current.title!r}",
                    before=[previous.title or ""],
                    after=[current.title or ""],
                )
            )
        old_prices = [_price_text(p) for p in previous.prices]
        new_prices = [_price_text(p) for p in current.prices]
        if old_prices != new_prices:
            changes.append(
                Change(
                    field="price",
                    summary=f"price {', '.join(old_prices) or 'none'} -> "
                    f"{', '.join(new_prices) or 'none'}",
                    before=old_prices,
                    after=new_prices,
                )
            )
        if previous.text_digest != current.text_digest:
            old_text, new_text = texts.of(previous), texts.of(current)
            if old_text is not None and new_text is not None:
                diff, added, removed, diff_truncated = text_diff(old_text, new_text)
                if added or removed:
                    changes.append(
                        Change(
                            field="text",
                            summary=f"text: {added} line(s) added, {removed} removed",
                        )
                    )
            elif old_text != new_text:
                changes.append(
                    Change(
                        field="text",
                        summary="text: " + ("none now" if new_text is None else "appeared"),
                    )
                )
        if sorted(previous.seller_links) != sorted(current.seller_links):
            changes.append(
                Change(
                    field="seller",
                    summary="seller links "
                    f"{', '.join(previous.seller_links) or 'none'} -> "
                    f"{', '.join(current.seller_links) or 'none'}",
                    before=list(previous.seller_links),
                    after=list(current.seller_links),
                )
            )
    images = _image_changes(previous.images, current.images)
    if images is not None:
        changes.append(images)
    seller_changed = (
        not identical
        and bool(previous.seller_links)
        and bool(current.seller_links)
        and sorted(previous.seller_links) != sorted(current.seller_links)
    )
    if current.gone:
        verdict = "gone"
    elif changes:
        verdict = "changed"
    else:
        verdict = "unchanged"
    return Comparison(
        url=url,
        current=current.item,
        previous=previous.item,
        verdict=verdict,
        identical=identical,
        seller_changed=seller_changed,
        changes=changes,
        text_diff=diff,
        text_diff_truncated=diff_truncated,
        facts=current,
    )
