"""A whole capture session: raw capture, the browser's view, the captioned copy, trusted time."""

from __future__ import annotations

import gzip
import io
import struct
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from cybercase.collect.browser import find as browser_find
from cybercase.collect.config import CaptureSettings
from cybercase.collect.session import BrowserChoice, capture_urls
from cybercase.errors import BrowserUnavailableError
from cybercase.evidence import Case, Signer
from cybercase.evidence.timestamps import TsaSettings
from cybercase.evidence.verify import verify_case
from tests.fixtures.pages import JS_PHRASE, PageServer

pytestmark = pytest.mark.browser


def png_height(data: bytes) -> int:
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    return int(struct.unpack(">I", data[20:24])[0])


def warc_bodies(data: bytes) -> bytes:
    bodies = b""
    with gzip.open(io.BytesIO(data)) as stream:
        for record in ArchiveIterator(stream):
            if record.rec_type == "response":
                bodies += record.content_stream().read()
    return bodies


def test_what_was_served_and_what_was_seen_in_one_item(
    case: Case, signer: Signer, page_server: PageServer, browser_path: Path
) -> None:
    url = page_server.url("/js-text")
    session = capture_urls(
        case,
        signer,
        [url],
        CaptureSettings(),
        browser=BrowserChoice(executable=browser_path, pool_size=2),
    )
    assert session.browser and session.browser.startswith("Chromium")
    [result] = session.batch.results
    view = case.item(result.item_id)
    roles = {a.role: a for a in view.artifacts}
    assert {"warc", "record", "text", "screenshot", "pdf", "dom", "mhtml"} <= set(roles)
    phrase = JS_PHRASE.encode()
    assert phrase in case.read_object(roles["dom"].digest)
    mhtml = case.read_object(roles["mhtml"].digest)
    assert b"Carved items for sale" in mhtml
    assert phrase in mhtml.replace(b"=\r\n", b"")
    assert phrase not in warc_bodies(case.read_object(roles["warc"].digest))
    assert case.read_object(roles["pdf"].digest).startswith(b"%PDF-")

    # The captioned copy is its own logged exhibit, traced to the original screenshot.
    assert session.annotated == [result.item_id]
    annotated = next(e for e in case.item_entries(result.item_id) if e.action == "item.annotated")
    assert annotated.detail["derived_from"] == roles["screenshot"].digest
    copy = case.read_object(annotated.detail["artifacts"][0]["digest"])
    original = case.read_object(roles["screenshot"].digest)
    assert png_height(copy) > png_height(original) >= 2600
    report = verify_case(case.root)
    assert report.ok, [f.line() for f in report.findings]


def test_no_browser_is_a_one_line_note_and_the_capture_goes_on(
    case: Case,
    signer: Signer,
    page_server: PageServer,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.setattr(browser_find, "_system_candidates", lambda platform, env: iter(()))
    monkeypatch.setenv("PLAYWRIGHT_BROWSERS_PATH", str(tmp_path / "empty-cache"))
    monkeypatch.delenv("CYBERCASE_BROWSER", raising=False)
    seen: list[tuple[str | None, str | None]] = []
    session = capture_urls(
        case,
        signer,
        [page_server.url("/js-text")],
        CaptureSettings(),
        on_browser=lambda name, why: seen.append((name, why)),
    )
    assert session.browser is None
    assert session.browser_note is not None and "apt install chromium" in session.browser_note
    assert "\n" not in session.browser_note
    assert seen == [(None, session.browser_note)]
    [result] = session.batch.results
    assert result.ok
    assert {a.role for a in result.artifacts} >= {"warc", "record"}
    assert "screenshot" not in {a.role for a in result.artifacts}


def test_no_browser_flag_skips_rendering(
    case: Case, signer: Signer, page_server: PageServer
) -> None:
    session = capture_urls(
        case,
        signer,
        [page_server.url("/js-text")],
        CaptureSettings(),
        browser=BrowserChoice(enabled=False),
    )
    assert session.browser is None and "--no-browser" in (session.browser_note or "")
    assert "screenshot" not in {a.role for a in session.batch.results[0].artifacts}


def test_a_named_browser_that_is_not_there_is_an_error(
    case: Case, signer: Signer, page_server: PageServer, tmp_path: Path
) -> None:
    before = (case.root / "custody.jsonl").read_bytes()
    with pytest.raises(BrowserUnavailableError):
        capture_urls(
            case,
            signer,
            [page_server.url("/js-text")],
            CaptureSettings(),
            browser=BrowserChoice(executable=tmp_path / "no-such-chromium"),
        )
    assert (case.root / "custody.jsonl").read_bytes() == before


def test_one_url_gets_a_token_and_a_batch_one_seal(
    case: Case, signer: Signer, page_server: PageServer, tsa_config: TsaSettings
) -> None:
    off = BrowserChoice(enabled=False)
    single = capture_urls(
        case, signer, [page_server.url("/js-text")], CaptureSettings(), browser=off, tsa=tsa_config
    )
    assert single.timestamps is not None
    assert [g.kind for g in single.timestamps.granted] == ["item"]
    urls = [page_server.url(f"/js-text?n={n}") for n in range(3)]
    batch = capture_urls(case, signer, urls, CaptureSettings(), browser=off, tsa=tsa_config)
    assert batch.timestamps is not None
    assert [g.kind for g in batch.timestamps.granted] == ["seal"]
    assert batch.timestamps.round_trips == 1
    report = verify_case(case.root)
    assert report.ok and not report.warnings, [f.line() for f in report.findings]
