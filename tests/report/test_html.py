"""The offline report: sections by role, escaping, no external URL, real Chromium."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from cybercase.clock import format_utc, parse_utc
from cybercase.evidence import Case
from cybercase.evidence.timestamps import token_exports
from cybercase.request import request_details
from cybercase.request.lifecycle import next_deadline
from tests.fixtures.report import HOSTILE_TITLE, PLATFORM_REFERENCE, RichIds

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
    # Hostile text is shown, escaped, never run.
    assert HOSTILE_TITLE not in html
    assert "&lt;script&gt;alert(" in html
    # Every file's hash is in the report.
    for line in (package / "data/3-preservation/hashes.csv").read_text().splitlines()[1:]:
        assert line.split(",")[1] in html


def section(html: str, item_id: str) -> str:
    """The text of one item's section of the report."""
    start = html.index(f'<section class="item" id="{item_id}">')
    return html[start : html.index("</section>", start)]


def test_request_sections_show_the_derived_state(
    package: Path, rich_case: Case, rich_ids: RichIds
) -> None:
    html = (package / "index.html").read_text(encoding="utf-8")
    exported = json.loads((package / "data/4-custody/export.json").read_text())["created"]
    status = request_details(rich_case, rich_ids.preservation).status
    assert status.phase == "sent" and status.expires_at and status.extension_deadline
    deadline = next_deadline(status, parse_utc(exported))
    assert deadline is not None and deadline.kind == "extension"
    preservation = section(html, rich_ids.preservation)
    for expected in (
        "preservation request to Example Marketplace Ltd",
        f"sent on {format_utc(status.sent_at)} via portal, open",
        "le-requests@market.example",
        f"WL-2026-001/{rich_ids.preservation}",
        PLATFORM_REFERENCE,
        f"Preserved until (UTC)</dt><dd>{format_utc(status.expires_at)}",
        f"Extension to be asked by (UTC)</dt><dd>{format_utc(status.extension_deadline)}",
        f"ask for an extension by {format_utc(deadline.at)}",
        "1: +90 days",
        "subscriber, traffic, from 2026-01-01 to 2026-02-28",
        "ivory_dealer_77",
        "letter.pdf",
        "extension-1.html",
        "receipt-portal-confirmation.txt",
        f"{PLATFORM_REFERENCE}/1",
    ):
        assert expected in preservation, expected
    # The returned files are listed with the request, and have their own sections there.
    folder = f"data/2-requests/{rich_ids.preservation}_market-example_preservation/responses"
    for item_id in rich_ids.returned:
        assert f'href="#{item_id}"' in preservation
        assert f'href="{folder}/{item_id}_' in preservation
        assert section(html, item_id)
    assert html.index(f'id="{rich_ids.returned[-1]}"') < html.index(f'id="{rich_ids.disclosure}"')
    collecting = html[html.index('id="collecting"') : html.index('id="requesting"')]
    assert not any(f'href="#{i}"' in collecting for i in rich_ids.returned)
    disclosure = section(html, rich_ids.disclosure)
    assert "prepared, not sent yet" in disclosure
    assert f'Follows</dt><dd><a href="#{rich_ids.preservation}">' in disclosure
    assert "Production order of the Chief Magistrate" in disclosure
    assert "preserve_until" not in html  # nothing of the old guessed layout


def test_timestamps_are_listed_with_what_they_cover(
    package: Path, rich_case: Case, rich_ids: RichIds
) -> None:
    html = (package / "index.html").read_text(encoding="utf-8")
    exports = token_exports(rich_case)
    assert [t.kind for t in exports] == ["item", "item", "seal"]
    preserving = html[html.index('id="preserving"') : html.index('id="custody"')]
    for token in exports:
        assert token.gen_time in preserving
        assert token.covered_digest.removeprefix("sha256:") in preserving
    assert f"custody log entries 1-{exports[-1].sealed_seq}" in preserving
    assert "DO NOT TRUST" in preserving
    capture = section(html, rich_ids.capture)
    assert 'token over record.json, <a href="data/3-preservation/timestamps/' in capture
    photo = section(html, rich_ids.photo)
    assert "token over" not in photo and f"seal of entries 1-{exports[-1].sealed_seq}" in photo


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
