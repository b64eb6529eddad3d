"""Benchmark: the capture queue against ``capture --from``, and replication against boto3.

Starts, in the same run, a real PostgreSQL 15 (fsync on) and a real SeaweedFS S3 store
with Object Lock, both on 127.0.0.1, and a local listing server answering each page after
``--latency-ms`` (20 ms by default). Then it times:

* ``cybercase capture --from`` on the URL list (one process, ``-j`` captures at once);
* the same list queued with ``cybercase queue add`` and captured by one ``cybercase
  worker`` (``--concurrency`` the same ``-j``), and by two workers on the same queue;
* ``cybercase replicate`` of the captured case (every object checksummed by the store,
  COMPLIANCE retention, If-None-Match, a custody entry) beside a plain boto3
  ``put_object`` of the same files with as many threads (no checksum, no lock).

Each side runs without the browser and without images (the queue adds no rendering cost
of its own). Every item is checked to be there exactly once. Prints rates and ratios.
Usage: ``python benchmarks/agency.py [--urls 2000] [--jobs 4] [--latency-ms 20]``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from http.server import ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.capture import Handler  # noqa: E402
from tests.fixtures.agency import (  # noqa: E402
    S3_ACCESS_KEY,
    S3_SECRET_KEY,
    run_postgres,
    run_seaweedfs,
)

PASSPHRASE = "benchmark passphrase"
CYBERCASE = [
    sys.executable,
    "-c",
    "import sys; from cybercase.cli.app import main; sys.exit(main())",
]


def timed(commands: list[list[str]], env: dict[str, str], cwd: Path) -> float:
    """Run commands at once; seconds until the last ends (each must succeed)."""
    start = time.perf_counter()
    running = [
        subprocess.Popen(c, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for c in commands
    ]
    for process, command in zip(running, commands, strict=True):
        _out, err = process.communicate(timeout=3600)
        if process.returncode != 0:
            raise SystemExit(f"failed ({process.returncode}): {command}\n{err.decode()[-2000:]}")
    return time.perf_counter() - start


def items_once(case: Path, urls: list[str]) -> bool:
    """Every URL has exactly one item in the case."""
    from cybercase.evidence import Case

    seen = Counter(
        str(e.detail.get("url")) for e in Case.open(case).entries() if e.action == "item.acquired"
    )
    return seen == Counter(urls)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--urls", type=int, default=2000)
    parser.add_argument("--jobs", type=int, default=4)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    args = parser.parse_args()
    handler = type("LatencyHandler", (Handler,), {"latency": args.latency_ms / 1000})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    server.request_queue_size = 128
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    urls = [f"{base}/listing/{n}" for n in range(args.urls)]
    ok = True
    with tempfile.TemporaryDirectory(prefix="cc-agency-") as tmp:
        work = Path(tmp)
        (work / "urls.txt").write_text("\n".join(urls) + "\n")
        (work / "s3").mkdir()
        with run_postgres(fsync=True) as pg, run_seaweedfs(work / "s3") as s3:
            env = {
                **os.environ,
                "CYBERCASE_HOME": str(work / "home"),
                "CYBERCASE_PASSPHRASE": PASSPHRASE,
                "AWS_ENDPOINT_URL": s3.endpoint,
                "AWS_ACCESS_KEY_ID": S3_ACCESS_KEY,
                "AWS_SECRET_ACCESS_KEY": S3_SECRET_KEY,
                "AWS_DEFAULT_REGION": "us-east-1",
            }
            for name in ("CYBERCASE_CASE", "CYBERCASE_CONFIG", "AWS_PROFILE"):
                env.pop(name, None)
            subprocess.run(
                [*CYBERCASE, "key", "new", "--name", "Bench Investigator"],
                env=env, cwd=work, check=True, capture_output=True,
            )  # fmt: skip
            cases = {}
            for label in ("batch", "one", "two"):
                folder = work / "cases" / label
                folder.parent.mkdir(exist_ok=True)
                subprocess.run(
                    [*CYBERCASE, "init", str(folder), "--id", f"BENCH-{label}", "--title", "b",
                     "--agency", "a"],
                    env=env, cwd=work, check=True, capture_output=True,
                )  # fmt: skip
                cases[label] = folder
            print(f"== agency: {args.urls} URLs, server latency {args.latency_ms:g} ms, "
                  f"-j {args.jobs}, {os.cpu_count()} cores ==")  # fmt: skip
            batch = timed(
                [[*CYBERCASE, "capture", "--from", "urls.txt", "-C", str(cases["batch"]),
                  "--json", "-j", str(args.jobs), "--per-host", str(args.jobs), "--no-images",
                  "--no-browser", "--retries", "0"]],
                env, work,
            )  # fmt: skip
            ok = items_once(cases["batch"], urls) and ok
            rates = {"capture --from": args.urls / batch}
            for label, workers in (("one", 1), ("two", 2)):
                db = pg.new_database()
                subprocess.run(
                    [*CYBERCASE, "queue", "add", "--db", db, "--case", f"BENCH-{label}",
                     "--from", "urls.txt", "--json"],
                    env=env, cwd=work, check=True, capture_output=True,
                )  # fmt: skip
                worker = [*CYBERCASE, "worker", "--db", db, "--cases", str(work / "cases"),
                          "--concurrency", str(args.jobs), "--no-browser", "--stalled-after",
                          "3", "--until-empty", "--json"]  # fmt: skip
                seconds = timed([worker] * workers, env, work)
                ok = items_once(cases[label], urls) and ok
                rates[f"{workers} worker(s)"] = args.urls / seconds
            for name, rate in rates.items():
                print(f"{name:16}: {rate:8.1f} URLs/s")
            one, two, alone = rates["1 worker(s)"], rates["2 worker(s)"], rates["capture --from"]
            print(f"ratio 1 worker / capture --from : {one / alone:.2f}x")
            print(f"ratio 2 workers / 1 worker      : {two / one:.2f}x")
            print(f"ratio 2 workers / capture --from: {two / alone:.2f}x")

            client = s3.client()
            plain_bucket, lock_bucket = "bench-plain", "bench-lock"
            client.create_bucket(Bucket=plain_bucket)
            client.create_bucket(Bucket=lock_bucket, ObjectLockEnabledForBucket=True)
            files = sorted(
                p for p in (cases["batch"] / "objects" / "sha256").rglob("*") if p.is_file()
            )
            total = sum(p.stat().st_size for p in files)

            def put(path: Path) -> None:
                with path.open("rb") as fh:
                    client.put_object(Bucket=plain_bucket, Key=f"plain/{path.name}", Body=fh)

            start = time.perf_counter()
            with ThreadPoolExecutor(max_workers=8) as pool:
                list(pool.map(put, files))
            plain = time.perf_counter() - start
            replicate = timed(
                [[*CYBERCASE, "replicate", "--to", f"s3://{lock_bucket}/batch",
                  "--retention-days", "1", "-C", str(cases["batch"]), "-j", "8", "--json"]],
                env, work,
            )  # fmt: skip
            verify = subprocess.run(
                [*CYBERCASE, "verify", "-C", str(cases["batch"]), "--against",
                 f"s3://{lock_bucket}/batch", "--json"],
                env=env, cwd=work, capture_output=True, text=True,
            )  # fmt: skip
            report = json.loads(verify.stdout)
            ok = report["result"] == "passed" and ok
            mb = total / 1e6
            print(f"-- replication: {len(files)} objects, {mb:.1f} MB --")
            n = len(files)
            print(
                f"boto3 put_object x8 threads : {plain:6.2f} s {mb / plain:6.2f} MB/s "
                f"{n / plain:7.1f} objects/s"
            )
            print(
                f"cybercase replicate -j 8    : {replicate:6.2f} s {mb / replicate:6.2f} MB/s "
                f"{n / replicate:7.1f} objects/s (checksummed, COMPLIANCE, logged; process "
                "start and key unlock included)"
            )
            print(f"ratio replicate / boto3     : {plain / replicate:.2f}x")
            objects = report["stats"]["objects"]
            print(f"verify --against            : {report['result']}, {objects} objects read back")
    server.shutdown()
    server.server_close()
    print("all items exactly once, replica verified" if ok else "CHECK FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
