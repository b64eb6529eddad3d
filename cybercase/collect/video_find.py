"""Finding the videos a rendered page shows: media elements, manifests, sites yt-dlp knows."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

MANIFEST_SUFFIXES = (".m3u8", ".mpd")
VIDEO_SUFFIXES = (".mp4", ".webm", ".m4v", ".mov", ".ogv", ".mkv")


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
