"""Videos on a captured page, downloaded with yt-dlp and linked to the page's item.

Offers of live animals are often a video: the screenshot of a player shows one frame
and the WARC holds a manifest or a few segments at best. After a page is captured,
:func:`collect_videos` looks in its rendered DOM for HTML5 ``<video>``/``<source>``
addresses and HLS/DASH manifests, and asks yt-dlp about the page address itself when
one of yt-dlp's site extractors knows it; each video is downloaded with yt-dlp (used
as a library, ffmpeg for HLS/DASH), stored with its SHA-256 and yt-dlp's info JSON
(uploader, upload date, title, description, ids), and logged in ONE signed
``item.media`` entry naming the item, so the videos travel with the capture.

A video that cannot be fetched (refused, too large, too slow, not a video) is an
outcome in that entry, with yt-dlp's reason, never a silent gap. yt-dlp is given the
capture's user agent and proxy, never its cookies or extra headers: the info JSON is
evidence and must not carry the investigator's session. Local paths and request
headers are removed from it; the entry says so.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cybercase.collect.actions import (
    ITEM_MEDIA,
    AcquiredDetail,
    MediaDetail,
    MediaLimits,
    VideoDetail,
)
from cybercase.collect.config import CaptureSettings
from cybercase.collect.video_download import Outcome, VideoLimits, fetch_video, ytdlp_tool
from cybercase.collect.video_find import find_video_sources, known_to_ytdlp
from cybercase.errors import CaseCorruptError, StorageError
from cybercase.evidence import Artifact, Case, EntryDraft, Signer
from cybercase.evidence.details import parse_detail

ROLE_VIDEO = "video"
ROLE_VIDEO_INFO = "video-info"
INFO_FIELDS = (
    "id",
    "display_id",
    "title",
    "description",
    "uploader",
    "uploader_id",
    "uploader_url",
    "channel",
    "channel_id",
    "upload_date",
    "timestamp",
    "duration",
    "webpage_url",
    "extractor",
    "ext",
    "width",
    "height",
)
"""Info fields copied into the custody entry (the whole info JSON is an artifact)."""


@dataclass
class VideoFetch:
    """The outcome of one video."""

    source: str
    outcome: Outcome
    message: str
    artifacts: list[Artifact] = field(default_factory=list)
    info: dict[str, Any] = field(default_factory=dict)

    def detail(self) -> VideoDetail:
        """This outcome as the ``item.media`` entry records it."""
        video = next((a for a in self.artifacts if a.role == ROLE_VIDEO), None)
        return VideoDetail(
            source=self.source,
            outcome=self.outcome,
            message=self.message,
            digest=video.digest if video else None,
            size=video.size if video else None,
            info={k: self.info[k] for k in INFO_FIELDS if self.info.get(k) is not None},
        )

    def to_json(self) -> dict[str, Any]:
        """The JSON this outcome has in the ``item.media`` entry (and in ``--json``)."""
        return self.detail().to_detail()


@dataclass
class MediaResult:
    """What :func:`collect_videos` did for one item."""

    item_id: str
    sources: list[str]
    fetched: list[VideoFetch]
    skipped: list[str]
    seq: int | None = None
    """The ``item.media`` entry's sequence number (``None``: no video found, no entry)."""

    @property
    def failed(self) -> list[VideoFetch]:
        """The videos that were found but not stored."""
        return [f for f in self.fetched if f.outcome != "stored"]

    def to_json(self) -> dict[str, Any]:
        """One ``--json`` object."""
        return {
            "item": self.item_id,
            "seq": self.seq,
            "videos": [f.to_json() for f in self.fetched],
            "not_fetched": self.skipped,
        }


def _page_sources(case: Case, item_id: str) -> tuple[str, list[str]]:
    view = case.item(item_id)
    try:
        acquired = parse_detail(
            AcquiredDetail, view.detail, seq=view.created_seq, action=view.created_action
        )
        url = acquired.final_url or acquired.url
    except CaseCorruptError:
        url = ""  # not a capture this version can read: only given sources are fetched
    dom = next((a for a in view.artifacts if a.role == "dom"), None)
    sources: list[str] = []
    if dom is not None and url:
        html = case.read_object(dom.digest).decode("utf-8", errors="replace")
        sources = find_video_sources(html, url)
    if url and urlsplit(url).scheme in ("http", "https") and known_to_ytdlp(url):
        sources.insert(0, url)
    return url, sources


def collect_videos(
    case: Case,
    signer: Signer,
    item_id: str,
    settings: CaptureSettings,
    limits: VideoLimits | None = None,
    sources: Sequence[str] | None = None,
) -> MediaResult:
    """Find, download and log the videos of a captured page (one ``item.media`` entry).

    ``sources`` overrides what is found in the item's DOM. Nothing is logged when the
    page has no video.
    """
    limits = limits if limits is not None else VideoLimits()
    if sources is None:
        _, found = _page_sources(case, item_id)
    else:
        found = list(sources)
    chosen, skipped = found[: limits.max_videos], found[limits.max_videos :]
    result = MediaResult(item_id, found, [], skipped)
    if not found:
        return result
    with _Workdir(case) as work:
        for number, source in enumerate(chosen, start=1):
            folder = work / f"v{number}"
            folder.mkdir()
            outcome, message, path, info = fetch_video(source, folder, limits, settings)
            fetch = VideoFetch(source, outcome, message, info=info)
            if path is not None:
                fetch.artifacts = _store(case, number, path, info)
            result.fetched.append(fetch)
        detail = MediaDetail(
            videos=[f.detail() for f in result.fetched],
            not_fetched=skipped,
            limits=MediaLimits(
                max_videos=limits.max_videos,
                max_bytes=limits.max_bytes,
                max_time=limits.max_time,
            ),
            tool=ytdlp_tool(),
            withheld="cookies and extra headers were not given to yt-dlp; request "
            "headers and local paths were removed from the info JSON",
            artifacts=[a for f in result.fetched for a in f.artifacts],
        )
        [entry] = case.append(signer, EntryDraft.of(ITEM_MEDIA, detail, (item_id,)))
    result.seq = entry.seq
    return result


def _store(case: Case, number: int, path: Path, info: dict[str, Any]) -> list[Artifact]:
    ext = path.suffix.lstrip(".") or "bin"
    video_digest = case.store.put_file(path, sync=False)
    info_bytes = json.dumps(info, ensure_ascii=False, sort_keys=True, indent=1).encode("utf-8")
    info_digest = case.store.put_bytes(info_bytes, sync=False)
    return [
        Artifact(
            role=ROLE_VIDEO,
            name=f"videos/video-{number}.{ext}",
            digest=str(video_digest),
            size=path.stat().st_size,
            media_type=_media_type(ext),
        ),
        Artifact(
            role=ROLE_VIDEO_INFO,
            name=f"videos/video-{number}.info.json",
            digest=str(info_digest),
            size=len(info_bytes),
            media_type="application/json",
        ),
    ]


def _media_type(ext: str) -> str:
    return {
        "mp4": "video/mp4",
        "m4v": "video/mp4",
        "webm": "video/webm",
        "mkv": "video/x-matroska",
        "mov": "video/quicktime",
        "ts": "video/mp2t",
        "ogv": "video/ogg",
    }.get(ext.lower(), "application/octet-stream")


class _Workdir:
    """A scratch folder next to the case's objects (same disk), removed afterwards."""

    def __init__(self, case: Case) -> None:
        self.case = case
        self.path: Path | None = None

    def __enter__(self) -> Path:
        try:
            self.path = Path(tempfile.mkdtemp(prefix=".media-", dir=self.case.root))
        except OSError as exc:
            raise StorageError(f"cannot make a scratch folder: {exc.strerror}") from exc
        return self.path

    def __exit__(self, *exc: object) -> None:
        if self.path is not None:
            shutil.rmtree(self.path, ignore_errors=True)
