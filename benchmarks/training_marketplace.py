"""How fast the training marketplace answers, beside Python's own static file server.

The demo and classroom batch captures fetch every listing and photo from the
marketplace, so it must never be the slow part. The peer is ``http.server``
(``python -m http.server``'s handler, switched to HTTP/1.1 keep-alive like ours)
serving a static snapshot of the very same pages and photos from a temporary folder:
what a trainer would get by saving the site and serving it as files. Both run on
127.0.0.1 in this process, are hit by the same httpx client, and the ratio is printed.

    python benchmarks/training_marketplace.py [--rounds 40] [--threads 4]
"""

from __future__ import annotations

import argparse
import functools
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx

from cybercase.training import Marketplace, catalogue


class _KeepAliveHandler(SimpleHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: object) -> None:
        """Quiet, like the marketplace."""


def _paths() -> list[str]:
    paths = ["/", *(item.path for item in catalogue.LISTINGS)]
    paths += [owner.path for owner in catalogue.SELLERS]
    paths += [photo.path for photo in catalogue.PHOTOS]
    return paths


def _snapshot(market: Marketplace, folder: Path, paths: list[str]) -> None:
    """Save each page as a file so the peer serves identical bytes."""
    with httpx.Client(base_url=market.url) as http:
        for path in paths:
            target = folder / ("index.html" if path == "/" else path.lstrip("/"))
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(http.get(path).content)


def _run(base: str, paths: list[str], rounds: int, threads: int) -> float:
    """Requests per second for ``rounds`` passes over ``paths`` on ``threads`` clients."""

    def worker(_: int) -> int:
        done = 0
        with httpx.Client(base_url=base) as http:
            for _ in range(rounds):
                for path in paths:
                    response = http.get(path)
                    response.raise_for_status()
                    done += 1
        return done

    start = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        total = sum(pool.map(worker, range(threads)))
    return total / (time.perf_counter() - start)


def _best(measure: Callable[[], float], repeat: int = 3) -> float:
    return max(measure() for _ in range(repeat))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()
    paths = _paths()

    starts = []
    for _ in range(5):
        t0 = time.perf_counter()
        with Marketplace(port=0) as market:
            httpx.get(market.url)
        starts.append(time.perf_counter() - t0)

    with Marketplace(port=0) as market, tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        _snapshot(market, folder, paths)
        handler = functools.partial(_KeepAliveHandler, directory=str(folder))
        peer = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        thread = threading.Thread(target=peer.serve_forever, daemon=True)
        thread.start()
        peer_url = f"http://127.0.0.1:{peer.server_address[1]}"
        peer_paths = ["/index.html" if p == "/" else p for p in paths]
        try:
            rows = []
            for threads in (1, args.threads):
                ours = _best(functools.partial(_run, market.url, paths, args.rounds, threads))
                theirs = _best(functools.partial(_run, peer_url, peer_paths, args.rounds, threads))
                rows.append((threads, ours, theirs))
        finally:
            peer.shutdown()
            peer.server_close()
        assert market.errors == [], market.errors

    print(f"requests per pass: {len(paths)} (pages and photos), passes: {args.rounds}")
    print(f"marketplace start + first page + stop: {statistics.median(starts) * 1000:.0f} ms")
    print(f"{'clients':>7}  {'cybercase req/s':>16}  {'http.server req/s':>18}  ratio")
    for threads, ours, theirs in rows:
        print(f"{threads:>7}  {ours:>16,.0f}  {theirs:>18,.0f}  {ours / theirs:.2f}x")


if __name__ == "__main__":
    main()
