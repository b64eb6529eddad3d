"""Leads across the whole case: EXIF of the captured images, and the analysis's links.

Two facts in a seller's photos often matter more than the listing itself: a GPS position
(a region to look at) and the camera's body serial number (one camera behind two
accounts that share no name, phone or handle). The report lists every photo that
carries a position, flagging 0, 0 as "no fix", and every serial seen in more than one
item, naming the items. They are leads to check, never proof: EXIF can be edited or
copied, and a position may be the camera's last fix rather than where the photo was
taken.

The links between items (a shared serial, and, for analysed items, the same phone,
handle, wallet or near-identical photo) come from
:func:`cybercase.investigate.leads.find_leads`, the function ``cybercase leads`` uses,
so the report and the command cannot disagree.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from cybercase.investigate.leads import Lead, LeadSource
from cybercase.investigate.leads import find_leads as find_links
from cybercase.investigate.records import ImageRecord, ItemAnalysis

if TYPE_CHECKING:
    from cybercase.report.sections.capture_model import CaptureView, GpsPosition, ImageView


@dataclass(frozen=True, slots=True)
class ItemRef:
    """An item named by a lead."""

    id: str
    title: str


@dataclass(slots=True)
class PhotoLead:
    """One photo (by its SHA-256) that carries a GPS position, and where it was seen."""

    sha256: str
    gps: GpsPosition
    camera: str | None
    serial: str | None
    taken: str | None
    urls: list[str] = field(default_factory=list)
    items: list[ItemRef] = field(default_factory=list)


@dataclass(slots=True)
class SerialLead:
    """One camera body serial number and the items whose photos carry it."""

    serial: str
    cameras: list[str] = field(default_factory=list)
    items: list[ItemRef] = field(default_factory=list)
    photos: set[str] = field(default_factory=set)
    """SHA-256 of each distinct photo carrying it."""


@dataclass(frozen=True, slots=True)
class Leads:
    """Everything the images' metadata points at."""

    positions: list[PhotoLead]
    shared_serials: list[SerialLead]
    """Serials seen in more than one item: the same camera behind them."""
    single_serials: list[SerialLead]
    images_read: int
    """Images with EXIF facts, across the captures."""
    links: list[Lead] = field(default_factory=list)
    """Other links between items from their analysis (phone, handle, wallet, photo...)."""

    @property
    def empty(self) -> bool:
        """Whether there is nothing to show."""
        return not (self.positions or self.shared_serials or self.single_serials)


def _photo_key(image: ImageView) -> str:
    return image.image.sha256 or image.image.url


def _sources(
    captures: Sequence[CaptureView], analyses: Mapping[str, ItemAnalysis]
) -> list[LeadSource]:
    """What each item brings to the links, in item order: its analysis, else its EXIF."""
    sources: dict[str, LeadSource] = {}
    for capture in captures:
        analysis = analyses.get(capture.item_id)
        if analysis is not None:
            sources[capture.item_id] = LeadSource(
                analysis.case_id, capture.item_id, capture.title, analysis.entities,
                analysis.images,
            )  # fmt: skip
            continue
        images = [
            ImageRecord(
                artifact=image.image.artifact or image.image.url,
                sha256=image.image.sha256 or image.image.url,
                camera=image.camera,
                serial=image.serial,
            )
            for image in capture.images
            if image.serial
        ]
        sources[capture.item_id] = LeadSource("", capture.item_id, capture.title, (), images)
    for item_id in sorted(set(analyses) - set(sources)):
        a = analyses[item_id]
        sources[item_id] = LeadSource(a.case_id, item_id, a.title, a.entities, a.images)
    return list(sources.values())


def find_leads(
    captures: Sequence[CaptureView], analyses: Mapping[str, ItemAnalysis] | None = None
) -> Leads:
    """GPS positions and camera serials across ``captures``, and the links, in item order."""
    positions: dict[str, PhotoLead] = {}
    serials: dict[str, SerialLead] = {}
    images_read = 0
    titles = {c.item_id: c.title for c in captures}
    links = find_links(_sources(captures, analyses or {}))
    shared_values = {lead.value for lead in links if lead.kind == "serial"}
    for capture in captures:
        ref = ItemRef(capture.item_id, capture.title)
        for image in capture.images:
            if image.exif is None:
                continue
            images_read += 1
            key = _photo_key(image)
            if image.gps is not None:
                lead = positions.setdefault(
                    key,
                    PhotoLead(key, image.gps, image.camera, image.serial, image.taken),
                )
                if image.image.url not in lead.urls:
                    lead.urls.append(image.image.url)
                if ref not in lead.items:
                    lead.items.append(ref)
            if image.serial is not None:
                serial = serials.setdefault(image.serial, SerialLead(image.serial))
                if image.camera and image.camera not in serial.cameras:
                    serial.cameras.append(image.camera)
                if ref not in serial.items:
                    serial.items.append(ref)
                serial.photos.add(key)
    shared: list[SerialLead] = []
    for link in links:
        if link.kind != "serial":
            continue
        found = serials.get(link.value) or SerialLead(link.value)
        found.items = [
            ItemRef(i.item_id, titles.get(i.item_id) or i.title or "") for i in link.items
        ]
        shared.append(found)
    single = [s for s in serials.values() if s.serial not in shared_values]
    single.sort(key=lambda s: s.serial)
    others = [link for link in links if link.kind != "serial"]
    return Leads(list(positions.values()), shared, single, images_read, others)
