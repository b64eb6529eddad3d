"""The capture worker: takes queued URLs, captures them into their cases exactly once.

A job names its case and carries the URL's idempotency key; the worker skips a key the
case already committed (a job run again after a crash), commits captures in groups
(:class:`GroupCommitter`) and runs watch checks on a schedule (:func:`watch_cron`). The
queue itself is :mod:`cybercase.agency.queue`.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import threading
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cybercase.agency.queue import (
    DEFAULT_STALLED_AFTER,
    QUEUE_NAME,
    TASK_NAME,
    WATCH_LOCK,
    WATCH_TASK,
    check_db_url,
    ensure_schema,
    make_app,
    register,
)
from cybercase.errors import CaseNotFoundError, CybercaseError, InvalidInputError
from cybercase.evidence import Case, EntryDraft, Signer
from cybercase.evidence.log.state import EVIDENCE_PREFIX, ITEM_ACQUIRED

if TYPE_CHECKING:
    from procrastinate import App

    from cybercase.collect.capture import Capturer
    from cybercase.collect.commit import PreparedCapture
    from cybercase.collect.config import CaptureSettings
    from cybercase.collect.stages import Stage


def find_case(cases: Path, case_id: str) -> Path:
    """The folder under ``cases`` holding the case with this id (or ``cases`` itself)."""
    from cybercase.evidence.case import CASE_JSON
    from cybercase.evidence.models import CaseMeta

    candidates = [cases, *sorted(p for p in cases.iterdir() if p.is_dir())]
    for folder in candidates:
        path = folder / CASE_JSON
        if not path.is_file():
            continue
        try:
            if CaseMeta.model_validate_json(path.read_bytes()).id == case_id:
                return folder
        except (OSError, ValueError):
            continue
    raise CaseNotFoundError(
        f"no case {case_id} under {cases}", hint="give the worker --cases DIR holding it"
    )


def committed_keys(case: Case) -> set[str]:
    """Idempotency keys of every queued capture already in the case's log."""
    keys: set[str] = set()
    for entry in case.entries():
        if entry.action != ITEM_ACQUIRED:
            continue
        queue = entry.detail.get("queue")
        if isinstance(queue, dict) and isinstance(queue.get("key"), str):
            keys.add(queue["key"])
    return keys


@dataclass(slots=True)
class JobOutcome:
    """What one job did to its case."""

    key: str
    url: str
    item_id: str | None
    """The new item, or ``None`` when an earlier attempt had already committed it."""
    duplicate_dropped: bool = False


def commit_queued(
    case: Case, signer: Signer, prepared: PreparedCapture, queue: dict[str, Any]
) -> JobOutcome:
    """Commit one queued capture unless its key is already in the log (checked under lock)."""
    return GroupCommitter(case, signer).commit(prepared, queue)


class GroupCommitter:
    """Commits the captures of concurrent jobs of one case together, each exactly once.

    The job that finds no commit under way leads: it commits everything waiting (one
    transaction, one ``fsync`` of the log for the group), then whatever arrived meanwhile,
    while the others wait for their outcome. Under the case lock, after catching up with
    what other processes wrote, a capture whose key the log already holds is dropped.
    """

    def __init__(self, case: Case, signer: Signer) -> None:
        self.case = case
        self.signer = signer
        self._lock = threading.Lock()
        self._pending: list[tuple[PreparedCapture, dict[str, Any], Future[JobOutcome]]] = []
        self._busy = False
        self._keys: set[str] = set()
        self._scanned = 0

    def known_keys(self) -> set[str]:
        """Keys in the log as of its last read (call under the case lock, after refresh)."""
        entries = list(self.case.entries())
        for entry in entries[self._scanned :]:
            if entry.action != ITEM_ACQUIRED:
                continue
            queue = entry.detail.get("queue")
            if isinstance(queue, dict) and isinstance(queue.get("key"), str):
                self._keys.add(queue["key"])
        self._scanned = len(entries)
        return self._keys

    def is_committed(self, key: str) -> bool:
        """Whether the log holds this key now (reads what other processes appended)."""
        with self.case.lock:
            self.case.refresh()
            return key in self.known_keys()

    def commit(self, prepared: PreparedCapture, queue: dict[str, Any]) -> JobOutcome:
        """Commit one capture (with whatever else is waiting); its outcome."""
        future: Future[JobOutcome] = Future()
        with self._lock:
            self._pending.append((prepared, queue, future))
            lead = not self._busy
            self._busy = True
        if lead:
            try:
                while True:
                    with self._lock:
                        group, self._pending = self._pending, []
                        if not group:
                            self._busy = False
                            break
                    self._commit_group(group)
            except BaseException as exc:
                with self._lock:
                    stranded, self._pending = self._pending, []
                    self._busy = False
                for _prepared, _queue, waiting in stranded:
                    waiting.set_exception(exc)
                raise
        return future.result()

    def _commit_group(
        self, group: list[tuple[PreparedCapture, dict[str, Any], Future[JobOutcome]]]
    ) -> None:
        outcomes: list[JobOutcome] = []
        try:
            with self.case.transaction(self.signer) as tx:
                keys = self.known_keys()
                seen: set[str] = set()
                for prepared, queue, _future in group:
                    key = str(queue["key"])
                    url = prepared.request.url
                    if key in keys or key in seen:
                        outcomes.append(JobOutcome(key, url, None, duplicate_dropped=True))
                        continue
                    seen.add(key)
                    item_id = tx.new_id(EVIDENCE_PREFIX)
                    detail = prepared.acquired().model_copy(update={"queue": queue})
                    tx.add(EntryDraft.of(ITEM_ACQUIRED, detail, (item_id,)))
                    outcomes.append(JobOutcome(key, url, item_id))
        except Exception as exc:  # noqa: BLE001 - each waiting job raises it as its own
            for _prepared, _queue, future in group:
                future.set_exception(exc)
            return
        for (_prepared, _queue, future), outcome in zip(group, outcomes, strict=True):
            future.set_result(outcome)


@dataclass(slots=True)
class CaptureService:
    """What a worker process shares between its jobs: key, settings, browser, capturers."""

    cases: Path
    signer: Signer
    settings: CaptureSettings
    stages: Sequence[Stage] = ()
    name: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}")
    outcomes: list[JobOutcome] = field(default_factory=list)
    _capturers: dict[Path, tuple[GroupCommitter, Capturer]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _capturer(self, case_id: str) -> tuple[GroupCommitter, Capturer]:
        from cybercase.collect.capture import open_capturer

        root = find_case(self.cases, case_id)
        with self._lock:
            if root not in self._capturers:
                case = Case.open(root)
                self._capturers[root] = (
                    GroupCommitter(case, self.signer),
                    open_capturer(case, self.signer, self.settings, stages=self.stages),
                )
            return self._capturers[root]

    def run(self, job_id: int, attempt: int, args: dict[str, Any]) -> JobOutcome:
        """One job: skip if already committed, else capture, then commit exactly once."""
        from cybercase.collect.commit import CaptureRequest

        committer, capturer = self._capturer(str(args["case"]))
        key = str(args["key"])
        if committer.is_committed(key):
            outcome = JobOutcome(key, str(args["url"]), None, duplicate_dropped=False)
        else:
            prepared = capturer.prepare(CaptureRequest(url=str(args["url"])))
            queue = {
                "key": key,
                "job": job_id,
                "attempt": attempt,
                "worker": self.name,
                "queued_at": args.get("queued_at"),
                "queued_by": args.get("queued_by"),
            }
            outcome = committer.commit(prepared, queue)
        with self._lock:
            self.outcomes.append(outcome)
        return outcome

    def watch_due(self) -> list[WatchOutcome]:
        """Run the watch list of every case under ``cases`` that has something due.

        ``watch run`` takes the case's own watch-run lock, so a case another machine is
        already watching is skipped, not run twice; a case with nothing due is not
        touched (no entry is written).
        """
        from cybercase.evidence.case import CASE_JSON
        from cybercase.monitor import RunOptions, WatchBusyError, run_watch

        found: list[WatchOutcome] = []
        folders = [self.cases, *sorted(p for p in self.cases.iterdir() if p.is_dir())]
        for folder in folders:
            if not (folder / CASE_JSON).is_file():
                continue
            try:
                case = Case.open(folder)
                if self.signer.fingerprint not in case.state.keys:
                    continue
                result = run_watch(
                    case,
                    self.signer,
                    RunOptions(settings=self.settings, browser=bool(self.stages)),
                )
            except WatchBusyError as exc:
                found.append(WatchOutcome(str(folder), None, 0, exc.message))
                continue
            except CybercaseError as exc:
                found.append(WatchOutcome(str(folder), None, 0, exc.one_line()))
                continue
            if result.run is not None:
                found.append(WatchOutcome(str(folder), result.run, len(result.captures), None))
        return found

    def close(self) -> None:
        """Close every capturer."""
        for _case, capturer in self._capturers.values():
            with contextlib.suppress(CybercaseError):
                capturer.close()


@dataclass(frozen=True, slots=True)
class WatchOutcome:
    """What the periodic watch job did to one case."""

    case: str
    run: str | None
    """The watch run's id, when one ran."""
    captured: int
    skipped: str | None
    """Why the case was not watched this time (busy, unreadable)."""


def watch_cron(seconds: int) -> str:
    """A cron line (with procrastinate's seconds column) for a check every ``seconds``."""
    if seconds < 60:
        if 60 % seconds:
            raise InvalidInputError(
                f"--watch-every {seconds}: under a minute it must divide 60 (5, 10, 15, 30...)"
            )
        return f"* * * * * */{seconds}"
    if seconds % 60 or 60 % (seconds // 60):
        raise InvalidInputError(
            f"--watch-every {seconds}: give whole minutes that divide an hour (60, 300, 600...)"
        )
    return f"*/{seconds // 60} * * * *"


@dataclass(frozen=True, slots=True)
class WorkerOptions:
    """How a worker runs."""

    watch_every: int | None = None
    """Seconds between checks of the watch lists (``None``: this worker does not watch)."""
    concurrency: int = 4
    stalled_after: float = DEFAULT_STALLED_AFTER
    """A job whose worker sent no heartbeat for this long is handed out again."""
    until_empty: bool = False
    """Stop once no job is waiting or running (for scripts and tests)."""


def run_worker(db: str, service: CaptureService, options: WorkerOptions) -> list[JobOutcome]:
    """Take capture jobs until stopped (Ctrl-C, SIGTERM) or, with ``until_empty``, done."""
    check_db_url(db)
    ensure_schema(db)
    try:
        asyncio.run(_work(db, service, options))
    finally:
        service.close()
    return service.outcomes


async def _work(db: str, service: CaptureService, options: WorkerOptions) -> None:
    from procrastinate import JobContext

    app = make_app(db, sync=False)

    def capture(context: JobContext, **args: Any) -> dict[str, Any]:
        job = context.job
        outcome = service.run(int(job.id or 0), int(job.attempts) + 1, args)
        return {"item": outcome.item_id, "key": outcome.key}

    register(app, capture)
    if options.watch_every is not None:

        def watch(context: JobContext, timestamp: int) -> dict[str, Any]:
            outcomes = service.watch_due()
            return {"watched": [o.case for o in outcomes if o.run], "at": timestamp}

        task = app.task(
            name=WATCH_TASK,
            queue=QUEUE_NAME,
            pass_context=True,
            lock=WATCH_LOCK,
            queueing_lock=WATCH_LOCK,
        )(watch)
        app.periodic(cron=watch_cron(options.watch_every), periodic_id="watch")(task)
    heartbeat = max(0.5, options.stalled_after / 3)
    async with app.open_async():
        worker = asyncio.create_task(
            app.run_worker_async(
                queues=[QUEUE_NAME],
                concurrency=options.concurrency,
                name=service.name,
                update_heartbeat_interval=heartbeat,
                stalled_worker_timeout=options.stalled_after,
                fetch_job_polling_interval=min(5.0, heartbeat),
                install_signal_handlers=True,
            )
        )
        watcher = asyncio.create_task(_rescue_stalled(app, options, worker))
        try:
            with contextlib.suppress(asyncio.CancelledError):
                await worker
        finally:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher


async def _rescue_stalled(app: App, options: WorkerOptions, worker: asyncio.Task[None]) -> None:
    """Hand out again the jobs of dead workers; with ``until_empty``, stop when all is done."""
    interval = max(0.5, options.stalled_after / 3)
    while not worker.done():
        stalled = await app.job_manager.get_stalled_jobs(
            queue=QUEUE_NAME, seconds_since_heartbeat=options.stalled_after
        )
        for job in stalled:
            with contextlib.suppress(Exception):
                await app.job_manager.retry_job(job)
        if options.until_empty:
            pending = await app.connector.execute_query_one_async(
                "SELECT count(*) AS n FROM procrastinate_jobs WHERE queue_name = %(queue)s "
                "AND task_name = %(task)s AND status IN ('todo', 'doing')",
                queue=QUEUE_NAME,
                task=TASK_NAME,
            )
            if int(pending["n"]) == 0:
                worker.cancel()
                return
        await asyncio.sleep(interval)
