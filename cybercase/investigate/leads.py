"""Leads: what links items — the same phone, handle, wallet, camera, place or photo.

One function, :func:`find_leads`, serves ``cybercase leads`` (across every registered
case, through the index) and the HTML report (within one case), so the two cannot
disagree. It reads :class:`LeadSource` values — an item's entities and images — and
groups them:

- an **entity** of a linking kind (phone, e-mail, handle, Telegram, WhatsApp, WeChat,
  Line, BTC/ETH/TRX address) with the same normalised value in two or more items;
- a **camera serial** (EXIF body serial number) in the photos of two or more items;
- a **GPS position** (EXIF, rounded to 4 decimals, about 11 m) in two or more items;
  0, 0 is not a place (a camera without a fix) and links nothing;
- a **photo**: images with the same SHA-256, or whose pHashes are within
  :data:`~cybercase.investigate.images.PHASH_THRESHOLD` bits, in two or more items
  (grouped transitively: A near B and B near C puts A, B, C in one lead, each with its
  distance to the lead's first photo).

Each lead names its items and, for each, the evidence: the text as written and where
(artifact, offset), or the photo and its distance. A lead is a reason to look, not a
finding: the same photo can be stolen, a phone number can be a marketplace's.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cybercase.investigate.analysis import AnalysisSettings, current_analysis, is_evidence
from cybercase.investigate.entities import KINDS, LINKING_KINDS
from cybercase.investigate.images import PHASH_THRESHOLD
from cybercase.investigate.records import EntityRecord, ImageRecord, ItemAnalysis

__all__ = [
    "Lead",
    "LeadItem",
    "LeadSource",
    "LeadsReport",
    "find_leads",
    "leads_across",
    "source_of",
]

LEAD_KINDS = (*(k for k in KINDS if k in LINKING_KINDS), "serial", "gps", "photo")
"""Every kind of lead, in the order they are listed."""


@dataclass(frozen=True, slots=True)
class LeadSource:
    """What one item contributes to leads."""

    case_id: str
    item_id: str
    title: str | None
    entities: Sequence[EntityRecord] = ()
    images: Sequence[ImageRecord] = ()
    case_path: str = ""


def source_of(analysis: ItemAnalysis, case_path: str = "") -> LeadSource:
    """An item's analysis as a lead source."""
    return LeadSource(
        analysis.case_id,
        analysis.item_id,
        analysis.title,
        analysis.entities,
        analysis.images,
        case_path,
    )


@dataclass(slots=True)
class LeadItem:
    """One item named by a lead, and why."""

    case_id: str
    item_id: str
    title: str | None
    evidence: list[str] = field(default_factory=list)
    """What was found there: ``'+1 202-555-0147' in text.txt at 40``, a photo's hash..."""
    case_path: str = ""


@dataclass(slots=True)
class Lead:
    """Two or more items sharing one thing."""

    kind: str
    value: str
    items: list[LeadItem] = field(default_factory=list)
    detail: str | None = None
    """How the link was made, e.g. the photo distances and the threshold."""

    def to_json(self) -> dict[str, object]:
        """The lead for ``--json``."""
        return {
            "kind": self.kind,
            "value": self.value,
            "detail": self.detail,
            "items": [
                {
                    "case": i.case_id,
                    "case_path": i.case_path,
                    "item": i.item_id,
                    "title": i.title,
                    "evidence": i.evidence,
                }
                for i in self.items
            ],
        }


class _Groups:
    def __init__(self) -> None:
        self.by_key: dict[tuple[str, str], dict[tuple[str, str], LeadItem]] = {}

    def add(self, kind: str, value: str, source: LeadSource, evidence: str) -> None:
        items = self.by_key.setdefault((kind, value), {})
        key = (source.case_path or source.case_id, source.item_id)
        item = items.get(key)
        if item is None:
            item = LeadItem(source.case_id, source.item_id, source.title, [], source.case_path)
            items[key] = item
        if evidence not in item.evidence:
            item.evidence.append(evidence)

    def leads(self) -> list[Lead]:
        return [
            Lead(kind, value, list(items.values()))
            for (kind, value), items in self.by_key.items()
            if len(items) > 1
        ]


def _photo_leads(sources: Sequence[LeadSource]) -> list[Lead]:
    """Near-identical photos across items: union-find over exact and pHash matches."""
    photos: list[tuple[LeadSource, ImageRecord]] = [
        (s, i) for s in sources for i in s.images if i.phash is not None
    ]
    parent = list(range(len(photos)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    values = [int(image.phash or "0", 16) for _, image in photos]
    for i in range(len(photos)):
        for j in range(i + 1, len(photos)):
            same = photos[i][1].sha256 == photos[j][1].sha256
            if same or (values[i] ^ values[j]).bit_count() <= PHASH_THRESHOLD:
                a, b = root(i), root(j)
                if a != b:
                    parent[max(a, b)] = min(a, b)
    clusters: dict[int, list[int]] = {}
    for i in range(len(photos)):
        clusters.setdefault(root(i), []).append(i)
    leads: list[Lead] = []
    for members in clusters.values():
        items = {
            (photos[i][0].case_path or photos[i][0].case_id, photos[i][0].item_id) for i in members
        }
        if len(items) < 2:
            continue
        first = members[0]
        lead = Lead(
            "photo",
            photos[first][1].sha256,
            detail=(
                f"pHash distance to the first photo, in bits of 64; linked at "
                f"{PHASH_THRESHOLD} or less"
            ),
        )
        groups = _Groups()
        for i in members:
            source, image = photos[i]
            distance = (values[i] ^ values[first]).bit_count()
            note = " (same bytes)" if image.sha256 == photos[first][1].sha256 else ""
            groups.add(
                "photo",
                lead.value,
                source,
                f"{image.artifact} {image.sha256[:19]}… distance {distance}{note}",
            )
        lead.items = list(groups.by_key[("photo", lead.value)].values())
        leads.append(lead)
    return leads


def find_leads(sources: Iterable[LeadSource]) -> list[Lead]:
    """Every lead among ``sources``: most items first, then by kind and value."""
    listed = list(sources)
    groups = _Groups()
    for source in listed:
        for entity in source.entities:
            if entity.kind in LINKING_KINDS:
                groups.add(
                    entity.kind,
                    entity.value,
                    source,
                    f"{entity.text!r} in {entity.artifact} at {entity.offset}",
                )
        for image in source.images:
            if image.serial:
                camera = f" ({image.camera})" if image.camera else ""
                groups.add("serial", image.serial, source, f"{image.artifact}{camera}")
            if image.gps is not None and image.gps != (0.0, 0.0):
                lat, lon = image.gps
                groups.add("gps", f"{lat:.4f}, {lon:.4f}", source, image.artifact)
    leads = groups.leads() + _photo_leads(listed)
    leads.sort(key=lambda lead: (-len(lead.items), LEAD_KINDS.index(lead.kind), lead.value))
    return leads


@dataclass(slots=True)
class LeadsReport:
    """Leads across cases, and what could not be read."""

    leads: list[Lead]
    cases: list[str]
    """Case ids whose items were compared."""
    skipped: list[tuple[str, str]]
    """``(folder, reason)`` of registered cases that failed to open."""
    focus: str | None = None
    """The case the leads were restricted to (they all name one of its items)."""


def leads_across(home: Path, settings: AnalysisSettings, focus: Path | None = None) -> LeadsReport:
    """Leads among every registered case (refreshing the index), and ``focus`` if given.

    With ``focus`` (a case folder, registered or not), only leads that name one of its
    items are kept: what links this case to itself and to the others.
    """
    from cybercase.investigate.index import refresh_index
    from cybercase.investigate.index_rows import iter_case_rows

    refreshed = refresh_index(home, settings)
    sources: list[LeadSource] = []
    cases: list[str] = []
    focus_path = str(Path(os.path.abspath(focus))) if focus is not None else None
    seen_focus = False
    for case, items in iter_case_rows(home):
        if case.error is not None:
            continue
        cases.append(case.case_id or case.path)
        seen_focus = seen_focus or case.path == focus_path
        for row in items:
            sources.append(
                LeadSource(
                    row.case_id, row.item_id, row.title, row.entities, row.images, row.case_path
                )
            )
    focus_id = None
    if focus is not None:
        from cybercase.evidence import Case

        opened = Case.open(focus)
        focus_id = opened.meta.id
        if not seen_focus:
            cases.append(opened.meta.id)
            for item_id in opened.state.evidence_ids():
                view = opened.state.items[item_id]
                if is_evidence(view):
                    analysis, _ = current_analysis(opened, view, settings)
                    sources.append(source_of(analysis, focus_path or ""))
    leads = find_leads(sources)
    if focus_path is not None:
        leads = [lead for lead in leads if any(i.case_path == focus_path for i in lead.items)]
    return LeadsReport(leads, cases, refreshed.skipped, focus_id)
