"""What a page says: title, outgoing links, image URLs and its text, read from the HTML.

The bytes stored in the WARC keep their content-encoding; here they are decoded (gzip or
deflate, up to a size limit) and read with the character set the browser would use: the
HTTP header first, then a byte-order mark, then a ``<meta>`` declaration in the first
kilobytes, then UTF-8 if the bytes are valid UTF-8, else windows-1252 (the web's default).
The parser is the standard library's, which never fails on bad HTML.
"""

from __future__ import annotations

import codecs
import re
import zlib
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

from cybercase.collect.record import Page

TEXT_TYPES = ("text/html", "application/xhtml+xml", "text/plain")
_META_CHARSET = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", flags=re.IGNORECASE
)
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_BLOCK = frozenset(
    {
        "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt",
        "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6",
        "header", "hr", "li", "main", "nav", "ol", "p", "pre", "section", "table", "td",
        "th", "tr", "ul",
    }
)  # fmt: skip
_SKIP = frozenset({"script", "style", "noscript", "template", "svg"})
_SPACE = re.compile(r"[ \t\r\f\v\u00a0]+")


def media_type(content_type: str | None) -> str:
    """``text/html`` from ``text/html; charset=utf-8``."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def header_charset(content_type: str | None) -> str | None:
    """The ``charset`` parameter of a Content-Type header."""
    for part in (content_type or "").split(";")[1:]:
        name, _, value = part.partition("=")
        if name.strip().lower() == "charset":
            return value.strip().strip("\"'") or None
    return None


def is_text(content_type: str | None) -> bool:
    """Whether a body of this type is read for title, links and text."""
    return media_type(content_type) in TEXT_TYPES


def decode_content(data: bytes, encoding: str | None, limit: int) -> tuple[bytes, str | None]:
    """Undo a content-encoding (at most ``limit`` bytes out); returns (bytes, problem)."""
    coding = (encoding or "identity").strip().lower()
    if coding in ("", "identity"):
        return data[:limit], None
    if coding in ("gzip", "x-gzip", "deflate"):
        wbits = zlib.MAX_WBITS | 32 if coding != "deflate" else zlib.MAX_WBITS
        try:
            return zlib.decompressobj(wbits).decompress(data, limit), None
        except zlib.error:
            if coding == "deflate":
                try:
                    return zlib.decompressobj(-zlib.MAX_WBITS).decompress(data, limit), None
                except zlib.error as exc:
                    return b"", f"the {coding} body could not be decoded: {exc}"
            return b"", f"the {coding} body could not be decoded"
    return b"", f"content-encoding {coding!r} is not supported: text and links not extracted"


def _known(name: str | None) -> str | None:
    if not name:
        return None
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def sniff_charset(data: bytes, content_type: str | None) -> tuple[str, str]:
    """``(codec, source)`` with source ``header``, ``bom``, ``meta`` or ``default``."""
    declared = _known(header_charset(content_type))
    if declared:
        return declared, "header"
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name, "bom"
    match = _META_CHARSET.search(data[:4096])
    if match:
        meta = _known(match.group(1).decode("ascii", "replace"))
        if meta:
            # A page served as bytes cannot really be UTF-16 when its <meta> is readable ASCII.
            return ("utf-8" if meta.startswith("utf-16") else meta), "meta"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(data) - 4:
            return "cp1252", "default"
    return "utf-8", "default"


class _Collector(HTMLParser):
    """Collects title, text, links and image URLs in one pass."""

    def __init__(self, base: str) -> None:
        super().__init__(convert_charrefs=True)
        self.base = base
        self.title_parts: list[str] = []
        self.text_parts: list[str] = []
        self.links: dict[str, None] = {}
        self.images: dict[str, None] = {}
        self.in_title = False
        self.title_done = False
        self.skip_depth = 0

    def _absolute(self, value: str | None) -> str | None:
        if not value:
            return None
        value = value.strip()
        if not value or value.startswith(("javascript:", "data:", "#", "mailto:", "tel:")):
            return None
        try:
            url = urljoin(self.base, value)
        except ValueError:
            return None
        return url if urlsplit(url).scheme in ("http", "https") else None

    def _image(self, value: str | None) -> None:
        url = self._absolute(value)
        if url:
            self.images.setdefault(url, None)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k.lower(): v for k, v in attrs}
        if tag in _SKIP:
            self.skip_depth += 1
            return
        if tag == "base" and a.get("href"):
            self.base = urljoin(self.base, a["href"] or "")
        elif tag == "title" and not self.title_done:
            self.in_title = True
        elif tag in ("a", "area"):
            url = self._absolute(a.get("href"))
            if url:
                self.links.setdefault(url.split("#", 1)[0] or url, None)
        elif tag in ("img", "source"):
            for key in ("src", "data-src", "data-original", "data-lazy-src"):
                self._image(a.get(key))
            for key in ("srcset", "data-srcset"):
                for candidate in (a.get(key) or "").split(","):
                    self._image(candidate.strip().split(" ", 1)[0])
        elif tag == "meta" and (a.get("property") or a.get("name") or "").lower() in (
            "og:image",
            "og:image:url",
            "twitter:image",
        ):
            self._image(a.get("content"))
        elif tag == "link" and (a.get("rel") or "").lower() == "image_src":
            self._image(a.get("href"))
        if tag in _BLOCK:
            self.text_parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skip_depth = max(0, self.skip_depth - 1)
        elif tag == "title" and self.in_title:
            self.in_title = False
            self.title_done = True
        elif tag in _BLOCK:
            self.text_parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self.in_title:
            self.title_parts.append(data)
            return
        if not self.skip_depth:
            self.text_parts.append(data)


def _clean_text(parts: list[str]) -> str:
    lines = (_SPACE.sub(" ", line).strip() for line in "".join(parts).split("\n"))
    return "\n".join(line for line in lines if line) + "\n"


@dataclass(frozen=True, slots=True)
class PageText:
    """A page read: its facts and its extracted text."""

    page: Page
    text: str
    warnings: list[str]


def read_page(
    raw: bytes,
    *,
    content_type: str | None,
    content_encoding: str | None,
    url: str,
    limit: int,
    raw_truncated: bool,
) -> PageText:
    """Decode and read a text page's body (as served) for its title, links, images, text."""
    warnings: list[str] = []
    data, problem = decode_content(raw, content_encoding, limit + 1)
    if problem:
        warnings.append(problem)
        return PageText(Page(), "", warnings)
    cut = raw_truncated or len(data) > limit
    data = data[:limit]
    charset, source = sniff_charset(data, content_type)
    text = data.decode(charset, errors="replace")
    if media_type(content_type) == "text/plain":
        body = text if text.endswith("\n") else text + "\n"
        page = Page(
            charset=charset, charset_source=source, text_chars=len(body), text_truncated=cut
        )
        return PageText(page, body, warnings)
    parser = _Collector(base=url)
    parser.feed(text)
    parser.close()
    body = _clean_text(parser.text_parts)
    title = " ".join("".join(parser.title_parts).split()) or None
    page = Page(
        title=title,
        charset=charset,
        charset_source=source,
        text_chars=len(body),
        text_truncated=cut,
        links=list(parser.links),
        image_urls=list(parser.images),
    )
    if cut:
        warnings.append(f"only the first {limit} bytes of the page were read for text and links")
    return PageText(page, body, warnings)
