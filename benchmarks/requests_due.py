"""How fast is the due list on a large case? ``cybercase request list --due`` vs ``jq``.

The due list is derived from the custody log every time (no cache that could drift), so
its cost grows with the log. This builds a case with N preservation requests (each
created and sent: 2N entries), then times, best of R runs, in the same process:

- ``cybercase request list --due 14 --json`` (the whole CLI: start-up, opening the case,
  folding every entry, computing deadlines);
- the peer ``jq``, extracting only each request's sending time from the same
  ``custody.jsonl`` (``select(.action == "request.sent")``) — the least any tool must do
  to answer the question — without computing a single deadline;

and prints both times and their ratio. Run: ``python benchmarks/requests_due.py [N] [R]``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cybercase.clock import SteppingClock, format_utc
from cybercase.evidence import Artifact, Case, EntryDraft, Signer


def build(root: Path, count: int) -> Case:
    start = datetime.now(UTC) - timedelta(days=200)
    signer = Signer.ephemeral("Bench Officer")
    case = Case.create(
        root, case_id="BENCH", title="due list", agency="Bench", signer=signer,
        clock=SteppingClock(start, timedelta(milliseconds=1)),
    )  # fmt: skip
    record = case.store.put_bytes(b'{"stand-in": "request.json"}\n')
    policy = {
        "preservation_days": 90, "extension_days": 90,
        "extension_notice_days": 7, "max_extensions": 1,
    }  # fmt: skip
    artifact = Artifact(role="request", name="request.json", digest=str(record), size=29)
    with case.transaction(signer) as tx:
        for n in range(count):
            rid = tx.new_id("R")
            tx.add(
                EntryDraft(
                    "request.created",
                    (rid,),
                    {
                        "type": "preservation",
                        "platform": "example",
                        "targets": [f"https://market.example/listing/{n}"],
                        "policy": policy,
                        "artifacts": [artifact.model_dump()],
                    },
                )
            )
            sent = start + timedelta(days=n * 150 / count)
            tx.add(
                EntryDraft(
                    "request.sent",
                    (rid,),
                    {"platform": "example", "via": "email", "sent_at": format_utc(sent)},
                )
            )
    return case


def best(command: list[str], runs: int, env: dict[str, str]) -> tuple[float, bytes]:
    times: list[float] = []
    output = b""
    for _ in range(runs):
        t0 = time.perf_counter()
        output = subprocess.run(command, check=True, capture_output=True, env=env).stdout
        times.append(time.perf_counter() - t0)
    return min(times), output


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    jq = shutil.which("jq")
    if jq is None:
        sys.exit("jq is needed as the peer tool: apt-get install jq")
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "CYBERCASE_HOME": str(Path(tmp) / "home")}
        t0 = time.perf_counter()
        case = build(Path(tmp) / "case", count)
        print(f"built {count} requests ({2 * count} entries) in {time.perf_counter() - t0:.2f} s")
        script = Path(sys.executable).with_name("cybercase")
        cli = [str(script)] if script.exists() else ["cybercase"]
        ours, out = best(
            [*cli, "request", "list", "--due", "14", "--json", "--case", str(case.root)], runs, env
        )
        peer, peer_out = best(
            [jq, "-c", 'select(.action == "request.sent") | [.items[0], .detail.sent_at]',
             str(case.log_path)],
            runs, env,
        )  # fmt: skip
        import json

        due = json.loads(out)
        sent = len(peer_out.splitlines())
        print(f"cybercase request list --due 14: {ours * 1000:8.1f} ms  ({len(due)} due)")
        print(f"jq (sending times only):         {peer * 1000:8.1f} ms  ({sent} lines)")
        print(f"ratio cybercase / jq: {ours / peer:.2f}x (lower is better)")


if __name__ == "__main__":
    main()
