"""Everything the browser loaded is raw HTTP in the WARC, byte for byte as the server sent it.

A listing whose phone number arrives by ``fetch()`` from ``/api/contact`` (the way many
marketplaces hide contact details from scrapers): the server writes fixed bytes for every
answer, the test compares them with the WARC's records (read by warcio), then replays the
WARC in pywb and looks at the replayed page in headless Chromium. Private CAs reach the
browser through the recording proxy; a browser TLS failure fails the capture.
"""

from __future__ import annotations

import asyncio
import json
import os
import ssl
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from warcio.archiveiterator import ArchiveIterator

from cybercase.collect.browser import Renderer, RenderOptions
from cybercase.collect.browser.options import BrowserCookie
from cybercase.collect.config import CaptureSettings
from cybercase.collect.session import BrowserChoice, capture_urls
from cybercase.digest import Digest
from cybercase.evidence import Case, Signer
from cybercase.evidence.verify import verify_case
from tests.collect.helpers import check_warc
from tests.conftest import Cli
from tests.fixtures.pywb import pywb_replay

pytestmark = pytest.mark.browser

PHONE = "+254 711 222 333"
PAGE = (
    b"<!doctype html><html><head><meta charset='utf-8'><title>Live pangolin</title>"
    b"<link rel='stylesheet' href='/style.css'></head><body><h1>Live pangolin, young</h1>"
    b"<p>Call the seller: <span id='phone'>loading</span></p>"
    b"<script src='/app.js'></script></body></html>"
)
STYLE = b"body{font:18px sans-serif} #phone{color:#b00}"
SCRIPT = (
    b"fetch('/api/contact', {headers: {'X-Requested-With': 'fetch'}})"
    b".then(r => r.json()).then(j => { document.getElementById('phone').textContent = j.phone; });"
)
CONTACT_BODY = json.dumps({"seller": "pangolin_trader", "phone": PHONE}).encode()


def _answer(media_type: str, body: bytes, *extra: bytes) -> bytes:
    head = [b"HTTP/1.1 200 OK", b"Content-Type: " + media_type.encode(), *extra]
    head.append(b"Content-Length: " + str(len(body)).encode())
    return b"\r\n".join(head) + b"\r\n\r\n" + body


# Unusual spacing, casing and order: re-serialised headers would not match these bytes.
CONTACT = _answer(
    "application/json",
    CONTACT_BODY,
    b"x-SELLER-ref:   pt-0457  ",
    b"Cache-Control: no-store",
)
ANSWERS = {
    "/listing": _answer("text/html; charset=utf-8", PAGE),
    "/style.css": _answer("text/css", STYLE),
    "/app.js": _answer("application/javascript", SCRIPT),
    "/api/contact": CONTACT,
    "/big": _answer("text/plain", b"x" * 200_000),
    "/favicon.ico": b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n",
}
STREAM_PAGE = _answer(
    "text/html",
    b"<html><body><p id='n'>0</p><script>"
    b"fetch('/stream').then(async r => { const rd = r.body.getReader(); let n = 0;"
    b" for (;;) { const c = await rd.read(); if (c.done) break; n += c.value.length;"
    b" document.getElementById('n').textContent = String(n); } });"
    b"</script></body></html>",
)
BIG_PAGE = _answer(
    "text/html",
    b"<html><body><p id='n'>?</p><script>"
    b"fetch('/big').then(r => r.text()).then(t => {"
    b" document.getElementById('n').textContent = 'got ' + t.length; });"
    b"</script></body></html>",
)


@dataclass
class RawServer:
    """Answers with fixed bytes; remembers every request head it got."""

    base: str
    seen: list[bytes] = field(default_factory=list)
    stop_streaming: threading.Event = field(default_factory=threading.Event)
    gone: threading.Event = field(default_factory=threading.Event)
    """Set: the server answers nothing more (the replay must come from the WARC alone)."""

    def url(self, path: str) -> str:
        return self.base + path


def _handler(server: RawServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            """Quiet."""

        def do_GET(self) -> None:
            if server.gone.is_set():
                self.close_connection = True
                return
            lines = [self.requestline, *(f"{k}: {v}" for k, v in self.headers.items())]
            server.seen.append("\r\n".join(lines).encode("latin-1"))
            path = self.path.split("?", 1)[0]
            if path == "/stream-page":
                self.wfile.write(STREAM_PAGE)
            elif path == "/big-page":
                self.wfile.write(BIG_PAGE)
            elif path == "/stream":
                self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n")
                for _ in range(600):
                    if server.stop_streaming.wait(0.1):
                        break
                    try:
                        self.wfile.write(b"tick\n")
                        self.wfile.flush()
                    except OSError:
                        break
                self.close_connection = True
            else:
                self.wfile.write(ANSWERS.get(path, ANSWERS["/favicon.ico"]))

    return Handler


@pytest.fixture
def raw_server() -> Iterator[RawServer]:
    yield from _serve(None, "http")


def _serve(context: ssl.SSLContext | None, scheme: str) -> Iterator[RawServer]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    httpd.daemon_threads = True
    server = RawServer(f"{scheme}://127.0.0.1:{httpd.server_address[1]}")
    httpd.RequestHandlerClass = _handler(server)
    if context is not None:
        httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.stop_streaming.set()
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def private_ca(tmp_path: Path) -> Iterator[tuple[RawServer, Path]]:
    import trustme

    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    bundle = tmp_path / "agency-ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    for server in _serve(context, "https"):
        yield server, bundle


@dataclass
class Block:
    """One WARC record as stored: its headers and its whole block, unparsed."""

    type: str
    uri: str
    headers: dict[str, str]
    block: bytes


def blocks(data: bytes) -> list[Block]:
    import gzip
    import io

    found: list[Block] = []
    with gzip.open(io.BytesIO(data)) as stream:
        for rec in ArchiveIterator(stream, no_record_parse=True):
            found.append(
                Block(
                    rec.rec_type,
                    rec.rec_headers.get_header("WARC-Target-URI") or "",
                    dict(rec.rec_headers.headers),
                    rec.raw_stream.read(),
                )
            )
    return found


def _capture(case: Case, signer: Signer, url: str, browser: Path, **settings: Any) -> Any:
    session = capture_urls(
        case,
        signer,
        [url],
        CaptureSettings(retries=0, **settings),
        browser=BrowserChoice(executable=browser, pool_size=1),
    )
    [result] = session.batch.results
    return result


def _record(case: Case, item: str) -> dict[str, Any]:
    case.refresh()
    view = case.item(item)
    record = next(a for a in view.artifacts if a.role == "record")
    data: dict[str, Any] = json.loads(case.read_object(record.digest))
    return data


def _warc(case: Case, item: str) -> bytes:
    case.refresh()
    view = case.item(item)
    return case.read_object(next(a for a in view.artifacts if a.role == "warc").digest)


def test_fetch_loaded_phone_number_is_in_the_warc_byte_for_byte(
    case: Case, signer: Signer, raw_server: RawServer, browser_path: Path
) -> None:
    url = raw_server.url("/listing")
    result = _capture(case, signer, url, browser_path)
    assert result.outcome == "captured", result.message
    records = blocks(_warc(case, result.item_id))

    contact = [r for r in records if r.type == "response" and r.uri.endswith("/api/contact")]
    assert len(contact) == 1, "the fetch() answer is archived once"
    assert contact[0].block == CONTACT  # the server's bytes, head and body, exactly
    assert contact[0].headers["WARC-IP-Address"] == "127.0.0.1"
    for path, answer in (("/style.css", ANSWERS["/style.css"]), ("/app.js", ANSWERS["/app.js"])):
        served = [r for r in records if r.type == "response" and r.uri == raw_server.url(path)]
        assert [r.block for r in served] == [answer], path
    # The request records hold what went to the server, as the server received it.
    request = next(r for r in records if r.type == "request" and r.uri.endswith("/api/contact"))
    assert request.block.startswith(b"GET /api/contact HTTP/1.1\r\n")
    assert b"X-Requested-With: fetch\r\n" in request.block
    assert request.headers["WARC-Concurrent-To"] == contact[0].headers["WARC-Record-ID"]
    got = next(s for s in raw_server.seen if s.startswith(b"GET /api/contact"))
    received = got.split(b"\r\n")[1:]
    assert request.block.split(b"\r\n\r\n")[0].split(b"\r\n")[1:] == received

    # The raw fetch's page and image records are still there, first; the browser's follow.
    pages = [r for r in records if r.type == "response" and r.uri == url]
    assert len(pages) == 2 and all(r.block == ANSWERS["/listing"] for r in pages)
    record = _record(case, result.item_id)
    (stage,) = record["stages"]
    detail = stage["detail"]
    assert detail["traffic_recorded"] is True
    hops = {h["url"]: h for h in detail["traffic"]}
    assert (
        hops[raw_server.url("/api/contact")]["warc_response_id"]
        == (contact[0].headers["WARC-Record-ID"])
    )
    assert hops[raw_server.url("/api/contact")]["remote_ip"] == "127.0.0.1"
    assert {r["url"] for r in detail["requests"]} <= set(hops)
    view = case.item(result.item_id)
    dom = next(a for a in view.artifacts if a.role == "dom")
    assert PHONE.encode() in case.read_object(dom.digest)
    warc_path = case.store.path_for(
        Digest.parse(next(a for a in view.artifacts if a.role == "warc").digest)
    )
    check_warc(warc_path)
    report = verify_case(case.root)
    assert report.ok, [f.line() for f in report.findings]

    raw_server.gone.set()
    _replay_shows_the_phone(warc_path, url, browser_path, case.root.parent / "pywb")


def _replay_shows_the_phone(warc: Path, url: str, browser: Path, root: Path) -> None:
    pytest.importorskip("pywb", reason="pywb is installed with the test extras")
    with pywb_replay(root, [warc], url) as base:
        replay = base + url
        with urllib.request.urlopen(replay, timeout=10) as answer:
            assert answer.status == 200
        # The live server answers nothing any more: only the WARC can.
        text = asyncio.run(_phone_text(browser, replay))
        assert text == PHONE


async def _phone_text(browser: Path, url: str) -> str:
    from playwright.async_api import async_playwright

    async with async_playwright() as driver:
        chromium = await driver.chromium.launch(
            executable_path=str(browser), args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            page = await chromium.new_page()
            await page.goto(url, wait_until="load", timeout=30_000)
            # pywb shows the archived page in a frame under its own banner.
            for _ in range(150):
                for frame in page.frames:
                    text = await frame.evaluate(
                        "() => document.getElementById('phone')?.textContent ?? null"
                    )
                    if text not in (None, "loading"):
                        return str(text)
                await asyncio.sleep(0.1)
            return "not shown"
        finally:
            await chromium.close()


def test_private_ca_reaches_the_browser_and_a_tls_failure_exits_1(
    cli: Cli,
    case: Case,
    private_ca: tuple[RawServer, Path],
    browser_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server, bundle = private_ca
    url = server.url("/listing")
    common = ("--case", case.root, "--browser", browser_path, "--json", "--retries", "0")

    trusted = cli("capture", url, "--ca-bundle", bundle, *common)
    assert trusted.code == 0, trusted.stderr
    item = json.loads(trusted.stdout.splitlines()[0])
    assert item["outcome"] == "captured"
    assert {"screenshot", "dom"} <= {a["role"] for a in item["artifacts"]}
    detail = _record(case, item["item"])["stages"][0]["detail"]
    assert detail["tls_failure"] is None
    contact = next(h for h in detail["traffic"] if h["url"].endswith("/api/contact"))
    assert contact["tls"]["verified"] is True and contact["tls"]["cipher"]
    records = blocks(_warc(case, item["item"]))
    answer = next(r for r in records if r.type == "response" and r.uri.endswith("/api/contact"))
    assert answer.block == CONTACT
    assert answer.headers["WARC-Cipher-Suite"] == contact["tls"]["cipher"]
    assert answer.headers["WARC-IP-Address"] == "127.0.0.1"
    dom = next(a for a in case.item(item["item"]).artifacts if a.role == "dom")
    assert PHONE.encode() in case.read_object(dom.digest)

    untrusted = cli("capture", url, *common)
    assert untrusted.code == 1
    failed = json.loads(untrusted.stdout.splitlines()[0])
    assert failed["outcome"] == "tls-failure"
    assert "certificate verify" in failed["message"].lower() or "verif" in failed["message"]

    # The browser alone failing on TLS (here: traffic not routed through the recording
    # proxy, so the bundle cannot reach it) fails the capture although the raw fetch worked.
    monkeypatch.setenv("CYBERCASE_BROWSER_TRAFFIC", "off")
    alone = cli("capture", url, "--ca-bundle", bundle, *common)
    assert alone.code == 1, alone.stderr
    seen = json.loads(alone.stdout.splitlines()[0])
    assert seen["outcome"] == "tls-failure"
    assert "the browser could not show the page" in seen["message"]
    assert "ERR_CERT" in seen["message"] and "the raw fetch worked" in seen["message"]
    report = verify_case(case.root)
    assert report.ok, [f.line() for f in report.findings]


def _render(renderer: Renderer, url: str, folder: Path, **options: Any) -> Any:
    spec = RenderOptions(record_traffic=True, settle_timeout=2.0, scroll=False, **options)
    return renderer.submit(url, folder, options=spec).result(timeout=120)


def test_streaming_and_oversized_answers_are_recorded_as_truncated(
    renderer: Renderer, raw_server: RawServer, tmp_path: Path
) -> None:
    streamed = _render(
        renderer, raw_server.url("/stream-page"), tmp_path / "stream", page_timeout=20.0
    )
    assert streamed.traffic is not None
    (stream,) = [w for w in streamed.traffic.exchanges if w.hop.url.endswith("/stream")]
    assert stream.hop.status == 200
    assert stream.hop.body is not None and stream.hop.body.truncated == "time"
    assert stream.hop.body.size > 0
    with stream.body.open() as fh:
        assert fh.read() == b"tick\n" * (stream.hop.body.size // 5)
    assert any("still open when the page was captured" in w for w in streamed.warnings)

    big = _render(renderer, raw_server.url("/big-page"), tmp_path / "big", max_body_bytes=1000)
    assert big.traffic is not None
    (answer,) = [w for w in big.traffic.exchanges if w.hop.url.endswith("/big")]
    assert answer.hop.body is not None
    assert answer.hop.body.truncated == "length" and answer.hop.body.size == 1000
    dom = next(f for f in big.files if f.role == "dom").path.read_text()
    assert "got 200000" in dom  # the browser still got the whole answer


def test_the_investigators_cookies_never_reach_the_request_records(
    renderer: Renderer, raw_server: RawServer, tmp_path: Path
) -> None:
    secret = "session=7f3a9c-investigator-login"
    cookie = BrowserCookie(name="session", value="7f3a9c-investigator-login", domain="127.0.0.1")
    result = _render(renderer, raw_server.url("/listing"), tmp_path / "c", cookies=[cookie])
    assert result.traffic is not None
    assert any(secret.encode() in s for s in raw_server.seen)  # the site got it
    sent = [w.request_bytes or b"" for w in result.traffic.exchanges]
    assert sent and all(secret.encode() not in s for s in sent)
    assert any(b"[redacted by cybercase: " in s for s in sent)
    redactions = result.traffic.redactions
    assert redactions and all(r.header == "Cookie" for r in redactions)
    record = result.record().model_dump_json()
    assert "7f3a9c" not in record


def test_a_ca_bundle_needs_the_recording_proxy(renderer: Renderer, tmp_path: Path) -> None:
    from cybercase.errors import InvalidInputError

    bundle = tmp_path / "ca.pem"
    bundle.write_text("x")
    with pytest.raises(InvalidInputError, match="recording proxy"):
        renderer.submit("http://127.0.0.1/", tmp_path, options=RenderOptions(ca_bundle=bundle))
    assert os.path.exists(bundle)
