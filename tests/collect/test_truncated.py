"""A body cut at the size limit: said plainly everywhere, recorded, and read in bounded memory."""

from __future__ import annotations

import json
import subprocess
import sys
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cybercase.collect.html as html
from cybercase.collect.capture import capture_url
from cybercase.collect.config import CaptureSettings
from cybercase.evidence import Case, Signer
from cybercase.evidence.verify import verify_case
from tests.collect.helpers import artifact, object_path, read_warc, record_of
from tests.conftest import Cli
from tests.fixtures.servers import PAGE_HTML, LocalServer, send

LISTING = b"<!DOCTYPE html><html><head><title>Endless listing</title></head><body>" + (
    b"<p>Carved ivory bangle, old stock.</p>" * 200
)


def serve_listing(server: LocalServer) -> str:
    def listing(h: BaseHTTPRequestHandler) -> None:
        send(h, 200, LISTING, {"Content-Type": "text/html; charset=utf-8"})

    server.route("/endless-listing", listing)
    return server.url("/endless-listing")


def test_a_cut_body_is_an_incomplete_capture_in_the_signed_record(
    case: Case, signer: Signer, http_server: LocalServer
) -> None:
    url = serve_listing(http_server)
    cut = CaptureSettings(retries=0, images=False, max_body_bytes=22)
    result = capture_url(case, signer, url, cut)
    assert result.outcome == "truncated" and not result.ok
    assert result.status == 200
    assert "cut at the size limit, 22 bytes kept" in result.message
    assert f"of the {len(LISTING):,} the server declared" in result.message
    record = record_of(case, result)
    assert record["outcome"] == "truncated" and record["message"] == result.message
    body = record["attempts"][0]["hops"][0]["body"]
    assert body["truncated"] == "length" and body["size"] == 22
    assert record["page"]["text_truncated"] is True
    assert not [w for w in record["warnings"] if "16777216" in w or "bytes of the page" in w]
    entry = case.item(result.item_id).detail
    assert entry["outcome"] == "truncated" and entry["message"] == result.message
    records = read_warc(object_path(case, artifact(result, "warc")))
    [response] = [r for r in records if r.type == "response"]
    assert response.headers["WARC-Truncated"] == "length"
    assert response.payload == LISTING[:22]
    assert verify_case(case.root).ok


def test_a_body_within_the_limit_is_captured(
    case: Case, signer: Signer, http_server: LocalServer
) -> None:
    url = serve_listing(http_server)
    result = capture_url(
        case, signer, url, CaptureSettings(retries=0, images=False, max_body_bytes=len(LISTING))
    )
    assert result.outcome == "captured" and result.ok
    assert record_of(case, result)["warnings"] == []


def test_only_the_text_limit_warns_of_the_text_limit() -> None:
    read = html.read_page(
        LISTING,
        content_type="text/html",
        content_encoding=None,
        url="http://market.example/",
        limit=100,
        raw_truncated=False,
    )
    assert read.warnings == ["only the first 100 bytes of the page were read for text and links"]
    assert read.page.text_truncated
    cut = html.read_page(
        LISTING[:22],
        content_type="text/html",
        content_encoding=None,
        url="http://market.example/",
        limit=16 << 20,
        raw_truncated=True,
    )
    assert cut.warnings == [] and cut.page.text_truncated


def test_the_cli_says_incomplete_and_exits_1(
    cli: Cli, tmp_path: Path, http_server: LocalServer
) -> None:
    url = serve_listing(http_server)
    assert cli("key", "new", "--name", "Amina Okafor").code == 0
    assert cli("init", tmp_path / "c", "--id", "C", "--title", "t", "--agency", "a").code == 0
    args = ["capture", url, "-C", tmp_path / "c", "--no-browser", "--max-size", "22"]
    shown = cli(*args)
    assert shown.code == 1, shown.stderr
    assert "E0001 truncated HTTP 200" in shown.stderr
    assert "cut at the size limit, 22 bytes kept" in shown.stderr
    assert "1 failed" in shown.stderr
    as_json = cli(*args, "--json")
    assert as_json.code == 1
    item, summary = (json.loads(line) for line in as_json.stdout.splitlines())
    assert item["outcome"] == "truncated" and item["ok"] is False
    assert "22 bytes kept" in item["message"]
    assert summary["summary"]["failed"] == 1
    assert summary["summary"]["outcomes"] == {"truncated": 1}


PEAK_OF_READING = """
import resource, sys
import cybercase.collect.html as html
block = b'<div class="offer"><p>Carved <b>ivory</b> bangle &amp; horn.</p><a href="/l">l</a></div>'
page = b"<html><head><title>t</title></head><body>" + block * (16 * 1024 * 1024 // len(block))
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
read = html.read_page(page, content_type="text/html", content_encoding=None,
                      url="http://market.example/", limit=16 * 1024 * 1024, raw_truncated=True)
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
assert read.page.title == "t" and read.text.count("Carved ivory bangle & horn.") > 100000
print((after - before) // 1024)
"""


def test_reading_a_16_mib_page_stays_in_bounded_memory() -> None:
    """A tree of 16 MiB of dense markup held several hundred MB: the reader builds none."""
    done = subprocess.run(
        [sys.executable, "-c", PEAK_OF_READING], capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) < 64, f"{done.stdout.strip()} MB more to read a 16 MiB page"


TAGS = ["p", "div", "b", "br", "td", "li", "span", "script", "style", "title", "svg", "a", "img"]
PIECES = st.one_of(
    st.sampled_from(["text", " ", "\n", "\t", "&amp;", "\u00a0", "é", "象", "<!-- c -->"]),
    st.sampled_from(TAGS).map(lambda t: f"<{t}>"),
    st.sampled_from(TAGS).map(lambda t: f"</{t}>"),
    st.integers(0, 9).map(lambda n: f'<a href="/l{n}#f">'),
    st.integers(0, 9).map(lambda n: f'<img src="/i{n}.jpg">'),
    st.just('<base href="/dir/">'),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(PIECES, max_size=60), st.integers(1, 40))
def test_the_page_reads_the_same_whatever_the_pieces_it_arrives_in(
    parts: list[str], chunk: int
) -> None:
    data = "".join(parts).encode("utf-8")
    args = {
        "content_type": "text/html",
        "content_encoding": None,
        "url": "http://market.example/a/b",
        "limit": 1 << 20,
        "raw_truncated": False,
    }
    whole = html.read_page(data, **args)  # type: ignore[arg-type]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(html, "FEED_CHUNK", chunk)
        pieces = html.read_page(data, **args)  # type: ignore[arg-type]
    assert (pieces.page, pieces.text) == (whole.page, whole.text)
    assert "\x00" not in whole.text and not (whole.page.title or "").count("\x00")


def test_the_reader_keeps_what_the_tree_reader_found() -> None:
    """Title, links, images and text of the test page, as before the streaming reader."""
    read = html.read_page(
        PAGE_HTML,
        content_type="text/html; charset=utf-8",
        content_encoding=None,
        url="http://127.0.0.1/page",
        limit=1 << 20,
        raw_truncated=False,
    )
    assert read.page.title
    assert "https://chat.example/seller42" in read.page.links
    assert read.text.endswith("\n") and "\n\n" not in read.text
