"""Batch capture: many URLs, politeness, resume, the CLI contract, and a crash."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from cybercase.collect.batch import (
    HostGate,
    already_captured,
    batch_id_for,
    parse_url_list,
    run_batch,
)
from cybercase.collect.commit import CaptureResult
from cybercase.collect.config import CaptureSettings
from cybercase.collect.record import CaptureRecord
from cybercase.errors import InvalidInputError
from cybercase.evidence import Case, Signer
from cybercase.evidence.verify import verify_case
from tests.collect.helpers import artifact, check_warc, object_path
from tests.conftest import PASSPHRASE, CliResult
from tests.fixtures.servers import LocalServer

QUICK = CaptureSettings(retries=0, images=False, jobs=4, per_host=4)


def test_parse_url_list_names_every_bad_line() -> None:
    text = "# listings\nhttps://a.example/1\n\nftp://b.example/x\nnot a url\nhttp://c.example/\n"
    with pytest.raises(InvalidInputError) as info:
        parse_url_list(text, "urls.txt")
    assert "line 4" in info.value.message and "line 5" in info.value.message
    assert parse_url_list("https://a.example/1\n# c\n  http://c.example/  \n") == [
        "https://a.example/1",
        "http://c.example/",
    ]


def test_batch_captures_every_url_and_verifies(
    case: Case, signer: Signer, http_server: LocalServer
) -> None:
    urls = [http_server.url(f"/slow?ms=10&n={i}") for i in range(12)]
    urls.append(http_server.url("/missing"))
    seen: list[CaptureResult] = []
    result = run_batch(case, signer, urls, QUICK, tags=["market-x"], on_result=seen.append)
    assert len(result.results) == 13 == len(seen)
    assert [r.index for r in result.results] == list(range(1, 14))
    assert len(result.failed) == 1 and result.failed[0].outcome == "http-error"
    assert result.batch_id == batch_id_for(urls)
    assert sorted(case.state.evidence_ids()) == [f"E{i:04d}" for i in range(1, 14)]
    detail = case.item(result.results[0].item_id).detail
    assert detail["batch"] == {"id": result.batch_id, "index": 1, "total": 13}
    assert detail["tags"] == ["market-x"]
    for r in result.results[:3]:
        check_warc(object_path(case, artifact(r, "warc")))
    report = verify_case(case.root)
    assert report.ok, [f.line() for f in report.findings]
    assert not [f for f in report.findings if f.code == "object.unreferenced"]
    # Several items share one transaction: fewer log appends than items is possible,
    # but every item has its own signed entry.
    assert case.state.action_counts["item.acquired"] == 13


def test_resume_skips_what_the_batch_already_captured(
    case: Case, signer: Signer, http_server: LocalServer
) -> None:
    urls = [http_server.url(f"/page?r={i}") for i in range(4)]
    first = run_batch(case, signer, urls[:2], QUICK, batch_id="b-1")
    assert len(first.results) == 2
    again = run_batch(case, signer, urls, QUICK, batch_id="b-1", resume=True)
    assert again.skipped == 2
    assert [r.url for r in again.results] == urls[2:]
    assert already_captured(case, "b-1") == {u: 1 for u in urls}
    nothing = run_batch(case, signer, urls, QUICK, batch_id="b-1", resume=True)
    assert nothing.skipped == 4 and nothing.results == []


def test_cancel_stops_cleanly_and_commits_only_complete_items(
    case: Case, signer: Signer, http_server: LocalServer
) -> None:
    cancel = threading.Event()
    urls = [http_server.url(f"/slow?ms=300&c={i}") for i in range(8)]
    results: list[CaptureResult] = []

    def stop_after_first(item: CaptureResult) -> None:
        results.append(item)
        cancel.set()

    settings = CaptureSettings(retries=0, images=False, jobs=2, per_host=2)
    outcome = run_batch(case, signer, urls, settings, cancel=cancel, on_result=stop_after_first)
    assert 1 <= len(outcome.results) < 8
    assert all(r.ok for r in outcome.results)
    assert verify_case(case.root).ok
    rest = run_batch(case, signer, urls, settings, resume=True)
    assert rest.skipped == len(outcome.results)
    assert len(rest.results) + rest.skipped == 8


def test_a_capture_stopped_by_cancel_keeps_the_ones_after_it_for_resume(
    case: Case, signer: Signer, http_server: LocalServer
) -> None:
    """The second URL is stopped mid-read, the third is done: only the first is committed."""
    cancel = threading.Event()
    urls = [
        http_server.url("/slow?ms=50&k=0"),
        http_server.url("/trickle?k=1"),
        http_server.url("/slow?ms=10&k=2"),
    ]

    def cancel_once_the_third_is_ready(record: CaptureRecord, *_: object) -> None:
        if record.requested_url == urls[2]:
            cancel.set()

    settings = CaptureSettings(retries=0, images=False, jobs=2, per_host=2)
    outcome = run_batch(
        case, signer, urls, settings, cancel=cancel, analyse=cancel_once_the_third_is_ready
    )
    assert [r.url for r in outcome.results] == urls[:1]
    assert len(case.state.evidence_ids()) == 1
    assert verify_case(case.root).ok
    assert already_captured(case, outcome.batch_id) == {urls[0]: 1}


def test_host_gate_limits_concurrency_per_host() -> None:
    gate = HostGate(per_host=2, delay=0.0, cancel=threading.Event())
    active = 0
    peak = 0
    lock = threading.Lock()

    def work() -> None:
        nonlocal active, peak
        with gate.enter("http://one.example/x"):
            with lock:
                active += 1
                peak = max(peak, active)
            time.sleep(0.05)
            with lock:
                active -= 1

    threads = [threading.Thread(target=work) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert peak == 2


def _setup_cli(cli: Callable[..., CliResult], tmp_path: Path) -> Path:
    assert cli("key", "new", "--name", "Amina Okafor").code == 0
    folder = tmp_path / "case"
    assert cli("init", folder, "--id", "WL-1", "--title", "t", "--agency", "a").code == 0
    return folder


def test_cli_json_lines_and_exit_codes(
    cli: Callable[..., CliResult], tmp_path: Path, http_server: LocalServer
) -> None:
    folder = _setup_cli(cli, tmp_path)
    ok = cli(
        "capture",
        "--no-browser",
        http_server.url("/page"),
        "-C",
        folder,
        "--json",
        "--retries",
        "0",
    )
    assert ok.code == 0, ok.stderr
    lines = [json.loads(line) for line in ok.stdout.splitlines()]
    assert lines[0]["item"] == "E0001" and lines[0]["outcome"] == "captured"
    assert {a["role"] for a in lines[0]["artifacts"]} == {"warc", "record", "text", "image"}
    assert lines[-1]["summary"]["ok"] == 1
    bad = cli("capture", "--no-browser", http_server.url("/missing"), "-C", folder, "--json")
    assert bad.code == 1
    assert json.loads(bad.stdout.splitlines()[0])["outcome"] == "http-error"
    usage = cli("capture", "--no-browser", "ftp://example.org/x", "-C", folder)
    assert usage.code == 2 and "not an http(s) URL" in usage.stderr
    size = cli(
        "capture", "--no-browser", http_server.url("/page"), "-C", folder, "--max-size", "lots"
    )
    assert size.code == 2
    people = cli("capture", "--no-browser", http_server.url("/page"), "-C", folder, "--no-images")
    assert people.code == 0
    assert "E0003 captured" in people.stderr and "1 item(s) recorded" in people.stderr


def test_cli_from_stdin_list(
    cli: Callable[..., CliResult],
    tmp_path: Path,
    http_server: LocalServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import io

    folder = _setup_cli(cli, tmp_path)
    listing = f"# two listings\n{http_server.url('/page?s=1')}\n{http_server.url('/gzip')}\n"
    monkeypatch.setattr(sys, "stdin", io.StringIO(listing))
    run = cli(
        "capture",
        "--no-browser",
        "--from",
        "-",
        "-C",
        folder,
        "--json",
        "--no-images",
        "--tag",
        "stdin",
    )
    assert run.code == 0, run.stderr
    assert json.loads(run.stdout.splitlines()[-1])["summary"]["captured"] == 2


@pytest.mark.slow
def test_sigkill_mid_batch_then_resume_completes(
    tmp_path: Path, http_server: LocalServer, isolated_home: Path, signer: Signer
) -> None:
    case = Case.create(tmp_path / "case", case_id="CRASH-1", title="t", agency="a", signer=signer)
    urls = [http_server.url(f"/slow?ms=150&k={i}") for i in range(40)]
    listing = tmp_path / "urls.txt"
    listing.write_text("\n".join(urls) + "\n")
    env = {**os.environ, "CYBERCASE_PASSPHRASE": PASSPHRASE, "CYBERCASE_HOME": str(isolated_home)}
    command = [
        sys.executable,
        "-c",
        "import sys; from cybercase.cli.app import main; sys.exit(main())",
        "capture",
        "--no-browser",
        "--from",
        str(listing),
        "-C",
        str(case.root),
        "--json",
        "-j",
        "4",
        "--per-host",
        "4",
        "--no-images",
        "--retries",
        "0",
    ]
    with subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    ) as proc:
        assert proc.stdout is not None
        committed = 0
        while committed < 5:
            assert proc.stdout.readline(), "the batch ended before it was killed"
            committed += 1
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    middle = verify_case(case.root)
    assert middle.ok, [f.line() for f in middle.errors]
    done_before = len(Case.open(case.root).state.evidence_ids())
    assert 5 <= done_before < 40
    resumed = subprocess.run([*command, "--resume"], env=env, capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr
    summary = json.loads(resumed.stdout.splitlines()[-1])["summary"]
    assert summary["skipped"] == done_before
    assert summary["captured"] == 40 - done_before
    final = Case.open(case.root)
    assert len(final.state.evidence_ids()) == 40
    assert already_captured(final, batch_id_for(urls)) == {u: 1 for u in urls}
    report = verify_case(case.root)
    assert report.ok, [f.line() for f in report.errors]


class Spawned:
    """A process whose output goes to files, waited on by its exit, never by its pipes.

    A child the process starts (a browser, a resolver helper) may inherit stdout and keep
    it open after the process has exited: ``communicate()`` then waits for the child,
    and times out on a busy machine although the process under test ended long before.
    """

    def __init__(self, command: list[str], env: dict[str, str], folder: Path) -> None:
        self.out_path = folder / "stdout.txt"
        self.err_path = folder / "stderr.txt"
        with self.out_path.open("wb") as out, self.err_path.open("wb") as err:
            self.proc = subprocess.Popen(
                command, env=env, stdout=out, stderr=err, start_new_session=True
            )

    def first_line(self, limit: float = 120.0) -> str:
        """The first complete line of stdout (bounded in time: the process may die first)."""
        end = time.monotonic() + limit
        while time.monotonic() < end:
            text = self.out_path.read_text(encoding="utf-8")
            if "\n" in text:
                return text.split("\n", 1)[0]
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        raise AssertionError(f"no line on stdout; stderr: {self.err_path.read_text()}")

    def wait(self, limit: float = 300.0) -> tuple[int, str, str]:
        """Exit code, stdout and stderr, once the process itself has exited."""
        code = self.proc.wait(timeout=limit)
        return code, self.out_path.read_text("utf-8"), self.err_path.read_text("utf-8")

    def stop_group(self) -> None:
        """End what the process left running (its session, which it alone leads)."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)


def test_spawned_waits_for_the_process_not_for_a_child_holding_its_output(
    tmp_path: Path,
) -> None:
    """The way the Ctrl-C test waits: a grandchild keeping stdout open does not delay it."""
    holder = (
        "import subprocess, sys; subprocess.Popen(['sleep', '60']); print('first'); sys.exit(3)"
    )
    spawned = Spawned([sys.executable, "-c", holder], dict(os.environ), tmp_path)
    try:
        assert spawned.first_line() == "first"
        code, out, _ = spawned.wait(limit=30)
    finally:
        spawned.stop_group()
    assert code == 3 and out == "first\n"


def test_ctrl_c_stops_a_real_batch_cleanly(
    tmp_path: Path, http_server: LocalServer, isolated_home: Path, signer: Signer
) -> None:
    case = Case.create(tmp_path / "case", case_id="INT-1", title="t", agency="a", signer=signer)
    urls = [http_server.url(f"/slow?ms=200&i={i}") for i in range(30)]
    listing = tmp_path / "urls.txt"
    listing.write_text("\n".join(urls) + "\n")
    env = {**os.environ, "CYBERCASE_PASSPHRASE": PASSPHRASE, "CYBERCASE_HOME": str(isolated_home)}
    command = [
        sys.executable, "-c", "import sys; from cybercase.cli.app import main; sys.exit(main())",
        "capture", "--from", str(listing), "-C", str(case.root), "--json", "-j", "2",
        "--per-host", "2", "--no-images", "--no-browser",
    ]  # fmt: skip
    spawned = Spawned(command, env, tmp_path)
    try:
        first = spawned.first_line()
        assert json.loads(first)["ok"] is True
        spawned.proc.send_signal(signal.SIGINT)
        code, out, errors = spawned.wait()
    finally:
        spawned.stop_group()
    assert code == 130, errors
    lines = [json.loads(line) for line in out.splitlines()]
    assert lines[0] == json.loads(first)
    summary = lines[-1]["summary"]
    assert summary["interrupted"] is True
    assert 1 <= summary["captured"] < 30
    items = lines[:-1]
    assert len(items) == summary["captured"]
    assert [i["url"] for i in items] == urls[: len(items)]
    assert len(Case.open(case.root).state.evidence_ids()) == summary["captured"]
    assert "Traceback" not in errors
    report = verify_case(case.root)
    assert report.ok, [f.line() for f in report.errors]


def test_item_numbers_follow_the_list_not_the_finishing_order(
    case: Case, signer: Signer, http_server: LocalServer
) -> None:
    """The first URL is slow and the others fast: E0001 is still the first URL."""
    urls = [http_server.url("/slow?ms=1500&order=0")]
    urls += [http_server.url(f"/slow?ms=10&order={i}") for i in range(1, 8)]
    seen: list[str] = []
    result = run_batch(case, signer, urls, QUICK, on_result=lambda r: seen.append(r.item_id))
    assert [r.url for r in result.results] == urls
    assert seen == [f"E{i:04d}" for i in range(1, 9)]
    for number, url in enumerate(urls, start=1):
        detail = case.item(f"E{number:04d}").detail
        assert detail["url"] == url and detail["batch"]["index"] == number
