"""Rendering real pages from real local servers with the real headless Chromium."""

from __future__ import annotations

import email
import email.policy
import io
import json
import struct
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import httpx
import pytest
from pypdf import PdfReader

from cybercase.collect.browser import (
    BrowserCookie,
    BrowserRecord,
    Caption,
    Renderer,
    RenderOptions,
    RenderResult,
    Viewport,
)
from cybercase.errors import BrowserUnavailableError, InvalidInputError
from tests.fixtures.pages import (
    IMAGES,
    JS_PHRASE,
    TALL_HEIGHT,
    PageServer,
    ProxyServer,
)

pytestmark = pytest.mark.browser
WAIT = 120  # seconds a test waits for a future before calling it broken


def render(
    renderer: Renderer, url: str, out: Path, options: RenderOptions | None = None
) -> RenderResult:
    return renderer.submit(url, out, options=options).result(timeout=WAIT)


def png_dimensions(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def mhtml_parts(path: Path) -> dict[str, bytes]:
    """The MHTML's parts by Content-Location, decoded by the standard MIME reader."""
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    assert message.get_content_type() == "multipart/related"
    parts = {}
    for part in message.iter_parts():
        payload = part.get_payload(decode=True)
        assert isinstance(payload, bytes)
        parts[str(part["Content-Location"])] = payload
    return parts


@pytest.fixture(scope="module")
def js_page(
    renderer: Renderer, page_server: PageServer, tmp_path_factory: pytest.TempPathFactory
) -> RenderResult:
    """The script-built listing, rendered once for the tests that look at its files."""
    out = tmp_path_factory.mktemp("js-page")
    return render(renderer, page_server.url("/js-text"), out)


def test_text_added_by_script_is_in_dom_and_mhtml_not_in_served_body(
    js_page: RenderResult, page_server: PageServer
) -> None:
    served = httpx.get(page_server.url("/js-text")).content
    assert JS_PHRASE.encode() not in served
    dom = js_page.file("dom")
    mhtml = js_page.file("mhtml")
    assert dom is not None and mhtml is not None
    assert JS_PHRASE in dom.path.read_text("utf-8")
    page = mhtml_parts(mhtml.path)[page_server.url("/js-text")]
    assert JS_PHRASE in page.decode("utf-8")
    assert js_page.complete, js_page.warnings
    assert js_page.title == "Listing 42"
    assert js_page.status == 200


def test_all_four_views_are_written_with_their_roles(js_page: RenderResult) -> None:
    roles = {f.role: f for f in js_page.files}
    assert set(roles) == {"screenshot", "pdf", "dom", "mhtml"}
    assert {f.name for f in js_page.files} == {
        "screenshot.png",
        "page.pdf",
        "rendered.html",
        "page.mhtml",
    }
    for f in js_page.files:
        assert f.path.name == f.name and f.path.stat().st_size > 0
    assert not list(roles["dom"].path.parent.glob(".*.part"))


def test_mhtml_holds_every_image_of_the_page_byte_for_byte(
    js_page: RenderResult, page_server: PageServer
) -> None:
    mhtml = js_page.file("mhtml")
    assert mhtml is not None
    parts = mhtml_parts(mhtml.path)
    for path, data in IMAGES.items():  # eager, lazy (far below) and added by script
        assert parts[page_server.url(path)] == data, path


def test_pdf_opens_and_shows_the_scripted_text(js_page: RenderResult) -> None:
    pdf = js_page.file("pdf")
    assert pdf is not None
    reader = PdfReader(io.BytesIO(pdf.path.read_bytes()))
    assert len(reader.pages) >= 1
    text = " ".join(page.extract_text() for page in reader.pages)
    assert JS_PHRASE in " ".join(text.split())


def test_requests_made_by_the_browser_are_listed(
    js_page: RenderResult, page_server: PageServer
) -> None:
    by_url = {r.url: r for r in js_page.requests}
    document = by_url[page_server.url("/js-text")]
    assert (document.method, document.resource_type, document.status) == ("GET", "document", 200)
    for path in IMAGES:
        image = by_url[page_server.url(path)]
        assert (image.resource_type, image.status, image.failure) == ("image", 200, None)


def test_screenshot_is_a_png_as_tall_as_the_page(
    renderer: Renderer, page_server: PageServer, tmp_path: Path
) -> None:
    result = render(
        renderer, page_server.url("/tall"), tmp_path, RenderOptions(viewport=Viewport(900, 600))
    )
    shot = result.file("screenshot")
    assert shot is not None and shot.media_type == "image/png"
    assert png_dimensions(shot.path) == (900, TALL_HEIGHT)
    assert result.page_size == (900, TALL_HEIGHT)


def test_redirect_and_404_are_rendered_with_their_final_url_and_status(
    renderer: Renderer, page_server: PageServer, tmp_path: Path
) -> None:
    moved = render(renderer, page_server.url("/redirect"), tmp_path / "moved")
    assert moved.url == page_server.url("/redirect")
    assert moved.final_url == page_server.url("/js-text")
    hops = [(r.url, r.status) for r in moved.requests if r.resource_type == "document"]
    assert hops[:2] == [(page_server.url("/redirect"), 302), (page_server.url("/js-text"), 200)]
    gone = render(renderer, page_server.url("/removed-listing"), tmp_path / "gone")
    assert gone.status == 404
    assert gone.file("screenshot") is not None


def test_unreachable_site_is_a_warning_not_an_error(renderer: Renderer, tmp_path: Path) -> None:
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = render(renderer, f"http://127.0.0.1:{port}/", tmp_path)
    assert not result.complete
    assert result.files == []
    assert any("ERR_CONNECTION_REFUSED" in w for w in result.warnings)


def test_hanging_page_does_not_stall_the_other_pages(
    renderer: Renderer, page_server: PageServer, tmp_path: Path
) -> None:
    patient = RenderOptions(navigation_timeout=WAIT, page_timeout=WAIT + 30)
    hanging = renderer.submit(
        page_server.url("/hang?key=stall"), tmp_path / "hang", options=patient
    )
    others = [
        renderer.submit(page_server.url(f"/echo?n={n}"), tmp_path / f"echo{n}") for n in range(4)
    ]
    done = [future.result(timeout=WAIT) for future in others]
    assert all(r.complete and r.file("screenshot") for r in done)
    assert not hanging.done()  # the server still holds it: the others went round it
    page_server.release("stall")
    late = hanging.result(timeout=WAIT)
    dom = late.file("dom")
    assert dom is not None and "released" in dom.path.read_text("utf-8")


def test_page_that_never_finishes_is_captured_as_it_was(
    renderer: Renderer, page_server: PageServer, tmp_path: Path
) -> None:
    options = RenderOptions(navigation_timeout=1, settle_timeout=1, page_timeout=60)
    result = render(renderer, page_server.url("/hang?key=never"), tmp_path, options)
    assert not result.complete
    assert any("had not finished loading" in w for w in result.warnings)
    dom = result.file("dom")
    assert dom is not None and "partial listing" in dom.path.read_text("utf-8")
    assert result.file("screenshot") is not None


def test_page_whose_script_never_yields_is_abandoned_and_renderer_goes_on(
    renderer: Renderer, page_server: PageServer, tmp_path: Path
) -> None:
    options = RenderOptions(navigation_timeout=2, settle_timeout=1, page_timeout=4)
    stuck = render(renderer, page_server.url("/busy"), tmp_path / "busy", options)
    assert not stuck.complete
    assert any("abandoned after 4 s" in w for w in stuck.warnings)
    after = render(renderer, page_server.url("/echo?after=busy"), tmp_path / "after")
    assert after.complete and after.title == "Echo"


def test_user_agent_headers_and_cookies_reach_the_server(
    renderer: Renderer, page_server: PageServer, tmp_path: Path
) -> None:
    cookies = tmp_path / "cookies.txt"
    cookies.write_text(
        "# Netscape HTTP Cookie File\n#HttpOnly_127.0.0.1\tFALSE\t/\tFALSE\t0\tsession\tfrom-file\n"
    )
    options = RenderOptions(
        user_agent="Mozilla/5.0 (Windows NT 10.0; Win64; x64) Persona/7",
        headers={"X-Case-Ref": "WL-2026-001", "Accept-Language": "sw-KE"},
        cookies_file=cookies,
        cookies=[BrowserCookie(name="lang", value="sw", domain="127.0.0.1")],
    )
    result = render(renderer, page_server.url("/echo?who=persona"), tmp_path / "out", options)
    assert result.complete
    (seen,) = [s for s in page_server.requests_for("/echo") if s.query.get("who") == ["persona"]]
    headers = {k.lower(): v for k, v in seen.headers.items()}
    assert headers["user-agent"] == "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Persona/7"
    assert headers["x-case-ref"] == "WL-2026-001"
    assert headers["accept-language"] == "sw-KE"
    assert sorted(headers["cookie"].split("; ")) == ["lang=sw", "session=from-file"]
    record = result.record().model_dump_json()
    assert "from-file" not in record and "WL-2026-001" not in record
    assert result.record().cookies_sent == 2 and result.record().secrets_omitted


def test_http_proxy_with_credentials_carries_the_pages(
    renderer: Renderer, page_server: PageServer, auth_http_proxy: ProxyServer, tmp_path: Path
) -> None:
    url = page_server.url("/echo?via=http-proxy", host="listing.test")  # resolves nowhere
    proxy = auth_http_proxy.url.replace("http://", "http://agent:s3cret%20pass@")
    result = render(renderer, url, tmp_path, RenderOptions(proxy=proxy))
    assert result.complete, result.warnings
    assert result.title == "Echo"
    assert ("listing.test", int(url.split(":")[2].split("/")[0])) in auth_http_proxy.targets
    assert auth_http_proxy.auth_seen
    (seen,) = [s for s in page_server.requests_for("/echo") if s.query.get("via") == ["http-proxy"]]
    assert seen.headers["Host"].startswith("listing.test:")
    record = result.record()
    assert record.proxy == "http"
    assert "s3cret" not in record.model_dump_json()


def test_socks5_proxy_carries_the_pages_and_resolves_names(
    renderer: Renderer, page_server: PageServer, socks5_proxy: ProxyServer, tmp_path: Path
) -> None:
    url = page_server.url("/echo?via=socks5", host="listing.test")
    result = render(renderer, url, tmp_path, RenderOptions(proxy=socks5_proxy.url))
    assert result.complete, result.warnings
    assert [host for host, _ in socks5_proxy.targets] == ["listing.test"]
    assert page_server.requests_for("/echo")[-1].query == {"via": ["socks5"]}
    assert result.record().proxy == "socks5"


def test_webrtc_cannot_go_around_the_proxy(
    renderer: Renderer, page_server: PageServer, tmp_path: Path
) -> None:
    result = render(renderer, page_server.url("/webrtc"), tmp_path)
    dom = result.file("dom")
    assert dom is not None
    assert "udp candidates: 0" in dom.path.read_text("utf-8")


def test_https_with_an_untrusted_certificate_needs_insecure(
    renderer: Renderer, tls_page_server: PageServer, tmp_path: Path
) -> None:
    url = tls_page_server.url("/echo")
    refused = render(renderer, url, tmp_path / "strict")
    assert not refused.complete and refused.files == []
    assert any("ERR_CERT" in w for w in refused.warnings)
    accepted = render(renderer, url, tmp_path / "insecure", RenderOptions(insecure=True))
    assert accepted.complete and accepted.title == "Echo"


def test_caption_option_adds_an_annotated_copy_and_keeps_the_original(
    renderer: Renderer, page_server: PageServer, tmp_path: Path
) -> None:
    caption = Caption(
        url=page_server.url("/tall"),
        utc_time=datetime(2026, 3, 1, 9, 0, tzinfo=UTC),
        case_id="WL-2026-001",
        item_id="E0001",
        investigator="Amina Okafor",
    )
    result = render(renderer, page_server.url("/tall"), tmp_path, RenderOptions(caption=caption))
    original = result.file("screenshot")
    annotated = result.file("screenshot-annotated")
    assert original is not None and annotated is not None
    assert annotated.name == "screenshot-annotated.png"
    assert png_dimensions(original.path) == (1280, TALL_HEIGHT)
    width, height = png_dimensions(annotated.path)
    assert width == 1280 and height > TALL_HEIGHT


def test_record_is_json_without_local_paths(js_page: RenderResult) -> None:
    record = js_page.record()
    again = BrowserRecord.model_validate_json(record.model_dump_json())
    assert again == record
    text = json.dumps(record.model_dump())
    assert str(js_page.files[0].path.parent) not in text
    assert record.browser_version == js_page.browser.version
    assert record.started.endswith("Z") and record.ended >= record.started
    assert [f.role for f in record.files] == [f.role for f in js_page.files]


def test_bad_input_is_refused_at_submit(renderer: Renderer, tmp_path: Path) -> None:
    for url in ("file:///etc/passwd", "javascript:alert(1)", "listing.test/42", "http://"):
        with pytest.raises(InvalidInputError):
            renderer.submit(url, tmp_path)
    with pytest.raises(InvalidInputError, match="proxy"):
        renderer.submit("http://127.0.0.1/", tmp_path, options=RenderOptions(proxy="tor"))


def test_browser_that_stopped_is_started_again(
    browser_path: Path, page_server: PageServer, tmp_path: Path
) -> None:
    with Renderer(browser_path, pool_size=1, config={}) as own:
        first = render(own, page_server.url("/echo?n=first"), tmp_path / "1")
        assert own._browser is not None
        own._call(own._browser.close(), WAIT)  # the browser dies under the renderer
        second = render(own, page_server.url("/echo?n=second"), tmp_path / "2")
    assert first.complete and second.complete
    assert "the browser had stopped and was started again for this page" in second.warnings


def test_closed_renderer_refuses_pages(browser_path: Path, tmp_path: Path) -> None:
    own = Renderer(browser_path, pool_size=1, config={})
    own.close()
    own.close()  # closing twice is harmless
    with pytest.raises(BrowserUnavailableError, match="closed"):
        own.submit("http://127.0.0.1/", tmp_path)


def test_leaving_on_an_error_cancels_the_pages_not_done(
    browser_path: Path, page_server: PageServer, tmp_path: Path
) -> None:
    import time

    patient = RenderOptions(navigation_timeout=WAIT, page_timeout=WAIT + 30)
    with pytest.raises(KeyboardInterrupt), Renderer(browser_path, pool_size=1, config={}) as own:
        hanging = own.submit(
            page_server.url("/hang?key=interrupted"), tmp_path / "hang", options=patient
        )
        queued = own.submit(page_server.url("/echo?n=queued"), tmp_path / "queued")
        for _ in range(1200):  # until the browser is inside the hanging page
            if any(
                s.query.get("key") == ["interrupted"] for s in page_server.requests_for("/hang")
            ):
                break
            time.sleep(0.05)
        raise KeyboardInterrupt
    assert hanging.cancelled() and queued.cancelled()
    assert not [s for s in page_server.requests_for("/echo") if s.query.get("n") == ["queued"]]
