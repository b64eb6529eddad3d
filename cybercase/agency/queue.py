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

import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cybercase.agency.extras import not_installed
from cybercase.clock import SystemClock, format_utc
from cybercase.errors import CybercaseError, InvalidInputError, NetworkError

if TYPE_CHECKING:
    from procrastinate import App


QUEUE_NAME = "cybercase-capture"

TASK_NAME = "cybercase.capture"

WATCH_TASK = "cybercase.watch"

WATCH_LOCK = "cybercase-watch"

MAX_ATTEMPTS = 5

RETRY_WAIT = 5

DEFAULT_STALLED_AFTER = 30.0


def connector_error(exc: BaseException, db: str) -> CybercaseError:
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


def make_app(db: str, *, sync: bool) -> App:
    try:
        from procrastinate import App, PsycopgConnector, SyncPsycopgConnector
    except ImportError as exc:
        raise not_installed(exc) from exc
    connector: Any = SyncPsycopgConnector(conninfo=db) if sync else PsycopgConnector(conninfo=db)
    return App(connector=connector)


def ensure_schema(db: str) -> None:
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
                    app = make_app(db, sync=True)
                    with app.open():
                        app.schema_manager.apply_schema()
            finally:
                conn.execute("SELECT pg_advisory_unlock(424242)")
    except psycopg.Error as exc:
        raise connector_error(exc, db) from exc


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
    ensure_schema(db)
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
    app = make_app(db, sync=True)
    task = register(app, lambda **_: None)
    try:
        with app.open():
            ids = task.configure(queue=QUEUE_NAME).batch_defer(*args)
    except CybercaseError:
        raise
    except Exception as exc:
        raise connector_error(exc, db) from exc
    return [QueuedUrl(i, a["url"], a["key"]) for i, a in zip(ids, args, strict=True)]


def queue_counts(db: str) -> dict[str, int]:
    """How many capture jobs are in each state (todo, doing, succeeded, failed...)."""
    import psycopg

    check_db_url(db)
    ensure_schema(db)
    try:
        with psycopg.connect(db) as conn:
            rows = conn.execute(
                "SELECT status::text, count(*) FROM procrastinate_jobs "
                "WHERE queue_name = %s GROUP BY status",
                (QUEUE_NAME,),
            ).fetchall()
    except psycopg.Error as exc:
        raise connector_error(exc, db) from exc
    return {str(status): int(n) for status, n in rows}


def register(app: App, func: Callable[..., Any]) -> Any:
    from procrastinate import RetryStrategy

    return app.task(
        name=TASK_NAME,
        queue=QUEUE_NAME,
        pass_context=True,
        retry=RetryStrategy(max_attempts=MAX_ATTEMPTS, wait=RETRY_WAIT),
    )(func)
