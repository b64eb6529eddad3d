"""What the investigator saw: pages rendered by headless Chromium.

The raw capture (WARC) proves what the server sent; this proves what a person saw,
after scripts ran. :class:`Renderer` drives ONE browser for a whole batch, with a
bounded pool of pages, through Playwright's async API on its own thread and event
loop, so that callers on any thread submit pages and get
:class:`concurrent.futures.Future` objects back::

    with Renderer(pool_size=4, options=RenderOptions(user_agent=ua)) as renderer:
        future = renderer.submit("https://shop.example/listing/42", item_dir)
        result = future.result()      # RenderResult: files, requests, title, warnings...

A page's failures (it hangs, it cannot be reached, a step fails) are warnings in its
:class:`RenderResult`, never exceptions, so a batch and its raw captures go on. Only
a browser that cannot run at all raises :class:`BrowserUnavailableError`.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import dataclasses
import threading
from collections.abc import Callable, Coroutine, Mapping
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

from cybercase.clock import Clock, SystemClock
from cybercase.collect.browser.annotate import CaptionPainter, png_size
from cybercase.collect.browser.contexts import ContextPool
from cybercase.collect.browser.find import INSTALL_HINT, find_browser
from cybercase.collect.browser.launch import (
    LAUNCH_FLAGS,
    NO_SANDBOX_FLAG,
    browser_name,
    is_root,
    playwright_version,
)
from cybercase.collect.browser.options import Caption, RenderOptions, prepare
from cybercase.collect.browser.page import PageJob, first_line
from cybercase.collect.browser.result import BrowserInfo, RenderResult
from cybercase.collect.browser.traffic import TrafficRecorder
from cybercase.collect.redact import mask_credentials, split_credentials
from cybercase.errors import BrowserUnavailableError, InvalidInputError, StorageError

if TYPE_CHECKING:
    from playwright.async_api import Browser, Playwright


T = TypeVar("T")

SHUTDOWN_TIMEOUT = 30.0


class Renderer:
    """One headless browser shared by many pages, at most ``pool_size`` at a time.

    ``options`` are the defaults for every page; :meth:`submit` may override them per
    page. The browser starts in the constructor, so a missing or broken browser is a
    :class:`BrowserUnavailableError` at once, before any page is queued.
    """

    def __init__(
        self,
        executable: Path | None = None,
        *,
        pool_size: int = 4,
        options: RenderOptions | None = None,
        clock: Clock | None = None,
        config: Mapping[str, Any] | None = None,
        launch_timeout: float = 60.0,
    ) -> None:
        if pool_size < 1:
            raise InvalidInputError(f"the page pool needs at least one page, not {pool_size}")
        self.executable = find_browser(executable, config=config)
        self.pool_size = pool_size
        self.options = options if options is not None else RenderOptions()
        prepare(self.options)
        self._clock = clock if clock is not None else SystemClock()
        self._launch_timeout = launch_timeout
        self._lock = threading.Lock()
        self._closed = False
        self._futures: set[concurrent.futures.Future[Any]] = set()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._playwright: Playwright | None = None
        self._browser: Browser | None = None
        self._semaphore: asyncio.Semaphore | None = None
        self._relaunch: asyncio.Lock | None = None
        self._default_user_agent = ""
        self._painter = CaptionPainter()
        self._recorder = TrafficRecorder(clock=self._clock)
        self._contexts = ContextPool(keep=pool_size, recorder=self._recorder)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="cybercase-browser", daemon=True
        )
        self._thread.start()
        try:
            self.info: BrowserInfo = self._call(self._start(), launch_timeout + 10)
        except BaseException:
            self._stop_loop()
            self._recorder.close()
            raise

    def __enter__(self) -> Renderer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close(cancel=exc_type is not None)

    def submit(
        self, url: str, out_dir: Path, *, options: RenderOptions | None = None
    ) -> concurrent.futures.Future[RenderResult]:
        """Queue ``url``; its files are written into ``out_dir`` (created if needed).

        Bad options or a URL that is not http(s) raise :class:`InvalidInputError` here;
        everything that goes wrong with the page itself is in the result's warnings. A
        ``user:password@`` in ``url`` is split off: sent to that origin only, in no URL kept.
        """
        chosen = options if options is not None else self.options
        check_url(url)
        url, credentials = split_credentials(url)
        if credentials is not None and chosen.credentials is None:
            chosen = dataclasses.replace(chosen, credentials=credentials)
        spec = prepare(chosen)
        try:
            out_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(f"cannot create {out_dir}: {exc.strerror}") from exc

        async def render() -> RenderResult:
            browser, notes = await self._ready_browser()
            job = PageJob(
                url=url,
                out_dir=out_dir,
                spec=spec,
                clock=self._clock,
                info=self.info,
                default_user_agent=self._default_user_agent,
                painter=self._painter,
                contexts=self._contexts,
                notes=notes,
            )
            return await job.run(browser)

        return self._schedule(render)

    @property
    def contexts_opened(self) -> int:
        """Browser contexts made so far; pages beyond that reused a wiped one."""
        return self._contexts.opened

    def annotate(self, png: bytes, caption: Caption) -> concurrent.futures.Future[bytes]:
        """An annotated copy of ``png`` (see :func:`annotate_screenshot`), on this browser."""
        png_size(png)

        async def draw() -> bytes:
            browser, _ = await self._ready_browser()
            return await _bounded(self._painter.paint(browser, png, caption), "annotate")

        return self._schedule(draw)

    def html_to_pdf(self, html: str, *, timeout: float = 30.0) -> concurrent.futures.Future[bytes]:
        """``html`` printed to PDF (see :func:`html_to_pdf`), on this browser."""

        async def pdf() -> bytes:
            browser, _ = await self._ready_browser()
            return await _bounded(_print_html(browser, html), "print the PDF", timeout)

        return self._schedule(pdf)

    def close(self, *, cancel: bool = False) -> None:
        """Wait for queued pages (or cancel them), then stop the browser and its thread."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            pending = list(self._futures)
        if cancel:
            for future in pending:
                future.cancel()
        concurrent.futures.wait(pending)
        try:
            # The browser is being discarded: one that will not close cleanly is
            # ended with its driver process, so a late answer is not an error here.
            with contextlib.suppress(BrowserUnavailableError):
                self._call(self._shutdown(), SHUTDOWN_TIMEOUT + 10)
        finally:
            self._stop_loop()
            self._recorder.close()

    # -- on the browser's event loop ------------------------------------------------

    def _schedule(self, work: Callable[[], Coroutine[Any, Any, T]]) -> concurrent.futures.Future[T]:
        """Run ``work()`` on the loop once a page slot is free.

        The coroutine is only created inside the slot, so a job cancelled while it
        waits leaves no coroutine that was never awaited.
        """

        async def tracked() -> T:
            task = asyncio.current_task()
            assert task is not None and self._semaphore is not None
            self._tasks.add(task)
            try:
                async with self._semaphore:
                    return await work()
            finally:
                self._tasks.discard(task)

        with self._lock:
            if self._closed:
                raise BrowserUnavailableError(
                    "the browser has been closed", hint="start a new Renderer"
                )
            future = asyncio.run_coroutine_threadsafe(tracked(), self._loop)
            self._futures.add(future)
        future.add_done_callback(self._forget)
        return future

    def _forget(self, future: concurrent.futures.Future[Any]) -> None:
        with self._lock:
            self._futures.discard(future)

    async def _start(self) -> BrowserInfo:
        from playwright.async_api import Error as PlaywrightError
        from playwright.async_api import async_playwright

        self._semaphore = asyncio.Semaphore(self.pool_size)
        self._relaunch = asyncio.Lock()
        try:
            self._playwright = await async_playwright().start()
        except PlaywrightError as exc:
            raise BrowserUnavailableError(
                f"the browser driver (Playwright) did not start: {first_line(exc)}",
                hint="reinstall cybercase's dependencies ('pip install playwright')",
            ) from exc
        try:
            self._browser, sandboxed = await self._launch()
            return await self._describe(self._browser, sandboxed)
        except BaseException:
            await self._shutdown()
            raise

    async def _launch(self) -> tuple[Browser, bool]:
        """Start the browser, sandboxed where that is possible."""
        from playwright.async_api import Error as PlaywrightError

        assert self._playwright is not None
        sandbox = not is_root()
        while True:
            flags = [*LAUNCH_FLAGS] + ([] if sandbox else [NO_SANDBOX_FLAG])
            try:
                browser = await self._playwright.chromium.launch(
                    executable_path=str(self.executable),
                    headless=True,
                    args=flags,
                    chromium_sandbox=sandbox,
                    timeout=self._launch_timeout * 1000,
                    handle_sigint=False,
                    handle_sigterm=False,
                    handle_sighup=False,
                )
                return browser, sandbox
            except PlaywrightError as exc:
                if sandbox:
                    # Some Linux systems forbid the user namespaces the sandbox needs;
                    # rendering unsandboxed is recorded in every result (``sandboxed``).
                    sandbox = False
                    continue
                raise BrowserUnavailableError(
                    f"the browser at {self.executable} did not start: {first_line(exc)}",
                    hint=f"check that it runs ('{self.executable} --version'), or {INSTALL_HINT}",
                ) from exc

    async def _describe(self, browser: Browser, sandboxed: bool) -> BrowserInfo:
        session = await browser.new_browser_cdp_session()
        try:
            version = await session.send("Browser.getVersion")
        finally:
            await session.detach()
        product = str(version.get("product", ""))
        agent = str(version.get("userAgent", ""))
        # A person would have seen the page in an ordinary Chrome, and some sites
        # turn away "HeadlessChrome"; an explicit user_agent option overrides this.
        self._default_user_agent = agent.replace("HeadlessChrome/", "Chrome/")
        return BrowserInfo(
            name=browser_name(self.executable),
            version=browser.version,
            product=product,
            user_agent=self._default_user_agent,
            executable=self.executable,
            driver=f"playwright {playwright_version()}",
            sandboxed=sandboxed,
        )

    async def _ready_browser(self) -> tuple[Browser, list[str]]:
        """The running browser, started again if it stopped since the last page."""
        assert self._browser is not None and self._relaunch is not None
        if self._browser.is_connected():
            return self._browser, []
        async with self._relaunch:
            if self._browser.is_connected():
                return self._browser, []
            self._browser, _ = await self._launch()
            return self._browser, ["the browser had stopped and was started again for this page"]

    async def _shutdown(self) -> None:
        from playwright.async_api import Error as PlaywrightError

        current = asyncio.current_task()
        running = [task for task in self._tasks if task is not current]
        if running:
            await asyncio.wait(running, timeout=SHUTDOWN_TIMEOUT)
        try:
            # The driver ends the browser process when it stops, just below.
            with contextlib.suppress(PlaywrightError, TimeoutError):
                await asyncio.wait_for(self._painter.close(), timeout=SHUTDOWN_TIMEOUT)
                await asyncio.wait_for(self._contexts.close(), timeout=SHUTDOWN_TIMEOUT)
            with contextlib.suppress(PlaywrightError, TimeoutError):
                if self._browser is not None:
                    await asyncio.wait_for(self._browser.close(), timeout=SHUTDOWN_TIMEOUT)
        finally:
            self._browser = None
            if self._playwright is not None:
                await self._playwright.stop()
                self._playwright = None

    def _call(self, work: Coroutine[Any, Any, T], timeout: float) -> T:
        future = asyncio.run_coroutine_threadsafe(work, self._loop)
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError as exc:
            future.cancel()
            raise BrowserUnavailableError(
                f"the browser at {self.executable} did not answer within {timeout:g} s",
                hint="try again; if it keeps happening, choose another browser with --browser",
            ) from exc

    def _stop_loop(self) -> None:
        if self._loop.is_closed():
            return
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._loop.close()


def check_url(url: str) -> None:
    """Only http(s) URLs with a host are rendered (no ``file:``, ``data:``, ``javascript:``)."""
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        raise InvalidInputError(f"not a valid URL: {mask_credentials(url)!r}") from exc
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise InvalidInputError(
            f"only http and https addresses can be rendered, not {mask_credentials(url)!r}",
            hint="give the full address, starting with http:// or https://",
        )


async def _print_html(browser: Browser, html: str) -> bytes:
    context = await browser.new_context(java_script_enabled=False, offline=True)
    try:
        page = await context.new_page()
        await page.set_content(html, wait_until="load")
        return await page.pdf(format="A4", print_background=True, prefer_css_page_size=True)
    finally:
        await context.close()


async def _bounded(work: Coroutine[Any, Any, T], what: str, timeout: float = 30.0) -> T:
    from playwright.async_api import Error as PlaywrightError

    try:
        return await asyncio.wait_for(work, timeout=timeout)
    except TimeoutError as exc:
        raise BrowserUnavailableError(
            f"the browser could not {what} within {timeout:g} s",
            hint="try again; a very large document may need a longer timeout",
        ) from exc
    except PlaywrightError as exc:
        raise BrowserUnavailableError(f"the browser could not {what}: {first_line(exc)}") from exc
