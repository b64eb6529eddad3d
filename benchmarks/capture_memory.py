"""Benchmark: peak memory of ``cybercase capture`` on a 1 GiB response (target < 150 MB).

A local server generates the body on the fly (never held in memory). The capture runs in
its own process with a 2 GiB body limit, so the whole GiB is streamed to disk, hashed,
written into the WARC and committed; the peak resident set size of that process is read
with ``getrusage(RUSAGE_CHILDREN)``. ``curl -o /dev/null`` on the same URL is timed too,
as the peer for speed. The capture runs with ``--no-browser``: a browser is a set of
processes of its own (Chromium's main process alone holds about 200 MB whatever the page),
and ``RUSAGE_CHILDREN`` would report the largest of them instead of cybercase's.
Usage: ``python benchmarks/capture_memory.py [--size-mib 1024]``.
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
LIMIT_MB = 150


class Handler(BaseHTTPRequestHandler):
    """Serves /big?size=N bytes of a repeated pattern."""

    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""

    def do_GET(self) -> None:
        """Stream the body."""
        size = int(self.path.rsplit("=", 1)[1])
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(size))
        self.end_headers()
        sent = 0
        try:
            while sent < size:
                part = BLOCK[: min(len(BLOCK), size - sent)]
                self.wfile.write(part)
                sent += len(part)
        except (BrokenPipeError, ConnectionResetError):
            return


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=1024)
    args = parser.parse_args()
    size = args.size_mib * 1024 * 1024
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/big?size={size}"
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
                f"{args.size_mib * 2}M",
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
        if done.returncode != 0:
            print(done.stderr, file=sys.stderr)
            return 1
        item = json.loads(done.stdout.splitlines()[0])
        warc = next(a for a in item["artifacts"] if a["role"] == "warc")
    server.shutdown()
    peak_mb = peak_kib * 1024 / 1e6
    print(f"body: {args.size_mib} MiB streamed from {url.split('/big')[0]}")
    print(
        f"cybercase capture: {elapsed:6.2f} s, {args.size_mib / elapsed:7.1f} MiB/s, "
        f"peak RSS {peak_mb:6.1f} MB (limit {LIMIT_MB} MB; setup peak {before * 1024 / 1e6:.1f} MB)"
    )
    print(f"  item {item['item']} outcome {item['outcome']}, WARC {warc['size']:,} bytes")
    if peer is not None:
        print(f"curl -o /dev/null : {peer:6.2f} s, {args.size_mib / peer:7.1f} MiB/s")
        print(f"ratio cybercase / curl (speed): {peer / elapsed:.2f}x")
    return 0 if peak_mb < LIMIT_MB and item["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
