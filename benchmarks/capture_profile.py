"""Profile: where ``cybercase capture`` spends its time, fixed cost and per page.

Prints the breakdown published in benchmarks/README.md (issue 17):

* start-up: the interpreter, ``import typer``, ``cybercase capture --help`` and the
  library a capture imports, each a fresh process (median of 7);
* the key unlock (scrypt, n=2^15 r=8 p=1: a deliberate cost, not weakened) and opening a
  case of 1,000 items;
* per page, CPU time (``time.process_time``) of each step of a sequential capture of N
  pages from a local server in another process: fetching with the wire recorded, reading
  the HTML, building the record, writing the WARC, storing objects, building and signing
  the entry, and the commit (log append, fsync, head).

The per-page steps are timed by wrapping the library's functions in this process, one
capture after the other, so each figure is that step's own CPU time (the wrappers cost
about a microsecond each).

    python benchmarks/capture_profile.py [--pages 300]
"""

from __future__ import annotations

import argparse
import compileall
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PASSPHRASE = "profile passphrase"
SERVER = """
import sys
sys.path.insert(0, sys.argv[1])
from http.server import ThreadingHTTPServer
from benchmarks.capture import Handler
server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
print(server.server_address[1], flush=True)
server.serve_forever()
"""


def median_ms(command: list[str], repeat: int = 7) -> float:
    """Median wall time of a fresh process, in ms."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3


def startup() -> None:
    """Fixed cost of a process, step by step."""
    py = sys.executable
    rows = [
        ("python -c pass", [py, "-c", "pass"]),
        ("python -c 'import typer'", [py, "-c", "import typer"]),
        ("cybercase --help", [py, "-m", "cybercase", "--help"]),
        ("cybercase capture --help", [py, "-m", "cybercase", "capture", "--help"]),
        (
            "import what capture uses",
            [py, "-c", "import cybercase.cli.app, cybercase.collect.session, pydantic"],
        ),
    ]
    print("-- start-up (fresh process, median of 7) --")
    for label, command in rows:
        print(f"   {label:<34} {median_ms(command):7.1f} ms")


class Steps:
    """CPU time spent in wrapped functions (outermost call only, per step)."""

    def __init__(self) -> None:
        self.cpu: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self._depth: dict[str, int] = defaultdict(int)

    def wrap(self, owner: Any, name: str, step: str) -> None:
        """Time ``owner.name`` (a module function or a method) as ``step``."""
        original: Callable[..., Any] = getattr(owner, name)
        steps = self

        def timed(*args: Any, **kwargs: Any) -> Any:
            if steps._depth[step]:
                return original(*args, **kwargs)
            steps._depth[step] += 1
            start = time.process_time()
            try:
                return original(*args, **kwargs)
            finally:
                steps.cpu[step] += time.process_time() - start
                steps.calls[step] += 1
                steps._depth[step] -= 1

        setattr(owner, name, timed)


def per_page(pages: int) -> None:
    """Sequential captures in this process, each step timed."""
    from cybercase.collect import capture as capture_mod
    from cybercase.collect import commit as commit_mod
    from cybercase.collect.capture import open_capturer
    from cybercase.collect.commit import CaptureRequest
    from cybercase.collect.config import CaptureSettings
    from cybercase.collect.record import CaptureRecord
    from cybercase.evidence import Case, KeyRing
    from cybercase.evidence import case as case_mod
    from cybercase.evidence.log import jsonl as log_mod
    from cybercase.evidence.store import ObjectStore

    server = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(ROOT)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert server.stdout is not None
        port = int(server.stdout.readline())
        with tempfile.TemporaryDirectory() as name:
            tmp = Path(name)
            ring = KeyRing(tmp / "home")
            identity = ring.create("Profile", None, PASSPHRASE)
            stored = ring.find(identity.fingerprint)
            unlocks = []
            for _ in range(5):
                start = time.perf_counter()
                signer = ring.unlock(stored, PASSPHRASE)
                unlocks.append(time.perf_counter() - start)
            case = Case.create(tmp / "case", case_id="PROF", title="p", agency="a", signer=signer)
            settings = CaptureSettings(images=False, retries=0)
            capturer = open_capturer(case, signer, settings)
            urls = [f"http://127.0.0.1:{port}/listing/{n}" for n in range(pages)]
            capturer.prepare(CaptureRequest(url=urls[0]))  # warm: first-use imports
            steps = Steps()
            steps.wrap(capturer.fetcher, "fetch", "fetch + wire recording")
            steps.wrap(capture_mod, "read_page", "HTML parsing (title, links, text)")
            steps.wrap(capture_mod, "CaptureRecord", "record building (model)")
            steps.wrap(CaptureRecord, "to_bytes", "record serialising (JSON)")
            steps.wrap(capture_mod, "write_item_files", "WARC writing (incl. its objects)")
            steps.wrap(ObjectStore, "put_bytes", "object store writes")
            steps.wrap(case_mod, "build_entry", "entry: canonical JSON, hash, sign")
            steps.wrap(ObjectStore, "sync", "commit: objects durable (syncfs)")
            steps.wrap(log_mod, "append", "commit: log append + fsync")
            steps.wrap(log_mod, "write_head", "commit: signed head + fsync")
            steps.wrap(capturer, "prepare", "prepare (all of one page)")
            steps.wrap(commit_mod, "commit_captures", "commit (all, groups of 50)")
            start_cpu, start_wall = time.process_time(), time.perf_counter()
            prepared = []
            for url in urls:
                prepared.append(capturer.prepare(CaptureRequest(url=url, typed=url)))
                if len(prepared) == 50:
                    commit_mod.commit_captures(case, signer, prepared)
                    prepared = []
            if prepared:
                commit_mod.commit_captures(case, signer, prepared)
            cpu = time.process_time() - start_cpu
            wall = time.perf_counter() - start_wall
            capturer.close()
            opens = []
            for _ in range(3):
                start = time.perf_counter()
                Case.open(case.root)
                opens.append(time.perf_counter() - start)
    finally:
        server.kill()
        server.wait()
    print("-- key unlock and case open --")
    unlock_ms = statistics.median(unlocks) * 1e3
    open_ms = statistics.median(opens) * 1e3
    print(f"   key unlock (scrypt n=2^15, r=8, p=1)  {unlock_ms:7.1f} ms")
    print(f"   open the case ({pages + 1} entries)       {open_ms:7.1f} ms")
    print(f"-- per page: {pages} pages in sequence, CPU ms/page (wall {wall / pages * 1e3:.2f}) --")
    print(f"   {'everything':<36} {cpu / pages * 1e3:6.3f}")
    for step, seconds in steps.cpu.items():
        print(f"   {step:<36} {seconds / pages * 1e3:6.3f}   ({steps.calls[step]} calls)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=300)
    args = parser.parse_args()
    # Byte-compiled, as an installed package is (see benchmarks/help_speed.py).
    compileall.compile_dir(ROOT / "cybercase", quiet=1)
    startup()
    per_page(args.pages)


if __name__ == "__main__":
    main()
