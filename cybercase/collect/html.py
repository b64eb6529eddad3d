"""What a page says: title, outgoing links, image URLs and its text, read from the HTML.

The bytes stored in the WARC keep their content-encoding; here they are decoded (gzip or
deflate, up to a size limit) and read with the character set the browser would use: the
HTTP header first, then a byte-order mark, then a ``<meta>`` declaration in the first
kilobytes, then UTF-8 if the bytes are valid UTF-8, else windows-1252 (the web's default).
The parser is lxml's (libxml2's HTML parser), which reads broken HTML as browsers do
closely enough for titles, links and text, and is fast enough for thousands of pages.
"""

from __future__ import annotations

import codecs
import contextlib
import re
import zlib
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import lxml.etree

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
_NOT_TEXT = _SKIP | {"title"}
_REFERENCE_TAGS = frozenset({"a", "area", "img", "source", "meta", "link", "base", "title"})
_IGNORED = ("javascript:", "data:", "#", "mailto:", "tel:")
_SPACE = re.compile(r"[ \t\r\f\v\u00a0]+")
FEED_CHUNK = 256 * 1024


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


def decode_content(
    data: bytes | bytearray, encoding: str | None, limit: int
) -> tuple[bytes | memoryview, str | None]:
    """Undo a content-encoding (at most ``limit`` bytes out); returns (bytes, problem)."""
    coding = (encoding or "identity").strip().lower()
    if coding in ("", "identity"):
        return memoryview(data)[:limit], None
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


def sniff_charset(data: bytes | memoryview, content_type: str | None) -> tuple[str, str]:
    """``(codec, source)`` with source ``header``, ``bom``, ``meta`` or ``default``."""
    declared = _known(header_charset(content_type))
    if declared:
        return declared, "header"
    head = bytes(data[:4096])
    for bom, name in _BOMS:
        if head.startswith(bom):
            return name, "bom"
    match = _META_CHARSET.search(head)
    if match:
        meta = _known(match.group(1).decode("ascii", "replace"))
        if meta:
            # A page served as bytes cannot really be UTF-16 when its <meta> is readable ASCII.
            return ("utf-8" if meta.startswith("utf-16") else meta), "meta"
    error = _utf8_error_at(memoryview(data))
    if error is not None and error < len(data) - 4:
        return "cp1252", "default"
    return "utf-8", "default"


def _utf8_error_at(view: memoryview) -> int | None:
    """Where the bytes stop being UTF-8 (checked in pieces: no copy of a large page).

    A sequence cut at the very end (a body cut mid-character) is not an error.
    """
    decoder = codecs.getincrementaldecoder("utf-8")()
    for start in range(0, len(view), FEED_CHUNK):
        pending = len(decoder.getstate()[0])
        try:
            decoder.decode(view[start : start + FEED_CHUNK])
        except UnicodeDecodeError as exc:
            return start - pending + exc.start
    return None


class _Resolver:
    """Absolute http(s) URLs from a page's references, fast for the common shapes."""

    def __init__(self, base: str) -> None:
        self.set_base(base)

    def set_base(self, base: str) -> None:
        self.base = base
        parts = urlsplit(base)
        self.origin = f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""

    def __call__(self, value: str | None) -> str | None:
        if not value:
            return None
        value = value.strip()
        if not value or value.startswith(_IGNORED):
            return None
        if value.startswith(("http://", "https://")) and " " not in value:
            return value
        if (
            self.origin
            and value.startswith("/")
            and not value.startswith("//")
            and "/." not in value
            and "\\" not in value
        ):
            return self.origin + value
        try:
            url = urljoin(self.base, value)
        except ValueError:
            return None
        return url if urlsplit(url).scheme in ("http", "https") else None


_SKIP_ON, _SKIP_OFF, _TITLE_ON, _TITLE_OFF = "\x00S", "\x00E", "\x00T", "\x00t"
"""Markers in the stream of text: libxml2 never hands a NUL character to ``data``."""
_SKIPPED = re.compile("\x00S.*?\x00E", flags=re.DOTALL)
_TITLES = re.compile("\x00T(.*?)\x00t", flags=re.DOTALL)


class _PageReader:
    """An lxml parser target: title, links, image URLs and text, as the parser streams.

    No tree is built, so memory stays bounded by what is kept (the text and the distinct
    references), not by the size of the page: a 16 MiB page of dense markup would
    otherwise grow into a tree of several hundred MB. Text arrives through
    ``list.append`` itself (no Python call per piece of text), with markers around
    skipped parts; :meth:`pump`, called between pieces of input, turns what is complete
    into clean lines. References are kept as written and resolved at the end, against
    the first ``<base href>`` wherever it stands. Text follows what a browser's "select
    all" copies: every element's text but scripts, styles, templates, SVG and titles,
    a line break around each block.
    """

    def __init__(self) -> None:
        self.base: str | None = None
        self.title: str | None = None
        self.links: dict[str, None] = {}
        self.images: dict[str, None] = {}
        self.lines: list[str] = []
        """The text's clean lines, joined by the piece of input they came from."""
        self._parts: list[str] = []
        self.data = self._parts.append
        self._carry = ""
        self._skip = 0
        self._skip_from = 0
        self._in_title = False

    def start(self, tag: str, attrib: dict[str, str]) -> None:
        if tag in _REFERENCE_TAGS:
            self._reference(tag, attrib)
        if self._skip:
            self._skip += 1
        elif tag in _NOT_TEXT:
            self._skip = 1
            self._skip_from = len(self._parts)
            self._parts.append(_SKIP_ON)
        elif tag in _BLOCK:
            self._parts.append("\n")
        if tag == "title" and self.title is None:
            self._in_title = True
            self._parts.append(_TITLE_ON)

    def end(self, tag: str) -> None:
        if tag == "title" and self._in_title:
            self._in_title = False
            self._parts.append(_TITLE_OFF)
        if self._skip:
            self._skip -= 1
            if not self._skip:
                self._parts.append(_SKIP_OFF)
        elif tag in _BLOCK:
            self._parts.append("\n")

    def close(self) -> None:
        self.pump(final=True)

    def pump(self, *, final: bool = False) -> None:
        """Turn the text received so far into lines, and drop skipped text."""
        parts = self._parts
        if self._skip and not final:
            cut = self._skip_from
            if not self._in_title and len(parts) > cut + 1:
                self._take_title("".join(parts[cut + 1 :]))
                del parts[cut + 1 :]
            done = parts[:cut]
            del parts[:cut]
            self._skip_from = 0
        else:
            done = parts[:]
            parts.clear()
            if self._skip:
                done.append(_SKIP_OFF)
        text = self._carry + "".join(done)
        if _TITLE_ON in text:
            self._take_title(text)
            text = text.replace(_TITLE_ON, "").replace(_TITLE_OFF, "")
        if _SKIP_ON in text:
            text = _SKIPPED.sub("", text)
        lines = _SPACE.sub(" ", text).split("\n")
        self._carry = "" if final else lines.pop()
        kept = "\n".join(line for line in (raw.strip() for raw in lines) if line)
        if kept:
            self.lines.append(kept)

    def _take_title(self, text: str) -> None:
        """The first title with words in it is the page's title."""
        if self.title is None and _TITLE_ON in text:
            for found in _TITLES.findall(text):
                self.title = " ".join(found.replace(_SKIP_ON, "").split()) or None
                if self.title is not None:
                    return

    def _reference(self, tag: str, attrib: dict[str, str]) -> None:
        if tag in ("a", "area"):
            self._add(self.links, attrib.get("href"))
        elif tag in ("img", "source"):
            for key in ("src", "data-src", "data-original", "data-lazy-src"):
                self._add(self.images, attrib.get(key))
            for key in ("srcset", "data-srcset"):
                for candidate in (attrib.get(key) or "").split(","):
                    self._add(self.images, candidate.strip().split(" ", 1)[0])
        elif tag == "meta":
            kind = (attrib.get("property") or attrib.get("name") or "").lower()
            if kind in ("og:image", "og:image:url", "twitter:image"):
                self._add(self.images, attrib.get("content"))
        elif tag == "link":
            if (attrib.get("rel") or "").lower() == "image_src":
                self._add(self.images, attrib.get("href"))
        elif tag == "base" and self.base is None and attrib.get("href"):
            self.base = attrib["href"].strip()

    @staticmethod
    def _add(found: dict[str, None], value: str | None) -> None:
        if value:
            found.setdefault(value, None)

    def resolved(self, url: str, found: dict[str, None]) -> list[str]:
        """The references as absolute http(s) URLs, in order, each once."""
        base = url
        if self.base is not None:
            with contextlib.suppress(ValueError):
                base = urljoin(url, self.base)
        resolve = _Resolver(base)
        out: dict[str, None] = {}
        for value in found:
            absolute = resolve(value)
            if absolute:
                out.setdefault(absolute, None)
        return list(out)


def _read_html(
    data: bytes | memoryview, charset: str, url: str
) -> tuple[str | None, list[str], list[str], str]:
    """Title, links, image URLs and text of an HTML page, parsed in pieces."""
    reader = _PageReader()
    parser = lxml.etree.HTMLParser(target=reader, encoding="utf-8")
    decoder = codecs.getincrementaldecoder(charset)(errors="replace")
    view = memoryview(data)
    for start in range(0, len(view), FEED_CHUNK):
        text = decoder.decode(view[start : start + FEED_CHUNK])
        if text:
            parser.feed(text.replace("\x00", "").encode("utf-8", "surrogatepass"))
            reader.pump()
    tail = decoder.decode(b"", final=True)
    if tail:
        parser.feed(tail.replace("\x00", "").encode("utf-8", "surrogatepass"))
    with contextlib.suppress(lxml.etree.XMLSyntaxError):
        parser.close()
    reader.close()
    links = [u.split("#", 1)[0] or u for u in reader.resolved(url, reader.links)]
    text = "\n".join([*reader.lines, ""]) if reader.lines else "\n"
    return reader.title, list(dict.fromkeys(links)), reader.resolved(url, reader.images), text


@dataclass(frozen=True, slots=True)
class PageText:
    """A page read: its facts and its extracted text."""

    page: Page
    text: str
    warnings: list[str]


def read_page(
    raw: bytes | bytearray,
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
    over_limit = len(data) > limit
    cut = raw_truncated or over_limit
    view = memoryview(data)[:limit]
    charset, source = sniff_charset(view, content_type)
    if over_limit:
        warnings.append(f"only the first {limit} bytes of the page were read for text and links")
    if media_type(content_type) == "text/plain":
        text = str(view, charset, "replace")
        body = text if text.endswith("\n") else text + "\n"
        page = Page(
            charset=charset, charset_source=source, text_chars=len(body), text_truncated=cut
        )
        return PageText(page, body, warnings)
    title, links, images, body = _read_html(view, charset, url)
    page = Page(
        title=title,
        charset=charset,
        charset_source=source,
        text_chars=len(body),
        text_truncated=cut,
        links=links,
        image_urls=images,
    )
    return PageText(page, body, warnings)
