"""Benchmark: appending 100,000 custody entries, then verifying them.

Appends entries one at a time (each one a durable, signed, fsync-ed commit, as ``cybercase
note`` does) and compares the time per entry of the last 10% with the first 10%: the
target is within 1.2x, i.e. appending does not slow down as the log grows. Then times a
full verification of the 100,000 entries (hash chain and every Ed25519 signature).
Peer for scale: appending the same lines with ``fsync`` from plain Python (no hashing,
no signature) shows what the durability alone costs.

    python benchmarks/log.py [--entries 100000]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._common import banner
from cybercase.evidence import Case, EntryDraft, Signer
from cybercase.evidence.verify import verify_case


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=100_000)
    args = parser.parse_args()
    n = args.entries
    banner(f"log: {n:,} appended entries")
    with tempfile.TemporaryDirectory(dir=Path.cwd()) as tmp:
        signer = Signer.ephemeral("Benchmark Officer")
        case = Case.create(
            Path(tmp) / "case",
            case_id="BENCH-LOG",
            title="log benchmark",
            agency="bench",
            signer=signer,
        )
        tenth = n // 10
        marks: list[float] = []
        start = time.perf_counter()
        for i in range(n):
            if i % tenth == 0:
                marks.append(time.perf_counter())
            case.append(signer, EntryDraft("note.added", (), {"text": f"observation {i}"}))
        marks.append(time.perf_counter())
        total = marks[-1] - start
        first = (marks[1] - marks[0]) / tenth
        last = (marks[-1] - marks[-2]) / tenth
        print(f"   append: {total:.1f} s in all, {total / n * 1e3:.3f} ms per entry")
        print(
            f"   first 10%: {first * 1e3:.3f} ms/entry   last 10%: {last * 1e3:.3f} ms/entry   "
            f"ratio last/first: {last / first:.2f}x   target <= 1.2x"
        )
        line = (Path(tmp) / "case" / "custody.jsonl").read_bytes().splitlines(keepends=True)[-1]
        fd = os.open(Path(tmp) / "plain.jsonl", os.O_WRONLY | os.O_CREAT | os.O_APPEND)
        t0 = time.perf_counter()
        for _ in range(tenth):
            os.write(fd, line)
            os.fsync(fd)
        plain = (time.perf_counter() - t0) / tenth
        os.close(fd)
        print(
            f"   peer (plain append + fsync, no hash/signature): {plain * 1e3:.3f} ms/entry; "
            f"cybercase/peer: {(total / n) / plain:.1f}x"
        )
        t0 = time.perf_counter()
        report = verify_case(Path(tmp) / "case")
        elapsed = time.perf_counter() - t0
        assert report.ok, report.findings[:3]
        print(
            f"   verify of {report.stats['entries']:,} entries: {elapsed:.1f} s "
            f"({report.stats['entries'] / elapsed:,.0f} entries/s)"
        )


if __name__ == "__main__":
    main()
