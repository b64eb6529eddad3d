"""What changed between two captures of one URL, field by field.

Both captures are first reduced to their facts (:mod:`.facts`); :func:`compare` then
says what differs: status, redirect, title, price, images (by SHA-256 and perceptual
hash), seller links, and the visible text as a bounded unified diff, read only when the
text changed.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from cybercase.investigate.images import ImageHashes, is_near
from cybercase.monitor.facts import ReadObject
from cybercase.monitor.models import (
    CaptureFacts,
    Change,
    Comparison,
    ImageFact,
    PriceFact,
    Verdict,
)

MAX_DIFF_LINES = 200
MAX_DIFF_CHARS = 16_000


@dataclass(frozen=True, slots=True)
class Texts:
    """The visible texts of the two captures, read only when a diff is needed."""

    read: ReadObject

    def of(self, facts: CaptureFacts | None) -> str | None:
        """The text of a capture, if it has one."""
        if facts is None or facts.text_digest is None:
            return None
        return self.read(facts.text_digest).decode("utf-8", errors="replace")


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
