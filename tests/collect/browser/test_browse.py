"""A recorded browsing session, driven as a user would under Xvfb (a headed Chromium)."""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from warcio.archiveiterator import ArchiveIterator

from cybercase.collect.actions import BROWSE_ENDED
from cybercase.collect.browser.browse import BrowseOptions, BrowseSession, browse
from cybercase.collect.browser.find import find_browser
from cybercase.collect.browser.recording import TrafficSettings
from cybercase.collect.browser.traffic import TrafficRecorder
from cybercase.errors import CybercaseError
from cybercase.evidence import Case, Signer
from cybercase.evidence.verify import verify_case
from cybercase.training import Marketplace
from tests.conftest import Cli

PASSWORD = "Tr0ub4dor-3-fictitious-9f2e"
"""No character HTML would escape: the DOM and the form post hold it byte for byte."""


def _browser_or_skip() -> Path:
    try:
        return find_browser()
    except CybercaseError as exc:
        pytest.skip(exc.one_line())


@pytest.fixture
def display(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """An Xvfb display of its own (the first free one from :90 up)."""
    if shutil.which("Xvfb") is None:
        pytest.skip("Xvfb is not installed")
    for number in range(90, 130):
        if Path(f"/tmp/.X11-unix/X{number}").exists() or Path(f"/tmp/.X{number}-lock").exists():
            continue
        process = subprocess.Popen(
            ["Xvfb", f":{number}", "-screen", "0", "1280x900x24", "-nolisten", "tcp"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and process.poll() is None:
            if Path(f"/tmp/.X11-unix/X{number}").exists():
                break
            time.sleep(0.05)
        if process.poll() is None and Path(f"/tmp/.X11-unix/X{number}").exists():
            monkeypatch.setenv("DISPLAY", f":{number}")
            try:
                yield f":{number}"
            finally:
                process.terminate()
                process.wait(timeout=10)
            return
        process.kill()
        process.wait(timeout=10)
    pytest.skip("no free X display between :90 and :129")


def _all_bytes(root: Path) -> Iterator[tuple[Path, bytes]]:
    for path in root.rglob("*"):
        if not path.is_file():
            continue
        data = path.read_bytes()
        yield path, data
        if data[:2] == b"\x1f\x8b":
            yield path, gzip.decompress(data)


def test_a_browsing_session_records_every_page_and_no_secret(
    display: str, case: Case, signer: Signer, marketplace: Marketplace, isolated_home: Path
) -> None:
    _browser_or_skip()
    listing = marketplace.listing_urls()[0]
    seen: dict[str, str] = {}

    def drive(session: BrowseSession) -> None:
        page = session.page
        page.goto(marketplace.url + "/")
        session.pump()
        page.goto(listing)
        session.pump()
        page.goto(marketplace.url_for("/login"))
        session.pump()
        page.fill("#username", "trainee")
        page.fill("#password", PASSWORD)
        # A site's script may copy the typed password into the attribute, which the DOM
        # serialisation would show: the full-page capture made now must not keep it.
        page.evaluate("p => document.querySelector('#password').setAttribute('value', p)", PASSWORD)
        page.click("#cybercase-recording-capture")
        session.pump()
        with page.expect_navigation():
            page.click("#signin")
        session.pump()
        cookies = [c for c in session.context.cookies() if c["name"] == "curio_session"]
        assert cookies, "the fictitious login set no session cookie"
        seen["cookie"] = cookies[0]["value"]
        page.goto(marketplace.url + "/")
        page.mouse.wheel(0, 600)
        session.pump()
        assert page.locator("#cybercase-recording").is_visible()
        page.once("dialog", lambda dialog: dialog.accept("the seller's phone is visible"))
        page.keyboard.press("Control+Shift+S")
        session.pump()
        # The investigator closes the window: the session's loop ends by itself.
        page.close()
        session.run_until_closed()

    summary = browse(case, signer, BrowseOptions(persona="trainee-1"), driver=drive)

    assert summary.full_pages == 2
    assert summary.pages >= 5
    assert "Set-Cookie" in summary.withheld and "(request body)" in summary.withheld
    assert (isolated_home / "personas" / "trainee-1").is_dir()
    reopened = Case.open(case.root)
    items = [reopened.item(i) for i in summary.items]
    urls = [v.detail["url"] for v in items]
    for url in (marketplace.url + "/", listing, marketplace.url_for("/login")):
        assert url in urls
    for view in items[: summary.pages + summary.full_pages]:
        roles = {a.role for a in view.artifacts}
        assert {"warc", "record", "screenshot", "dom"} <= roles, view.detail
    full = [v for v in items if any(a.name == "screenshot-full.png" for a in v.artifacts)]
    assert [v.detail["url"] for v in full] == [marketplace.url_for("/login"), marketplace.url + "/"]
    assert full[1].detail.get("note") == "the seller's phone is visible"
    ended = [e for e in reopened.entries() if e.action == BROWSE_ENDED]
    assert len(ended) == 1 and ended[0].detail["pages_captured"] == summary.pages
    responses: set[str] = set()
    posts: list[bytes] = []
    for view in items:
        warc = next(a for a in view.artifacts if a.role == "warc")
        for record in ArchiveIterator(io.BytesIO(reopened.read_object(warc.digest))):
            uri = record.rec_headers.get_header("WARC-Target-URI")
            if record.rec_type == "response":
                responses.add(uri)
            if record.rec_type == "request" and record.http_headers.protocol == "POST":
                posts.append(record.content_stream().read())
    # No request was refused between two pages: every page's answer is in the WARCs.
    for url in (marketplace.url + "/", listing, marketplace.url_for("/login")):
        assert url in responses
    assert len(posts) == 1 and posts[0].startswith(b"[redacted by cybercase: hmac-sha256:")
    secrets = [seen["cookie"].encode(), PASSWORD.encode()]
    checked = 0
    for path, data in _all_bytes(case.root):
        checked += 1
        for secret in secrets:
            assert secret not in data, f"{secret!r} found in {path}"
    assert checked > 10
    report = verify_case(case.root)
    assert report.ok, [f.line() for f in report.findings]
    assert os.environ["DISPLAY"] == display


def test_a_persona_name_that_is_not_a_folder_name_is_refused(
    cli: Cli, case: Case, signer: Signer, isolated_home: Path
) -> None:
    result = cli("browse", "--case", case.root, "--persona", "../escape")
    assert result.code == 2, result.stderr
    assert "persona name" in result.stderr
    assert not (isolated_home / "escape").exists()
    assert not (isolated_home / "personas").exists()


def test_the_proxy_starts_the_next_visit_without_a_gap_and_withholds_secrets(
    tmp_path: Path, marketplace: Marketplace
) -> None:
    recorder = TrafficRecorder()
    traffic = recorder.start(
        TrafficSettings(withhold_set_cookie=True, withhold_request_bodies=True)
    )
    try:
        traffic.begin(tmp_path / "one")
        with httpx.Client(proxy=traffic.proxy["server"], timeout=10) as client:
            assert client.get(marketplace.url_for("/login")).status_code == 200
            first = traffic.next(tmp_path / "two")
            answer = client.post(
                marketplace.url_for("/login"), data={"username": "t", "password": PASSWORD}
            )
        cookie = answer.cookies["curio_session"]
        second = traffic.collect()
    finally:
        traffic.stop()
        recorder.close()
    assert [w.hop.method for w in first.exchanges] == ["GET"]
    assert [w.hop.method for w in second.exchanges] == ["POST"]
    post = second.exchanges[0]
    assert post.request_bytes is not None and post.response_head is not None
    assert PASSWORD.encode() not in post.request_bytes
    assert cookie.encode() not in post.response_head
    assert all(cookie not in value for _, value in post.hop.response_headers)
    assert {r.header for r in second.redactions} == {"(request body)", "Set-Cookie"}
    assert post.body is not None
    with post.body.open() as body:
        block = hashlib.sha256(post.response_head + body.read()).hexdigest()
    assert post.block_digest == "sha256:" + block
