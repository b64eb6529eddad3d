"""Benchmark: what ``cybercase browse`` adds to a page visit, against plain Chromium.

Serves the training marketplace on 127.0.0.1 and, in the same run, visits the same pages
(home, the six listings, the feed) R rounds each way, in a persistent Chromium profile:

1. plain Chromium: ``page.goto(url)`` to the load event;
2. ``cybercase browse`` (headless, for timing only): the same ``goto``, then the
   session's capture of the page (the traffic through the recording proxy, the
   screenshot, the DOM, the WARC and one signed durable custody entry per page).

Prints the median time per visit of each, the difference and the ratio. Target: browse
adds under 300 ms to a visit. Timings are printed, never asserted.

    python benchmarks/browse.py [--rounds 3] [--browser PATH]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from cybercase.collect.browser.browse import BrowseOptions, BrowseSession, browse
from cybercase.collect.browser.find import find_browser
from cybercase.evidence import Case, KeyRing
from cybercase.settings import ENV_HOME
from cybercase.training import Marketplace


def _plain(executable: Path, urls: list[str], profile: Path) -> list[float]:
    from playwright.sync_api import sync_playwright

    times: list[float] = []
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile), executable_path=str(executable), headless=True
        )
        page = context.pages[0] if context.pages else context.new_page()
        for url in urls:
            start = time.perf_counter()
            page.goto(url, wait_until="load")
            times.append(time.perf_counter() - start)
        context.close()
    return times


def _browse(executable: Path, urls: list[str], home: Path) -> tuple[list[float], int]:
    ring = KeyRing(home)
    identity = ring.create("Bench Mark", "bench@example.org", "bench passphrase")
    signer = ring.unlock(ring.find(identity.fingerprint), "bench passphrase")
    case = Case.create(
        home / "case",
        case_id="BENCH-1",
        title="browse benchmark",
        agency="bench",
        jurisdiction="bench",
        offence="bench",
        species=[],
        signer=signer,
    )
    times: list[float] = []

    def drive(session: BrowseSession) -> None:
        for url in urls:
            start = time.perf_counter()
            session.page.goto(url, wait_until="load")
            session.pump()
            times.append(time.perf_counter() - start)

    summary = browse(
        case, signer, BrowseOptions(headless=True, executable=executable), driver=drive
    )
    return times, summary.pages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--browser", type=Path, default=None)
    args = parser.parse_args()
    executable = find_browser(args.browser)
    with tempfile.TemporaryDirectory() as tmp, Marketplace(port=0) as market:
        os.environ[ENV_HOME] = str(Path(tmp) / "home")
        pages = [market.url + "/", *market.listing_urls(), market.url_for("/feed")]
        # Distinct URLs each round (a query), so that every visit is a new page.
        urls = [f"{u}?round={r}" for r in range(args.rounds) for u in pages]
        plain = _plain(executable, urls, Path(tmp) / "plain-profile")
        recorded, captured = _browse(executable, urls, Path(tmp) / "home")
    a, b = statistics.median(plain), statistics.median(recorded)
    print(f"visits: {len(urls)} each way; pages captured by browse: {captured}")
    print(f"plain Chromium   median {a * 1000:7.1f} ms per visit")
    print(f"cybercase browse median {b * 1000:7.1f} ms per visit (capture included)")
    print(f"added by browse: {(b - a) * 1000:.1f} ms per visit; ratio browse/plain {b / a:.2f}x")


if __name__ == "__main__":
    main()
