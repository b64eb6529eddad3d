"""Capturing one URL against real servers: each case of the acceptance list."""

from __future__ import annotations

import gzip
import stat

import pytest

from cybercase.collect.capture import capture_url
from cybercase.collect.config import MIB, CaptureSettings
from cybercase.evidence import Case, Signer
from cybercase.evidence.keys.redaction import KEY_FILE, key_path, load_redaction_key
from cybercase.evidence.verify import verify_case
from cybercase.settings import user_home
from tests.collect.helpers import artifact, check_warc, object_path, read_warc, record_of, sha256
from tests.fixtures.servers import PAGE_HTML, PAGE_TITLE, PHOTO, LocalServer

FAST = CaptureSettings(retries=0, connect_timeout=5, read_timeout=5, total_timeout=20)


def test_redirect_chain_records_every_hop(
    case: Case, signer: Signer, http_server: LocalServer
) -> None:
    result = capture_url(case, signer, http_server.url("/redirect/3"), FAST)
    assert result.ok and result.outcome == "captured"
    assert result.item_id == "E0001"
    assert result.final_url == http_server.url("/page")
    record = record_of(case, result)
    hops = record["attempts"][0]["hops"]
    assert [h["status"] for h in hops] == [302, 301, 302, 200]
    assert [h["url"] for h in hops][-1] == http_server.url("/page")
    for hop in hops:
        assert hop["remote_ip"] == "127.0.0.1"
        assert hop["remote_port"] == http_server.port
        assert hop["timings"]["first_byte_ms"] is not None
    index = check_warc(object_path(case, artifact(result, "warc")))
    responses = [r for r in index if r["warc-type"] == "response"]
    # 4 page hops + the photo
    assert [r["http:status"] for r in responses][:4] == ["302", "301", "302", "200"]
    assert len([r for r in index if r["warc-type"] == "request"]) == len(responses)
    assert index[0]["warc-type"] == "warcinfo" and index[-1]["warc-type"] == "metadata"
    assert record["page"]["title"] == PAGE_TITLE
    assert "https://chat.example/seller42" in record["page"]["links"]
    assert verify_case(case.root).ok


def test_payload_digest_is_sha256_of_body_as_served(
    case: Case, signer: Signer, http_server: LocalServer
) -> None:
    result = capture_url(case, signer, http_server.url("/page"), FAST)
    records = read_warc(object_path(case, artifact(result, "warc")))
    page = next(r for r in records if r.type == "response" and r.uri.endswith("/page"))
    assert page.payload == PAGE_HTML
    assert page.headers["WARC-Payload-Digest"] == sha256(PAGE_HTML)
    assert page.headers["WARC-IP-Address"] == "127.0.0.1"
    record = record_of(case, result)
    assert record["attempts"][0]["hops"][0]["body"]["sha256"] == sha256(PAGE_HTML)
    photo = next(r for r in records if r.type == "response" and r.uri.endswith("photo.jpg"))
    assert photo.headers["WARC-Payload-Digest"] == sha256(PHOTO)
    # The metadata record carries record.json byte for byte.
    meta = next(r for r in records if r.type == "metadata")
    assert meta.payload == case.read_object(artifact(result, "record").digest)


def test_gzip_body_kept_encoded_and_read(
    case: Case, signer: Signer, http_server: LocalServer
) -> None:
    result = capture_url(case, signer, http_server.url("/gzip"), FAST)
    record = record_of(case, result)
    body = record["attempts"][0]["hops"][0]["body"]
    assert body["content_encoding"] == "gzip"
    records = read_warc(object_path(case, artifact(result, "warc")))
    page = next(r for r in records if r.type == "response" and r.uri.endswith("/gzip"))
    assert gzip.decompress(page.payload) == PAGE_HTML
    assert page.headers["WARC-Payload-Digest"] == sha256(page.payload) == body["sha256"]
    assert record["page"]["title"] == PAGE_TITLE
    text = case.read_object(artifact(result, "text").digest).decode()
    assert "Carved tusk, 40 cm" in text and "not text" not in text
    check_warc(object_path(case, artifact(result, "warc")))


def test_chunked_body_is_dechunked_and_declared(
    case: Case, signer: Signer, http_server: LocalServer
) -> None:
    result = capture_url(case, signer, http_server.url("/chunked"), FAST)
    record = record_of(case, result)
    hop = record["attempts"][0]["hops"][0]
    assert ["Transfer-Encoding", "chunked"] in hop["response_headers"]
    assert hop["body"]["transfer_encoding_removed"] == "chunked"
    records = read_warc(object_path(case, artifact(result, "warc")))
    page = next(r for r in records if r.type == "response" and r.uri.endswith("/chunked"))
    assert page.payload == PAGE_HTML
    assert b"transfer-encoding" not in page.http_head.lower()
    check_warc(object_path(case, artifact(result, "warc")))


@pytest.mark.parametrize(
    ("path", "title", "charset", "source"),
    [
        ("/latin1", "Défense d'éléphant à vendre", "cp1252", "header"),
        ("/sjis", "象牙の彫刻", "shift_jis", "meta"),
    ],
)
def test_non_utf8_charsets(
    case: Case,
    signer: Signer,
    http_server: LocalServer,
    path: str,
    title: str,
    charset: str,
    source: str,
) -> None:
    result = capture_url(case, signer, http_server.url(path), FAST)
    page = record_of(case, result)["page"]
    assert page["title"] == title
    assert page["charset"] == charset and page["charset_source"] == source
    assert result.title == title


def test_404_is_a_capture_of_a_removed_listing(
    case: Case, signer: Signer, http_server: LocalServer
) -> None:
    result = capture_url(case, signer, http_server.url("/missing"), CaptureSettings(retries=2))
    assert result.outcome == "http-error" and not result.ok
    assert result.status == 404
    assert "404" in result.message
    record = record_of(case, result)
    assert len(record["attempts"]) == 1  # a 404 is not transient: no retry
    assert record["page"]["title"] == "Listing removed"
    index = check_warc(object_path(case, artifact(result, "warc")))
    assert any(r.get("http:status") == "404" for r in index)
    assert case.item(result.item_id).detail["outcome"] == "http-error"


def test_redirect_loop_is_named(case: Case, signer: Signer, http_server: LocalServer) -> None:
    result = capture_url(case, signer, http_server.url("/loop/a"), FAST)
    assert result.outcome == "redirect-loop"
    assert "loop" in result.message
    assert "/loop/a → " in result.message and "/loop/b" in result.message
    assert len(record_of(case, result)["attempts"][0]["hops"]) == 2
    check_warc(object_path(case, artifact(result, "warc")))


def test_too_many_redirects(case: Case, signer: Signer, http_server: LocalServer) -> None:
    settings = CaptureSettings(retries=0, max_redirects=2)
    result = capture_url(case, signer, http_server.url("/redirect/5"), settings)
    assert result.outcome == "too-many-redirects"
    assert len(record_of(case, result)["attempts"][0]["hops"]) == 3


def test_one_gib_body_truncated_at_64_mib(
    case: Case, signer: Signer, http_server: LocalServer
) -> None:
    settings = CaptureSettings(retries=0, max_body_bytes=64 * MIB, images=False)
    result = capture_url(case, signer, http_server.url(f"/big?size={1 << 30}"), settings)
    assert result.outcome == "truncated" and not result.ok
    body = record_of(case, result)["attempts"][0]["hops"][0]["body"]
    assert body["size"] == 64 * MIB
    assert body["truncated"] == "length"
    assert body["declared_length"] == 1 << 30
    path = object_path(case, artifact(result, "warc"))
    records = read_warc(path)
    response = next(r for r in records if r.type == "response")
    assert response.headers["WARC-Truncated"] == "length"
    assert len(response.payload) == 64 * MIB
    assert response.headers["WARC-Payload-Digest"] == sha256(response.payload)
    check_warc(path)


def test_trickling_server_times_out(case: Case, signer: Signer, http_server: LocalServer) -> None:
    settings = CaptureSettings(retries=2, read_timeout=5, total_timeout=2.5, images=False)
    result = capture_url(case, signer, http_server.url("/trickle"), settings)
    assert result.outcome == "timeout"
    assert "total limit" in result.message
    record = record_of(case, result)
    assert len(record["attempts"]) == 1  # the total limit is not retried
    body = record["attempts"][0]["hops"][0]["body"]
    assert body["truncated"] == "time"
    assert 1 <= body["size"] < 600
    path = object_path(case, artifact(result, "warc"))
    response = next(r for r in read_warc(path) if r.type == "response")
    assert response.headers["WARC-Truncated"] == "time"
    check_warc(path)


def test_jpeg_gps_exif(case: Case, signer: Signer, http_server: LocalServer) -> None:
    result = capture_url(case, signer, http_server.url("/page"), FAST)
    image = artifact(result, "image")
    assert image.name == "images/001-photo.jpg"
    assert image.digest == sha256(PHOTO) and image.media_type == "image/jpeg"
    assert case.read_object(image.digest) == PHOTO
    (entry,) = record_of(case, result)["images"]
    exif = entry["exif"]
    assert exif["gps_latitude"] == pytest.approx(-1.2925)
    assert exif["gps_longitude"] == pytest.approx(36.8219)
    assert exif["make"] == "Canon" and exif["model"] == "Canon EOS 5D Mark IV"
    assert exif["serial_number"] == "SN0123456789"
    assert exif["datetime_original"] == "2026:02:14 10:30:00"
    assert entry["artifact"] == image.name and entry["sha256"] == image.digest
    sent = [r for r in http_server.requests if r.path == "/photo.jpg"][-1]
    assert sent.headers["Referer"] == http_server.url("/page")


def test_refused_connection_is_a_logged_attempt(case: Case, signer: Signer) -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = CaptureSettings(retries=1, backoff=0)
    result = capture_url(case, signer, f"http://127.0.0.1:{port}/listing", settings)
    assert result.outcome == "connection-refused" and not result.ok
    record = record_of(case, result)
    assert len(record["attempts"]) == 2  # refused is transient: retried once
    tries = record["attempts"][0]["hops"][0]["connect_tries"]
    assert tries[0]["address"] == "127.0.0.1" and "refused" in tries[0]["error"].lower()
    assert record["status"] is None and record["final_url"] is None
    check_warc(object_path(case, artifact(result, "warc")))
    assert verify_case(case.root).ok


def test_dns_failure_is_recorded(case: Case, signer: Signer) -> None:
    result = capture_url(case, signer, "http://listing.invalid/item/1", FAST)
    assert result.outcome == "dns-failure"
    record = record_of(case, result)
    assert record["dns"][0]["host"] == "listing.invalid"
    assert record["dns"][0]["error"]


def test_dns_answers_and_connected_address(
    case: Case, signer: Signer, http_server: LocalServer
) -> None:
    result = capture_url(case, signer, f"http://localhost:{http_server.port}/page", FAST)
    assert result.ok
    record = record_of(case, result)
    lookup = next(d for d in record["dns"] if d["host"] == "localhost")
    assert "127.0.0.1" in lookup["addresses"]
    hop = record["attempts"][0]["hops"][0]
    assert hop["remote_ip"] == "127.0.0.1"
    assert hop["connect_tries"][-1] == {
        "address": "127.0.0.1",
        "port": http_server.port,
        "error": None,
    }


def test_transient_503_is_retried_and_every_attempt_kept(
    case: Case, signer: Signer, http_server: LocalServer
) -> None:
    settings = CaptureSettings(retries=3, backoff=0)
    result = capture_url(case, signer, http_server.url("/flaky?key=t1&fail=2"), settings)
    assert result.outcome == "captured"
    record = record_of(case, result)
    assert [a["outcome"] for a in record["attempts"]] == ["http-error", "http-error", "captured"]
    index = check_warc(object_path(case, artifact(result, "warc")))
    statuses = [r.get("http:status") for r in index if r["warc-type"] == "response"]
    assert statuses[:3] == ["503", "503", "200"]


def test_secrets_sent_are_replaced_by_their_hash(
    case: Case, signer: Signer, http_server: LocalServer, tmp_path: object
) -> None:
    from pathlib import Path

    folder = Path(str(tmp_path))
    cookies = folder / "cookies.txt"
    cookies.write_text(
        "# Netscape HTTP Cookie File\n127.0.0.1\tFALSE\t/\tFALSE\t0\tsession\ts3cr3t-session\n"
    )
    settings = CaptureSettings(
        retries=0,
        cookies_file=cookies,
        headers={"Authorization": "Bearer tok-123"},
        images=False,
    )
    result = capture_url(case, signer, http_server.url("/echo"), settings)
    sent = [r for r in http_server.requests if r.path == "/echo"][-1]
    assert sent.headers["Cookie"] == "session=s3cr3t-session"
    assert sent.headers["Authorization"] == "Bearer tok-123"
    warc = object_path(case, artifact(result, "warc"))
    raw = b"".join(r.http_head + r.payload for r in read_warc(warc) if r.type == "request")
    assert b"s3cr3t-session" not in raw and b"tok-123" not in raw
    # A keyed hash, under the investigator's redaction key (never in the case): the plain
    # SHA-256 of a short value would give it away to a word list.
    key = load_redaction_key(user_home(), create=False)
    assert key.digest(b"Bearer tok-123").encode() in raw
    assert sha256(b"Bearer tok-123").encode() not in raw
    assert stat.S_IMODE(key_path(user_home()).stat().st_mode) == 0o600
    assert not list(case.root.rglob(KEY_FILE))
    record_bytes = case.read_object(artifact(result, "record").digest)
    assert b"s3cr3t-session" not in record_bytes and b"tok-123" not in record_bytes
    record = record_of(case, result)
    assert {r["header"] for r in record["redactions"]} == {"Cookie", "Authorization"}
    assert record["withheld_headers"] == ["Authorization", "Cookie"]
    assert {r["algorithm"] for r in record["redactions"]} == {"hmac-sha256"}
    assert {r["key_id"] for r in record["redactions"]} == {key.key_id}
    assert record["secrets_kept"] is False
    # The server's answer (an echo) is its evidence and is kept as served.
    response = next(r for r in read_warc(warc) if r.type == "response")
    assert b"s3cr3t-session" in response.payload
    check_warc(warc)

    kept = capture_url(
        case, signer, http_server.url("/echo"), settings.model_copy(update={"keep_secrets": True})
    )
    warc2 = object_path(case, artifact(kept, "warc"))
    raw2 = b"".join(r.http_head for r in read_warc(warc2) if r.type == "request")
    assert b"s3cr3t-session" in raw2 and b"Bearer tok-123" in raw2
    assert record_of(case, kept)["secrets_kept"] is True
    assert record_of(case, kept)["redactions"] == []


def test_environment_defaults_make_no_outside_call(
    case: Case, signer: Signer, http_server: LocalServer
) -> None:
    result = capture_url(case, signer, http_server.url("/page"), FAST, persona="seller-hunter-7")
    env = record_of(case, result)["environment"]
    assert env["clock"]["ntp_status"] == "not checked"
    assert env["egress"]["status"] == "not checked"
    assert env["persona"] == "seller-hunter-7"
    assert env["investigator"] == {"name": signer.name, "key": signer.fingerprint}
    assert env["machine"]["hostname"]
    assert env["software"]["cybercase"]
    assert all(r.path != "/ip" for r in http_server.requests)


def test_environment_ntp_and_egress_when_configured(
    case: Case, signer: Signer, http_server: LocalServer, ntp_server: object
) -> None:
    from tests.fixtures.servers import NtpServer

    assert isinstance(ntp_server, NtpServer)
    settings = CaptureSettings(
        retries=0, ntp_server=ntp_server.address, egress_lookup_url=http_server.url("/ip")
    )
    result = capture_url(case, signer, http_server.url("/page"), settings)
    env = record_of(case, result)["environment"]
    assert env["clock"]["ntp_status"] == "checked"
    assert env["clock"]["ntp_offset_ms"] == pytest.approx(-ntp_server.skew * 1000, abs=500)
    assert env["egress"] == {
        "status": "checked",
        "lookup_url": http_server.url("/ip"),
        "address": "203.0.113.7",
        "error": None,
    }


def test_cookie_check_redirect_to_itself_is_not_a_loop(
    case: Case, signer: Signer, http_server: LocalServer
) -> None:
    from http.server import BaseHTTPRequestHandler

    from tests.fixtures.servers import send

    def cookie_check(h: BaseHTTPRequestHandler) -> None:
        if "seen=1" in (h.headers.get("Cookie") or ""):
            send(h, 200, b"<title>Welcome back</title>", {"Content-Type": "text/html"})
        else:
            send(h, 302, b"", {"Location": "/cookie-check", "Set-Cookie": "seen=1; Path=/"})

    http_server.route("/cookie-check", cookie_check)
    result = capture_url(case, signer, http_server.url("/cookie-check"), FAST)
    assert result.outcome == "captured" and result.title == "Welcome back"
    hops = record_of(case, result)["attempts"][0]["hops"]
    assert [h["status"] for h in hops] == [302, 200]
    # Sent cookies are redacted even when the server set them (its Set-Cookie shows them).
    key = load_redaction_key(user_home(), create=False)
    placeholder = f"[redacted by cybercase: {key.digest(b'seen=1')} key {key.key_id}]"
    assert ["Cookie", placeholder] in hops[1]["request_headers"]


def test_an_answer_that_is_not_http_is_kept(case: Case, signer: Signer) -> None:
    import socket
    import threading

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)

    def serve() -> None:
        client, _ = listener.accept()
        with client:
            client.recv(4096)
            client.sendall(b"SSH-2.0-OpenSSH_9.2\r\nnot http at all\r\n\r\n")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{listener.getsockname()[1]}/"
    result = capture_url(case, signer, url, FAST)
    thread.join(timeout=5)
    listener.close()
    assert result.outcome == "protocol-error"
    hop = record_of(case, result)["attempts"][0]["hops"][0]
    assert hop["unparsed_bytes"] and hop["warc_unparsed_id"]
    warc = object_path(case, artifact(result, "warc"))
    (kept,) = [r for r in read_warc(warc) if r.type == "resource"]
    assert kept.payload.startswith(b"SSH-2.0-OpenSSH_9.2")
    assert kept.headers["WARC-Concurrent-To"] == hop["warc_request_id"]
    check_warc(warc)
