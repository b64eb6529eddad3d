"""Videos of a captured page: an MP4 ``<video>`` and an HLS stream, stored, hashed, playable."""

from __future__ import annotations

import functools
import hashlib
import json
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from cybercase.collect.actions import ITEM_MEDIA
from cybercase.collect.video_find import find_video_sources
from cybercase.evidence import Case
from cybercase.evidence.verify import verify_case
from cybercase.report.verify import verify_package
from tests.conftest import Cli

PAGES = {
    "mp4.html": "<html><body><h1>Parrot for sale</h1><video controls>"
    '<source src="media/clip.mp4" type="video/mp4"></video></body></html>',
    "hls.html": "<html><body><h1>Live tortoise stream</h1>"
    '<video controls src="/media/hls/stream.m3u8"></video></body></html>',
    "broken.html": '<html><body><video src="media/gone.mp4"></video></body></html>',
    "slow.html": '<html><body><video src="slow.mp4"></video></body></html>',
}
SLOW_CHUNKS = 200


class _Quiet(SimpleHTTPRequestHandler):
    extensions_map = {  # noqa: RUF012 - the base class declares it so
        **SimpleHTTPRequestHandler.extensions_map,
        ".m3u8": "application/vnd.apple.mpegurl",
        ".ts": "video/mp2t",
        ".mp4": "video/mp4",
    }

    def log_message(self, format: str, *args: Any) -> None:
        """Silent."""

    def do_GET(self) -> None:
        """``/slow.mp4`` trickles 1 KiB every 50 ms (10 s in all); the rest are files."""
        if self.path != "/slow.mp4":
            super().do_GET()
            return
        self.send_response(200)
        self.send_header("Content-Type", "video/mp4")
        self.send_header("Content-Length", str(SLOW_CHUNKS * 1024))
        self.end_headers()
        try:
            for _ in range(SLOW_CHUNKS):
                self.wfile.write(b"\0" * 1024)
                self.wfile.flush()
                time.sleep(0.05)
        except OSError:
            return


def ffmpeg(*args: str | Path) -> None:
    subprocess.run(
        ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", *map(str, args)],
        check=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def media_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Pages with videos made by ffmpeg, served on 127.0.0.1 (a free port)."""
    root = tmp_path_factory.mktemp("media-site")
    (root / "media" / "hls").mkdir(parents=True)
    clip = root / "media" / "clip.mp4"
    ffmpeg(
        "-f", "lavfi", "-i", "testsrc=duration=3:size=160x120:rate=10", "-g", "10",
        "-c:v", "libx264", "-pix_fmt", "yuv420p", "-movflags", "+faststart", clip,
    )  # fmt: skip
    ffmpeg(
        "-i", clip, "-c", "copy", "-f", "hls", "-hls_time", "1", "-hls_playlist_type", "vod",
        root / "media" / "hls" / "stream.m3u8",
    )  # fmt: skip
    for name, body in PAGES.items():
        (root / name).write_text(body, encoding="utf-8")
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def capture(cli: Cli, case: Case, url: str, *flags: str) -> tuple[int, dict[str, Any]]:
    done = cli("capture", url, "--case", case.root, "--json", "--no-images", "--video", *flags)
    summary = json.loads(done.stdout.splitlines()[-1])
    return done.code, summary


def media_entry(case: Case, item_id: str) -> Any:
    case.refresh()
    entries = [e for e in case.item_entries(item_id) if e.action == ITEM_MEDIA]
    assert len(entries) == 1
    return entries[0]


def ffprobe(path: Path) -> dict[str, Any]:
    done = subprocess.run(
        ["ffprobe", "-v", "error", "-show_streams", "-show_format", "-of", "json", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    data: dict[str, Any] = json.loads(done.stdout)
    return data


@pytest.mark.browser
@pytest.mark.parametrize("page", ["mp4.html", "hls.html"])
def test_the_video_is_stored_hashed_and_playable(
    cli: Cli, case: Case, media_site: str, tmp_path: Path, page: str
) -> None:
    assert shutil.which("ffprobe"), "ffmpeg (ffprobe) is needed: apt-get install ffmpeg"
    code, summary = capture(cli, case, f"{media_site}/{page}")
    assert code == 0, summary
    [media] = summary["media"]
    entry = media_entry(case, media["item"])
    [video] = entry.detail["videos"]
    assert video["outcome"] == "stored", video
    assert video["source"].endswith(("clip.mp4", "stream.m3u8"))
    roles = {a["role"]: a for a in entry.detail["artifacts"]}
    data = case.read_object(roles["video"]["digest"])
    assert roles["video"]["digest"] == "sha256:" + hashlib.sha256(data).hexdigest()
    assert video["digest"] == roles["video"]["digest"] and video["size"] == len(data)
    copy = tmp_path / roles["video"]["name"].rsplit("/", 1)[-1]
    copy.write_bytes(data)
    probe = ffprobe(copy)
    [stream] = [s for s in probe["streams"] if s["codec_type"] == "video"]
    assert (stream["width"], stream["height"]) == (160, 120)
    assert float(probe["format"]["duration"]) > 2.5

    info = json.loads(case.read_object(roles["video-info"]["digest"]))
    assert info["id"] and info["webpage_url"] == video["source"]
    assert "http_headers" not in json.dumps(info) and "filepath" not in info
    assert video["info"]["id"] == info["id"]
    assert case.root.as_posix() not in json.dumps(info)
    report = verify_case(case.root)
    assert report.ok, [f.line() for f in report.findings]
    if page == "mp4.html":
        done = cli("export", "--case", case.root, "--out", tmp_path / "out", "--no-pdf", "--json")
        assert done.code == 0, done.stderr
        package = next(p for p in (tmp_path / "out").iterdir() if p.is_dir())
        assert verify_package(package).ok
        exported = [p for p in package.rglob("*.mp4") if p.read_bytes() == data]
        assert exported, "the video travels in the package"


@pytest.mark.browser
def test_a_video_that_cannot_be_fetched_is_a_recorded_outcome(
    cli: Cli, case: Case, media_site: str
) -> None:
    code, summary = capture(cli, case, f"{media_site}/broken.html")
    assert code == 1
    [video] = media_entry(case, summary["media"][0]["item"]).detail["videos"]
    assert video["outcome"] == "failed" and video["digest"] is None
    assert "404" in video["message"]


@pytest.mark.browser
def test_the_size_limit_is_an_outcome_too(cli: Cli, case: Case, media_site: str) -> None:
    code, summary = capture(cli, case, f"{media_site}/mp4.html", "--max-video-size", "1K")
    assert code == 1
    entry = media_entry(case, summary["media"][0]["item"])
    [video] = entry.detail["videos"]
    assert video["outcome"] == "too-large", video
    assert entry.detail["artifacts"] == []
    assert entry.detail["limits"]["max_bytes"] == 1024


@pytest.mark.browser
def test_the_time_limit_stops_a_slow_video(cli: Cli, case: Case, media_site: str) -> None:
    code, summary = capture(cli, case, f"{media_site}/slow.html", "--max-video-time", "1")
    assert code == 1
    [video] = media_entry(case, summary["media"][0]["item"]).detail["videos"]
    assert video["outcome"] == "timeout", video
    assert video["digest"] is None


def test_sources_are_found_in_video_source_and_links() -> None:
    html = (
        '<base href="https://cdn.example/v/"><video src="a.mp4"><source src="b.webm"></video>'
        '<source src="not-in-a-video.mp4"><a href="/live/x.m3u8">live</a>'
        '<a href="page.html">page</a><video src="blob:https://x/1"></video>'
    )
    assert find_video_sources(html, "https://shop.example/listing") == [
        "https://cdn.example/v/a.mp4",
        "https://cdn.example/v/b.webm",
        "https://cdn.example/live/x.m3u8",
    ]
