"""Export and package verification, timed against bagit-python on the same files.

The peer is what a careful investigator would do without cybercase: copy the evidence
files into a folder and make it a BagIt bag with ``bagit.make_bag`` (SHA-256), then
validate it with ``bagit.Bag.validate``. cybercase does more in its run (it verifies the
whole case first, re-hashes while copying, writes the report, CASE/UCO and signed
statement, and verifies the new package before handing it over, trusted timestamps
included: the case is sealed by the project's test TSA on 127.0.0.1), so a ratio above 1
is expected; the point is to see what that costs.

    python benchmarks/export_bench.py [--files 200] [--size-kib 256] [--repeat 3]

Each step runs ``--repeat`` times; the best time of each is compared.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
import tomllib
from collections.abc import Callable
from pathlib import Path

import bagit

from cybercase.evidence import Case, Signer
from cybercase.evidence.timestamps import TsaSettings, seal
from cybercase.report import export_case, verify_package
from cybercase.training.tsa_server import run_test_tsa


def timed(label: str, func: Callable[[int], object], repeat: int) -> float:
    best = float("inf")
    for run in range(repeat):
        start = time.perf_counter()
        func(run)
        best = min(best, time.perf_counter() - start)
    print(f"  {label:<50} {best:8.3f} s (best of {repeat})")
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--size-kib", type=int, default=256)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cybercase-bench-") as tmp:
        base = Path(tmp)
        inputs = base / "inputs"
        inputs.mkdir()
        paths = []
        for i in range(args.files):
            path = inputs / f"evidence-{i:05d}.bin"
            path.write_bytes(os.urandom(args.size_kib * 1024))
            paths.append(path)
        signer = Signer.ephemeral("Bench Investigator")
        case = Case.create(
            base / "case", case_id="BENCH-1", title="Benchmark", agency="Bench", signer=signer
        )
        case.add_files(signer, paths)
        with run_test_tsa(base / "tsa") as tsa:
            settings = TsaSettings.from_config(tomllib.loads(tsa.config_toml()))
            seal(case, signer, settings)
        total_mb = args.files * args.size_kib / 1024
        print(f"{args.files} files, {total_mb:.1f} MiB")

        def peer_make(run: int) -> None:
            bag_dir = base / f"peer{run}"
            shutil.copytree(inputs, bag_dir)
            bagit.make_bag(str(bag_dir), checksums=["sha256"])

        results: dict[str, Path] = {}

        def ours_export(run: int) -> None:
            results["pkg"] = export_case(case, signer, base / "out", pdf=False).path

        n = args.repeat
        peer_t = timed("peer: copy + bagit.make_bag", peer_make, n)
        ours_t = timed("cybercase export (verify, copy, bag, self-check)", ours_export, n)
        peer_v = timed(
            "peer: bagit.Bag.validate", lambda run: bagit.Bag(str(base / "peer0")).validate(), n
        )
        ours_v = timed(
            "cybercase verify PACKAGE",
            lambda run: verify_package(results["pkg"], tsa_settings=settings),
            n,
        )
        print(f"export / peer bagging:     {ours_t / peer_t:5.2f}x")
        print(f"verify / peer validation:  {ours_v / peer_v:5.2f}x")


if __name__ == "__main__":
    main()
