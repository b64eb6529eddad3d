"""A batch prepared in worker processes: same items, same order, same durability."""

from __future__ import annotations

import os
import threading

import pytest

from cybercase.collect.batch import run_batch
from cybercase.collect.capture import open_capturer
from cybercase.collect.commit import CaptureRequest
from cybercase.collect.config import CaptureSettings
from cybercase.collect.workers import (
    ENV_PROCESSES,
    MIN_URLS,
    WorkerEndedError,
    WorkerPool,
    worker_count,
)
from cybercase.digest import Digest
from cybercase.evidence import Case, Signer
from cybercase.evidence.verify import verify_case
from tests.collect.helpers import artifact, check_warc, object_path
from tests.fixtures.servers import LocalServer

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="worker processes need fork")
QUICK = CaptureSettings(retries=0, images=False, jobs=4, per_host=4)


def test_worker_count_follows_the_batch_and_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_PROCESSES, raising=False)
    assert worker_count(MIN_URLS - 1, 8, stages=False) == 0
    assert worker_count(1000, 8, stages=True) == 0
    assert worker_count(1000, 1, stages=False) == 0
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    assert worker_count(1000, 8, stages=False) == (min(cores or 1, 4) if (cores or 1) > 1 else 0)
    monkeypatch.setenv(ENV_PROCESSES, "1")
    assert worker_count(1000, 8, stages=False) == 0
    monkeypatch.setenv(ENV_PROCESSES, "3")
    assert worker_count(5, 8, stages=False) == 3


def test_batch_in_worker_processes_commits_every_url_in_order_and_verifies(
    case: Case, signer: Signer, http_server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV_PROCESSES, "2")
    urls = [http_server.url(f"/slow?ms=5&n={i}") for i in range(20)]
    urls.append(http_server.url("/missing"))
    result = run_batch(case, signer, urls, QUICK, tags=["market-x"])
    assert [r.index for r in result.results] == list(range(1, 22))
    assert [r.url for r in result.results] == urls
    assert [r.outcome for r in result.failed] == ["http-error"]
    assert sorted(case.state.evidence_ids()) == [f"E{i:04d}" for i in range(1, 22)]
    for r in result.results[:3]:
        check_warc(object_path(case, artifact(r, "warc")))
    reopened = Case.open(case.root)
    assert reopened.state.action_counts["item.acquired"] == 21
    report = verify_case(case.root)
    assert report.ok, [f.line() for f in report.findings]
    assert not [f for f in report.findings if f.code == "object.unreferenced"]


def test_objects_of_a_worker_are_synced_by_the_committing_process(
    case: Case, signer: Signer, http_server: LocalServer
) -> None:
    """What a worker stored unsynced is in the caller's list for the next group commit."""
    capturer = open_capturer(case, signer, QUICK)
    pool = WorkerPool(capturer, 2, 2, threading.Event())
    try:
        prepared = pool.prepare(CaptureRequest(url=http_server.url("/slow?ms=1&n=x")))
    finally:
        pool.close()
        capturer.close()
    paths = {case.store.path_for(Digest.parse(a.digest)) for a in prepared.artifacts}
    assert paths and paths <= case.store._unsynced


def test_a_worker_that_ends_fails_its_captures_not_the_caller(
    case: Case, signer: Signer, http_server: LocalServer
) -> None:
    capturer = open_capturer(case, signer, QUICK)
    pool = WorkerPool(capturer, 2, 2, threading.Event())
    try:
        for process in pool.processes():
            process.kill()
            process.join()
        with pytest.raises(WorkerEndedError):
            pool.prepare(CaptureRequest(url=http_server.url("/slow?ms=1&n=y")))
    finally:
        pool.close()
        capturer.close()
