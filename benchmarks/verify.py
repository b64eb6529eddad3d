"""Benchmark: ``cybercase verify`` against ``sha256sum`` over the same ~1 GiB of files.

Builds a case holding about 1 GiB in many files of mixed sizes, then times, in the same
run and with a warm page cache, ``sha256sum`` over every object file and ``cybercase
verify`` of the case (which also checks the chain and every signature). Prints the
throughput of each and the ratio. Target: cybercase >= 0.8x sha256sum.

    python benchmarks/verify.py [--size-mib 1024] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._common import banner, cybercase_cmd, env_with, timed
from cybercase.evidence import Case, Signer


def build_case(root: Path, total_mib: int) -> list[Path]:
    """A case with ~total_mib MiB in files from 4 KiB to 16 MiB (random content)."""
    signer = Signer.ephemeral("Benchmark Officer")
    case = Case.create(
        root / "case", case_id="BENCH-1", title="verify benchmark", agency="bench", signer=signer
    )
    rng = random.Random(1)
    src = root / "src"
    src.mkdir()
    target = total_mib * 1024 * 1024
    written = 0
    batch: list[Path] = []
    n = 0
    while written < target:
        size = min(
            rng.choice([4096, 65536, 512 * 1024, 2 * 1024 * 1024, 16 * 1024 * 1024]),
            target - written,
        )
        path = src / f"f{n:05d}.bin"
        path.write_bytes(os.urandom(size))
        batch.append(path)
        written += size
        n += 1
        if len(batch) == 200:
            case.add_files(signer, batch)
            for p in batch:
                p.unlink()
            batch = []
    if batch:
        case.add_files(signer, batch)
    shutil.rmtree(src)
    return [p for p in (root / "case" / "objects" / "sha256").rglob("*") if p.is_file()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=1024)
    args = parser.parse_args()
    banner("verify: cybercase verify vs sha256sum")
    with tempfile.TemporaryDirectory(dir=Path.cwd()) as tmp:
        root = Path(tmp)
        files = build_case(root, args.size_mib)
        total = sum(p.stat().st_size for p in files)
        listing = root / "files.txt"
        listing.write_text("\n".join(str(p) for p in files) + "\n")
        peer = ["xargs", "-a", str(listing), "-d", "\\n", "sha256sum"]
        ours = [*cybercase_cmd(), "verify", "--case", str(root / "case"), "--no-log", "--json"]
        env = env_with()
        peer_parallel = [
            "xargs",
            "-a",
            str(listing),
            "-d",
            "\\n",
            "-P",
            str(os.cpu_count() or 2),
            "-n",
            "32",
            "sha256sum",
        ]
        timed(peer, repeat=1)  # warm the page cache for both
        t_peer = timed(peer, repeat=3)
        t_peer_par = timed(peer_parallel, repeat=3)
        t_ours = timed(ours, env=env, repeat=3)
        mib = total / 1024 / 1024
        print(f"   {len(files)} files, {mib:.0f} MiB")
        print(f"   sha256sum:        {t_peer:7.2f} s  {mib / t_peer:8.1f} MiB/s")
        cores = os.cpu_count()
        print(f"   sha256sum -P{cores}:    {t_peer_par:7.2f} s  {mib / t_peer_par:8.1f} MiB/s")
        print(f"   cybercase verify: {t_ours:7.2f} s  {mib / t_ours:8.1f} MiB/s")
        print(
            f"   ratio (cybercase throughput / sha256sum throughput): {t_peer / t_ours:.2f}x"
            "   target >= 0.8x"
        )
        print(f"   ratio against sha256sum run on every core: {t_peer_par / t_ours:.2f}x")


if __name__ == "__main__":
    main()
