"""What changed between two captures of one URL.

A capture is first reduced to :class:`~cybercase.monitor.models.CaptureFacts` (status,
where redirects ended, the payload's digest, title, prices, images by SHA-256 and by
perceptual hash, seller links), read from its ``record.json`` and ``text.txt``. Two
facts are then compared field by field.

Costs are kept to what a change needs: the same payload digest means the same page and
only the images are looked at; prices are read only from a text whose digest is new;
an image already hashed in the previous capture (same SHA-256) is not decoded again.
That is what keeps a ``watch run`` close to a plain ``capture --from`` of the same list.

A listing is **gone** when its URL answers 404 or 410, redirects to the site's home or a
search page, or answers with a page that says the listing is no longer available.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import urlsplit

from pydantic import ValidationError

from cybercase.collect.capture import ROLE_RECORD, ROLE_TEXT
from cybercase.collect.record import CaptureRecord
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
    record: CaptureRecord | None = None
    record_artifact = ref.artifact(ROLE_RECORD)
    if record_artifact is not None:
        try:
            record = CaptureRecord.model_validate_json(read(record_artifact.digest))
        except ValidationError:
            record = None
    payload = None
    if record is not None and record.attempts and record.attempts[-1].hops:
        body = record.attempts[-1].hops[-1].body
        payload = body.sha256 if body is not None else None
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
            prices = [
                PriceFact(amount=str(p.amount), currency=p.currency, text=p.text)
                for p in find_prices(text)
            ]
    known = {i.sha256: i for i in previous.images} if previous is not None else {}
    images: list[ImageFact] = []
    links: list[str] = []
    if record is not None:
        for image in record.images:
            if image.sha256 is None or image.outcome != "captured":
                continue
            seen = known.get(image.sha256)
            if seen is not None:
                images.append(seen.model_copy(update={"url": image.url}))
                continue
            hashes = None
            if (image.size or 0) <= MAX_IMAGE_BYTES and not image.truncated:
                hashes = perceptual_hashes(read(image.sha256))
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
        if record.page is not None:
            links = account_links(record.page.links, ref.final_url or url)
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
        title=record.page.title if record is not None and record.page else ref.title,
        text_sha256=text_digest,
        text_digest=text_digest,
        prices=prices,
        images=images,
        seller_links=links,
        gone=reason is not None,
        gone_reason=reason,
    )


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
            previous_facts=previous,
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
        if previous.text_sha256 != current.text_sha256:
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
        previous_facts=previous,
    )
