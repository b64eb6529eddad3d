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

import gc
import json
import shutil
import tempfile
import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urljoin, urlsplit

from cybercase.collect.config import CaptureSettings
from cybercase.errors import StorageError
from cybercase.evidence import Artifact, Case, EntryDraft, Signer

ITEM_MEDIA = "item.media"
ROLE_VIDEO = "video"
ROLE_VIDEO_INFO = "video-info"
MANIFEST_SUFFIXES = (".m3u8", ".mpd")
VIDEO_SUFFIXES = (".mp4", ".webm", ".m4v", ".mov", ".ogv", ".mkv")
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
_DROPPED_INFO_KEYS = frozenset(
    {"http_headers", "cookies", "filepath", "_filename", "filename", "requested_downloads"}
)
_DROPPED_INFO_KEYS |= {"__files_to_move", "__postprocessors", "__real_download"}

Outcome = Literal["stored", "too-large", "timeout", "failed"]


@dataclass(frozen=True)
class VideoLimits:
    """Bounds on what one page's videos may cost."""

    max_videos: int = 5
    """Videos fetched per page at most (the rest are listed as not fetched)."""
    max_bytes: int = 512 * 1024 * 1024
    """Bytes of one video at most."""
    max_time: float = 300.0
    """Seconds for one video at most."""


@dataclass
class VideoFetch:
    """The outcome of one video."""

    source: str
    outcome: Outcome
    message: str
    artifacts: list[Artifact] = field(default_factory=list)
    info: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The JSON this outcome has in the ``item.media`` entry."""
        video = next((a for a in self.artifacts if a.role == ROLE_VIDEO), None)
        return {
            "source": self.source,
            "outcome": self.outcome,
            "message": self.message,
            "digest": video.digest if video else None,
            "size": video.size if video else None,
            "info": {k: self.info[k] for k in INFO_FIELDS if self.info.get(k) is not None},
        }


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


class _VideoFinder(HTMLParser):
    """Collects video and manifest addresses from a rendered DOM."""

    def __init__(self, base: str) -> None:
        super().__init__(convert_charrefs=True)
        self.base = base
        self.found: list[str] = []
        self._in_video = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v for k, v in attrs if v}
        if tag == "base" and "href" in values:
            self.base = urljoin(self.base, values["href"])
        if tag == "video":
            self._in_video = True
            self._add(values.get("src"))
        elif tag == "source" and self._in_video:
            self._add(values.get("src"))
        elif tag in ("a", "link") and _is_media(values.get("href", "")):
            self._add(values.get("href"))

    def handle_endtag(self, tag: str) -> None:
        if tag == "video":
            self._in_video = False

    def _add(self, value: str | None) -> None:
        if not value or value.startswith(("blob:", "data:")):
            return
        url = urljoin(self.base, value.strip())
        if urlsplit(url).scheme in ("http", "https") and url not in self.found:
            self.found.append(url)


def _is_media(href: str) -> bool:
    path = urlsplit(href).path.lower()
    return path.endswith(MANIFEST_SUFFIXES + VIDEO_SUFFIXES)


def find_video_sources(html: str, base_url: str) -> list[str]:
    """Addresses of the videos a page shows: ``<video>``/``<source>`` and linked media."""
    finder = _VideoFinder(base_url)
    finder.feed(html)
    finder.close()
    return finder.found


def known_to_ytdlp(url: str) -> bool:
    """Whether one of yt-dlp's site extractors (not the generic one) handles ``url``."""
    from yt_dlp.extractor import gen_extractor_classes

    return any(
        ie.ie_key() != "Generic" and ie.suitable(url) and ie.working()
        for ie in gen_extractor_classes()
    )


class _CancelledError(Exception):
    """Raised from yt-dlp's progress hook to stop a download over its limits."""

    def __init__(self, outcome: Outcome, message: str) -> None:
        super().__init__(message)
        self.outcome = outcome


def fetch_video(
    source: str, workdir: Path, limits: VideoLimits, settings: CaptureSettings
) -> tuple[Outcome, str, Path | None, dict[str, Any]]:
    """Download one video into ``workdir``: outcome, message, file and its clean info JSON."""
    try:
        return _download(source, workdir, limits, settings)
    finally:
        # yt-dlp leaves the connection of a download it stopped (too large, too slow,
        # refused) to the garbage collector; close it now, not at some later moment.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)
            gc.collect()


def _download(
    source: str, workdir: Path, limits: VideoLimits, settings: CaptureSettings
) -> tuple[Outcome, str, Path | None, dict[str, Any]]:
    import yt_dlp
    from yt_dlp.utils import DownloadError

    started = time.monotonic()
    logger = _QuietLogger()

    def hook(progress: Mapping[str, Any]) -> None:
        done = int(progress.get("downloaded_bytes") or 0)
        if done > limits.max_bytes:
            raise _CancelledError("too-large", f"the video is over {limits.max_bytes} bytes")
        if time.monotonic() - started > limits.max_time:
            raise _CancelledError("timeout", f"the video took over {limits.max_time:g} s")

    options: dict[str, Any] = {
        "outtmpl": {"default": str(workdir / "video.%(ext)s")},
        "paths": {"home": str(workdir), "temp": str(workdir)},
        "quiet": True,
        "no_warnings": True,
        "noprogress": True,
        "noplaylist": True,
        "playlist_items": "1",
        "max_filesize": limits.max_bytes,
        "socket_timeout": min(60.0, limits.max_time),
        "retries": 1,
        "fragment_retries": 1,
        "progress_hooks": [hook],
        "http_headers": {"User-Agent": settings.user_agent},
        "nocheckcertificate": settings.insecure,
        "cachedir": False,
        "logger": logger,
        "format": "best",
    }
    if settings.proxy:
        options["proxy"] = settings.proxy
    try:
        with yt_dlp.YoutubeDL(options) as ydl:
            info = ydl.extract_info(source, download=True)
            if info is None:
                return "failed", "yt-dlp found no video there", None, {}
            clean = _clean_info(ydl.sanitize_info(info))
    except _CancelledError as exc:
        return exc.outcome, str(exc), None, {}
    except DownloadError as exc:
        cause = exc.exc_info[1] if exc.exc_info else None
        if isinstance(cause, _CancelledError):
            return cause.outcome, str(cause), None, {}
        return "failed", _one_line(str(exc)), None, {}
    except Exception as exc:  # noqa: BLE001 - yt-dlp raises many kinds; each is an outcome
        return "failed", _one_line(f"{type(exc).__name__}: {exc}"), None, {}
    files = [p for p in workdir.iterdir() if p.is_file() and p.name.startswith("video.")]
    files = [p for p in files if not p.name.endswith((".part", ".ytdl", ".json"))]
    if not files and logger.too_large:
        return "too-large", f"the video is over {limits.max_bytes} bytes", None, clean
    if not files:
        size = clean.get("filesize") or clean.get("filesize_approx")
        if size and int(size) > limits.max_bytes:
            return "too-large", f"the video is {size} bytes, over {limits.max_bytes}", None, clean
        return "failed", "yt-dlp wrote no file (too large, or not a video)", None, clean
    return "stored", "downloaded with yt-dlp", max(files, key=lambda p: p.stat().st_size), clean


class _QuietLogger:
    """yt-dlp's messages are not shown: the outcome is recorded instead.

    yt-dlp skips a file over ``max_filesize`` with a message only; it is kept here.
    """

    def __init__(self) -> None:
        self.too_large = False

    def debug(self, msg: str) -> None:
        """Kept only to see a skip for size."""
        if "larger than max-filesize" in msg:
            self.too_large = True

    def info(self, msg: str) -> None:
        """Kept only to see a skip for size."""
        self.debug(msg)

    def warning(self, msg: str) -> None:
        """Ignored."""

    def error(self, msg: str) -> None:
        """Ignored (the DownloadError carries it)."""


def _clean_info(value: Any) -> Any:
    """The info without request headers, cookies or local paths."""
    if isinstance(value, dict):
        return {k: _clean_info(v) for k, v in value.items() if k not in _DROPPED_INFO_KEYS}
    if isinstance(value, list):
        return [_clean_info(v) for v in value]
    return value


def _one_line(text: str) -> str:
    line = text.strip().splitlines()[0] if text.strip() else "failed"
    return line.removeprefix("ERROR: ")[:500]


def _page_sources(case: Case, item_id: str) -> tuple[str, list[str]]:
    view = case.item(item_id)
    url = str(view.detail.get("final_url") or view.detail.get("url") or "")
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
        detail: dict[str, Any] = {
            "videos": [f.to_json() for f in result.fetched],
            "not_fetched": skipped,
            "limits": {
                "max_videos": limits.max_videos,
                "max_bytes": limits.max_bytes,
                "max_time": limits.max_time,
            },
            "tool": _tool(),
            "withheld": "cookies and extra headers were not given to yt-dlp; request "
            "headers and local paths were removed from the info JSON",
            "artifacts": [a.model_dump() for f in result.fetched for a in f.artifacts],
        }
        [entry] = case.append(signer, EntryDraft(ITEM_MEDIA, (item_id,), detail))
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


def _tool() -> str:
    from yt_dlp.version import __version__

    return f"yt-dlp {__version__}"


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
