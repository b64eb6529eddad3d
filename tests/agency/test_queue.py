"""The capture queue on a real PostgreSQL 15: exactly once, even when a worker is SIGKILLed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import psutil
import pytest

from cybercase.agency.queue import add_urls, queue_counts
from cybercase.agency.worker import CaptureService, commit_queued, committed_keys
from cybercase.collect.capture import open_capturer
from cybercase.collect.commit import CaptureRequest
from cybercase.collect.config import CaptureSettings
from cybercase.errors import CybercaseError
from cybercase.evidence import Case, Signer
from cybercase.evidence.log.state import ITEM_ACQUIRED
from cybercase.evidence.verify import verify_case
from tests.conftest import Cli
from tests.fixtures.agency import PgServer
from tests.fixtures.servers import LocalServer, send, start_server

WAIT = 120.0


def queued_items(case: Case) -> list[dict[str, Any]]:
    """The ``item.acquired`` details that came from the queue."""
    case.refresh()
    return [e.detail for e in case.entries() if e.action == ITEM_ACQUIRED and "queue" in e.detail]


@pytest.fixture
def listing_server() -> Any:
    """Listing pages ``/item/N``; ``/slow`` holds its first request until released."""
    server = start_server()
    slow_hit = threading.Event()
    release = threading.Event()
    seen_ports: list[int] = []

    def item(h: BaseHTTPRequestHandler) -> None:
        send(h, 200, f"<html><title>{h.path}</title>ivory</html>".encode(), {})

    def slow(h: BaseHTTPRequestHandler) -> None:
        if not slow_hit.is_set():
            seen_ports.append(h.client_address[1])
            slow_hit.set()
            release.wait(WAIT)
        send(h, 200, b"<html><title>slow</title>pangolin scales</html>", {})

    for n in range(12):
        server.route(f"/item/{n}", item)
    server.route("/slow", slow)
    yield server, slow_hit, release, seen_ports
    release.set()
    server.server.shutdown()
    server.server.server_close()


def owner_of(port: int, pids: list[int]) -> int | None:
    """Which of ``pids`` holds a TCP connection from local ``port``."""
    for pid in pids:
        try:
            for conn in psutil.Process(pid).net_connections(kind="tcp"):
                if conn.laddr and conn.laddr.port == port:
                    return pid
        except psutil.NoSuchProcess:
            continue
    return None


def test_two_workers_one_killed_capture_every_url_exactly_once(
    cli: Cli,
    case: Case,
    pg_server: PgServer,
    listing_server: Any,
    tmp_path: Path,
) -> None:
    server, slow_hit, release, seen_ports = listing_server
    assert isinstance(server, LocalServer)
    db = pg_server.new_database()
    urls = [server.url(f"/item/{n}") for n in range(12)]
    urls.insert(3, server.url("/slow"))
    added = cli("queue", "add", "--db", db, "--case", case.meta.id, *urls, "--json")
    assert added.code == 0, added.stderr
    queued: Any = added.json()
    assert len({q["key"] for q in queued}) == len(urls)
    command = [
        sys.executable, "-m", "cybercase", "worker", "--db", db, "--cases", str(tmp_path),
        "--concurrency", "2", "--no-browser", "--stalled-after", "2", "--until-empty", "--json",
    ]  # fmt: skip
    logs = [(tmp_path / f"worker{n}.out").open("wb") for n in range(2)]
    workers = [
        subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=dict(os.environ))
        for log in logs
    ]
    try:
        assert slow_hit.wait(WAIT), "no worker fetched /slow"
        pids = [w.pid for w in workers]
        victim_pid = None
        deadline = time.monotonic() + 10
        while victim_pid is None and time.monotonic() < deadline:
            victim_pid = owner_of(seen_ports[0], pids)
        assert victim_pid is not None, "cannot tell which worker fetches /slow"
        victim = next(w for w in workers if w.pid == victim_pid)
        survivor = next(w for w in workers if w.pid != victim_pid)
        os.kill(victim_pid, signal.SIGKILL)
        victim.wait(30)
        release.set()
        assert survivor.wait(WAIT) == 0, (tmp_path / "worker0.out").read_text()
    finally:
        for w in workers:
            if w.poll() is None:
                w.kill()
                w.wait(30)
        for log in logs:
            log.close()
    assert victim.returncode == -signal.SIGKILL
    items = queued_items(case)
    assert Counter(d["url"] for d in items) == Counter(urls), "every URL once, none twice"
    assert sorted(d["queue"]["key"] for d in items) == sorted(q["key"] for q in queued)
    slow_item = next(d for d in items if d["url"] == server.url("/slow"))
    assert slow_item["queue"]["attempt"] >= 2, "the killed job was retried"
    assert slow_item["outcome"] == "captured"
    counts = queue_counts(db)
    assert counts.get("succeeded") == len(urls)
    assert not counts.get("failed") and not counts.get("todo") and not counts.get("doing")
    assert verify_case(case.root).ok


def test_a_retried_job_whose_capture_was_committed_is_not_committed_again(
    case: Case, signer: Signer, http_server: LocalServer
) -> None:
    """The kill after the commit and before the queue hears of it: the key stops a twin."""
    capturer = open_capturer(case, signer, CaptureSettings())
    try:
        first = capturer.prepare(CaptureRequest(url=http_server.url("/page")))
        again = capturer.prepare(CaptureRequest(url=http_server.url("/page")))
    finally:
        capturer.close()
    queue = {"key": "q-test-1", "job": 7, "attempt": 1}
    done = commit_queued(case, signer, first, queue)
    twin = commit_queued(case, signer, again, {**queue, "attempt": 2})
    assert done.item_id == "E0001"
    assert twin.item_id is None and twin.duplicate_dropped
    assert committed_keys(case) == {"q-test-1"}
    assert len(queued_items(case)) == 1
    assert verify_case(case.root).ok


def test_worker_skips_a_job_already_in_the_case(
    case: Case, signer: Signer, http_server: LocalServer, tmp_path: Path
) -> None:
    service = CaptureService(cases=tmp_path, signer=signer, settings=CaptureSettings())
    args = {"case": case.meta.id, "url": http_server.url("/page"), "key": "q-abc"}
    try:
        first = service.run(1, 1, args)
        second = service.run(1, 2, args)
    finally:
        service.close()
    assert first.item_id == "E0001"
    assert second.item_id is None
    assert len(queued_items(case)) == 1


def test_unknown_case_fails_the_job_with_a_clear_message(signer: Signer, tmp_path: Path) -> None:
    service = CaptureService(cases=tmp_path, signer=signer, settings=CaptureSettings())
    with pytest.raises(CybercaseError) as missing:
        service.run(1, 1, {"case": "NOPE-1", "url": "http://127.0.0.1:9/", "key": "q-x"})
    assert "no case NOPE-1" in missing.value.message


def test_queue_add_rejects_bad_input(cli: Cli, pg_server: PgServer) -> None:
    db = pg_server.new_database()
    bad_url = cli("queue", "add", "--db", db, "--case", "C-1", "ftp://x/y")
    assert bad_url.code == 2
    bad_db = cli("queue", "add", "--db", "mysql://x", "--case", "C-1", "http://127.0.0.1/")
    assert bad_db.code == 2
    assert "Traceback" not in bad_url.stderr + bad_db.stderr


def test_queue_unreachable_database_is_one_line(cli: Cli) -> None:
    from tests.fixtures.agency import free_port

    db = f"postgresql://postgres@127.0.0.1:{free_port()}/x"
    result = cli("queue", "add", "--db", db, "--case", "C-1", "http://127.0.0.1/")
    assert result.code == 3
    assert "queue database" in result.stderr
    assert "Traceback" not in result.stderr


def test_queue_add_and_status(cli: Cli, pg_server: PgServer, tmp_path: Path) -> None:
    db = pg_server.new_database()
    listing = tmp_path / "urls.txt"
    listing.write_text("# watch list\nhttp://127.0.0.1:1/a\n\nhttp://127.0.0.1:1/b\n")
    added = cli("queue", "add", "--db", db, "--case", "C-1", "--from", listing, "--json")
    assert added.code == 0, added.stderr
    assert [q["url"] for q in added.json()] == [  # type: ignore[union-attr]
        "http://127.0.0.1:1/a",
        "http://127.0.0.1:1/b",
    ]
    more = add_urls(db, "C-1", ["http://127.0.0.1:1/c"], queued_by="test")
    assert len(more) == 1
    status = cli("queue", "status", "--db", db, "--json")
    assert status.json() == {"todo": 3}


def test_group_commit_from_many_threads_commits_each_key_once(
    case: Case, signer: Signer, http_server: LocalServer
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from cybercase.agency.worker import GroupCommitter

    capturer = open_capturer(case, signer, CaptureSettings())
    try:
        prepared = [
            capturer.prepare(CaptureRequest(url=http_server.url("/page"))) for _ in range(12)
        ]
    finally:
        capturer.close()
    committer = GroupCommitter(case, signer)
    keys = [f"q-{n % 6}" for n in range(12)]  # every key twice: a retry racing its first run
    with ThreadPoolExecutor(max_workers=6) as pool:
        outcomes = list(
            pool.map(
                lambda pk: committer.commit(pk[0], {"key": pk[1]}), zip(prepared, keys, strict=True)
            )
        )
    committed = [o for o in outcomes if o.item_id]
    assert sorted(o.key for o in committed) == [f"q-{n}" for n in range(6)]
    assert sum(o.duplicate_dropped for o in outcomes) == 6
    assert len(queued_items(case)) == 6
    assert verify_case(case.root).ok


def test_workers_drive_the_watch_list_once_per_due_watch(
    case: Case, signer: Signer, pg_server: PgServer, http_server: LocalServer, tmp_path: Path
) -> None:
    from cybercase.monitor import WATCH_RUN_FINISHED, WATCH_RUN_STARTED
    from cybercase.monitor.watchlist import add_watches

    add_watches(case, signer, [http_server.url("/page")], every="1h", browser=False)
    db = pg_server.new_database()
    command = [
        sys.executable, "-m", "cybercase", "worker", "--db", db, "--cases", str(tmp_path),
        "--no-browser", "--watch-every", "1", "--stalled-after", "3",
    ]  # fmt: skip
    logs = [(tmp_path / f"watcher{n}.out").open("wb") for n in range(2)]
    workers = [
        subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=dict(os.environ))
        for log in logs
    ]
    try:
        deadline = time.monotonic() + WAIT
        finished = 0
        while time.monotonic() < deadline and not finished:
            time.sleep(0.5)
            case.refresh()
            finished = sum(1 for e in case.entries() if e.action == WATCH_RUN_FINISHED)
        assert finished == 1, (tmp_path / "watcher0.out").read_text()
        time.sleep(4)  # several more ticks: nothing is due, nothing is written
        for w in workers:
            w.send_signal(signal.SIGTERM)
        codes = [w.wait(60) for w in workers]
    finally:
        for w in workers:
            if w.poll() is None:
                w.kill()
                w.wait(30)
        for log in logs:
            log.close()
    assert codes == [0, 0], (tmp_path / "watcher0.out").read_text()
    case.refresh()
    actions = Counter(e.action for e in case.entries())
    assert actions[WATCH_RUN_STARTED] == 1 and actions[WATCH_RUN_FINISHED] == 1
    assert actions[ITEM_ACQUIRED] == 1
    assert verify_case(case.root).ok
