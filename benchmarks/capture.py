"""Benchmark: ``cybercase capture --from`` against ``wget --warc-file`` on the same pages.

Serves N distinct listing pages (about 12 KB of HTML each) from a local threaded server on
127.0.0.1, then, in the same run, times:

* ``wget --warc-file`` fetching every URL of the list (one process, keep-alive, WARC with
  its default per-record gzip and SHA-1 digests), and
* ``cybercase capture --from --no-browser`` on the same list (wget renders nothing;
  the browser's cost is in ``benchmarks/render.py``): every page in its own WARC, hashed
  into the object store, read for title/links/text, with a signed ``item.acquired`` entry committed
  durably (group commit), process start-up and key unlock included.

It checks that both produced every page, prints pages per second and the ratio. It runs
twice: with the server answering at once (the tools' own cost), and with the server
taking ``--latency-ms`` (20 ms by default) per page, as any remote marketplace does
(real ones answer in 50-500 ms), where concurrency pays.
Usage: ``python benchmarks/capture.py [--pages 1000] [--jobs 4] [--latency-ms 20]``.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

PASSPHRASE = "benchmark passphrase"


def page(n: int) -> bytes:
    """A listing page of about 12 KB."""
    rows = "".join(
        f'<li><a href="/listing/{n}/{i}">Related item {i}</a> carved ivory bangle, '
        f"hand made, shipping worldwide, price on request ({n}-{i})</li>\n"
        for i in range(80)
    )
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>Listing {n}: ivory "
        f"carving</title></head><body><h1>Listing {n}</h1><ul>{rows}</ul></body></html>"
    ).encode()


class Handler(BaseHTTPRequestHandler):
    """Serves /listing/N, after ``latency`` seconds."""

    protocol_version = "HTTP/1.1"
    latency = 0.0

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""

    def do_GET(self) -> None:
        """One page."""
        try:
            n = int(self.path.rsplit("/", 1)[1])
        except ValueError:
            n = 0
        if self.latency:
            time.sleep(self.latency)
        body = page(n)
        # One write for head and body: split writes meet Nagle and delayed ACKs on
        # keep-alive connections (40 ms a page), which would measure TCP, not the tools.
        head = (
            "HTTP/1.1 200 OK\r\nServer: bench\r\nContent-Type: text/html; charset=utf-8\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode()
        self.wfile.write(head + body)


def run(
    command: list[str], env: dict[str, str], cwd: Path
) -> tuple[float, subprocess.CompletedProcess[str]]:
    """Time one command."""
    start = time.perf_counter()
    done = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, check=False)
    return time.perf_counter() - start, done


def scenario(pages: int, jobs: int, latency_ms: float) -> bool:
    """Time both tools on one server; print the figures; True when both got every page."""
    handler = type("LatencyHandler", (Handler,), {"latency": latency_ms / 1000})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    server.request_queue_size = 128
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    cybercase = [
        sys.executable,
        "-c",
        "import sys; from cybercase.cli.app import main; sys.exit(main())",
    ]
    with tempfile.TemporaryDirectory(prefix="cc-bench-") as tmp:
        work = Path(tmp)
        urls = [f"{base}/listing/{n}" for n in range(pages)]
        (work / "urls.txt").write_text("\n".join(urls) + "\n")
        env = {
            **os.environ,
            "CYBERCASE_HOME": str(work / "home"),
            "CYBERCASE_PASSPHRASE": PASSPHRASE,
        }
        env.pop("CYBERCASE_CASE", None)
        env.pop("CYBERCASE_CONFIG", None)
        case = str(work / "case")
        for setup in (
            [*cybercase, "key", "new", "--name", "Bench Investigator"],
            [*cybercase, "init", case, "--id", "BENCH", "--title", "b", "--agency", "a"],
        ):
            subprocess.run(setup, env=env, cwd=work, check=True, capture_output=True)
        wget_time, wget = run(
            [
                "wget",
                "--quiet",
                "--tries=1",
                "--warc-file=wget",
                "-i",
                "urls.txt",
                "-O",
                "/dev/null",
            ],
            env,
            work,
        )
        with gzip.open(work / "wget.warc.gz", "rb") as fh:
            wget_pages = fh.read().count(b"WARC-Type: response")
        cc_time, cc = run(
            [
                *cybercase,
                "capture",
                "--from",
                "urls.txt",
                "-C",
                case,
                "--json",
                "-j",
                str(jobs),
                "--per-host",
                str(jobs),
                "--no-images",
                "--no-browser",
                "--retries",
                "0",
            ],
            env,
            work,
        )
        if cc.returncode != 0:
            print(cc.stderr, file=sys.stderr)
            return False
        summary = json.loads(cc.stdout.splitlines()[-1])["summary"]
        verify_time, verify = run(
            [*cybercase, "verify", "-C", case, "--no-log", "--json"], env, work
        )
        verified = json.loads(verify.stdout)
    server.shutdown()
    server.server_close()
    wget_rate = pages / wget_time
    cc_rate = pages / cc_time
    print(f"-- {pages} pages of {len(page(1))} bytes, server latency {latency_ms:g} ms --")
    print(
        f"wget --warc-file         : {wget_time:7.2f} s {wget_rate:8.1f} pages/s "
        f"({wget_pages} responses in its WARC, exit {wget.returncode})"
    )
    print(
        f"cybercase capture -j {jobs:<3} : {cc_time:7.2f} s {cc_rate:8.1f} pages/s "
        f"({summary['ok']} items: WARC + record + text each, signed, committed durably)"
    )
    print(f"ratio cybercase / wget   : {cc_rate / wget_rate:.2f}x")
    print(
        f"cybercase verify         : {verify_time:7.2f} s, {verified['result']}, "
        f"{verified['stats'].get('objects')} objects re-hashed"
    )
    return summary["ok"] == pages and wget_pages == pages and verified["result"] == "passed"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--jobs", type=int, default=4)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    args = parser.parse_args()
    if shutil.which("wget") is None:
        print("wget is not installed (apt-get install wget)", file=sys.stderr)
        return 3
    ok = scenario(args.pages, args.jobs, 0.0)
    if args.latency_ms > 0:
        ok = scenario(args.pages, max(args.jobs, 16), args.latency_ms) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
