"""Feeds that load as one scrolls: scroll until the page stops growing, click "load more".

Social platforms show a few posts and fetch more near the bottom of the page, and hide
comments behind "load more comments" buttons. A capture of the first screen misses the
offer a court needs, so ``capture --scroll`` keeps scrolling one screen at a time, waits
for the page's requests to finish, clicks buttons matching the "load more" patterns, and
stops when the page no longer grows at its bottom, or at ``max_screens`` screens or
``max_time`` seconds. Every step is recorded (:class:`FeedRecord`), so the record says
how the page was brought to the state the screenshot shows, and why it stopped.

Only buttons are clicked (``<button>``, ``role=button``, links without a destination),
never links that would navigate away from the page being captured. Per-site selectors
come from the ``[feed.sites."host"]`` tables of the configuration.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from cybercase.evidence.models import Record
from cybercase.settings import invalid_setting, load_config, section

if TYPE_CHECKING:
    from playwright.async_api import Page

DEFAULT_PATTERNS = (
    "load more",
    "show more",
    "see more comments",
    "view more comments",
    "more comments",
    "more replies",
    "view previous comments",
    "afficher plus",
    "plus de commentaires",
    "ver más",
    "mostrar más",
)
"""Button texts clicked on any site (matched case-insensitively, as substrings)."""
MAX_STEPS_RECORDED = 2000
SCROLL_PAUSE = 0.15
"""Seconds between a scroll and the wait for quiet, so the page's scroll handler runs."""
CHANGE_CHECKS = 30
CHANGE_PAUSE = 0.1
"""A click that changed nothing for 3 s (after its requests) is not repeated."""
STABLE_CHECKS = 2
"""Times in a row the bottom must be reached without growth before the feed is done."""

_CLICK_JS = """({selectors, patterns, maxPerElement}) => {
  const key = Symbol.for('cybercase.feed.clicks');
  const counts = window[key] || (window[key] = new WeakMap());
  const candidates = new Set();
  for (const selector of selectors) {
    try { document.querySelectorAll(selector).forEach(el => candidates.add(el)); } catch (e) {}
  }
  if (patterns.length) {
    document.querySelectorAll('button, [role=button], a:not([href]), a[href="#"], '
        + 'a[href^="javascript:"]').forEach(el => {
      const text = (el.innerText || el.textContent || '').trim().toLowerCase();
      if (text.length <= 80 && patterns.some(p => text.includes(p))) candidates.add(el);
    });
  }
  const clicked = [];
  const before = document.body ? document.body.innerHTML.length : 0;
  const last = window[Symbol.for('cybercase.feed.last')] = [];
  for (const el of candidates) {
    if (!el.isConnected || el.disabled || el.getAttribute('aria-disabled') === 'true') continue;
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) continue;
    const done = counts.get(el) || 0;
    if (done >= maxPerElement) continue;
    counts.set(el, done + 1);
    last.push(el);
    el.scrollIntoView({block: 'center'});
    el.click();
    clicked.push((el.innerText || el.textContent || el.tagName).trim().slice(0, 80));
  }
  return {clicked, before};
}"""

# A button whose click changed nothing is not clicked again.
_EXHAUST_JS = """(maxPerElement) => {
  const counts = window[Symbol.for('cybercase.feed.clicks')];
  for (const el of window[Symbol.for('cybercase.feed.last')] || []) counts.set(el, maxPerElement);
}"""

_SCROLL_JS = """() => {
  const root = document.scrollingElement || document.documentElement;
  window.scrollBy(0, window.innerHeight);
  return root.scrollHeight;
}"""

# How much the page holds: grows when a click loaded something (or a click opened text).
_LENGTH_JS = """() => document.body ? document.body.innerHTML.length : 0"""

_STATE_JS = """() => {
  const root = document.scrollingElement || document.documentElement;
  return [root.scrollHeight, window.scrollY + window.innerHeight >= root.scrollHeight - 2];
}"""


class SiteFeed(BaseModel):
    """What to click on one site, beyond the generic patterns."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    click: list[str] = Field(default_factory=list)
    """CSS selectors of "load more" buttons on this site."""
    patterns: list[str] | None = None
    """Button texts for this site; ``None`` keeps the generic ones."""


class FeedSettings(BaseModel):
    """``[feed]`` in config.toml: how ``--scroll`` loads a feed."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    scroll: bool = False
    """Load feeds before capturing (``--scroll``)."""
    max_screens: int = Field(60, ge=1, le=10_000)
    """Screens scrolled at most (``--max-scroll``)."""
    max_time: float = Field(120.0, gt=0, le=3600)
    """Seconds spent loading one page at most (``--max-time``)."""
    max_clicks: int = Field(200, ge=0, le=10_000)
    """"Load more" clicks on one page at most."""
    max_clicks_per_button: int = Field(50, ge=1, le=10_000)
    """Clicks of the same button at most (a button that stays after loading everything)."""
    patterns: list[str] = Field(default_factory=lambda: list(DEFAULT_PATTERNS))
    """Button texts clicked on every site."""
    click: list[str] = Field(default_factory=list)
    """CSS selectors clicked on every site."""
    sites: dict[str, SiteFeed] = Field(default_factory=dict)
    """Per host (``www.example.org``): selectors and texts for that site."""

    def options(self) -> FeedOptions:
        """The settings as the renderer takes them."""
        return FeedOptions(
            max_screens=self.max_screens,
            max_time=self.max_time,
            max_clicks=self.max_clicks,
            max_clicks_per_button=self.max_clicks_per_button,
            patterns=tuple(p.lower() for p in self.patterns),
            click=tuple(self.click),
            sites={
                host.lower(): (
                    tuple(site.click),
                    None if site.patterns is None else tuple(p.lower() for p in site.patterns),
                )
                for host, site in self.sites.items()
            },
        )


def load_feed_settings(
    config_file: Path | None = None, overrides: Mapping[str, Any] | None = None
) -> FeedSettings:
    """Defaults, then ``[feed]`` of the configuration, then the non-None flags."""
    table = dict(section(load_config(config_file), "feed"))
    table.update({k: v for k, v in (overrides or {}).items() if v is not None})
    try:
        return FeedSettings.model_validate(table)
    except ValidationError as exc:
        raise invalid_setting(
            exc, "feed setting", hint="check the [feed] table of your configuration and the flags"
        ) from exc


@dataclass(frozen=True)
class FeedOptions:
    """How one page's feed is loaded (validated :class:`FeedSettings`)."""

    max_screens: int = 60
    max_time: float = 120.0
    max_clicks: int = 200
    max_clicks_per_button: int = 50
    patterns: tuple[str, ...] = DEFAULT_PATTERNS
    click: tuple[str, ...] = ()
    sites: Mapping[str, tuple[tuple[str, ...], tuple[str, ...] | None]] = field(
        default_factory=dict
    )

    def for_host(self, host: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The selectors and texts clicked on ``host``."""
        selectors, patterns = self.sites.get(host.lower(), ((), None))
        return self.click + selectors, self.patterns if patterns is None else patterns


class FeedStep(Record):
    """One step taken to load the feed."""

    action: Literal["scroll", "click"]
    """``scroll`` one screen down, or ``click`` a "load more" button."""
    at: float
    """Seconds since loading the feed began."""
    height: int
    """The page's height in CSS pixels after the step and its requests."""
    target: str | None = None
    """The text of the button clicked."""


class FeedRecord(Record):
    """How the feed was loaded before the page was captured, and why loading stopped."""

    max_screens: int
    """The screen limit in force."""
    max_time: float
    """The time limit in force, in seconds."""
    selectors: list[str]
    """CSS selectors that were clicked when found."""
    patterns: list[str]
    """Button texts that were clicked when found."""
    screens: int
    """Screens scrolled."""
    clicks: int
    """Buttons clicked."""
    start_height: int
    """The page's height before loading, in CSS pixels."""
    end_height: int
    """The page's height when capturing, in CSS pixels."""
    stopped: Literal["end", "max-screens", "max-time"]
    """``end``: the page stopped growing; otherwise which limit was reached."""
    steps: list[FeedStep]
    """Each step in order (the first :data:`MAX_STEPS_RECORDED`)."""
    steps_omitted: int = 0
    """Steps taken beyond those recorded."""


async def load_feed(
    page: Page, options: FeedOptions, host: str, quiet: Callable[[str], Awaitable[None]]
) -> FeedRecord:
    """Scroll and click until the page stops growing or a limit is reached.

    ``quiet`` waits until the page's requests are done (the renderer's settle wait).
    """
    loop = asyncio.get_running_loop()
    started = loop.time()
    selectors, patterns = options.for_host(host)
    steps: list[FeedStep] = []
    omitted = 0
    screens = clicks = stable = 0
    start_height, _ = await page.evaluate(_STATE_JS)

    def record(action: Literal["scroll", "click"], height: int, target: str | None) -> None:
        nonlocal omitted
        if len(steps) < MAX_STEPS_RECORDED:
            at = round(loop.time() - started, 3)
            steps.append(FeedStep(action=action, at=at, height=height, target=target))
        else:
            omitted += 1

    stopped: Literal["end", "max-screens", "max-time"] = "end"
    while True:
        if loop.time() - started >= options.max_time:
            stopped = "max-time"
            break
        clicked: list[str] = []
        before_click = 0
        if clicks < options.max_clicks and (selectors or patterns):
            answer = await page.evaluate(
                _CLICK_JS,
                {
                    "selectors": list(selectors),
                    "patterns": list(patterns),
                    "maxPerElement": options.max_clicks_per_button,
                },
            )
            clicked = answer["clicked"][: options.max_clicks - clicks]
            before_click = int(answer["before"])
        if clicked:
            clicks += len(clicked)
            await asyncio.sleep(SCROLL_PAUSE)
            await quiet("after clicking")
            height, _ = await page.evaluate(_STATE_JS)
            for text in clicked:
                record("click", int(height), text)
            if not await _changed(page, before_click):
                await page.evaluate(_EXHAUST_JS, options.max_clicks_per_button)
            else:
                await quiet("after clicking")
            stable = 0
            continue
        if screens >= options.max_screens:
            stopped = "max-screens"
            break
        before = int(await page.evaluate(_SCROLL_JS))
        screens += 1
        await asyncio.sleep(SCROLL_PAUSE)
        await quiet("after scrolling")
        height, at_bottom = await page.evaluate(_STATE_JS)
        record("scroll", int(height), None)
        if at_bottom and int(height) <= before:
            stable += 1
            if stable >= STABLE_CHECKS:
                break
        else:
            stable = 0
    end_height, _ = await page.evaluate(_STATE_JS)
    return FeedRecord(
        max_screens=options.max_screens,
        max_time=options.max_time,
        selectors=list(selectors),
        patterns=list(patterns),
        screens=screens,
        clicks=clicks,
        start_height=int(start_height),
        end_height=int(end_height),
        stopped=stopped,
        steps=steps,
        steps_omitted=omitted,
    )


async def _changed(page: Page, before: int) -> bool:
    """Whether the page's content changed since ``before``, allowing a slow answer."""
    for _ in range(CHANGE_CHECKS):
        if await page.evaluate(_LENGTH_JS) != before:
            return True
        await asyncio.sleep(CHANGE_PAUSE)
    return False


def feed_warning(record: FeedRecord) -> str | None:
    """A warning when a limit stopped the feed before its end."""
    if record.stopped == "max-screens":
        return (
            f"stopped loading the feed after {record.max_screens} screens; "
            "it may hold more (raise --max-scroll)"
        )
    if record.stopped == "max-time":
        return (
            f"stopped loading the feed after {record.max_time:g} s; "
            "it may hold more (raise --max-time)"
        )
    return None


__all__ = [
    "DEFAULT_PATTERNS",
    "FeedOptions",
    "FeedRecord",
    "FeedSettings",
    "FeedStep",
    "SiteFeed",
    "feed_warning",
    "load_feed",
    "load_feed_settings",
]
