"""Preparing a batch's captures in worker processes, so that a batch uses every core.

One Python process runs one thread of Python at a time: fetching, reading the HTML,
building the record and writing the WARC of a page is CPU work, so a batch of thousands of
URLs in one process uses one core. :class:`WorkerPool` forks worker processes (after the
library is imported and the environment surveyed, so a worker starts in milliseconds and
shares the batch's settings, case and surroundings); each prepares captures on its own
threads, exactly as :meth:`Capturer.prepare` does in process, storing the objects unsynced.

What stays in the calling process, the only writer of the case: the per-host gate (a
worker is handed a URL only once its host has a slot), the item numbers, the custody log
and the group commit. A prepared capture comes back as its record and artifacts; the
commit then makes the worker's objects durable with its own (``ObjectStore.sync``) before
the entry naming them is written, so every durability guarantee holds as in one process.

Ctrl-C reaches only the caller (workers ignore SIGINT); its cancel flag is passed on. A
worker that dies fails its captures (the batch stops with an error, as on any failure);
when the caller dies, even by SIGKILL, its workers read the end of their task pipe, stop
and exit, leaving at most unreferenced objects and temporary files, as a killed batch does.

Only where ``fork`` exists (Linux, macOS), for batches without browser stages, and never
on one core: elsewhere the batch prepares on threads, as before.
"""

from __future__ import annotations

import contextlib
import gc
import itertools
import multiprocessing
import os
import pickle
import signal
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from multiprocessing.connection import Connection
from typing import Any

from cybercase.collect.capture import Capturer
from cybercase.collect.commit import CaptureRequest, PreparedCapture
from cybercase.collect.http.fetch import Fetcher
from cybercase.collect.http.wire import CaptureCancelled
from cybercase.digest import Digest
from cybercase.errors import CybercaseError

ENV_PROCESSES = "CYBERCASE_CAPTURE_PROCESSES"
"""Worker processes for a batch: unset picks one per core, ``0`` or ``1`` prepares in process."""
MIN_URLS = 32
"""Batches shorter than this prepare on threads: forking costs more than it saves."""
MAX_PROCESSES = 4
POLL_SECONDS = 0.25
_CANCEL = "cancel"


def worker_count(urls: int, jobs: int, *, stages: bool) -> int:
    """How many worker processes a batch of ``urls`` with ``jobs`` at once should use (0: none)."""
    if stages or jobs < 2 or not hasattr(os, "fork"):
        return 0
    wanted = os.environ.get(ENV_PROCESSES, "").strip()
    if wanted:
        try:
            count = int(wanted)
        except ValueError:
            return 0
        return count if count >= 2 else 0
    if urls < MIN_URLS:
        return 0
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    count = min(cores or 1, MAX_PROCESSES, jobs)
    return count if count >= 2 else 0


class WorkerEndedError(CybercaseError):
    """A worker process ended while it held captures of the batch."""


class _Worker:
    """The caller's side of one worker process."""

    def __init__(self, process: Any, tasks: Connection, results: Connection) -> None:
        self.process = process
        self.tasks = tasks
        self.results = results
        self.send_lock = threading.Lock()
        self.pending: dict[int, Future[PreparedCapture]] = {}
        self.reader: threading.Thread | None = None
        self.ended = False
        """Its result pipe has closed: it takes no more captures."""

    def send(self, message: object) -> None:
        with self.send_lock:
            self.tasks.send(message)


class WorkerPool:
    """Worker processes preparing captures for one batch (see the module's description)."""

    def __init__(
        self, capturer: Capturer, processes: int, jobs: int, cancel: threading.Event
    ) -> None:
        self._cancel = cancel
        self._ids = itertools.count()
        self._lock = threading.Lock()
        self._cancel_sent = False
        threads = max(1, -(-jobs // processes))
        context = multiprocessing.get_context("fork")
        self._workers: list[_Worker] = []
        # What the caller holds (the case's log, a watch run's state) is the workers'
        # too, page for page until written. Frozen, a worker's garbage collector never
        # walks it, and so neither spends its time there nor copies those pages.
        gc.freeze()
        # Every worker is forked before any thread of the pool starts: a fork copies only
        # the forking thread, so no lock another thread holds can be copied held.
        for _ in range(processes):
            task_out, task_in = context.Pipe(duplex=False)
            result_out, result_in = context.Pipe(duplex=False)
            # A worker closes its copies of the caller's ends (its own, and those of the
            # workers forked before it): else it would never read the end of its task pipe
            # when the caller dies, the write end being still open in itself or a sibling.
            inherited = [
                task_in,
                result_out,
                *(end for w in self._workers for end in (w.tasks, w.results)),
            ]
            process = context.Process(
                target=_serve,
                args=(capturer, threads, task_out, result_in, inherited),
                name="cybercase-capture",
                daemon=True,
            )
            process.start()
            task_out.close()
            result_in.close()
            self._workers.append(_Worker(process, task_in, result_out))
        for worker in self._workers:
            worker.reader = threading.Thread(
                target=self._read, args=(worker,), name="capture-results", daemon=True
            )
            worker.reader.start()
        self._store = capturer.case.store

    def processes(self) -> list[Any]:
        """The worker processes (``multiprocessing.Process``), for tests and diagnostics."""
        return [worker.process for worker in self._workers]

    def prepare(self, request: CaptureRequest) -> PreparedCapture:
        """Prepare one capture in a worker; blocks the calling thread until it is done."""
        future: Future[PreparedCapture] = Future()
        with self._lock:
            task = next(self._ids)
            alive = [w for w in self._workers if not w.ended]
            if not alive:
                raise WorkerEndedError("the capture worker processes have ended")
            worker = min(alive, key=lambda w: len(w.pending))
            worker.pending[task] = future
        try:
            worker.send((task, request))
        except OSError as exc:
            with self._lock:
                worker.pending.pop(task, None)
            raise WorkerEndedError(f"a capture worker process cannot be reached: {exc}") from exc
        while True:
            try:
                prepared = future.result(timeout=POLL_SECONDS)
            except FutureTimeout:
                if self._cancel.is_set():
                    self._pass_cancel()
                continue
            self._store.stored_elsewhere(Digest.parse(a.digest) for a in prepared.artifacts)
            return prepared

    def _pass_cancel(self) -> None:
        with self._lock:
            if self._cancel_sent:
                return
            self._cancel_sent = True
        for worker in self._workers:
            with contextlib.suppress(OSError):
                worker.send(_CANCEL)

    def _read(self, worker: _Worker) -> None:
        """Hand each result to the capture waiting for it; fail them all if the worker ends."""
        while True:
            try:
                data = worker.results.recv_bytes()
            except (EOFError, OSError):
                break
            task, ok, value = _loads(data)
            with self._lock:
                future = worker.pending.pop(task, None)
            if future is None:
                continue
            if ok:
                future.set_result(value)
            else:
                future.set_exception(value)
        with self._lock:
            worker.ended = True
            lost = list(worker.pending.values())
            worker.pending.clear()
        for future in lost:
            future.set_exception(WorkerEndedError("a capture worker process ended unexpectedly"))

    def close(self) -> None:
        """Let the workers finish what they hold, then end them."""
        for worker in self._workers:
            with contextlib.suppress(OSError):
                worker.send(None)
        for worker in self._workers:
            worker.process.join(timeout=30)
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join()
            worker.tasks.close()
            if worker.reader is not None:
                worker.reader.join()
            worker.results.close()


def _loads(data: bytes) -> tuple[int, bool, Any]:
    """A worker's message: ``(task, True, PreparedCapture)`` or ``(task, False, exception)``."""
    task, ok, value = pickle.loads(data)
    if not ok and not isinstance(value, BaseException):
        value = CybercaseError(str(value))
    return task, ok, value


def _dumps(task: int, ok: bool, value: object) -> bytes:
    """A result as bytes; an exception that cannot be pickled travels as its message."""
    try:
        return pickle.dumps((task, ok, value), protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:
        if ok:
            raise
        return pickle.dumps((task, False, f"{type(value).__name__}: {value}"))


def _serve(
    capturer: Capturer,
    threads: int,
    tasks: Connection,
    results: Connection,
    inherited: list[Connection],
) -> None:
    """A worker process: prepare every capture it is handed, on ``threads`` threads."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for end in inherited:
        end.close()
    cancel = threading.Event()
    # A fetcher of its own: the caller's connections and locks are not this process's.
    fetcher = Fetcher(capturer.settings, clock=capturer.clock, cancel=cancel)
    mine = Capturer(
        capturer.case,
        capturer.settings,
        capturer.surroundings,
        fetcher=fetcher,
        clock=capturer.clock,
        analyse=capturer.analyse,
    )
    send_lock = threading.Lock()
    pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="capture")

    def run(task: int, request: CaptureRequest) -> None:
        try:
            message = _dumps(task, True, mine.prepare(request))
        except BaseException as exc:  # noqa: BLE001 - every outcome goes back to the caller
            message = _dumps(task, False, exc)
        with send_lock, contextlib.suppress(OSError):
            results.send_bytes(message)

    try:
        while True:
            try:
                message = tasks.recv()
            except (EOFError, OSError):
                cancel.set()  # the caller is gone: stop what is running
                break
            if message is None:
                break
            if message == _CANCEL:
                cancel.set()
                continue
            task, request = message
            if cancel.is_set():
                with send_lock, contextlib.suppress(OSError):
                    results.send_bytes(
                        _dumps(task, False, CaptureCancelled("the batch was interrupted"))
                    )
                continue
            pool.submit(run, task, request)
    finally:
        pool.shutdown(wait=True)
        fetcher.close()
        results.close()


__all__ = ["ENV_PROCESSES", "WorkerEndedError", "WorkerPool", "worker_count"]
