"""The WARCs replay in pywb (the Webrecorder replay system), run as a real server."""

from __future__ import annotations

import urllib.error
import urllib.request
from pathlib import Path

import pytest

from cybercase.collect.capture import capture_url
from cybercase.collect.config import CaptureSettings
from cybercase.evidence import Case, Signer
from tests.collect.helpers import artifact, object_path
from tests.fixtures.pywb import pywb_replay
from tests.fixtures.servers import PAGE_TITLE, LocalServer

pytest.importorskip("pywb", reason="pywb is installed with the test extras")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def _get(url: str) -> tuple[int, dict[str, str], bytes]:
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(url, timeout=20) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


@pytest.mark.slow
def test_captures_replay_in_pywb(
    case: Case, signer: Signer, http_server: LocalServer, tmp_path: Path
) -> None:
    settings = CaptureSettings(retries=0)
    redirect = capture_url(case, signer, http_server.url("/redirect/2"), settings)
    chunked = capture_url(case, signer, http_server.url("/chunked"), settings)
    zipped = capture_url(case, signer, http_server.url("/gzip"), settings)
    warcs = [object_path(case, artifact(r, "warc")) for r in (redirect, chunked, zipped)]
    with pywb_replay(tmp_path / "pywb", warcs, http_server.url("/page")) as base:
        status, _, _ = _get(base + http_server.url("/page"))
        assert status == 200
        status, headers, _ = _get(base + http_server.url("/redirect/2"))
        assert status in (301, 302)
        assert headers["Location"].endswith(http_server.url("/redirect/1"))
        for path in ("/page", "/chunked", "/gzip"):
            status, _, body = _get(base + http_server.url(path))
            assert status == 200, path
            assert PAGE_TITLE.encode() in body, path
        status, _, body = _get(base + http_server.url("/photo.jpg"))
        assert status == 200 and body[:3] == b"\xff\xd8\xff"
