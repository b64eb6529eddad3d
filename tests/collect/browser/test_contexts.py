"""Contexts lent from page to page: reused for speed, but nothing carries over."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from cybercase.collect.browser import Renderer
from cybercase.collect.browser.contexts import origin_of
from tests.fixtures.pages import PageServer


def state_of(folder: Path) -> dict[str, object]:
    """What the page found in the browser, as it wrote it into its rendered DOM."""
    dom = (folder / "rendered.html").read_text(encoding="utf-8")
    match = re.search(r'<pre id="state">(.*?)</pre>', dom, re.S)
    assert match and match.group(1), dom
    return dict(json.loads(match.group(1).replace("&quot;", '"')))


@pytest.mark.browser
def test_a_reused_context_carries_nothing_from_one_page_to_the_next(
    browser_path: Path, page_server: PageServer, tmp_path: Path
) -> None:
    before = len(page_server.requests_for("/cached.js"))
    with Renderer(browser_path, pool_size=1, config={}) as renderer:
        first = renderer.submit(page_server.url("/stateful"), tmp_path / "a").result(120)
        second = renderer.submit(page_server.url("/report-state"), tmp_path / "b").result(120)
        third = renderer.submit(page_server.url("/report-state"), tmp_path / "c").result(120)
        assert renderer.contexts_opened == 1  # all three pages in the same, wiped, context
    assert first.complete and second.complete and third.complete
    # The first page really left cookies, local storage, a database and a cache behind...
    left = state_of(tmp_path / "a")
    assert "server_cookie=1" in str(left["cookie"]) and "js_cookie=1" in str(left["cookie"])
    assert left["local"] == "listing-1"
    assert left["dbs"] == ["tracker"] and left["caches"] == ["offline-copy"]
    # ...and the next pages found none of it, and sent no cookie.
    for folder in ("b", "c"):
        assert state_of(tmp_path / folder) == {
            "cookie": "",
            "local": None,
            "dbs": [],
            "caches": [],
        }
    assert all("Cookie" not in seen.headers for seen in page_server.requests_for("/report-state"))
    # A script cacheable for an hour was fetched again by every page: no shared cache.
    assert len(page_server.requests_for("/cached.js")) - before == 3


@pytest.mark.browser
def test_a_page_cut_short_does_not_lend_its_context_again(
    browser_path: Path, page_server: PageServer, tmp_path: Path
) -> None:
    from cybercase.collect.browser import RenderOptions

    hurried = RenderOptions(page_timeout=3.0, navigation_timeout=2.0)
    with Renderer(browser_path, pool_size=1, options=hurried, config={}) as renderer:
        cut = renderer.submit(page_server.url("/busy"), tmp_path / "busy").result(120)
        fine = renderer.submit(page_server.url("/js-text"), tmp_path / "fine").result(120)
        assert renderer.contexts_opened == 2
    assert not cut.complete
    assert fine.complete and (tmp_path / "fine" / "screenshot.png").is_file()


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("http://127.0.0.1:8765/listing/1?x=1", "http://127.0.0.1:8765"),
        ("https://Market.Example/a", "https://market.example"),
        ("https://[::1]:8443/", "https://[::1]:8443"),
        ("data:text/plain,x", None),
        ("http://[bad/", None),
    ],
)
def test_origins_are_what_storage_is_keyed_by(url: str, origin: str | None) -> None:
    assert origin_of(url) == origin
