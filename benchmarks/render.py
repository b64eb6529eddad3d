"""Benchmark: captures per second with and without the browser, and the renderer alone.

Serves N listing-like pages (HTML, a stylesheet, two images, text added by a script)
from a server on 127.0.0.1, then in the same run:

1. fetches every page with httpx (one client, the HTML only: the raw capture's floor);
2. renders every page with ONE cybercase Renderer and a pool of P pages, writing the
   screenshot, PDF, rendered DOM and MHTML of each into a temporary folder: once as
   before, and once with every request recorded through the recording proxy
   (``record_traffic``, what captures do since issue 19);
3. runs ``cybercase capture --from`` on the list three times, into fresh cases: with
   ``--no-browser`` (WARC, record, text, images), with the browser but its traffic not
   recorded (``CYBERCASE_BROWSER_TRAFFIC=off``: the browser view as it was before), and
   with the browser and all its traffic in the WARC (the default), each a signed durable
   custody entry.

Prints pages per second for each and their ratios. Targets on a 2-core machine: whole
captures with the browser at >= 2 pages per second; recording all the browser's traffic
at >= 0.8x the rate without. Timings are printed, never asserted.

    python benchmarks/render.py [--pages 100] [--pool 4] [--browser PATH]
"""

from __future__ import annotations

import argparse
import os
import struct
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx

from cybercase.collect.browser import Renderer, RenderOptions


def _png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    raw = (b"\x00" + bytes(rgb) * width) * height
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = chunk(b"IDAT", zlib.compress(raw))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + idat + chunk(b"IEND", b"")


STYLE = b"body{font:16px sans-serif;margin:24px;max-width:900px} .price{color:#b00;font-size:2em}"
IMAGES = {f"/img/{n}.png": _png(320, 240, (40 * n % 256, 90, 160)) for n in range(8)}


def page(n: int) -> bytes:
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>Listing {n}</title>
<link rel="stylesheet" href="/style.css"></head><body>
<h1>Carved item no. {n}</h1><img src="/img/{n % 8}.png" width="320" height="240">
<p class="price" id="price"></p><p>{"Description of the item. " * 40}</p>
<div style="height:1200px"></div><img loading="lazy" src="/img/{(n + 1) % 8}.png">
<script>addEventListener('load', () => {{
  document.getElementById('price').textContent = 'USD ' + ({n} * 17 + 250);
}});</script></body></html>""".encode()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""

    def do_GET(self) -> None:
        if self.path in IMAGES:
            self._send("image/png", IMAGES[self.path])
        elif self.path == "/style.css":
            self._send("text/css", STYLE)
        elif self.path.startswith("/listing/"):
            self._send("text/html; charset=utf-8", page(int(self.path.rsplit("/", 1)[1])))
        else:
            self.send_error(404)

    def _send(self, media_type: str, body: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Type", media_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=100)
    parser.add_argument("--pool", type=int, default=4)
    parser.add_argument("--browser", type=Path, default=None)
    args = parser.parse_args()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    urls = [f"{base}/listing/{n}" for n in range(args.pages)]

    start = time.perf_counter()
    with httpx.Client() as client:
        for url in urls:
            client.get(url).raise_for_status()
    raw_seconds = time.perf_counter() - start

    rates: dict[bool, float] = {}
    incomplete: list[str] = []
    version = ""
    launched = 0.0
    # Alternate the two modes so that a busy machine slows both alike.
    for record in (False, True, False, True):
        with tempfile.TemporaryDirectory() as tmp:
            launch = time.perf_counter()
            options = RenderOptions(record_traffic=record)
            with Renderer(args.browser, pool_size=args.pool, options=options) as renderer:
                launched = time.perf_counter() - launch
                start = time.perf_counter()
                futures = [
                    renderer.submit(url, Path(tmp) / f"{n:04d}") for n, url in enumerate(urls)
                ]
                results = [future.result() for future in futures]
                seconds = time.perf_counter() - start
            version = f"{renderer.info.name} {renderer.info.version}"
        rates[record] = rates.get(record, 0.0) + seconds
        incomplete += [r.url for r in results if not r.complete or len(r.files) != 4]
        if record:
            missing = [r.url for r in results if r.traffic is None or len(r.traffic.exchanges) < 4]
            incomplete += missing
    raw_rate = args.pages / raw_seconds
    browser_rate = 2 * args.pages / rates[False]
    recorded_rate = 2 * args.pages / rates[True]
    print(
        f"pages: {args.pages}, pool: {args.pool}, browser: {version}, started in {launched:.2f} s"
    )
    print(f"httpx raw fetch     : {raw_rate:8.1f} pages/s  ({raw_seconds:.2f} s)")
    print(f"cybercase Renderer  : {browser_rate:8.2f} pages/s  (2 runs, {rates[False]:.2f} s)")
    print(f"  + traffic recorded: {recorded_rate:8.2f} pages/s  (2 runs, {rates[True]:.2f} s)")
    print(f"ratio browser/httpx : {browser_rate / raw_rate:8.4f}")
    print(f"ratio recorded/not  : {recorded_rate / browser_rate:8.4f}  (target >= 0.8)")
    print(f"target >= 2 pages/s : {'met' if browser_rate >= 2 else 'NOT met'}")
    if incomplete:
        print(f"{len(incomplete)} page(s) incomplete, e.g. {incomplete[0]}", file=sys.stderr)
        return 1
    plain, unrecorded, rendered = whole_captures(urls, args.browser)
    print(f"capture --no-browser: {args.pages / plain:8.2f} pages/s  ({plain:.2f} s)")
    print(
        f"capture, browser    : {args.pages / unrecorded:8.2f} pages/s  ({unrecorded:.2f} s)"
        "  traffic not recorded"
    )
    print(
        f"capture, browser    : {args.pages / rendered:8.2f} pages/s  ({rendered:.2f} s)"
        "  all traffic in the WARC"
    )
    print(f"ratio with/without  : {plain / rendered:8.4f}")
    print(f"ratio recorded/not  : {unrecorded / rendered:8.4f}  (target >= 0.8)")
    print(f"target >= 2 pages/s : {'met' if args.pages / rendered >= 2 else 'NOT met'}")
    server.shutdown()
    return 0


def _quiet(args: list[str], env: dict[str, str]) -> None:
    """Run one command, its output discarded: only how long it takes matters here."""
    subprocess.run(args, env=env, check=True, stdout=subprocess.DEVNULL)


def whole_captures(urls: list[str], browser: Path | None) -> tuple[float, float, float]:
    """Seconds for ``cybercase capture --from``: no browser, browser unrecorded, recorded."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        env = dict(
            os.environ,
            CYBERCASE_HOME=str(root / "home"),
            CYBERCASE_PASSPHRASE="benchmark passphrase",
        )
        env.pop("CYBERCASE_CONFIG", None)
        cc = [sys.executable, "-m", "cybercase"]
        _quiet([*cc, "key", "new", "--name", "Bench"], env)
        listing = root / "urls.txt"
        listing.write_text("\n".join(urls) + "\n")
        times = []
        runs: tuple[tuple[str, list[str], str], ...] = (
            ("plain", ["--no-browser"], "on"),
            ("unrecorded", [], "off"),
            ("browser", [], "on"),
        )
        for name, extra, traffic in runs:
            if browser is not None and extra == []:
                extra = ["--browser", str(browser)]
            run_env = dict(env, CYBERCASE_BROWSER_TRAFFIC=traffic)
            _quiet(
                [*cc, "init", str(root / name), "--id", name, "--title", "b", "--agency", "b"],
                run_env,
            )
            start = time.perf_counter()
            _quiet(
                [
                    *cc,
                    "capture",
                    "--from",
                    str(listing),
                    "--case",
                    str(root / name),
                    "--json",
                    "--jobs",
                    "4",
                    "--per-host",
                    "4",
                    *extra,
                ],
                run_env,
            )
            times.append(time.perf_counter() - start)
            _quiet([*cc, "verify", "--case", str(root / name), "--no-log", "--json"], run_env)
        return times[0], times[1], times[2]


if __name__ == "__main__":
    sys.exit(main())
