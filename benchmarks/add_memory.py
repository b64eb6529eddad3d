"""Benchmark: peak memory of ``cybercase add`` on a 2 GiB file (target < 100 MB).

Hashing and copying stream through one buffer, so memory must not grow with the file.
Also times ``cp`` + ``sha256sum`` of the same file as the peer (what a careful person
would do by hand) and prints the ratio.

    python benchmarks/add_memory.py [--size-gib 2]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._common import banner, cybercase_cmd, env_with


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-gib", type=float, default=2.0)
    args = parser.parse_args()
    size = int(args.size_gib * 1024**3)
    banner(f"add: peak memory importing a {args.size_gib:g} GiB file")
    with tempfile.TemporaryDirectory(dir=Path.cwd()) as tmp:
        root = Path(tmp)
        big = root / "video.bin"
        chunk = os.urandom(8 * 1024 * 1024)
        with big.open("wb") as fh:
            for _ in range(size // len(chunk)):
                fh.write(chunk)
            fh.write(chunk[: size % len(chunk)])
        env = env_with(CYBERCASE_HOME=str(root / "home"), CYBERCASE_PASSPHRASE="benchmark pass")
        cc = cybercase_cmd()
        subprocess.run(
            [*cc, "key", "new", "--name", "Bench"],
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        subprocess.run(
            [*cc, "init", str(root / "case"), "--id", "B-1", "--title", "t", "--agency", "a"],
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        start = time.perf_counter()
        # Measured in a child process of its own so ru_maxrss covers only the add.
        probe = (
            "import resource, subprocess, sys\n"
            "subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL)\n"
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
        )
        done = subprocess.run(
            [sys.executable, "-c", probe, *cc, "add", str(big), "--case", str(root / "case")],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        t_ours = time.perf_counter() - start
        peak_mib = int(done.stdout.strip()) / 1024
        start = time.perf_counter()
        subprocess.run(
            f"cp {big} {root / 'copy.bin'} && sync && sha256sum {root / 'copy.bin'}",
            shell=True,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        t_peer = time.perf_counter() - start
        print(f"   peak RSS of cybercase add: {peak_mib:.1f} MiB   target < 100 MB")
        print(
            f"   cybercase add: {t_ours:.1f} s   peer cp+sync+sha256sum: {t_peer:.1f} s   "
            f"ratio (peer time / cybercase time): {t_peer / t_ours:.2f}x"
        )


if __name__ == "__main__":
    main()
