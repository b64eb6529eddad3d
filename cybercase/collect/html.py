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
import re
import zlib
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import lxml.etree
import lxml.html

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
_IGNORED = ("javascript:", "data:", "#", "mailto:", "tel:")
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


def _collect(tree: Any, base: str) -> tuple[str | None, list[str], list[str], str]:
    """Title, links, image URLs and text of a parsed document, in one pass."""
    resolve = _Resolver(base)
    for element in tree.iter("base"):
        href = element.get("href")
        if href:
            resolve.set_base(urljoin(base, href.strip()))
            break
    title: str | None = None
    links: dict[str, None] = {}
    images: dict[str, None] = {}

    def image(value: str | None) -> None:
        url = resolve(value)
        if url:
            images.setdefault(url, None)

    for element in tree.iter():
        tag = element.tag
        if not isinstance(tag, str):
            continue
        if tag in ("a", "area"):
            url = resolve(element.get("href"))
            if url:
                links.setdefault(url.split("#", 1)[0] or url, None)
        elif tag in ("img", "source"):
            for key in ("src", "data-src", "data-original", "data-lazy-src"):
                image(element.get(key))
            for key in ("srcset", "data-srcset"):
                for candidate in (element.get(key) or "").split(","):
                    image(candidate.strip().split(" ", 1)[0])
        elif tag == "meta":
            kind = (element.get("property") or element.get("name") or "").lower()
            if kind in ("og:image", "og:image:url", "twitter:image"):
                image(element.get("content"))
        elif tag == "link" and (element.get("rel") or "").lower() == "image_src":
            image(element.get("href"))
        elif tag == "title" and title is None:
            title = " ".join((element.text_content() or "").split()) or None
        if tag in _BLOCK:
            element.tail = "\n" + (element.tail or "")
            element.text = "\n" + (element.text or "")
    for element in list(tree.iter(*_SKIP, "title")):
        element.drop_tree()
    body = lxml.etree.tostring(tree, method="text", encoding="unicode", with_tail=False)
    return title, list(links), list(images), body


def _clean_text(parts: list[str]) -> str:
    lines = (line.strip() for line in _SPACE.sub(" ", "".join(parts)).split("\n"))
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
    try:
        tree = lxml.html.document_fromstring(text.replace("\x00", "") or "<html></html>")
    except (lxml.etree.ParserError, ValueError):
        # An XML declaration in a str, or nothing parseable: read the bytes instead.
        try:
            tree = lxml.html.document_fromstring(data)
        except (lxml.etree.ParserError, ValueError) as exc:
            warnings.append(f"the page could not be parsed as HTML: {exc}")
            return PageText(Page(charset=charset, charset_source=source), "", warnings)
    title, links, images, raw_text = _collect(tree, url)
    body = _clean_text([raw_text])
    page = Page(
        title=title,
        charset=charset,
        charset_source=source,
        text_chars=len(body),
        text_truncated=cut,
        links=links,
        image_urls=images,
    )
    if cut:
        warnings.append(f"only the first {limit} bytes of the page were read for text and links")
    return PageText(page, body, warnings)
