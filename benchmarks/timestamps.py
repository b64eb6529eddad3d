"""Benchmark: trusted timestamps for a 1,000-item batch, by policy, against openssl + curl.

Starts cybercase's test TSA on 127.0.0.1, imports N small files into a fresh case in
one batch (``Case.add_files``, standing in for a batch capture), then in the same run:

1. the default policy: one seal of the custody log after the batch;
2. one token per item (``item_tokens = "always"``), in a second, identical case;
3. the peer: the usual hand-made per-file timestamping, ``openssl ts -query`` for each
   file then ``curl`` POSTing it to the same TSA (no verification, no storage);

and finally ``cybercase verify``'s timestamp check on both cases. Prints TSA round
trips and seconds for each, and ratios. Timings are printed, never asserted.

    python benchmarks/timestamps.py [--items 1000] [--peer-items 1000]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

from cybercase.evidence import Case, Signer
from cybercase.evidence.timestamps import TsaSettings, pending_items, timestamp_new_items
from cybercase.evidence.verify import verify_case
from cybercase.evidence.verify.timestamps import timestamp_check
from cybercase.training.tsa_server import RunningTsa, run_test_tsa


def make_case(root: Path, signer: Signer, files: list[Path]) -> tuple[Case, list[str]]:
    case = Case.create(root, case_id="BENCH-1", title="benchmark", agency="bench", signer=signer)
    views = case.add_files(signer, files)
    return case, [v.id for v in views]


def timed_policy(
    tsa: RunningTsa, case: Case, signer: Signer, ids: list[str], policy: str
) -> tuple[float, int]:
    settings = TsaSettings.from_config(
        tomllib.loads(f'[tsa]\nitem_tokens = "{policy}"\n' + tsa.config_toml())
    )
    before = tsa.requests
    start = time.perf_counter()
    outcome = timestamp_new_items(case, signer, ids, settings)
    elapsed = time.perf_counter() - start
    if outcome.pending or pending_items(case):
        raise SystemExit(f"{policy}: items left pending: {outcome.attempts}")
    return elapsed, tsa.requests - before


def timed_verify(tsa: RunningTsa, case: Case) -> float:
    settings = TsaSettings.from_config(tomllib.loads(tsa.config_toml()))
    start = time.perf_counter()
    report = verify_case(case.root, extra_checks=[("timestamps", timestamp_check(settings))])
    elapsed = time.perf_counter() - start
    if not report.ok:
        raise SystemExit("verification failed: " + "; ".join(f.line() for f in report.errors))
    return elapsed


def timed_peer(tsa: RunningTsa, files: list[Path], work: Path) -> tuple[float, int] | None:
    if shutil.which("openssl") is None or shutil.which("curl") is None:
        return None
    start = time.perf_counter()
    for index, path in enumerate(files):
        query = work / f"{index}.tsq"
        subprocess.run(
            ["openssl", "ts", "-query", "-data", str(path), "-sha256", "-cert", "-out", str(query)],
            check=True,
            capture_output=True,
        )
        subprocess.run(
            [
                "curl", "-sS", "--fail",
                "-H", "Content-Type: application/timestamp-query",
                "--data-binary", f"@{query}",
                "-o", str(work / f"{index}.tsr"),
                tsa.url,
            ],
            check=True,
            capture_output=True,
        )  # fmt: skip
    return time.perf_counter() - start, len(files)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--peer-items", type=int, default=1000)
    args = parser.parse_args(argv)
    signer = Signer.ephemeral("Benchmark")
    with tempfile.TemporaryDirectory(prefix="cybercase-bench-") as tmp:
        work = Path(tmp)
        source = work / "files"
        source.mkdir()
        files = []
        for n in range(args.items):
            path = source / f"listing-{n:05d}.html"
            path.write_text(f"<h1>Listing {n}</h1><p>ivory bangle, price on request</p>")
            files.append(path)
        with run_test_tsa(work / "tsa") as tsa:
            seal_case, seal_ids = make_case(work / "seal-case", signer, files)
            token_case, token_ids = make_case(work / "token-case", signer, files)
            seal_time, seal_trips = timed_policy(tsa, seal_case, signer, seal_ids, "single")
            token_time, token_trips = timed_policy(tsa, token_case, signer, token_ids, "always")
            peer_dir = work / "peer"
            peer_dir.mkdir()
            peer = timed_peer(tsa, files[: args.peer_items], peer_dir)
            seal_verify = timed_verify(tsa, seal_case)
            token_verify = timed_verify(tsa, token_case)

    print(f"Timestamping a batch of {args.items} items (local test TSA on 127.0.0.1)")
    print(f"{'approach':<44}{'round trips':>12}{'seconds':>10}{'ms/item':>10}")
    rows = [
        ("cybercase default: one seal after the batch", seal_trips, seal_time, args.items),
        ("cybercase item_tokens=always: token per item", token_trips, token_time, args.items),
    ]
    if peer is not None:
        rows.append(("peer: openssl ts -query + curl, per item", peer[1], peer[0], peer[1]))
    for label, trips, seconds, count in rows:
        print(f"{label:<44}{trips:>12}{seconds:>10.3f}{1000 * seconds / count:>10.3f}")
    print(f"{'verify: timestamps of the sealed case':<44}{'':>12}{seal_verify:>10.3f}")
    print(f"{'verify: timestamps of the token-per-item case':<44}{'':>12}{token_verify:>10.3f}")
    print()
    print(f"round trips, token per item / default: {token_trips / max(seal_trips, 1):.0f}x")
    print(f"time, token per item / default: {token_time / seal_time:.1f}x")
    if peer is not None:
        per_item_peer = peer[0] / peer[1]
        per_item_ours = token_time / args.items
        print(
            "time per item, cybercase token per item (verified, stored, logged) / "
            f"openssl+curl (neither): {per_item_ours / per_item_peer:.2f}x"
        )
        print(
            f"time, openssl+curl for the whole batch / cybercase default: "
            f"{per_item_peer * args.items / seal_time:.0f}x"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
