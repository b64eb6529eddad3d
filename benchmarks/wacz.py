"""Benchmark: ``cybercase export --wacz`` beside ``wacz create`` on the same WARCs.

Captures N listing pages (``cybercase capture --from --no-browser``, from a local server
on 127.0.0.1; not timed), then, in the same run, times:

* ``wacz create -o peer.wacz --detect-pages`` (py-wacz, the Webrecorder tool) on copies of
  the very WARC files the case holds: it indexes them (CDXJ, gzip-compressed with an IDX),
  finds the pages and writes ``datapackage.json`` — unsigned, no custody record;
* ``cybercase export --wacz`` on the case: it locks and verifies the whole case first
  (every object re-hashed, every custody signature checked), copies each WARC into the
  WACZ re-hashing it against the log, indexes it, writes the pages and
  ``datapackage.json``, signs ``datapackage-digest.json`` locally, asks the project's test
  TSA on 127.0.0.1 for a token over the signature, and records the export in the custody
  log (signed, fsynced). Process start-up and key unlock are included for both.

Both WACZs are then checked with ``wacz validate`` (not timed). Prints the times and the
ratio cybercase / wacz create.
Usage (from the repository root): ``python -m benchmarks.wacz [--captures 1000] [--repeat 3]``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from http.server import ThreadingHTTPServer
from pathlib import Path

from benchmarks.capture import Handler, run
from cybercase.training.tsa_server import run_test_tsa

PASSPHRASE = "benchmark passphrase"


def best(
    command: list[str], env: dict[str, str], cwd: Path, repeat: int, before: object = None
) -> float:
    """Best wall-clock time of ``repeat`` runs."""
    times = []
    for _ in range(repeat):
        if callable(before):
            before()
        timed = run(command, env, cwd)
        done = timed.done
        if done.returncode != 0:
            raise SystemExit(f"failed: {' '.join(command)}\n{done.stdout}\n{done.stderr}")
        times.append(timed.wall)
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--captures", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    wacz_tool = shutil.which("wacz") or str(Path(sys.executable).parent / "wacz")
    if not Path(wacz_tool).exists():
        print("the wacz tool is not installed (pip install wacz)", file=sys.stderr)
        return 3
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    cybercase = [
        sys.executable,
        "-c",
        "import sys; from cybercase.cli.app import main; sys.exit(main())",
    ]
    with tempfile.TemporaryDirectory(prefix="cc-bench-wacz-") as tmp:
        work = Path(tmp)
        home = work / "home"
        env = {**os.environ, "CYBERCASE_HOME": str(home), "CYBERCASE_PASSPHRASE": PASSPHRASE}
        for name in ("CYBERCASE_CASE", "CYBERCASE_CONFIG", "CYBERCASE_KEY"):
            env.pop(name, None)
        case = work / "case"
        (work / "urls.txt").write_text(
            "".join(f"{base}/listing/{n}\n" for n in range(args.captures))
        )
        with run_test_tsa(work / "tsa") as tsa:
            home.mkdir()
            (home / "config.toml").write_text(tsa.config_toml(), encoding="utf-8")
            for setup in (
                [*cybercase, "key", "new", "--name", "Bench Investigator"],
                [*cybercase, "init", str(case), "--id", "BENCH", "--title", "b", "--agency", "a"],
                [*cybercase, "capture", "--from", "urls.txt", "-C", str(case), "-j", "4",
                 "--no-images", "--no-browser", "--retries", "0", "--json"],
            ):  # fmt: skip
                done = subprocess.run(setup, env=env, cwd=work, capture_output=True, text=True)
                if done.returncode != 0:
                    raise SystemExit(f"setup failed: {setup}\n{done.stderr}")
            server.shutdown()
            server.server_close()
            warcs = work / "warcs"
            warcs.mkdir()
            for line in (case / "custody.jsonl").read_text().splitlines():
                entry = json.loads(line)
                for artifact in entry.get("detail", {}).get("artifacts", []):
                    if artifact.get("role") == "warc":
                        digest = artifact["digest"].removeprefix("sha256:")
                        source = case / "objects" / "sha256" / digest[:2] / digest
                        shutil.copyfile(source, warcs / f"{entry['items'][0]}.warc.gz")
            files = sorted(str(p) for p in warcs.iterdir())
            if len(files) != args.captures:
                raise SystemExit(f"expected {args.captures} WARCs, found {len(files)}")
            size = sum(Path(f).stat().st_size for f in files)
            out = work / "out"

            def clean() -> None:
                shutil.rmtree(out, ignore_errors=True)
                (work / "peer.wacz").unlink(missing_ok=True)

            peer = best(
                [wacz_tool, "create", "-o", "peer.wacz", "--detect-pages", *files],
                env, work, args.repeat, clean,
            )  # fmt: skip
            ours = best(
                [*cybercase, "export", "--wacz", "-C", str(case), "-o", str(out), "--json"],
                env, work, args.repeat, clean,
            )  # fmt: skip
            written = next(out.glob("*.wacz"))
            subprocess.run(  # the peer's file of the last run is gone: make one to validate
                [wacz_tool, "create", "-o", "peer.wacz", "--detect-pages", *files],
                cwd=work, capture_output=True, check=True,
            )  # fmt: skip
            checks = {}
            for label, path in (("cybercase", written), ("wacz create", work / "peer.wacz")):
                done = subprocess.run(
                    [wacz_tool, "validate", "-f", str(path)], capture_output=True, text=True
                )
                checks[label] = "valid" if done.returncode == 0 else "INVALID"
            verified = subprocess.run(
                [*cybercase, "verify", str(written), "--json"],
                env=env, capture_output=True, text=True,
            )  # fmt: skip
            result = json.loads(verified.stdout)["result"]
    print(f"== WACZ export of {args.captures} captures ({size / 1e6:.1f} MB of WARCs) ==")
    print(
        f"   machine: {os.cpu_count()} cores, python {sys.version.split()[0]}, "
        f"best of {args.repeat}"
    )
    print(f"wacz create --detect-pages : {peer:7.2f} s  (wacz validate: {checks['wacz create']})")
    print(
        f"cybercase export --wacz    : {ours:7.2f} s  (wacz validate: {checks['cybercase']}; "
        f"cybercase verify: {result}; signed, timestamped, logged)"
    )
    print(f"ratio cybercase / wacz create: {ours / peer:.2f}x")
    return 0 if result == "passed" and set(checks.values()) == {"valid"} else 1


if __name__ == "__main__":
    sys.exit(main())
