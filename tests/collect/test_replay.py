"""The WARCs replay in pywb (the Webrecorder replay system), run as a real server."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from cybercase.collect.capture import capture_url
from cybercase.collect.config import CaptureSettings
from cybercase.evidence import Case, Signer
from tests.collect.helpers import artifact, object_path
from tests.fixtures.servers import PAGE_TITLE, LocalServer

pytest.importorskip("pywb", reason="pywb is installed with the test extras")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _python(code: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code, *args], cwd=cwd, capture_output=True, text=True, check=False
    )


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
    root = tmp_path / "pywb"
    root.mkdir()
    manager = "import sys; from pywb.manager.manager import main; main(sys.argv[1:])"
    assert _python(manager, "init", "evidence", cwd=root).returncode == 0
    for number, result in enumerate((redirect, chunked, zipped)):
        copy = tmp_path / f"E{number}.warc.gz"
        shutil.copyfile(object_path(case, artifact(result, "warc")), copy)
        added = _python(manager, "add", "evidence", str(copy), cwd=root)
        assert added.returncode == 0, added.stderr
    port = _free_port()
    server = subprocess.Popen(
        [
            sys.executable, "-c", "from pywb.apps.cli import wayback; wayback()",
            "-p", str(port), "-b", "127.0.0.1",
        ],
        cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}/evidence/mp_/"
        deadline = time.monotonic() + 30
        while True:
            try:
                status, _, _ = _get(base + http_server.url("/page"))
                break
            except (ConnectionError, urllib.error.URLError):
                assert time.monotonic() < deadline, "pywb did not start"
                time.sleep(0.2)
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
    finally:
        server.terminate()
        server.wait(timeout=10)
