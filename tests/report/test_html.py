"""The offline report: sections by role, escaping, no external URL, real Chromium."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from tests.fixtures.report import HOSTILE_TITLE

CHROMIUM = Path("/usr/lib/chromium/chromium")
LAUNCH_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


class Links(HTMLParser):
    """Every URL-valued attribute and every <script> of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            self.scripts += 1
        for name, value in attrs:
            if name in ("href", "src", "action", "srcset", "poster", "data") and value:
                self.urls.append(value)


def links_of(path: Path) -> Links:
    parser = Links()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


@pytest.mark.parametrize("page", ["index.html", "data/4-custody/custody.html"])
def test_no_external_url_and_no_script(package: Path, page: str) -> None:
    links = links_of(package / page)
    assert links.scripts == 0
    assert links.urls
    base = (package / page).parent
    for url in links.urls:
        if url.startswith("#"):
            continue
        parts = urlsplit(url)
        assert not parts.scheme and not parts.netloc, url
        target = (base / unquote(parts.path)).resolve()
        assert target.is_relative_to(package.resolve()), url
        assert target.is_file(), url
    css = re.findall(r"url\(", (package / page).read_text())
    assert css == []


def test_sections_show_what_the_records_say(package: Path) -> None:
    html = (package / "index.html").read_text(encoding="utf-8")
    # Capture section, from record.json.
    for expected in (
        "203.0.113.7",
        "TLSv1.3",
        "CN=market.example",
        "-1.292066, 36.821945",
        "EOS 80D",
        "0312345",
        "2026-03-01T09:00:05.000000Z",
        "http://market.example/listing/77?ref=../../etc",
    ):
        assert expected in html, expected
    # Request section, from request.json.
    for expected in ("MX-PR-2026-0042", "preserve_until", "2026-05-30T00:00:00Z", "sent"):
        assert expected in html, expected
    # The timestamp token is listed, with the item it covers.
    assert "0005_E0003_E0003-warc.tsr" in html
    # Hostile text is shown, escaped, never run.
    assert HOSTILE_TITLE not in html
    assert "&lt;script&gt;alert(" in html
    # Every file's hash is in the report.
    for line in (package / "data/3-preservation/hashes.csv").read_text().splitlines()[1:]:
        assert line.split(",")[1] in html


@pytest.mark.browser
def test_report_renders_offline_in_chromium(package: Path, tmp_path: Path) -> None:
    if not CHROMIUM.exists():
        pytest.skip("Chromium is not installed (.ci/run installs the Debian package)")
    from playwright.sync_api import Route, sync_playwright

    root = package.resolve()
    outside: list[str] = []
    loaded: list[str] = []
    problems: list[str] = []

    def route(handler: Route) -> None:
        url = handler.request.url
        parts = urlsplit(url)
        path = Path(unquote(parts.path)).resolve()
        if parts.scheme == "file" and path.is_relative_to(root):
            loaded.append(url)
            handler.continue_()
        else:
            outside.append(url)
            handler.abort()

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_FLAGS)
        try:
            page = browser.new_page()
            page.route("**/*", route)
            page.on(
                "console",
                lambda m: problems.append(m.text) if m.type in ("error", "warning") else None,
            )
            page.on("pageerror", lambda e: problems.append(str(e)))
            page.on("requestfailed", lambda r: problems.append(f"failed {r.url}"))
            page.goto((root / "index.html").as_uri(), wait_until="load")
            images = page.eval_on_selector_all(
                "img", "els => els.map(e => [e.getAttribute('src'), e.naturalWidth])"
            )
            shot = page.screenshot(full_page=True)
            title = page.title()
        finally:
            browser.close()
    (tmp_path / "report.png").write_bytes(shot)
    assert shot.startswith(b"\x89PNG") and len(shot) > 10_000
    assert outside == []
    assert problems == []
    assert title.startswith("Case WL-2026-001")
    assert len(images) >= 4
    assert all(width > 0 for _, width in images), images
    assert any(u.endswith("/index.html") for u in loaded)
    assert any(u.endswith("screenshot.png") for u in loaded)
