"""The custody entries the collect layer writes: their names and the models of their details.

One place for each action, so a writer and every reader (the report, the monitor, the
agency queue) agree on what an entry holds: writers build the model and log it with
:meth:`~cybercase.evidence.EntryDraft.of`, readers use
:meth:`~cybercase.evidence.CustodyEntry.detail_as`. The bytes written are those the
hand-built dicts of earlier versions wrote, key for key; where an old writer wrote a
``null``, the model writes it too (see each ``to_detail``).

``item.acquired`` keeps its name in :mod:`cybercase.evidence.log.state` as well, where the
evidence layer folds it into item views without knowing what a capture is.
"""

from __future__ import annotations

from typing import Any

from cybercase.collect.record import BatchRef
from cybercase.evidence.details import Detail, action
from cybercase.evidence.models import Artifact

CAPTURE_KIND = "capture"
"""The ``kind`` of an ``item.acquired`` entry that a capture (or a browsing session) wrote."""


class AcquiredDetail(Detail):
    """``item.acquired``: one URL captured as one item, whatever its outcome."""

    kind: str = CAPTURE_KIND
    capture_id: str
    url: str
    url_as_typed: str | None = None
    """The URL as the investigator typed it, when that differs from ``url``."""
    final_url: str | None
    """Always written: ``null`` when no response was received."""
    outcome: str
    status: int | None
    """Always written: ``null`` when no response was received."""
    message: str
    started: str
    ended: str
    url_credentials: str | None = None
    withheld_headers: list[str] | None = None
    title: str | None = None
    batch: BatchRef | None = None
    tags: list[str] | None = None
    note: str | None = None
    persona: str | None = None
    warnings: int | None = None
    """How many warnings the record holds (the record lists them)."""
    artifacts: list[Artifact]
    queue: dict[str, Any] | None = None
    """The agency queue's job reference, when the capture ran from a queue."""

    def to_detail(self) -> dict[str, Any]:
        """As :meth:`Detail.to_detail`, with ``final_url`` and ``status`` even when null."""
        detail = super().to_detail()
        detail["final_url"] = self.final_url
        detail["status"] = self.status
        return detail


class AnnotatedDetail(Detail):
    """``item.annotated``: a captioned copy of an item's screenshot."""

    derived_from: str
    """The digest of the original screenshot, which stays the primary evidence."""
    caption: str
    """What the caption band names."""
    artifacts: list[Artifact]


class MediaLimits(Detail):
    """The bounds one page's videos were fetched within."""

    max_videos: int
    max_bytes: int
    max_time: float


class VideoDetail(Detail):
    """One video of an ``item.media`` entry: where it was found and what became of it."""

    source: str
    outcome: str
    message: str
    digest: str | None
    """Always written: ``null`` when the video was not stored."""
    size: int | None
    """Always written: ``null`` when the video was not stored."""
    info: dict[str, Any]

    def to_detail(self) -> dict[str, Any]:
        """Every field, ``null`` ones included, as the entry has always held them."""
        return self.model_dump(mode="json")


class MediaDetail(Detail):
    """``item.media``: the videos of a captured page, fetched with yt-dlp."""

    videos: list[VideoDetail]
    not_fetched: list[str]
    limits: MediaLimits
    tool: str
    withheld: str
    artifacts: list[Artifact]

    def to_detail(self) -> dict[str, Any]:
        """As :meth:`Detail.to_detail`, each video with its ``null`` fields kept."""
        detail = super().to_detail()
        detail["videos"] = [video.to_detail() for video in self.videos]
        return detail


class BrowseEndedDetail(Detail):
    """``browse.ended``: the summary of a recorded browsing session."""

    persona: str
    started: str
    ended: str
    pages_captured: int
    full_page_captures: int
    items: list[str]
    withheld: list[str]
    """Which kinds of secret were withheld (header names, ``(request body)``)."""
    withheld_values: int
    secrets_kept: bool
    warnings: list[str]


ITEM_ACQUIRED = action("item.acquired", AcquiredDetail, "collect")
ITEM_ANNOTATED = action("item.annotated", AnnotatedDetail, "collect")
ITEM_MEDIA = action("item.media", MediaDetail, "collect")
BROWSE_ENDED = action("browse.ended", BrowseEndedDetail, "collect")

__all__ = [
    "BROWSE_ENDED",
    "CAPTURE_KIND",
    "ITEM_ACQUIRED",
    "ITEM_ANNOTATED",
    "ITEM_MEDIA",
    "AcquiredDetail",
    "AnnotatedDetail",
    "BrowseEndedDetail",
    "MediaDetail",
    "MediaLimits",
    "VideoDetail",
]
