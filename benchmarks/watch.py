"""Benchmark: a ``watch run`` pass beside a plain ``capture --from`` of the same list.

Serves N listing pages (about 12 KB of HTML, a price and one photo each) from a local
threaded server on 127.0.0.1. Two cases are prepared the same way: one watches every
URL and has had its first ``watch run``; the other has had one ``capture --from`` of
the list. Then, pass after pass, ``--changed`` percent of the listings change (half
their price, half their photo) and, in the same run, the script times:

* ``cybercase capture --from LIST --no-browser`` into the plain case (the peer: the
  same captures, no comparison), and
* ``cybercase watch run --all --no-browser`` into the watched case: the same captures,
  each compared with the one before (record and text read back, prices, images by
  SHA-256 and perceptual hash, a text diff for the pages that changed) and an
  ``item.compared`` entry signed for each, plus the run's start and finish entries.

Both include process start-up and key unlock; the two commands of a pass run back to
back, in alternating order from pass to pass, and each one's CPU seconds (user and
system, from the kernel's accounting of the child) are printed beside its wall time,
because on a shared machine the wall time swings with other work. It checks that the watch run found
exactly the changed listings, and prints the best time of each over the passes and
the ratio of those, and the median of each pass's ratio (both timed back to back, so a
busy machine weighs on both alike): the cost of comparing. Target: under 20 % extra.
Usage: ``python benchmarks/watch.py [--pages 1000] [--changed 5] [--passes 3] [--jobs 4]``.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

PASSPHRASE = "benchmark passphrase"
CYBERCASE = [
    sys.executable,
    "-c",
    "import sys; from cybercase.cli.app import main; sys.exit(main())",
]


def make_photo(seed: int) -> bytes:
    """A small JPEG whose picture depends on ``seed``."""
    from PIL import Image, ImageDraw

    rng = random.Random(seed)
    img = Image.new("RGB", (96, 72))
    draw = ImageDraw.Draw(img)
    for row in range(6):
        for col in range(8):
            shade = rng.randrange(256)
            draw.rectangle(
                (col * 12, row * 12, col * 12 + 11, row * 12 + 11), fill=(shade, 90, 255 - shade)
            )
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=85)
    return buf.getvalue()


class Shop:
    """Listing N: its price and its photo's seed, changed between passes."""

    def __init__(self, pages: int) -> None:
        self.prices = {n: 1000 + n for n in range(pages)}
        self.photos = {n: n for n in range(pages)}
        self._cache: dict[int, bytes] = {}
        self.lock = threading.Lock()

    def page(self, n: int) -> bytes:
        rows = "".join(
            f'<li><a href="/related/{n}/{i}">Related item {i}</a> carved bangle, hand made, '
            f"shipping worldwide ({n}-{i})</li>\n"
            for i in range(70)
        )
        return (
            f"<!doctype html><html><head><meta charset='utf-8'><title>Listing {n}: ivory "
            f"carving</title></head><body><h1>Listing {n}</h1>"
            f"<p class='price'>Price: USD {self.prices[n]:,}</p>"
            f"<p>Sold by <a href='/seller/s{n % 40}'>s{n % 40}</a></p>"
            f"<img src='/photo/{n}.jpg' alt='photo'><ul>{rows}</ul></body></html>"
        ).encode()

    def photo(self, n: int) -> bytes:
        seed = self.photos[n]
        with self.lock:
            if seed not in self._cache:
                self._cache[seed] = make_photo(seed)
            return self._cache[seed]

    def change(self, share: float, rng: random.Random) -> set[int]:
        """Change ``share`` of the listings (half price, half photo); returns which."""
        chosen = rng.sample(sorted(self.prices), round(len(self.prices) * share))
        for index, n in enumerate(chosen):
            if index % 2:
                self.photos[n] += 100_000
            else:
                self.prices[n] -= 10
        return set(chosen)


def serve(shop: Shop) -> ThreadingHTTPServer:
    """The shop on 127.0.0.1, an ephemeral port."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            """Quiet."""

        def do_GET(self) -> None:
            parts = self.path.strip("/").split("/")
            if len(parts) == 2 and parts[0] == "photo":
                body, kind = shop.photo(int(parts[1].split(".")[0])), "image/jpeg"
            elif len(parts) == 2 and parts[0] == "listing":
                body, kind = shop.page(int(parts[1])), "text/html; charset=utf-8"
            else:
                body, kind = b"not here", "text/plain"
            head = (
                f"HTTP/1.1 200 OK\r\nContent-Type: {kind}\r\nContent-Length: {len(body)}\r\n\r\n"
            ).encode()
            self.wfile.write(head + body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.request_queue_size = 128
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(command: list[str], env: dict[str, str], cwd: Path) -> tuple[float, str]:
    """Time one command; its stdout. A failing command ends the benchmark."""
    elapsed, _cpu, out = run_timed(command, env, cwd)
    return elapsed, out


def run_timed(command: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float, str]:
    """Wall and CPU seconds (user + system) of one command, and its stdout.

    CPU time is what comparing costs, free of the waits for a busy disk or other
    processes that make wall times on a shared machine swing by half.
    """
    cpu = _children_cpu()
    start = time.perf_counter()
    done = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"failed ({done.returncode}): {' '.join(command[3:6])}\n{done.stderr}")
    return elapsed, _children_cpu() - cpu, done.stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--changed", type=float, default=5.0, help="percent changed per pass")
    parser.add_argument("--passes", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=4)
    args = parser.parse_args()
    shop = Shop(args.pages)
    server = serve(shop)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    urls = [f"{base}/listing/{n}" for n in range(args.pages)]
    rng = random.Random(13)
    speed = ["--jobs", str(args.jobs), "--per-host", str(args.jobs), "--no-browser", "--json"]
    ok = True
    with tempfile.TemporaryDirectory(prefix="cc-watch-bench-") as tmp:
        work = Path(tmp)
        (work / "urls.txt").write_text("\n".join(urls) + "\n")
        env = {
            **os.environ,
            "CYBERCASE_HOME": str(work / "home"),
            "CYBERCASE_PASSPHRASE": PASSPHRASE,
        }
        for name in ("CYBERCASE_CASE", "CYBERCASE_CONFIG", "CYBERCASE_KEY"):
            env.pop(name, None)
        plain, watched = str(work / "plain"), str(work / "watched")
        run([*CYBERCASE, "key", "new", "--name", "Bench Investigator"], env, work)
        for folder in (plain, watched):
            run(
                [*CYBERCASE, "init", folder, "--id", "BENCH", "--title", "b", "--agency", "a"],
                env,
                work,
            )
        run(
            [
                *CYBERCASE,
                "capture",
                "--from",
                "urls.txt",
                "-C",
                plain,
                "--batch",
                "p0",
                *speed,
                "--retries",
                "0",
            ],
            env,
            work,
        )
        run(
            [*CYBERCASE, "watch", "add", *urls, "--every", "1d", "--no-browser", "-C", watched],
            env,
            work,
        )
        run([*CYBERCASE, "watch", "run", "-C", watched, *speed], env, work)
        capture_times, watch_times, capture_cpu, watch_cpu = [], [], [], []
        for number in range(1, args.passes + 1):
            changed = shop.change(args.changed / 100, rng)
            capture_command = [
                *CYBERCASE,
                "capture",
                "--from",
                "urls.txt",
                "-C",
                plain,
                "--batch",
                f"p{number}",
                *speed,
                "--retries",
                "0",
            ]
            watch_command = [*CYBERCASE, "watch", "run", "--all", "-C", watched, *speed]
            # Alternate which goes first, so a machine getting busier or quieter during a
            # pass weighs on both sides alike over the passes.
            if number % 2:
                capture_time, capture_seconds, _ = run_timed(capture_command, env, work)
                watch_time, watch_seconds, out = run_timed(watch_command, env, work)
            else:
                watch_time, watch_seconds, out = run_timed(watch_command, env, work)
                capture_time, capture_seconds, _ = run_timed(capture_command, env, work)
            events = [json.loads(line) for line in out.splitlines() if '"event"' in line]
            found = {int(e["url"].rsplit("/", 1)[1]) for e in events if e["verdict"] == "changed"}
            unchanged = sum(1 for e in events if e["verdict"] == "unchanged")
            right = found == changed and unchanged == args.pages - len(changed)
            ok = ok and right
            capture_times.append(capture_time)
            watch_times.append(watch_time)
            capture_cpu.append(capture_seconds)
            watch_cpu.append(watch_seconds)
            print(
                f"pass {number}: capture --from {capture_time:6.2f} s "
                f"({capture_seconds:5.2f} s CPU)"
                f"   watch run {watch_time:6.2f} s ({watch_seconds:5.2f} s CPU)   "
                f"ratio {watch_time / capture_time:.3f} (CPU {watch_seconds / capture_seconds:.3f})"
                f"   {len(found)} of {len(changed)} changed listings found, {unchanged} unchanged"
                + ("" if right else "   WRONG")
            )
    server.shutdown()
    server.server_close()
    best_capture, best_watch = min(capture_times), min(watch_times)
    print(f"-- {args.pages} watched URLs, {args.changed:g}% changed per pass, jobs {args.jobs} --")
    for label, best in (("capture --from ", best_capture), ("watch run --all", best_watch)):
        rate = args.pages / best
        print(f"{label} (best of {args.passes}): {best:7.2f} s {rate:7.1f} pages/s")
    ratio = best_watch / best_capture
    print(f"ratio of the best times       : {ratio:.3f}x ({(ratio - 1) * 100:+.1f}% for comparing)")
    paired = statistics.median(w / c for w, c in zip(watch_times, capture_times, strict=True))
    print(
        f"median of the passes' ratios  : {paired:.3f}x ({(paired - 1) * 100:+.1f}% for comparing)"
    )
    cpu = sum(watch_cpu) / sum(capture_cpu)
    print(f"CPU seconds, all passes       : {cpu:.3f}x ({(cpu - 1) * 100:+.1f}% for comparing)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
