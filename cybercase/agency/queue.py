"""A capture queue over several machines, on PostgreSQL, with procrastinate.

Why procrastinate: the queue lives in PostgreSQL itself (an engine an agency's IT
already runs and backs up), so there is no broker to add; jobs are taken with
``SELECT … FOR UPDATE SKIP LOCKED``, so two workers never start the same job; workers
send heartbeats, so a job whose worker died (SIGKILL, power cut) is found "stalled" and
handed out again; and it is a maintained PyPI package with sync and async APIs.

Exactly once. A queue gives *at least once*: a worker killed after committing an item
but before marking its job done has its job run again. So every queued URL gets an
idempotency key (a random id made when it is queued, carried in the job's arguments),
and the ``item.acquired`` entry of its capture records that key (``detail.queue.key``).
Under the case lock, right before the commit, the worker looks for the key in the log;
if it is there the new capture is dropped (its objects stay unreferenced, which verify
reports as harmless) and the job ends as done. The log is the only authority, so this
holds whichever machine ran the first attempt, and without trusting the database.

Cases are found by id under the worker's ``--cases`` folder (local, or a shared
filesystem whose ``flock`` works between machines).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import socket
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cybercase.agency import not_installed
from cybercase.clock import SystemClock, format_utc
from cybercase.errors import CaseNotFoundError, CybercaseError, InvalidInputError, NetworkError
from cybercase.evidence import Case, EntryDraft, Signer
from cybercase.evidence.log.state import EVIDENCE_PREFIX, ITEM_ACQUIRED

if TYPE_CHECKING:
    from procrastinate import App

    from cybercase.collect.capture import Capturer
    from cybercase.collect.commit import PreparedCapture
    from cybercase.collect.config import CaptureSettings
    from cybercase.collect.stages import Stage

QUEUE_NAME = "cybercase-capture"
TASK_NAME = "cybercase.capture"
WATCH_TASK = "cybercase.watch"
WATCH_LOCK = "cybercase-watch"
MAX_ATTEMPTS = 5
RETRY_WAIT = 5
DEFAULT_STALLED_AFTER = 30.0


def _connector_error(exc: BaseException, db: str) -> CybercaseError:
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return NetworkError(
        f"cannot use the queue database: {first}",
        hint="check --db (postgresql://USER@HOST:PORT/DATABASE) and that PostgreSQL runs",
    )


def check_db_url(db: str) -> str:
    """A PostgreSQL URL, or a one-line error (a password belongs in ~/.pgpass, not here)."""
    if not db.startswith(("postgresql://", "postgres://")):
        raise InvalidInputError(
            f"not a PostgreSQL address: {db!r}", hint="write postgresql://USER@HOST:PORT/DATABASE"
        )
    return db


def _app(db: str, *, sync: bool) -> App:
    try:
        from procrastinate import App, PsycopgConnector, SyncPsycopgConnector
    except ImportError as exc:
        raise not_installed(exc) from exc
    connector: Any = SyncPsycopgConnector(conninfo=db) if sync else PsycopgConnector(conninfo=db)
    return App(connector=connector)


def _ensure_schema(db: str) -> None:
    """Create procrastinate's tables the first time a queue is used."""
    import psycopg

    try:
        with psycopg.connect(db, autocommit=True) as conn:
            row = conn.execute("SELECT to_regclass('procrastinate_jobs')").fetchone()
            if row is not None and row[0] is not None:
                return
            conn.execute("SELECT pg_advisory_lock(424242)")
            try:
                row = conn.execute("SELECT to_regclass('procrastinate_jobs')").fetchone()
                if row is None or row[0] is None:
                    app = _app(db, sync=True)
                    with app.open():
                        app.schema_manager.apply_schema()
            finally:
                conn.execute("SELECT pg_advisory_unlock(424242)")
    except psycopg.Error as exc:
        raise _connector_error(exc, db) from exc


@dataclass(frozen=True, slots=True)
class QueuedUrl:
    """One URL put on the queue."""

    job_id: int
    url: str
    key: str
    """The idempotency key its capture will carry in the custody log."""


def add_urls(db: str, case_id: str, urls: Sequence[str], *, queued_by: str) -> list[QueuedUrl]:
    """Queue one capture job per URL for the case; each gets its own idempotency key."""
    from cybercase.collect.http.urls import check_url

    check_db_url(db)
    checked = [check_url(u) for u in urls]
    if not checked:
        raise InvalidInputError("no URL to queue", hint="give URLs, or a list with --from FILE")
    case_id = case_id.strip()
    if not case_id:
        raise InvalidInputError("no case id", hint="give --case CASE-ID")
    _ensure_schema(db)
    now = format_utc(SystemClock().now())
    args = [
        {
            "case": case_id,
            "url": url,
            "key": f"q-{secrets.token_hex(16)}",
            "queued_at": now,
            "queued_by": queued_by,
        }
        for url in checked
    ]
    app = _app(db, sync=True)
    task = _register(app, lambda **_: None)
    try:
        with app.open():
            ids = task.configure(queue=QUEUE_NAME).batch_defer(*args)
    except CybercaseError:
        raise
    except Exception as exc:
        raise _connector_error(exc, db) from exc
    return [QueuedUrl(i, a["url"], a["key"]) for i, a in zip(ids, args, strict=True)]


def queue_counts(db: str) -> dict[str, int]:
    """How many capture jobs are in each state (todo, doing, succeeded, failed...)."""
    import psycopg

    check_db_url(db)
    _ensure_schema(db)
    try:
        with psycopg.connect(db) as conn:
            rows = conn.execute(
                "SELECT status::text, count(*) FROM procrastinate_jobs "
                "WHERE queue_name = %s GROUP BY status",
                (QUEUE_NAME,),
            ).fetchall()
    except psycopg.Error as exc:
        raise _connector_error(exc, db) from exc
    return {str(status): int(n) for status, n in rows}


def _register(app: App, func: Callable[..., Any]) -> Any:
    from procrastinate import RetryStrategy

    return app.task(
        name=TASK_NAME,
        queue=QUEUE_NAME,
        pass_context=True,
        retry=RetryStrategy(max_attempts=MAX_ATTEMPTS, wait=RETRY_WAIT),
    )(func)


# -- the worker ---------------------------------------------------------------------


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
                    detail = prepared.detail()
                    detail["queue"] = queue
                    tx.add(EntryDraft(ITEM_ACQUIRED, (item_id,), detail))
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
    _ensure_schema(db)
    try:
        asyncio.run(_work(db, service, options))
    finally:
        service.close()
    return service.outcomes


async def _work(db: str, service: CaptureService, options: WorkerOptions) -> None:
    from procrastinate import JobContext

    app = _app(db, sync=False)

    def capture(context: JobContext, **args: Any) -> dict[str, Any]:
        job = context.job
        outcome = service.run(int(job.id or 0), int(job.attempts) + 1, args)
        return {"item": outcome.item_id, "key": outcome.key}

    _register(app, capture)
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
