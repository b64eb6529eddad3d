"""Benchmark: ``cybercase capture --from`` against ``wget --warc-file -i`` on the same pages.

Serves distinct listing pages (about 10 KB of HTML each) from a local threaded server on
127.0.0.1 and prints, in ONE run, every figure of issue 17's acceptance:

1. 300 pages, server answering at once, ``-j 8``: pages/s of both, ratio (target >= 0.5x);
2. 1,000 pages answering at once, ``-j 8`` (target >= 0.7x);
3. 1,000 pages with ``--latency-ms`` (20 ms) per page, ``-j 16`` (target >= 5x): wget
   fetches one page after the other, as ``wget -i`` does;
4. CPU seconds per page of both (user + system of the child process, from
   ``resource.getrusage(RUSAGE_CHILDREN)``, start-up included; target within 3x wget's);
5. the browser: ``cybercase capture`` with its screenshot, PDF, DOM and MHTML per page,
   in pages/s beside a bare Playwright loop (``goto`` then a full-page screenshot) driving
   the same Chromium (``executable_path``).

Each cybercase run is a new process, as a user's or a script's is: start-up, key unlock
(scrypt, a deliberate cost) and case open are included, exactly as in wget's figure. wget
writes one WARC (per-record gzip, SHA-1 digests) and renders nothing; cybercase writes one
WARC per page into the content-addressed store, reads title/links/text, builds and stores
the capture record and commits one signed ``item.acquired`` entry per page durably (group
commit). Every run is checked: both tools got every page, and ``cybercase verify`` passes.

Ratios compare both sides measured in the same run (the machine is shared, absolute
figures move); a ratio above 1 means cybercase is faster.

    python benchmarks/capture.py [--latency-ms 20] [--browser-pages 12] [--browser PATH]
    python benchmarks/capture.py --only 300          # one scenario, while working
"""

from __future__ import annotations

import argparse
import compileall
import gzip
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

PASSPHRASE = "benchmark passphrase"
CYBERCASE = [sys.executable, "-m", "cybercase"]


def page(n: int) -> bytes:
    """A listing page of about 10 KB."""
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


@contextmanager
def serving(latency_ms: float) -> Iterator[str]:
    """A threaded page server on 127.0.0.1; yields its base URL."""
    handler = type("LatencyHandler", (Handler,), {"latency": latency_ms / 1000})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    server.request_queue_size = 128
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@dataclass(frozen=True)
class Timed:
    """One command's wall-clock and CPU time (seconds)."""

    wall: float
    cpu: float
    done: subprocess.CompletedProcess[str]


def run(command: list[str], env: dict[str, str], cwd: Path) -> Timed:
    """Run one command; its wall time and its (and its children's) CPU time."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Timed(wall, cpu, done)


class Workspace:
    """A user folder (key), a case and a URL list in a temporary folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.env = {
            **os.environ,
            "CYBERCASE_HOME": str(folder / "home"),
            "CYBERCASE_PASSPHRASE": PASSPHRASE,
        }
        for name in ("CYBERCASE_CASE", "CYBERCASE_CONFIG", "CYBERCASE_KEY"):
            self.env.pop(name, None)
        self.case = str(folder / "case")
        for setup in (
            [*CYBERCASE, "key", "new", "--name", "Bench Investigator"],
            [*CYBERCASE, "init", self.case, "--id", "BENCH", "--title", "b", "--agency", "a"],
        ):
            subprocess.run(setup, env=self.env, cwd=folder, check=True, capture_output=True)

    def urls(self, base: str, pages: int, start: int = 0) -> str:
        """Write the list of ``pages`` distinct URLs; returns its file name."""
        (self.folder / "urls.txt").write_text(
            "".join(f"{base}/listing/{n}\n" for n in range(start, start + pages))
        )
        return "urls.txt"

    def capture(self, jobs: int, *extra: str) -> Timed:
        """``cybercase capture --from urls.txt --json -j N`` into the case."""
        return run(
            [
                *CYBERCASE,
                "capture",
                "--from",
                "urls.txt",
                "-C",
                self.case,
                "--json",
                "-j",
                str(jobs),
                "--per-host",
                str(jobs),
                *extra,
            ],
            self.env,
            self.folder,
        )

    def verify(self) -> str:
        """``cybercase verify``'s result for the case (objects re-hashed)."""
        done = run([*CYBERCASE, "verify", "-C", self.case, "--json"], self.env, self.folder)
        return str(json.loads(done.done.stdout)["result"])


def summary_of(timed: Timed) -> dict[str, int]:
    """The closing ``--json`` summary of a capture (an error printed, then exit)."""
    if timed.done.returncode not in (0, 1) or not timed.done.stdout.strip():
        print(timed.done.stderr, file=sys.stderr)
        raise SystemExit(f"cybercase capture failed with exit {timed.done.returncode}")
    return dict(json.loads(timed.done.stdout.splitlines()[-1])["summary"])


@dataclass(frozen=True)
class Figures:
    """Both tools on one scenario."""

    pages: int
    wget: Timed
    ours: Timed
    ok: bool

    @property
    def ratio(self) -> float:
        """cybercase's pages/s over wget's."""
        return self.wget.wall / self.ours.wall

    @property
    def cpu_ratio(self) -> float:
        """cybercase's CPU seconds per page over wget's."""
        return self.ours.cpu / max(self.wget.cpu, 1e-6)


def scenario(tmp: Path, pages: int, jobs: int, latency_ms: float) -> Figures:
    """Time wget and cybercase on the same fresh pages; print both lines and the ratio."""
    folder = Path(tempfile.mkdtemp(prefix=f"s{pages}-", dir=tmp))
    space = Workspace(folder)
    with serving(latency_ms) as base:
        space.urls(base, pages)
        wget = run(
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
            space.env,
            folder,
        )
        with gzip.open(folder / "wget.warc.gz", "rb") as fh:
            wget_pages = fh.read().count(b"WARC-Type: response")
        ours = space.capture(jobs, "--no-browser")
        summary = summary_of(ours)
    result = space.verify()
    ok = summary["ok"] == pages and wget_pages == pages and result == "passed"
    figures = Figures(pages, wget, ours, ok)
    print(f"-- {pages} pages of {len(page(1))} bytes, server latency {latency_ms:g} ms --")
    for label, timed, note in (
        ("wget --warc-file -i", wget, f"{wget_pages} responses"),
        (f"cybercase capture -j {jobs}", ours, f"{summary['ok']} items, verify {result}"),
    ):
        print(
            f"   {label:<24} {timed.wall:7.2f} s {pages / timed.wall:8.1f} pages/s   "
            f"CPU {timed.cpu * 1e3 / pages:6.2f} ms/page   ({note})"
        )
    print(
        f"   ratio (cybercase pages/s / wget's): {figures.ratio:.2f}x;   "
        f"CPU per page cybercase / wget: {figures.cpu_ratio:.2f}x"
    )
    shutil.rmtree(folder, ignore_errors=True)
    return figures


def _playwright_loop(executable: Path, urls: list[str], shots: Path) -> float:
    """The peer: one Chromium page, ``goto`` then a full-page screenshot, URL after URL."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(executable), headless=True)
        start = time.perf_counter()
        page_ = browser.new_page()
        for n, url in enumerate(urls):
            page_.goto(url, wait_until="load")
            page_.screenshot(path=str(shots / f"{n}.png"), full_page=True)
        elapsed = time.perf_counter() - start
        browser.close()
    return elapsed


def browser_scenario(tmp: Path, pages: int, jobs: int, executable: Path) -> tuple[float, bool]:
    """cybercase capture with the browser against a bare Playwright loop; the ratio."""
    folder = Path(tempfile.mkdtemp(prefix="browser-", dir=tmp))
    space = Workspace(folder)
    shots = folder / "shots"
    shots.mkdir()
    with serving(0.0) as base:
        # Distinct pages for each side, so neither reads the other's cache.
        peer_urls = [f"{base}/listing/{n}" for n in range(10_000, 10_000 + pages)]
        peer = _playwright_loop(executable, peer_urls, shots)
        space.urls(base, pages)
        ours = space.capture(jobs, "--browser", str(executable))
        summary = summary_of(ours)
    result = space.verify()
    ok = summary["ok"] == pages and result == "passed"
    print(f"-- browser: {pages} pages, {executable} --")
    print(
        f"   Playwright goto + full-page screenshot {peer:7.2f} s "
        f"{pages / peer:6.2f} pages/s   (launch not counted)"
    )
    print(
        f"   cybercase capture -j {jobs} (browser)    {ours.wall:7.2f} s "
        f"{pages / ours.wall:6.2f} pages/s   (start-up, launch, screenshot+PDF+DOM+MHTML, "
        f"{summary['ok']} items, verify {result})"
    )
    ratio = peer / ours.wall
    print(f"   ratio (cybercase pages/s / Playwright loop's): {ratio:.2f}x")
    shutil.rmtree(folder, ignore_errors=True)
    return ratio, ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--browser-pages", type=int, default=12)
    parser.add_argument("--browser", type=Path, default=Path("/usr/bin/chromium"))
    parser.add_argument(
        "--only", choices=["300", "1000", "latency", "browser"], help="run one scenario"
    )
    args = parser.parse_args()
    if shutil.which("wget") is None:
        print("wget is not installed (apt-get install wget)", file=sys.stderr)
        return 3
    # Byte-compiled, as an installed package is (pip compiles it): an editable install
    # under PYTHONDONTWRITEBYTECODE=1 would compile every module again in each process.
    compileall.compile_dir(Path(__file__).resolve().parents[1] / "cybercase", quiet=1)
    print(
        f"machine: {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}, "
        f"python {sys.version.split()[0]}"
    )
    checks: list[tuple[str, float, float, bool]] = []
    ok = True
    with tempfile.TemporaryDirectory(prefix="cc-bench-") as name:
        tmp = Path(name)
        if args.only in (None, "300"):
            small = scenario(tmp, 300, 8, 0.0)
            checks.append(("300 pages instant, pages/s vs wget", small.ratio, 0.5, True))
            ok = small.ok and ok
        if args.only in (None, "1000"):
            large = scenario(tmp, 1000, 8, 0.0)
            checks.append(("1,000 pages instant, pages/s vs wget", large.ratio, 0.7, True))
            checks.append(
                ("CPU s per page (1,000 instant), cybercase/wget", large.cpu_ratio, 3.0, False)
            )
            ok = large.ok and ok
        if args.only in (None, "latency") and args.latency_ms > 0:
            slow = scenario(tmp, 1000, 16, args.latency_ms)
            checks.append(
                (f"1,000 pages at {args.latency_ms:g} ms -j 16, vs wget", slow.ratio, 5.0, True)
            )
            ok = slow.ok and ok
        if args.only in (None, "browser") and args.browser_pages > 0:
            if args.browser.exists():
                ratio, fine = browser_scenario(tmp, args.browser_pages, 4, args.browser)
                checks.append(("browser pages/s vs Playwright loop", ratio, 0.0, True))
                ok = fine and ok
            else:
                print(f"-- browser: {args.browser} not found, skipped --")
    print("-- acceptance (issue 17) --")
    for label, value, target, higher in checks:
        if target == 0.0:
            print(f"   {label:<48} {value:6.2f}x   (reported)")
            continue
        held = value >= target if higher else value <= target
        sign = ">=" if higher else "<="
        print(
            f"   {label:<48} {value:6.2f}x   target {sign} {target:g}x   "
            + ("held" if held else "NOT held")
        )
    if not ok:
        print("some run did not capture every page or did not verify", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
