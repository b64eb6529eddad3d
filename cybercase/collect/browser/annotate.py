"""An annotated copy of a screenshot: the original with a caption band above it.

Exhibits need the URL, time, case, item and investigator next to the picture. The
band is drawn by the same Chromium that took the screenshot (an HTML page embedding
the PNG as a ``data:`` URL, rendered at one device pixel per CSS pixel), rather than
with Pillow: it adds no dependency, and Chromium lays out and shapes any script a
URL or a name may contain (Arabic, Chinese, accents) and wraps long URLs, which a
hand-drawn bitmap caption does badly. The copy names the SHA-256 of the original,
which stays untouched and is the primary, hashed evidence.

The caption page runs with JavaScript disabled and the network off; every value in
it is HTML-escaped, since URLs and titles come from the sites under investigation.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import html
import struct
from typing import TYPE_CHECKING

from cybercase.clock import format_utc
from cybercase.collect.browser.contexts import close_quietly
from cybercase.collect.browser.options import Caption
from cybercase.errors import InvalidInputError

if TYPE_CHECKING:
    from playwright.async_api import Browser, BrowserContext, Page

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MIN_WIDTH = 480
"""Narrower screenshots get a band this wide, so the caption stays readable."""


def png_size(png: bytes) -> tuple[int, int]:
    """Width and height from a PNG's header; anything that is not a PNG is an error."""
    if len(png) < 24 or not png.startswith(PNG_SIGNATURE) or png[12:16] != b"IHDR":
        raise InvalidInputError("the screenshot to annotate is not a PNG image")
    width, height = struct.unpack(">II", png[16:24])
    if width == 0 or height == 0:
        raise InvalidInputError("the screenshot to annotate has no pixels")
    return width, height


def caption_html(png: bytes, caption: Caption) -> str:
    """The page that draws the band above the original image, pixel for pixel."""
    width, height = png_size(png)
    band = max(width, MIN_WIDTH)
    digest = hashlib.sha256(png).hexdigest()
    rows = [
        ("URL", caption.url, "mono"),
        ("Captured (UTC)", format_utc(caption.utc_time), "mono"),
        ("Case / item", f"{caption.case_id} / {caption.item_id}", ""),
        ("Investigator", caption.investigator, ""),
        ("Original", f"screenshot.png sha256:{digest} ({width}×{height} px)", "mono"),
    ]
    cells = "\n".join(
        f'<tr><th>{html.escape(label)}</th><td class="{cls}">{html.escape(value)}</td></tr>'
        for label, value, cls in rows
    )
    data = base64.b64encode(png).decode("ascii")
    return f"""<!doctype html>
<html><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy"
  content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<style>
html, body {{ margin: 0; padding: 0; background: #fff; }}
body {{ width: {band}px; }}
.band {{ box-sizing: border-box; width: {band}px; padding: 10px 14px 12px;
  background: #14213d; color: #fff;
  font: 14px/1.4 "DejaVu Sans", "Liberation Sans", Arial, sans-serif; }}
.band h1 {{ margin: 0 0 6px; font-size: 13px; font-weight: normal; color: #fca311;
  text-transform: uppercase; letter-spacing: 0.06em; }}
table {{ border-collapse: collapse; width: 100%; table-layout: fixed; }}
th {{ width: 9.5em; text-align: left; vertical-align: top; font-weight: bold;
  padding: 1px 8px 1px 0; }}
td {{ padding: 1px 0; overflow-wrap: anywhere; }}
td.mono {{ font-family: "DejaVu Sans Mono", "Liberation Mono", Consolas, monospace;
  font-size: 13px; }}
img {{ display: block; width: {width}px; height: {height}px; }}
</style></head>
<body><div class="band"><h1>Annotated copy for exhibits — the original screenshot is unchanged</h1>
<table>
{cells}
</table></div><img alt="" src="data:image/png;base64,{data}"></body></html>
"""


class CaptionPainter:
    """Draws caption bands on one offline, script-less page, kept for the whole batch.

    Opening a page starts a renderer process, which costs three times more than
    drawing the band itself; a batch reuses one page instead, one caption at a time.
    Nothing carries over from one caption to the next: each replaces the whole
    document, scripts and the network are off, and a failed drawing discards the
    page so that the next caption starts on a fresh one.
    """

    def __init__(self) -> None:
        self._browser: Browser | None = None
        self._context: BrowserContext | None = None
        self._page: Page | None = None
        self._lock = asyncio.Lock()

    async def paint(self, browser: Browser, png: bytes, caption: Caption) -> bytes:
        """The annotated PNG: the band above the original, pixel for pixel."""
        page_html = caption_html(png, caption)
        width, _ = png_size(png)
        async with self._lock:
            page = await self._page_on(browser)
            try:
                await page.set_viewport_size({"width": max(width, MIN_WIDTH), "height": 200})
                await page.set_content(page_html, wait_until="load")
                return await page.screenshot(full_page=True, type="png")
            except BaseException:
                await self._discard()
                raise

    async def close(self) -> None:
        """Close the page and its context (the browser stays up)."""
        async with self._lock:
            await self._discard()

    async def _page_on(self, browser: Browser) -> Page:
        if self._page is not None and self._browser is browser and not self._page.is_closed():
            return self._page
        await self._discard()
        self._browser = browser
        self._context = await browser.new_context(
            viewport={"width": MIN_WIDTH, "height": 200},
            device_scale_factor=1,
            java_script_enabled=False,
            offline=True,
        )
        self._page = await self._context.new_page()
        return self._page

    async def _discard(self) -> None:
        context, self._context, self._page, self._browser = self._context, None, None, None
        if context is not None:
            await close_quietly(context)
