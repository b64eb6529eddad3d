"""Browser contexts lent from one page to the next, wiped clean in between.

A brand-new context costs Chromium a cold renderer start: about 0.55 s of CPU per page
on a 2-core machine, more than loading, screenshotting and printing the page together
(``benchmarks/render.py``). So the renderer keeps a few contexts per identity (user
agent, proxy, headers, locale, viewport: everything fixed when a context is made),
each holding an idle blank page that keeps its renderer warm, and lends them to one
page at a time.

Between two pages a context is wiped so that no capture can influence the next: the
page and any pop-up it opened are closed, cookies and permissions cleared, the HTTP
cache emptied, and every origin the page touched has all its storage deleted (local
storage, IndexedDB, cache storage, service worker registrations; service workers are
blocked anyway). Session storage belongs to the closed tab. A context whose page was
cut short, or whose wiping failed in any way, is closed instead of lent again, and
each is retired after :data:`MAX_USES` pages.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from playwright.async_api import Browser, BrowserContext, CDPSession, Page

    from cybercase.collect.browser.options import ContextSpec
    from cybercase.collect.browser.traffic import ContextTraffic, TrafficRecorder

MAX_USES = 100
"""Pages lent by one context before it is closed and replaced (bounds slow leaks)."""
WIPE_TIMEOUT = 15.0


@dataclass(eq=False)
class Lease:
    """One context lent to one page."""

    key: str
    browser: Browser
    context: BrowserContext
    keeper: Page
    session: CDPSession
    uses: int = 0
    traffic: ContextTraffic | None = None
    """The context's recording proxy, when its traffic is recorded."""


class ContextPool:
    """At most ``keep`` idle contexts, handed out by identity."""

    def __init__(self, keep: int, recorder: TrafficRecorder | None = None) -> None:
        self._keep = keep
        self._recorder = recorder
        self._idle: list[Lease] = []
        self.opened = 0
        """Contexts made so far (the rest of the pages reused one)."""

    async def lease(self, browser: Browser, spec: ContextSpec, user_agent: str) -> Lease:
        """A clean context for ``spec``'s identity, with its cookies set."""
        kwargs = dict(spec.context_kwargs)
        kwargs.setdefault("user_agent", user_agent)
        key = json.dumps(
            [kwargs, spec.traffic.key() if spec.traffic else None], sort_keys=True, default=str
        )
        lease = self._take(browser, key)
        if lease is None:
            traffic = None
            if spec.traffic is not None:
                if self._recorder is None:
                    raise RuntimeError("traffic recording needs the renderer's recorder")
                traffic = self._recorder.start(spec.traffic)
                kwargs["proxy"] = traffic.proxy
            try:
                context = await browser.new_context(**kwargs)
            except BaseException:
                if traffic is not None:
                    await asyncio.to_thread(traffic.stop)
                raise
            self.opened += 1
            try:
                keeper = await context.new_page()
                session = await context.new_cdp_session(keeper)
            except BaseException:
                await close_quietly(context, traffic)
                raise
            lease = Lease(key, browser, context, keeper, session, traffic=traffic)
        lease.uses += 1
        if spec.cookies:
            try:
                await lease.context.add_cookies(spec.cookies)
            except BaseException:
                await close_quietly(lease.context, lease.traffic)
                raise
        return lease

    async def give_back(self, lease: Lease, origins: Iterable[str], *, reusable: bool) -> None:
        """Wipe the context and keep it for the next page, or close it."""
        keep = (
            reusable
            and lease.uses < MAX_USES
            and len(self._idle) < self._keep
            and lease.browser.is_connected()
        )
        if keep:
            from playwright.async_api import Error as PlaywrightError

            try:
                await asyncio.wait_for(_wipe(lease, origins), timeout=WIPE_TIMEOUT)
            except (PlaywrightError, TimeoutError, _NotCleanError):
                keep = False
        if keep:
            self._idle.append(lease)
        else:
            await close_quietly(lease.context, lease.traffic)

    async def close(self) -> None:
        """Close every idle context (the browser stays up)."""
        idle, self._idle = self._idle, []
        for lease in idle:
            await close_quietly(lease.context, lease.traffic)

    def _take(self, browser: Browser, key: str) -> Lease | None:
        for lease in self._idle:
            if lease.key == key and lease.browser is browser:
                self._idle.remove(lease)
                return lease
        return None


def origin_of(url: str) -> str | None:
    """``scheme://host[:port]`` of an http(s) URL, as storage is keyed; None otherwise."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"{parts.scheme}://{host}" + (f":{port}" if port is not None else "")


async def _wipe(lease: Lease, origins: Iterable[str]) -> None:
    for page in list(lease.context.pages):
        if page is not lease.keeper:
            await page.close()
    if lease.keeper.is_closed():
        raise _NotCleanError("the context's idle page was closed")
    await lease.context.clear_cookies()
    await lease.context.clear_permissions()
    await lease.session.send("Network.clearBrowserCache")
    for origin in sorted(set(origins)):
        await lease.session.send(
            "Storage.clearDataForOrigin", {"origin": origin, "storageTypes": "all"}
        )


class _NotCleanError(Exception):
    """A context that cannot be proven clean is closed, not lent again."""


async def close_quietly(context: BrowserContext, traffic: ContextTraffic | None = None) -> None:
    """Close a context (and its recording proxy); one whose browser has gone is gone with it."""
    from playwright.async_api import Error as PlaywrightError

    try:
        with contextlib.suppress(PlaywrightError, TimeoutError):
            await asyncio.wait_for(context.close(), timeout=WIPE_TIMEOUT)
    finally:
        if traffic is not None:
            await asyncio.to_thread(traffic.stop)
