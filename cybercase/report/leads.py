"""Leads across the whole case, from the EXIF of the images the captures kept.

Two facts in a seller's photos often matter more than the listing itself: a GPS position
(a region to look at) and the camera's body serial number (one camera behind two
accounts that share no name, phone or handle). The report lists every photo that
carries a position, flagging 0, 0 as "no fix", and every serial seen in more than one
item, naming the items. They are leads to check, never proof: EXIF can be edited or
copied, and a position may be the camera's last fix rather than where the photo was
taken.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cybercase.report.capture_view import CaptureView, GpsPosition, ImageView


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

    @property
    def empty(self) -> bool:
        """Whether there is nothing to show."""
        return not (self.positions or self.shared_serials or self.single_serials)


def _photo_key(image: ImageView) -> str:
    return image.image.sha256 or image.image.url


def find_leads(captures: Sequence[CaptureView]) -> Leads:
    """GPS positions and camera serials across ``captures``, in item order."""
    positions: dict[str, PhotoLead] = {}
    serials: dict[str, SerialLead] = {}
    images_read = 0
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
    shared = [s for s in serials.values() if len(s.items) > 1]
    single = [s for s in serials.values() if len(s.items) == 1]
    shared.sort(key=lambda s: (-len(s.items), s.serial))
    single.sort(key=lambda s: s.serial)
    return Leads(list(positions.values()), shared, single, images_read)
