"""``capture --scroll`` on the training marketplace's feed: 60 posts, 20 comments, all kept."""

from __future__ import annotations

import gzip
import io
import json
import struct
from pathlib import Path
from typing import Any

import pytest
from warcio.archiveiterator import ArchiveIterator

from cybercase.collect.browser.feed import DEFAULT_PATTERNS, FeedSettings, load_feed_settings
from cybercase.errors import InvalidInputError
from cybercase.evidence import Case
from cybercase.evidence.verify import verify_case
from cybercase.training import Marketplace
from cybercase.training.feed import COMMENTS, POSTS, comment_text, post_text
from tests.conftest import Cli
from tests.fixtures.servers import LocalServer, send


def png_height(data: bytes) -> int:
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    return int(struct.unpack(">I", data[20:24])[0])


def response_bodies(warc: bytes) -> bytes:
    """Every response body of a gzipped WARC, decoded, joined."""
    bodies = b""
    with gzip.open(io.BytesIO(warc)) as stream:
        for record in ArchiveIterator(stream):
            if record.rec_type == "response":
                bodies += record.content_stream().read()
    return bodies


def capture_feed(cli: Cli, case: Case, url: str, *flags: str | Path) -> tuple[dict[str, Any], Any]:
    done = cli("capture", url, "--case", case.root, "--json", "--no-images", *flags)
    assert done.code == 0, done.stderr
    item = json.loads(done.stdout.splitlines()[0])
    case.refresh()
    view = case.item(item["item"])
    roles = {a.role: a for a in view.artifacts}
    record = json.loads(case.read_object(roles["record"].digest))
    browser = next(s for s in record["stages"] if s["name"] == "browser")["detail"]
    return browser, (view, roles)


@pytest.mark.browser
def test_scroll_loads_every_post_and_comment_into_dom_warc_and_screenshot(
    cli: Cli, case: Case, marketplace: Marketplace
) -> None:
    browser, (_view, roles) = capture_feed(cli, case, marketplace.url_for("/feed"), "--scroll")
    dom = case.read_object(roles["dom"].digest).decode("utf-8")
    bodies = response_bodies(case.read_object(roles["warc"].digest)).decode("utf-8")
    for number in range(1, POSTS + 1):
        assert post_text(number) in dom, number
        assert post_text(number) in bodies, number
    for number in range(1, COMMENTS + 1):
        assert comment_text(number) in dom, number
        assert comment_text(number) in bodies, number

    feed = browser["feed"]
    assert feed["stopped"] == "end"
    assert feed["clicks"] == 3
    assert [s["target"] for s in feed["steps"] if s["action"] == "click"] == [
        "Load more comments"
    ] * 3
    assert feed["screens"] >= 5
    assert feed["end_height"] > feed["start_height"] * 4
    screenshot = png_height(case.read_object(roles["screenshot"].digest))
    assert screenshot == browser["page_height"] == feed["end_height"]
    assert screenshot >= POSTS * 140
    report = verify_case(case.root)
    assert report.ok, [f.line() for f in report.findings]


@pytest.mark.browser
def test_without_scroll_the_feed_is_its_first_posts_only(
    cli: Cli, case: Case, marketplace: Marketplace
) -> None:
    browser, (_view, roles) = capture_feed(cli, case, marketplace.url_for("/feed"))
    dom = case.read_object(roles["dom"].digest).decode("utf-8")
    assert browser["feed"] is None
    assert comment_text(COMMENTS) not in dom


@pytest.mark.browser
def test_the_screen_limit_stops_the_feed_and_says_so(
    cli: Cli, case: Case, marketplace: Marketplace
) -> None:
    browser, (_view, roles) = capture_feed(
        cli, case, marketplace.url_for("/feed"), "--scroll", "--max-scroll", "2"
    )
    dom = case.read_object(roles["dom"].digest).decode("utf-8")
    assert browser["feed"]["stopped"] == "max-screens"
    assert browser["feed"]["screens"] == 2
    assert post_text(POSTS) not in dom
    assert any("--max-scroll" in w for w in browser["warnings"])


@pytest.mark.browser
def test_per_site_selector_from_the_config(
    cli: Cli, case: Case, marketplace: Marketplace, tmp_path: Path
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        "[feed]\npatterns = []\nmax_screens = 1\n"
        '[feed.sites."127.0.0.1"]\nclick = ["#more-comments"]\n'
    )
    browser, (_view, roles) = capture_feed(
        cli, case, marketplace.url_for("/feed"), "--scroll", "--config", config
    )
    dom = case.read_object(roles["dom"].digest).decode("utf-8")
    assert comment_text(COMMENTS) in dom
    assert browser["feed"]["patterns"] == []
    assert browser["feed"]["selectors"] == ["#more-comments"]


def test_feed_settings_defaults_and_bad_values(tmp_path: Path) -> None:
    assert load_feed_settings(None).patterns == list(DEFAULT_PATTERNS)
    settings = FeedSettings(sites={"www.Example.org": {"click": [".more"]}})
    assert settings.options().for_host("WWW.example.org")[0] == (".more",)
    with pytest.raises(InvalidInputError):
        load_feed_settings(None, {"max_screens": 0})


def test_scroll_without_the_browser_is_bad_usage(
    cli: Cli, case: Case, marketplace: Marketplace
) -> None:
    done = cli(
        "capture", marketplace.url_for("/feed"), "--case", case.root, "--scroll", "--no-browser"
    )
    assert done.code == 2
    assert "--scroll needs the browser" in done.stderr


DEAD_BUTTON_PAGE = b"""<!doctype html><html><body><h1>Dead button</h1>
<button id="b" onclick="window.clicks = (window.clicks || 0) + 1;
document.title = 'clicked ' + window.clicks">Load more</button>
<a href="/elsewhere">Load more offers elsewhere</a></body></html>"""


@pytest.mark.browser
def test_a_button_that_loads_nothing_is_clicked_once_and_links_never(
    cli: Cli, case: Case, http_server: LocalServer
) -> None:
    http_server.route(
        "/dead-button",
        lambda h: send(h, 200, DEAD_BUTTON_PAGE, {"Content-Type": "text/html; charset=utf-8"}),
    )
    browser, _ = capture_feed(cli, case, http_server.url("/dead-button"), "--scroll")
    assert browser["feed"]["clicks"] == 1
    assert browser["title"] == "clicked 1"
    assert browser["feed"]["stopped"] == "end"
    assert not any("/elsewhere" in r["url"] for r in browser["requests"])
