"""Rendering one page: open, let it settle, then screenshot, DOM, MHTML and PDF.

Runs on the renderer's event loop. Each page has a browser context to itself for as
long as it runs (its identity, cookies and cache), lent by the renderer's
:class:`~cybercase.collect.browser.contexts.ContextPool`, which wipes it before lending
it again, so pages of a batch cannot leak state into each other.
Files are written as soon as each is produced, and the whole page is under a hard
deadline: a page that hangs (a server that never finishes, a script that never
yields) is abandoned with a warning and keeps what it produced by then. Failures of
the page are warnings in the result, never exceptions: the raw capture must go on.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import TimeoutError as PlaywrightTimeoutError

from cybercase.collect.browser.annotate import CaptionPainter
from cybercase.collect.browser.contexts import ContextPool, Lease, origin_of
from cybercase.collect.browser.feed import FeedRecord, feed_warning, load_feed
from cybercase.collect.browser.result import (
    FILE_NAMES,
    MEDIA_TYPES,
    ROLE_DOM,
    ROLE_MHTML,
    ROLE_PDF,
    ROLE_SCREENSHOT,
    ROLE_SCREENSHOT_ANNOTATED,
    BrowserInfo,
    BrowserRequest,
    RenderedFile,
    RenderResult,
)

if TYPE_CHECKING:
    from playwright.async_api import Browser, BrowserContext, Page, Request, Response

    from cybercase.clock import Clock
    from cybercase.collect.browser.options import ContextSpec
    from cybercase.collect.browser.recording import TrafficLog

CLOSE_TIMEOUT = 15.0
SCROLL_DELAY_MS = 100
IMAGE_WAIT_MS = 3000
MAX_REQUESTS = 20_000

# Scroll one screen at a time so that lazy images and infinite lists load, up to a cap.
_SCROLL_JS = """async ({maxSteps, delay}) => {
  const root = document.scrollingElement || document.documentElement;
  let steps = 0;
  while (steps < maxSteps) {
    const before = window.scrollY;
    if (before + window.innerHeight >= root.scrollHeight) return {steps, capped: false};
    window.scrollBy(0, window.innerHeight);
    steps += 1;
    await new Promise(resolve => setTimeout(resolve, delay));
    if (window.scrollY === before) return {steps, capped: false};
  }
  return {steps, capped: root.scrollHeight > window.scrollY + window.innerHeight};
}"""

_IMAGES_JS = """async (cap) => {
  const pending = Array.from(document.images).filter(img => !img.complete);
  const loaded = Promise.all(pending.map(img => new Promise(resolve => {
    img.addEventListener('load', resolve, {once: true});
    img.addEventListener('error', resolve, {once: true});
  })));
  await Promise.race([loaded, new Promise(resolve => setTimeout(resolve, cap))]);
  return Array.from(document.images).filter(img => !img.complete).length;
}"""

_SIZE_JS = """() => {
  const root = document.scrollingElement || document.documentElement;
  return [root.scrollWidth, root.scrollHeight];
}"""

_TOP_JS = """async () => {
  window.scrollTo(0, 0);
  await new Promise(resolve => requestAnimationFrame(() => requestAnimationFrame(resolve)));
}"""


@dataclass
class _Seen:
    """A request as it is being followed."""

    url: str
    method: str
    resource_type: str
    status: int | None = None
    failure: str | None = None


@dataclass
class PageJob:
    """The state of one page being rendered; what it holds is returned even if cut short."""

    url: str
    out_dir: Path
    spec: ContextSpec
    clock: Clock
    info: BrowserInfo
    default_user_agent: str
    painter: CaptionPainter
    contexts: ContextPool
    notes: list[str] = field(default_factory=list)
    files: list[RenderedFile] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    seen: dict[Request, _Seen] = field(default_factory=dict)
    inflight: set[Request] = field(default_factory=set)
    last_activity: float = 0.0
    status: int | None = None
    final_url: str | None = None
    title: str | None = None
    page_size: tuple[int, int] | None = None
    complete: bool = True
    context: BrowserContext | None = None
    lease: Lease | None = None
    page: Page | None = None
    troubled: bool = False
    """The browser failed or was cut off on this page: its context is not lent again."""
    traffic: TrafficLog | None = None
    navigation_error: str | None = None
    feed: FeedRecord | None = None

    async def run(self, browser: Browser) -> RenderResult:
        """Render the page under its hard deadline and return what was produced."""
        started = self.clock.now()
        self.warnings.extend(self.notes)
        deadline = self.spec.options.page_timeout
        try:
            await asyncio.wait_for(self._steps(browser), timeout=deadline)
        except TimeoutError:
            self.troubled = True
            self._cut_short(
                f"the page was abandoned after {deadline:g} s; what was produced by then is kept"
            )
        except PlaywrightError as exc:
            self.troubled = True
            self._cut_short(f"the browser failed on this page: {first_line(exc)}")
        finally:
            await self._close()
        return RenderResult(
            url=self.url,
            final_url=self.final_url,
            status=self.status,
            title=self.title,
            files=list(self.files),
            requests=[
                BrowserRequest(s.url, s.method, s.resource_type, s.status, s.failure)
                for s in self.seen.values()
            ],
            warnings=list(self.warnings),
            started=started,
            ended=self.clock.now(),
            browser=self.info,
            user_agent=self.spec.identity.user_agent or self.default_user_agent,
            identity=self.spec.identity,
            page_size=self.page_size,
            complete=self.complete,
            traffic=self.traffic,
            tls_failure=self._tls_failure(),
            feed=self.feed,
        )

    def _tls_failure(self) -> str | None:
        """Why the page itself failed TLS: the recording proxy's reason, or the browser's."""
        if self.traffic is not None and self.traffic.exchanges:
            first = self.traffic.exchanges[0].hop
            if first.status is None and first.error is not None:
                if first.error.outcome == "tls-failure":
                    return first.error.message
                return None
        error = self.navigation_error or ""
        if "ERR_CERT" in error or "ERR_SSL" in error:
            return f"the browser refused the site's certificate: {error}"
        return None

    async def _steps(self, browser: Browser) -> None:
        self.lease = await self.contexts.lease(browser, self.spec, self.default_user_agent)
        if self.lease.traffic is not None:
            self.lease.traffic.begin(self.out_dir / "traffic")
        self.context = self.lease.context
        self.context.on("request", self._on_request)
        self.context.on("response", self._on_response)
        self.context.on("requestfinished", self._on_finished)
        self.context.on("requestfailed", self._on_failed)
        page = self.page = await self.context.new_page()
        self.last_activity = asyncio.get_running_loop().time()
        if not await self._navigate(page):
            return
        await self._settle(page)
        await self._capture(browser, page)

    async def _navigate(self, page: Page) -> bool:
        options = self.spec.options
        loop = asyncio.get_running_loop()
        start = loop.time()
        try:
            response = await page.goto(
                self.url, wait_until="commit", timeout=options.navigation_timeout * 1000
            )
        except PlaywrightTimeoutError:
            self.troubled = True
            self._cut_short(
                f"no answer within {options.navigation_timeout:g} s; the browser showed nothing"
            )
            return False
        except PlaywrightError as exc:
            self.navigation_error = first_line(exc)
            self._cut_short(f"the browser could not open the page: {self.navigation_error}")
            return False
        self.status = response.status if response is not None else None
        self.final_url = page.url
        left = max(options.navigation_timeout - (loop.time() - start), 0.001)
        try:
            await page.wait_for_load_state("load", timeout=left * 1000)
        except PlaywrightTimeoutError:
            self.troubled = True
            self._cut_short(
                f"the page had not finished loading after {options.navigation_timeout:g} s; "
                "it was captured as it was then"
            )
        return True

    async def _settle(self, page: Page) -> None:
        options = self.spec.options
        await self._quiet("after loading")
        if options.feed is not None:
            host = urlsplit(page.url).hostname or ""
            self.feed = await load_feed(page, options.feed, host, self._quiet)
            warning = feed_warning(self.feed)
            if warning is not None:
                self.warnings.append(warning)
            await self._after_scroll(page)
            return
        if not options.scroll or options.max_scroll_steps == 0:
            return
        scrolled = await page.evaluate(
            _SCROLL_JS, {"maxSteps": options.max_scroll_steps, "delay": SCROLL_DELAY_MS}
        )
        if scrolled.get("capped"):
            self.warnings.append(
                f"stopped scrolling after {options.max_scroll_steps} screens; "
                "the page may hold more further down"
            )
        await self._quiet("after scrolling")
        await self._after_scroll(page)

    async def _after_scroll(self, page: Page) -> None:
        missing = await page.evaluate(_IMAGES_JS, IMAGE_WAIT_MS)
        if missing:
            self.warnings.append(f"{missing} image(s) had not loaded when the page was captured")
        await page.evaluate(_TOP_JS)

    async def _quiet(self, when: str) -> None:
        """Wait until no request has been in flight for ``idle_time``, up to the cap."""
        options = self.spec.options
        loop = asyncio.get_running_loop()
        cap = loop.time() + options.settle_timeout
        while True:
            now = loop.time()
            if not self.inflight and now - self.last_activity >= options.idle_time:
                return
            if now >= cap:
                self.warnings.append(
                    f"{len(self.inflight)} request(s) still open {options.settle_timeout:g} s "
                    f"{when}; the page was captured without waiting for them"
                )
                return
            await asyncio.sleep(0.05)

    async def _capture(self, browser: Browser, page: Page) -> None:
        self.final_url = page.url
        self.title = await page.title()
        width, height = await page.evaluate(_SIZE_JS)
        self.page_size = (int(width), int(height))
        png = await self._produce(ROLE_SCREENSHOT, self._screenshot(page))
        caption = self.spec.options.caption
        if png is not None and caption is not None:
            annotated = self.painter.paint(browser, png, caption)
            await self._produce(ROLE_SCREENSHOT_ANNOTATED, annotated)
        await self._produce(ROLE_DOM, self._dom(page))
        await self._produce(ROLE_MHTML, self._mhtml(page))
        await self._produce(ROLE_PDF, self._pdf(page))

    async def _screenshot(self, page: Page) -> bytes:
        timeout = self.spec.options.page_timeout * 1000
        return await page.screenshot(full_page=True, type="png", timeout=timeout)

    async def _dom(self, page: Page) -> bytes:
        return (await page.content()).encode("utf-8")

    async def _mhtml(self, page: Page) -> bytes:
        assert self.context is not None
        session = await self.context.new_cdp_session(page)
        try:
            snapshot = await session.send("Page.captureSnapshot", {"format": "mhtml"})
        finally:
            await session.detach()
        return str(snapshot["data"]).encode("utf-8")

    async def _pdf(self, page: Page) -> bytes:
        # Screen styles, so that the PDF shows the page as the screenshot does; many
        # listings hide prices or contact details from print.
        await page.emulate_media(media="screen")
        return await page.pdf(print_background=True, format="A4")

    async def _produce(self, role: str, making: Coroutine[Any, Any, bytes]) -> bytes | None:
        """Run one output step; a failure is a warning and the next step still runs."""
        try:
            data = await making
        except PlaywrightError as exc:
            self.troubled = True
            self._cut_short(f"no {role}: {first_line(exc)}")
            return None
        name = FILE_NAMES[role]
        path = self.out_dir / name
        await asyncio.to_thread(_write_file, path, data)
        self.files.append(RenderedFile(role, name, path, MEDIA_TYPES[role]))
        return data

    async def _close(self) -> None:
        if self.lease is None or self.context is None:
            return
        self.context.remove_listener("request", self._on_request)
        self.context.remove_listener("response", self._on_response)
        self.context.remove_listener("requestfinished", self._on_finished)
        self.context.remove_listener("requestfailed", self._on_failed)
        if self.page is not None:
            try:
                await asyncio.wait_for(self.page.close(), timeout=CLOSE_TIMEOUT)
            except (TimeoutError, PlaywrightError) as exc:
                self.troubled = True
                self.warnings.append(f"the browser tab could not be closed cleanly: {exc}")
        if self.lease.traffic is not None:
            self.traffic = await asyncio.to_thread(self.lease.traffic.collect)
            self.warnings.extend(self.traffic.warnings)
            if self.traffic.exchanges:
                first = self.traffic.exchanges[0].hop
                if first.status is None and first.error is not None:
                    self.warnings.append(
                        f"the recording proxy got no answer for {first.url}: {first.error.message}"
                    )
        origins = {origin_of(seen.url) for seen in self.seen.values()}
        origins.add(origin_of(self.url))
        await self.contexts.give_back(
            self.lease, (o for o in origins if o is not None), reusable=not self.troubled
        )

    def _cut_short(self, warning: str) -> None:
        self.complete = False
        self.warnings.append(warning)

    def _on_request(self, request: Request) -> None:
        self.last_activity = asyncio.get_running_loop().time()
        if request.url.startswith(("data:", "blob:")):
            return
        self.inflight.add(request)
        if len(self.seen) < MAX_REQUESTS:
            self.seen[request] = _Seen(request.url, request.method, request.resource_type)
        elif len(self.seen) == MAX_REQUESTS:
            self.warnings.append(f"more than {MAX_REQUESTS} requests; the rest are not listed")
            self.seen[request] = _Seen("(further requests not listed)", "", "other")

    def _on_response(self, response: Response) -> None:
        seen = self.seen.get(response.request)
        if seen is not None:
            seen.status = response.status

    def _on_finished(self, request: Request) -> None:
        self.last_activity = asyncio.get_running_loop().time()
        self.inflight.discard(request)

    def _on_failed(self, request: Request) -> None:
        self.last_activity = asyncio.get_running_loop().time()
        self.inflight.discard(request)
        seen = self.seen.get(request)
        if seen is not None:
            seen.failure = request.failure or "failed"


def first_line(exc: BaseException) -> str:
    """The first line of a Playwright error, without its call log."""
    text = getattr(exc, "message", None) or str(exc)
    return str(text).strip().splitlines()[0] if str(text).strip() else type(exc).__name__


def _write_file(path: Path, data: bytes) -> None:
    """Write under a temporary name and rename into place, so no half file has the real name."""
    tmp = path.with_name(f".{path.name}.part")
    tmp.write_bytes(data)
    os.replace(tmp, path)
