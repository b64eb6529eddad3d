"""Captures through a proxy, and extra stages adding files to the same item."""

from __future__ import annotations

from concurrent.futures import Future
from pathlib import Path

from cybercase.collect.capture import capture_url
from cybercase.collect.config import CaptureSettings
from cybercase.collect.redact import Credentials
from cybercase.collect.stages import StageFile, StageOutput
from cybercase.evidence import Case, Signer
from cybercase.evidence.verify import verify_case
from tests.collect.helpers import artifact, check_warc, object_path, read_warc, record_of, sha256
from tests.fixtures.servers import PAGE_HTML, LocalServer, ProxyServer, SocksServer


def test_http_proxy_is_used_and_recorded(
    case: Case, signer: Signer, http_server: LocalServer, http_proxy: ProxyServer
) -> None:
    settings = CaptureSettings(retries=0, proxy=http_proxy.url, images=False)
    result = capture_url(case, signer, http_server.url("/page?via=proxy"), settings)
    assert result.ok, result.message
    assert f"GET {http_server.url('/page?via=proxy')}" in http_proxy.seen
    record = record_of(case, result)
    hop = record["attempts"][0]["hops"][0]
    assert hop["via_proxy"] is True
    assert record["settings"]["proxy"] == http_proxy.url
    assert record["dns"] == []  # the target name was never looked up here
    warc = object_path(case, artifact(result, "warc"))
    response = next(r for r in read_warc(warc) if r.type == "response")
    assert "WARC-IP-Address" not in response.headers  # that would be the proxy's
    assert response.payload == PAGE_HTML
    check_warc(warc)


def test_https_through_connect_keeps_only_the_origin_exchange(
    case: Case,
    signer: Signer,
    https_server: LocalServer,
    http_proxy: ProxyServer,
    tls_ca_bundle: Path,
) -> None:
    settings = CaptureSettings(
        retries=0, proxy=http_proxy.url, ca_bundle=tls_ca_bundle, images=False
    )
    result = capture_url(case, signer, https_server.url("/page"), settings)
    assert result.ok, result.message
    assert f"CONNECT 127.0.0.1:{https_server.port}" in http_proxy.seen
    record = record_of(case, result)
    assert record["attempts"][0]["hops"][0]["tls"]["verified"] is True
    warc = object_path(case, artifact(result, "warc"))
    request = next(r for r in read_warc(warc) if r.type == "request")
    assert request.http_head.startswith(b"GET /page HTTP/1.1")
    assert b"CONNECT" not in request.http_head
    check_warc(warc)


class ScreenshotStage:
    """A real stage: writes a file for the URL in its own thread (as a browser would)."""

    name = "browser"

    def start(
        self, url: str, workdir: Path, *, credentials: Credentials | None = None
    ) -> Future[StageOutput]:
        future: Future[StageOutput] = Future()
        path = workdir / "screenshot.png"
        path.write_bytes(b"\x89PNG fake screenshot of " + url.encode())
        future.set_result(
            StageOutput(
                files=[StageFile("screenshot", "screenshot.png", path, "image/png")],
                warnings=["lazy images may be missing"],
                detail={"requests": [{"url": url, "status": 200}]},
            )
        )
        return future


class BrokenStage:
    """A stage whose work fails."""

    name = "broken"

    def start(
        self, url: str, workdir: Path, *, credentials: Credentials | None = None
    ) -> Future[StageOutput]:
        future: Future[StageOutput] = Future()
        future.set_exception(RuntimeError("no browser today"))
        return future


def test_stage_files_join_the_same_item(
    case: Case, signer: Signer, http_server: LocalServer
) -> None:
    result = capture_url(
        case,
        signer,
        http_server.url("/page"),
        CaptureSettings(retries=0, images=False),
        stages=[ScreenshotStage(), BrokenStage()],
    )
    assert result.ok
    shot = artifact(result, "screenshot")
    data = b"\x89PNG fake screenshot of " + http_server.url("/page").encode()
    assert shot.digest == sha256(data) and case.read_object(shot.digest) == data
    record = record_of(case, result)
    browser, broken = record["stages"]
    assert browser["artifacts"][0]["sha256"] == shot.digest
    assert browser["detail"]["requests"][0]["status"] == 200
    assert broken["warnings"] == ["failed: RuntimeError: no browser today"]
    assert any("stage broken failed" in w for w in record["warnings"])
    entries = case.item_entries(result.item_id)
    assert len(entries) == 1 and entries[0].action == "item.acquired"
    # Work folders are removed (only this process's claim on its temporary names stays).
    assert case.store.leftover_temp_files() == []
    assert [p.name[:7] for p in case.store.tmp.iterdir()] in ([], [".owner-"])
    assert verify_case(case.root).ok


def test_socks5h_proxy_resolves_names_remotely(
    case: Case, signer: Signer, http_server: LocalServer, socks_proxy: SocksServer
) -> None:
    settings = CaptureSettings(retries=0, proxy=socks_proxy.url, images=False)
    url = f"http://localhost:{http_server.port}/page?via=socks"
    result = capture_url(case, signer, url, settings)
    assert result.ok, result.message
    assert ("localhost", http_server.port) in socks_proxy.seen
    record = record_of(case, result)
    assert record["dns"] == []  # the name went to the proxy, never to the local resolver
    hop = record["attempts"][0]["hops"][0]
    assert hop["via_proxy"] is True
    assert hop["request_headers"][0] == ["Host", f"localhost:{http_server.port}"]
    warc = object_path(case, artifact(result, "warc"))
    request = next(r for r in read_warc(warc) if r.type == "request")
    assert request.http_head.startswith(b"GET /page?via=socks HTTP/1.1")
    assert b"\x05" not in request.http_head  # no SOCKS handshake bytes in the exchange
    check_warc(warc)
