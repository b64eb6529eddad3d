"""A watch run killed mid-way, and two runs at once, as separate processes on one case."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from cybercase.evidence import Case, Signer
from cybercase.evidence.verify import verify_case
from cybercase.monitor import ITEM_COMPARED, WATCH_RUN_STARTED, add_watches, load
from tests.conftest import Cli
from tests.fixtures.shop import Listing, Shop, photo

ROOT = Path(__file__).resolve().parents[2]
WAIT_SECONDS = 120.0


def _start_run(case: Case, *extra: str) -> subprocess.Popen[str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cybercase",
            "watch",
            "run",
            "--case",
            str(case.root),
            "--no-browser",
            "--jobs",
            "1",
            "--json",
            *extra,
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _captures(case: Case) -> int:
    lines = (case.root / "custody.jsonl").read_bytes().splitlines()
    return sum(1 for line in lines if b'"item.acquired"' in line)


def _wait_for(condition: object, what: str) -> None:
    assert callable(condition)
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def _watch_slow_listings(case: Case, signer: Signer, shop: Shop, count: int) -> list[str]:
    urls = [
        shop.add(str(7000 + n), Listing(f"Pangolin scales {n}", f"€{100 + n}", "s", photo(n)))
        for n in range(count)
    ]
    add_watches(case, signer, urls, every="1d", browser=False)
    shop.delay = 0.4
    return urls


def test_a_killed_run_resumes_without_duplicate_or_loss(
    case: Case, signer: Signer, shop: Shop, cli: Cli
) -> None:
    urls = _watch_slow_listings(case, signer, shop, 8)
    run = _start_run(case)
    try:
        _wait_for(lambda: _captures(case) >= 3, "three captures")
        os.kill(run.pid, signal.SIGKILL)
    finally:
        run.communicate(timeout=WAIT_SECONDS)
    assert run.returncode == -signal.SIGKILL
    case.refresh()
    cut = _captures(case)
    assert 3 <= cut < len(urls), "the run was killed before it finished"
    lines = (case.root / "custody.jsonl").read_bytes().splitlines()
    compared_before = sum(1 for line in lines if b'"item.compared"' in line)

    resumed = cli("watch", "run", "--case", case.root, "--no-browser", "--json")
    assert resumed.code == 0, resumed.stderr
    summary = json.loads(resumed.stdout.splitlines()[-1])["summary"]
    assert summary["resumed"] is True
    assert summary["skipped"] == cut
    assert summary["captured"] == len(urls) - cut
    assert summary["recovered_comparisons"] == cut - compared_before

    case.refresh()
    state = load(case)
    runs = [e for e in case.entries() if e.action == WATCH_RUN_STARTED]
    assert len(runs) == 1
    per_url = Counter(url for url, refs in state.captures.items() for _ in refs)
    assert per_url == Counter({url: 1 for url in urls}), "one capture per URL, none lost"
    compared = Counter(e.items[0] for e in case.entries() if e.action == ITEM_COMPARED)
    items = {ref.item for refs in state.captures.values() for ref in refs}
    assert set(compared) == items and set(compared.values()) == {1}
    assert all(r.finished is not None for r in state.runs.values())
    assert verify_case(case.root).ok


def test_a_second_run_says_why_it_does_not_run(
    case: Case, signer: Signer, shop: Shop, cli: Cli
) -> None:
    urls = _watch_slow_listings(case, signer, shop, 4)
    run = _start_run(case)
    try:
        _wait_for(lambda: _captures(case) >= 1, "the first run to start capturing")
        second = cli("watch", "run", "--case", case.root, "--no-browser")
        assert second.code == 3
        assert "another 'cybercase watch run' is already running on this case" in second.stderr
        assert f"process {run.pid}" in second.stderr
        out, errors = run.communicate(timeout=WAIT_SECONDS)
    finally:
        if run.poll() is None:
            run.kill()
            run.communicate()
    assert run.returncode == 0, errors
    assert json.loads(out.splitlines()[-1])["summary"]["captured"] == len(urls)
    case.refresh()
    assert sum(1 for e in case.entries() if e.action == WATCH_RUN_STARTED) == 1
