"""Benchmark: peak memory of ``cybercase capture`` on a 1 GiB response (target < 100 MB).

A local server generates the body on the fly (never held in memory). The capture runs in
its own process with a 2 GiB body limit, so the whole GiB is streamed to disk, hashed,
written into the WARC and committed; the peak resident set size of that process is read
with ``getrusage(RUSAGE_CHILDREN)``. ``curl -o /dev/null`` on the same URL is timed too,
as the peer for speed. The capture runs with ``--no-browser``: a browser is a set of
processes of its own (Chromium's main process alone holds about 200 MB whatever the page),
and ``RUSAGE_CHILDREN`` would report the largest of them instead of cybercase's.
With ``--html`` the body is an HTML page (so it is also read for its title, links and
text, up to the text limit), and ``--max-size-mib`` cuts it at the body limit, as a
hostile server's endless page would be: the capture is then expected to end
``truncated`` (exit 1), with the cut recorded.
Usage: ``python benchmarks/capture_memory.py [--size-mib 1024] [--html] [--max-size-mib 256]``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

PASSPHRASE = "benchmark passphrase"
BLOCK = (b"ivory pangolin rhino horn " * 2600)[: 256 * 1024]
HTML_HEAD = b"<!DOCTYPE html><html><head><title>Endless listing</title></head><body>\n"
HTML_BLOCK = (
    b'<div class="offer"><p>Carved <b>ivory</b> bangle, pangolin scales &amp; horn.</p>'
    b'<a href="/listing/42">listing</a> <img src="/photo.jpg"></div>\n' * 2000
)[: 256 * 1024]
LIMIT_MB = 100


class Handler(BaseHTTPRequestHandler):
    """Serves /big?size=N bytes of a repeated pattern."""

    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""

    def do_GET(self) -> None:
        """Stream the body."""
        if "size=" not in self.path:
            self.send_error(404)
            return
        html = "/page?" in self.path
        size = int(self.path.rsplit("=", 1)[1])
        self.send_response(200)
        self.send_header(
            "Content-Type", "text/html; charset=utf-8" if html else "application/octet-stream"
        )
        self.send_header("Content-Length", str(size))
        self.end_headers()
        sent = 0
        block = HTML_BLOCK if html else BLOCK
        try:
            if html:
                self.wfile.write(HTML_HEAD)
                sent += len(HTML_HEAD)
            while sent < size:
                part = block[: min(len(block), size - sent)]
                self.wfile.write(part)
                sent += len(part)
        except (BrokenPipeError, ConnectionResetError):
            return


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--html", action="store_true", help="serve an HTML page")
    parser.add_argument(
        "--max-size-mib", type=int, default=None, help="body limit (default: twice the size)"
    )
    args = parser.parse_args()
    size = args.size_mib * 1024 * 1024
    limit_mib = args.max_size_mib or args.size_mib * 2
    cut = limit_mib < args.size_mib
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    path = "page" if args.html else "big"
    url = f"http://127.0.0.1:{server.server_address[1]}/{path}?size={size}"
    cybercase = [
        sys.executable,
        "-c",
        "import sys; from cybercase.cli.app import main; sys.exit(main())",
    ]
    peer = None
    if shutil.which("curl"):
        start = time.perf_counter()
        subprocess.run(["curl", "-s", "-o", os.devnull, url], check=True)
        peer = time.perf_counter() - start
    with tempfile.TemporaryDirectory(prefix="cc-mem-") as tmp:
        work = Path(tmp)
        env = {
            **os.environ,
            "CYBERCASE_HOME": str(work / "home"),
            "CYBERCASE_PASSPHRASE": PASSPHRASE,
        }
        for setup in (
            [*cybercase, "key", "new", "--name", "Bench Investigator"],
            [
                *cybercase,
                "init",
                str(work / "case"),
                "--id",
                "MEM",
                "--title",
                "m",
                "--agency",
                "a",
            ],
        ):
            subprocess.run(setup, env=env, check=True, capture_output=True)
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        start = time.perf_counter()
        done = subprocess.run(
            [
                *cybercase,
                "capture",
                url,
                "-C",
                str(work / "case"),
                "--json",
                "--max-size",
                f"{limit_mib}M",
                "--timeout",
                "900",
                "--retries",
                "0",
                "--no-browser",
            ],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        elapsed = time.perf_counter() - start
        peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        if not done.stdout.strip():
            print(done.stderr, file=sys.stderr)
            return 1
        item = json.loads(done.stdout.splitlines()[0])
        warc = next(a for a in item["artifacts"] if a["role"] == "warc")
    server.shutdown()
    peak_mb = peak_kib * 1024 / 1e6
    kind = "HTML" if args.html else "binary"
    print(f"body: {args.size_mib} MiB of {kind} served, limit {limit_mib} MiB, from {url}")
    print(
        f"cybercase capture: {elapsed:6.2f} s, {args.size_mib / elapsed:7.1f} MiB/s, "
        f"peak RSS {peak_mb:6.1f} MB (limit {LIMIT_MB} MB; setup peak {before * 1024 / 1e6:.1f} MB)"
    )
    print(
        f"  item {item['item']} outcome {item['outcome']}, exit {done.returncode}, "
        f"WARC {warc['size']:,} bytes"
    )
    if peer is not None:
        print(f"curl -o /dev/null : {peer:6.2f} s, {args.size_mib / peer:7.1f} MiB/s")
        print(f"ratio cybercase / curl (speed): {peer / elapsed:.2f}x")
    expected = (
        item["outcome"] == "truncated" and done.returncode == 1
        if cut
        else item["ok"] and done.returncode == 0
    )
    return 0 if peak_mb < LIMIT_MB and expected else 1


if __name__ == "__main__":
    sys.exit(main())
