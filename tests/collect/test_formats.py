"""Formats, with property tests: the published schema, redaction, heads, charsets, WARCs."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from warcio.archiveiterator import ArchiveIterator

from cybercase.cli.capture_cmds import parse_size
from cybercase.collect.config import CaptureSettings, load_capture_settings
from cybercase.collect.html import read_page, sniff_charset
from cybercase.collect.http.heads import drop_header, split_head
from cybercase.collect.http.hops import WireHop
from cybercase.collect.http.spool import Spool
from cybercase.collect.record import Body, CaptureRecord, Hop, record_schema, schema_text
from cybercase.collect.redact import Redactor, redact_head
from cybercase.collect.warc import WarcBuilder
from cybercase.errors import InvalidInputError
from cybercase.evidence.keys.redaction import RedactionKey

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "docs" / "schema" / "capture-record.schema.json"
TOKEN = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_=.", min_size=1, max_size=40)


def test_published_schema_matches_the_model() -> None:
    assert SCHEMA_FILE.read_text(encoding="utf-8") == schema_text(), (
        "regenerate docs/schema/capture-record.schema.json from cybercase.collect.record"
    )
    schema = record_schema()
    Draft202012Validator.check_schema(schema)
    assert schema["properties"]["outcome"]["description"]


def test_a_real_record_validates_against_the_schema(
    case: object, signer: object, http_server: object
) -> None:
    from cybercase.collect.capture import capture_url
    from cybercase.evidence import Case, Signer
    from tests.collect.helpers import record_of
    from tests.fixtures.servers import LocalServer

    assert isinstance(case, Case) and isinstance(signer, Signer)
    assert isinstance(http_server, LocalServer)
    result = capture_url(case, signer, http_server.url("/redirect/2"), CaptureSettings(retries=0))
    record = record_of(case, result)
    errors = list(Draft202012Validator(record_schema()).iter_errors(record))
    assert errors == []
    assert CaptureRecord.model_validate(record).to_bytes() == case.read_object(
        next(a for a in result.artifacts if a.role == "record").digest
    )


_KEY = RedactionKey.generate()


@given(secret=TOKEN, other=TOKEN)
def test_redaction_hides_only_secret_values(secret: str, other: str) -> None:
    head = (
        "GET /x HTTP/1.1\r\nHost: a.example\r\n"
        f"Cookie: sid={secret}\r\nX-Other: {other}\r\nauthorization: Bearer {secret}\r\n\r\n"
    ).encode()
    redactor = Redactor(key=_KEY)
    out, found = redact_head(head, "hop 0", redactor)
    assert f"sid={secret}".encode() not in out
    assert f"Bearer {secret}".encode() not in out
    assert f"X-Other: {other}\r\n".encode() in out
    assert [r.header for r in found] == ["Cookie", "authorization"]
    expected = (
        "hmac-sha256:" + hmac.new(_KEY.secret, f"sid={secret}".encode(), "sha256").hexdigest()
    )
    assert found[0].digest == expected and found[0].algorithm == "hmac-sha256"
    assert found[0].key_id == _KEY.key_id
    # The unkeyed hash of the value is nowhere: a word list cannot be tried against it.
    assert hashlib.sha256(f"sid={secret}".encode()).hexdigest().encode() not in out
    assert found[0].placeholder == redactor.placeholder(f"sid={secret}".encode())[0]
    assert out.endswith(b"\r\n\r\n") and out.startswith(b"GET /x HTTP/1.1\r\n")


@given(secret=TOKEN, kept=TOKEN)
def test_extra_headers_are_secret_unless_kept(secret: str, kept: str) -> None:
    head = (f"GET / HTTP/1.1\r\nX-Api-Key: {secret}\r\nAccept-Language: {kept}\r\n\r\n").encode()
    redactor = Redactor.for_headers(["X-Api-Key", "Accept-Language"], ["accept-language"], _KEY)
    out, found = redactor.head(head, "hop 0")
    assert f"X-Api-Key: {secret}\r\n".encode() not in out
    assert f"Accept-Language: {kept}\r\n".encode() in out
    assert [r.header for r in found] == ["X-Api-Key"]


@given(
    informational=st.lists(st.sampled_from([100, 102, 103]), max_size=3),
    extra=st.binary(max_size=64),
    names=st.lists(TOKEN, min_size=1, max_size=5),
)
def test_split_head_finds_the_final_response(
    informational: list[int], extra: bytes, names: list[str]
) -> None:
    final = b"HTTP/1.1 200 OK\r\n" + b"".join(f"X-{n}: v\r\n".encode() for n in names) + b"\r\n"
    buffer = b"".join(b"HTTP/1.1 %d Info\r\n\r\n" % code for code in informational) + final + extra
    head, seen = split_head(buffer)
    assert head == final
    assert seen == informational


def test_drop_header_keeps_everything_else() -> None:
    head = b"HTTP/1.1 200 OK\r\nA: 1\r\nTransfer-Encoding: chunked\r\nB: 2\r\n\r\n"
    assert drop_header(head, b"transfer-encoding") == b"HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\n\r\n"


@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(
    text=st.text(
        alphabet=st.characters(codec="cp1252", exclude_categories=("Cs", "Cc")), max_size=200
    ),
    declared=st.sampled_from(["header", "meta"]),
)
def test_declared_charsets_decode_exactly(text: str, declared: str) -> None:
    title = text.replace("<", "").replace("&", "").strip() or "x"
    html = f'<html><head><meta charset="windows-1252"><title>{title}</title></head></html>'
    body = html.encode("cp1252")
    content_type = "text/html; charset=windows-1252" if declared == "header" else "text/html"
    charset, source = sniff_charset(body, content_type)
    assert (charset, source) == ("cp1252", declared)
    read = read_page(
        body,
        content_type=content_type,
        content_encoding=None,
        url="http://a.example/",
        limit=1 << 20,
        raw_truncated=False,
    )
    assert read.page.title == " ".join(title.split())


@pytest.mark.parametrize(
    ("text", "value"),
    [("64M", 64 << 20), ("1GiB", 1 << 30), ("500k", 500 << 10), ("1234", 1234), ("2 mb", 2 << 20)],
)
def test_parse_size(text: str, value: int) -> None:
    assert parse_size(text) == value


def test_parse_size_rejects_words() -> None:
    with pytest.raises(InvalidInputError):
        parse_size("lots")


def test_settings_from_config_overridden_by_flags(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        '[capture]\nuser_agent = "Agent/1"\nmax_redirects = 3\n'
        'headers = { "Accept-Language" = "fr" }\n'
    )
    settings = load_capture_settings(
        config, {"max_redirects": 7, "headers": {"X-Case": "1"}, "proxy": None}
    )
    assert settings.user_agent == "Agent/1"
    assert settings.max_redirects == 7
    assert settings.headers == {"Accept-Language": "fr", "X-Case": "1"}
    config.write_text('[capture]\nproxy = "ftp://nope"\n')
    with pytest.raises(InvalidInputError) as info:
        load_capture_settings(config)
    assert "proxy" in info.value.message
    config.write_text("[capture]\nmax_redirect = 3\n")
    with pytest.raises(InvalidInputError):
        load_capture_settings(config)


@settings(
    suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None, max_examples=40
)
@given(
    body=st.binary(max_size=5000),
    request_body=st.binary(max_size=100),
    names=st.lists(TOKEN, max_size=4),
)
def test_warc_round_trip(
    tmp_path_factory: pytest.TempPathFactory, body: bytes, request_body: bytes, names: list[str]
) -> None:
    folder = tmp_path_factory.mktemp("warc")
    spool = Spool(lambda: folder, "body", threshold=1024)
    spool.write(body)
    spool.close()
    assert (spool.path is None) == (len(body) <= 1024)
    head = b"HTTP/1.1 200 OK\r\n" + b"".join(f"X-{n}:  v \r\n".encode() for n in names) + b"\r\n"
    request = b"POST /p HTTP/1.1\r\nHost: a.example\r\n\r\n" + request_body
    digest = "sha256:" + hashlib.sha256(body).hexdigest()
    hop = Hop(
        index=0,
        url="http://a.example/p",
        method="GET",
        started="2026-03-01T09:00:00.000001Z",
        ended="2026-03-01T09:00:01.000000Z",
        status=200,
        http_version="HTTP/1.1",
        remote_ip="192.0.2.1",
        body=Body(size=len(body), sha256=digest),
        warc_request_id="<urn:uuid:00000000-0000-4000-8000-000000000001>",
        warc_response_id="<urn:uuid:00000000-0000-4000-8000-000000000002>",
    )
    wire = WireHop(
        hop=hop,
        request_bytes=request,
        response_head=head,
        body=spool,
        payload_digest=digest,
        block_digest="sha256:" + hashlib.sha256(head + body).hexdigest(),
    )
    sink = io.BytesIO()
    builder = WarcBuilder(sink)
    builder.warcinfo("<urn:uuid:00000000-0000-4000-8000-000000000000>", hop.started, {"a": "b"})
    builder.exchange(wire, "<urn:uuid:00000000-0000-4000-8000-000000000000>")
    record = json.dumps({"k": "v"}).encode()
    builder.metadata(
        hop.url,
        "<urn:uuid:00000000-0000-4000-8000-000000000003>",
        hop.ended,
        record,
        hop.warc_response_id,
        "<urn:uuid:00000000-0000-4000-8000-000000000000>",
    )
    sink.seek(0)
    seen = []
    for rec in ArchiveIterator(sink, check_digests="raise"):
        raw = rec.raw_stream.read()
        head_bytes = rec.http_headers.headers_buff if rec.http_headers else b""
        seen.append((rec.rec_type, head_bytes, raw))
    assert [s[0] for s in seen] == ["warcinfo", "response", "request", "metadata"]
    assert seen[1][2] == body
    assert seen[2][2] == request_body
    assert seen[3][2] == record


def test_records_made_before_keyed_hashing_still_read_and_check() -> None:
    from cybercase.collect.record import Redaction
    from cybercase.evidence.keys.redaction import check_secret

    old = {
        "where": "attempt 1 hop 0 request",
        "header": "Cookie",
        "sha256": "sha256:" + hashlib.sha256(b"sid=abc").hexdigest(),
        "placeholder": "[redacted by cybercase: sha256:…]",
    }
    redaction = Redaction.model_validate(old)
    assert redaction.algorithm == "sha256" and redaction.key_id is None
    assert redaction.digest == old["sha256"]
    assert check_secret(b"sid=abc", redaction.digest, _KEY).matches
    assert not check_secret(b"sid=abd", redaction.digest, _KEY).matches
