"""The offline report: sections by role, escaping, no external URL, real Chromium."""

from __future__ import annotations

import json
import re
from html import escape
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from cybercase.clock import format_utc, parse_utc
from cybercase.collect.record import CaptureRecord
from cybercase.evidence import Case
from cybercase.evidence.timestamps.exports import token_exports
from cybercase.request import request_details
from cybercase.request.lifecycle import next_deadline
from tests.fixtures.report import (
    HOSTILE_TITLE,
    LEAD_SERIAL,
    NO_FIX_SERIAL,
    PLATFORM_REFERENCE,
    RichIds,
    RichUrls,
)

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


def section(html: str, item_id: str) -> str:
    """The text of one item's section of the report."""
    start = html.index(f'<section class="item" id="{item_id}">')
    return html[start : html.index("</section>", start)]


def test_sections_show_what_the_records_say(package: Path, rich_urls: RichUrls) -> None:
    html = (package / "index.html").read_text(encoding="utf-8")
    # Hostile text is shown, escaped, never run.
    assert HOSTILE_TITLE not in html
    assert "&lt;script&gt;alert(" in html
    # The requested URL, with its "../", is shown as text.
    assert escape(rich_urls.listing_a) in html
    # Every file's hash is in the report.
    for line in (package / "data/3-preservation/hashes.csv").read_text().splitlines()[1:]:
        assert line.split(",")[1] in html


def record_of(package: Path, item_id: str) -> CaptureRecord:
    [path] = package.glob(f"data/1-collection/{item_id}_*/record.json")
    return CaptureRecord.model_validate_json(path.read_bytes())


def test_capture_shows_redirects_server_address_and_times(
    package: Path, rich_ids: RichIds, rich_urls: RichUrls
) -> None:
    html = (package / "index.html").read_text(encoding="utf-8")
    capture = section(html, rich_ids.capture)
    record = record_of(package, rich_ids.capture)
    hops = [h for a in record.attempts for h in a.hops]
    assert [h.status for h in hops] == [301, 200]
    port = urlsplit(rich_urls.listing_a).port
    assert "Server IP address(es)</dt><dd>" + f"127.0.0.1:{port}" in capture
    assert "not recorded" not in capture
    for hop in hops:
        assert f"<td>{hop.status} {hop.reason}" in capture
        assert hop.started in capture
    assert escape(rich_urls.listing_a_final) in capture
    assert f"<dt>Capture started (UTC)</dt><dd>{record.started}</dd>" in capture
    assert f"<dt>Capture ended (UTC)</dt><dd>{record.ended}</dd>" in capture
    assert "<dt>Persona used</dt><dd>buyer_jane_k</dd>" in capture
    assert "offset not checked" in capture
    assert "nothing in the WARC or in this record was replaced" in capture
    # The browser's view: its facts, the screenshot in full and the captioned copy.
    assert "<dt>Browser</dt><dd>Chromium" in capture
    assert "<dt>Requests the browser made</dt><dd>4</dd>" in capture
    assert 'class="shot" src="data/1-collection/' in capture
    assert "screenshot-annotated.png</a>" in capture
    assert "from the screenshot above" in capture
    # The evidence table shows the screenshot as the thumbnail.
    row = html[html.index(f'<td><a href="#{rich_ids.capture}">') :]
    row = row[: row.index("</tr>")]
    assert "screenshot.png" in row


def test_capture_shows_the_tls_certificate(package: Path, rich_ids: RichIds) -> None:
    html = (package / "index.html").read_text(encoding="utf-8")
    capture = section(html, rich_ids.capture_tls)
    [hop] = [h for a in record_of(package, rich_ids.capture_tls).attempts for h in a.hops]
    assert hop.tls is not None and hop.tls.peer_chain
    leaf = hop.tls.peer_chain[0]
    assert leaf.subject.startswith("OU=Testing cert") and "trustme" in leaf.issuer
    assert f"<td>{escape(leaf.subject)}</td><td>{escape(leaf.issuer)}</td>" in capture
    assert leaf.sha256_fingerprint.removeprefix("sha256:") in capture
    validity = f'<td class="time">{leaf.not_before}</td><td class="time">{leaf.not_after}</td>'
    assert validity in capture
    assert f"{hop.tls.protocol}" in capture and hop.tls.cipher and hop.tls.cipher in capture
    assert 'class="ok">yes</span>' in capture
    assert "plain HTTP" in section(html, rich_ids.capture)


def test_capture_shows_gps_as_decimal_degrees_and_flags_no_fix(
    package: Path, rich_ids: RichIds
) -> None:
    html = (package / "index.html").read_text(encoding="utf-8")
    capture = section(html, rich_ids.capture)
    # 1°17'33" S, 36°49'18.84" E in the photo's EXIF.
    assert "<td>-1.2925, 36.8219</td>" in capture
    assert "Canon EOS 5D Mark IV" in capture and LEAD_SERIAL in capture
    assert "2026-02-14 10:30:00" in capture
    no_fix = capture[capture.index("0.0, 0.0") :]
    assert no_fix.index("no fix") < no_fix.index("</td>")
    assert "maps" not in html and "geo:" not in html


def test_leads_name_the_items_sharing_a_camera_serial(package: Path, rich_ids: RichIds) -> None:
    html = (package / "index.html").read_text(encoding="utf-8")
    leads = html[html.index('<h3 id="leads">') : html.index('<section class="item"')]
    shared = leads[leads.index("more than one item") : leads.index("<h4>GPS positions</h4>")]
    row = shared[shared.index(f"<td><strong>{LEAD_SERIAL}</strong></td>") :]
    row = row[: row.index("</tr>")]
    assert f'<a href="#{rich_ids.capture}">' in row
    assert f'<a href="#{rich_ids.capture_tls}">' in row
    assert "<td>2</td>" in row  # two different photos
    # A serial seen in one item only is not a link between items.
    assert f"<strong>{NO_FIX_SERIAL}</strong>" not in shared
    assert NO_FIX_SERIAL in leads
    positions = leads[leads.index("<h4>GPS positions</h4>") :]
    assert "-1.2925, 36.8219" in positions and "no fix" in positions


def test_a_404_is_shown_as_a_removed_listing(package: Path, rich_ids: RichIds) -> None:
    html = (package / "index.html").read_text(encoding="utf-8")
    removed = section(html, rich_ids.removed)
    assert 'class="outcome removed"' in removed
    assert "The page was not there" in removed and "404 Not Found" in removed
    row = html[html.index(f'<td><a href="#{rich_ids.removed}">') :]
    assert "page not there (removed listing)" in row[: row.index("</tr>")]
    assert "removed listing" not in section(html, rich_ids.capture)


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
