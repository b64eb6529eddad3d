"""Downloading one video with yt-dlp, inside the limits of size and time.

yt-dlp is imported only here and only when a video is fetched; its info JSON is kept
without request headers, cookies or local paths.
"""

from __future__ import annotations

import gc
import time
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from cybercase.collect.config import CaptureSettings

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


def ytdlp_tool() -> str:
    from yt_dlp.version import __version__

    return f"yt-dlp {__version__}"
