"""Capturing many URLs: concurrency, per-host politeness, group commit, resume, clean stop.

Workers prepare captures in parallel (``jobs``), never more than ``per_host`` at a time for
one host and never starting two captures of a host closer than ``host_delay`` seconds
apart. The calling thread commits what has finished in list order, several items per
transaction (one ``fsync`` of the log for the group, after the group's objects are made
durable), and reports each item as soon as it is committed: the item numbers follow the
list (E0001 is its first URL), whichever capture finishes first.

Every URL of a batch is recorded with the batch's id (``detail.batch.id``). The id is the
SHA-256 of the URL list, or the name given with ``--batch``; ``--resume`` skips the URLs
that already have an item from that batch, whatever their outcome.

Ctrl-C sets a cancel flag (it raises no KeyboardInterrupt mid-commit): captures in progress
stop at their next network read and are discarded, captures complete in list order up to
the first stopped one are committed (the rest waits for ``--resume``),
and the result says the batch was interrupted. An interrupted or killed batch leaves at
most unreferenced objects or temporary files, which ``verify`` reports as harmless.
"""

from __future__ import annotations

import hashlib
import signal
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import urlsplit

from cybercase.clock import Clock
from cybercase.collect.actions import CAPTURE_KIND, ITEM_ACQUIRED, AcquiredDetail
from cybercase.collect.capture import open_capturer
from cybercase.collect.commit import (
    Analyse,
    CaptureRequest,
    CaptureResult,
    PreparedCapture,
    commit_captures,
)
from cybercase.collect.config import CaptureSettings
from cybercase.collect.http.urls import check_url
from cybercase.collect.http.wire import CaptureCancelled
from cybercase.collect.record import BatchRef
from cybercase.collect.redact import strip_userinfo
from cybercase.collect.stages import Stage
from cybercase.collect.workers import WorkerPool, worker_count
from cybercase.errors import CaseCorruptError, CybercaseError, InvalidInputError
from cybercase.evidence import Case, Signer
from cybercase.progress import NullProgress, Progress

MAX_GROUP = 256
GROUP_TARGET = 64
GROUP_DELAY = 0.2
"""Group commit: finished captures wait for up to this many seconds (or until 64 are
ready, or nothing else runs) to share one transaction. Each transaction costs the disk
three flushes (objects, log, head), 10-40 ms on an ordinary disk: committing every few
pages as they finish would spend more time flushing than capturing. Nothing is reported
before its entry is durable, so the wait only delays the report."""
POLL_SECONDS = 0.25
WINDOW_PER_JOB = 8
MIN_WINDOW = 32
"""URLs prepared ahead of the first one not yet committed: items are numbered in list order,
so a slow URL holds back the commits (never the captures) of at most this many after it."""


def read_url_file(name: str) -> list[str]:
    """The URLs of a list file (``-`` for standard input), checked by :func:`parse_url_list`."""
    if name == "-":
        return parse_url_list(sys.stdin.read(), "stdin")
    try:
        text = Path(name).read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise InvalidInputError(f"cannot read {name}: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise InvalidInputError(f"{name} is not UTF-8 text") from exc
    return parse_url_list(text, name)


def parse_url_list(text: str, source: str = "the URL list") -> list[str]:
    """URLs from a list: one a line, blank lines and ``#`` comments ignored.

    Every line is checked before anything is fetched; bad lines are named together. The URLs
    are returned as written (the capture records both that and the normalised form).
    """
    urls: list[str] = []
    problems: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        value = line.strip()
        if not value or value.startswith("#"):
            continue
        try:
            check_url(value)
        except InvalidInputError as exc:
            problems.append(f"line {number}: {exc.message}")
            continue
        urls.append(value)
    if problems:
        more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
        raise InvalidInputError(
            f"{source} has {len(problems)} bad line(s): " + "; ".join(problems[:3]) + more,
            hint="fix those lines (http:// or https:// URLs, one per line); nothing was captured",
        )
    return urls


def batch_id_for(urls: Sequence[str]) -> str:
    """The id of a batch: derived from its URL list, so the same list resumes itself."""
    digest = hashlib.sha256("\n".join(urls).encode("utf-8")).hexdigest()
    return f"batch-{digest[:20]}"


def already_captured(case: Case, batch_id: str) -> Counter[str]:
    """How many times each URL already has an item from this batch."""
    done: Counter[str] = Counter()
    for entry in case.entries():
        if entry.action != ITEM_ACQUIRED:
            continue
        batch = entry.detail.get("batch")
        if not isinstance(batch, dict) or batch.get("id") != batch_id:
            continue  # another batch's: not worth validating (a watched case holds thousands)
        try:
            detail = entry.detail_as(AcquiredDetail)
        except CaseCorruptError:
            continue  # an entry this version cannot read is not counted, as before
        if detail.kind == CAPTURE_KIND and detail.batch is not None and detail.batch.id == batch_id:
            done[detail.url] += 1
    return done


@dataclass(slots=True)
class BatchResult:
    """What a batch did."""

    batch_id: str
    total: int
    results: list[CaptureResult] = field(default_factory=list)
    skipped: int = 0
    """URLs skipped by ``--resume``."""
    interrupted: bool = False
    """Stopped by Ctrl-C before every URL was captured."""

    @property
    def failed(self) -> list[CaptureResult]:
        """Items whose URL was not captured cleanly."""
        return [r for r in self.results if not r.ok]

    def outcomes(self) -> dict[str, int]:
        """How many items ended each way."""
        return dict(Counter(r.outcome for r in self.results))

    def summary_json(self) -> dict[str, Any]:
        """The closing ``--json`` line."""
        return {
            "summary": {
                "batch": self.batch_id,
                "total": self.total,
                "captured": len(self.results),
                "ok": len(self.results) - len(self.failed),
                "failed": len(self.failed),
                "skipped": self.skipped,
                "interrupted": self.interrupted,
                "outcomes": self.outcomes(),
            }
        }


class HostGate:
    """Per-host limits: at most ``per_host`` captures at once, starts ``delay`` apart."""

    def __init__(self, per_host: int, delay: float, cancel: threading.Event) -> None:
        self._per_host = per_host
        self._delay = delay
        self._cancel = cancel
        self._lock = threading.Lock()
        self._slots: dict[str, threading.Semaphore] = {}
        self._next_start: dict[str, float] = {}

    @contextmanager
    def enter(self, url: str) -> Iterator[None]:
        """Hold a slot for ``url``'s host during one capture."""
        host = (urlsplit(url).hostname or "").lower()
        with self._lock:
            slot = self._slots.setdefault(host, threading.Semaphore(self._per_host))
        while not slot.acquire(timeout=POLL_SECONDS):
            if self._cancel.is_set():
                raise CaptureCancelled("the batch was interrupted")
        try:
            if self._delay > 0:
                with self._lock:
                    now = time.monotonic()
                    start = max(now, self._next_start.get(host, now))
                    self._next_start[host] = start + self._delay
                if start > now and self._cancel.wait(start - now):
                    raise CaptureCancelled("the batch was interrupted")
            yield
        finally:
            slot.release()


def run_batch(
    case: Case,
    signer: Signer,
    urls: Sequence[str],
    settings: CaptureSettings,
    *,
    batch_id: str | None = None,
    resume: bool = False,
    tags: Sequence[str] = (),
    note: str | None = None,
    persona: str | None = None,
    stages: Sequence[Stage] = (),
    progress: Progress | None = None,
    on_result: Callable[[CaptureResult], None] | None = None,
    clock: Clock | None = None,
    cancel: threading.Event | None = None,
    analyse: Analyse | None = None,
) -> BatchResult:
    """Capture every URL as its own item; see the module's description.

    ``analyse``, if given, runs on each capture as it is prepared (see :data:`Analyse`).
    """
    typed = [u.strip() for u in urls]
    checked = [check_url(u) for u in typed]
    if not checked:
        raise InvalidInputError("no URL to capture", hint="give URLs, or a list with --from")
    # The id and --resume use the URLs as stored: a password in a URL never reaches the
    # log, not even through the (unkeyed) hash that names the batch.
    stored = [strip_userinfo(u) for u in checked]
    ident = batch_id or batch_id_for(stored)
    result = BatchResult(batch_id=ident, total=len(checked))
    done = already_captured(case, ident) if resume else Counter()
    todo: list[tuple[int, str, str]] = []
    for index, (url, as_typed) in enumerate(zip(checked, typed, strict=True), start=1):
        if done[stored[index - 1]] > 0:
            done[stored[index - 1]] -= 1
            result.skipped += 1
            continue
        todo.append((index, url, as_typed))
    progress = progress or NullProgress()
    cancel = cancel or threading.Event()
    if not todo:
        return result
    capturer = open_capturer(
        case,
        signer,
        settings,
        persona=persona,
        stages=stages,
        clock=clock,
        cancel=cancel,
        analyse=analyse,
    )
    gate = HostGate(settings.per_host, settings.host_delay, cancel)
    processes = worker_count(len(todo), settings.jobs, stages=bool(stages))
    try:
        workers = WorkerPool(capturer, processes, settings.jobs, cancel) if processes else None
    except BaseException:
        capturer.close()
        raise
    prepare = workers.prepare if workers is not None else capturer.prepare

    def work(index: int, url: str, as_typed: str) -> PreparedCapture:
        if cancel.is_set():
            raise CaptureCancelled("the batch was interrupted")
        request = CaptureRequest(
            url=url,
            batch=BatchRef(id=ident, index=index, total=len(checked)),
            tags=tuple(tags),
            note=note,
            typed=as_typed,
        )
        with gate.enter(strip_userinfo(url)):
            return prepare(request)

    progress.start(f"Capturing {len(todo)} URL(s)", len(todo))
    pool = ThreadPoolExecutor(
        max_workers=min(settings.jobs, len(todo)), thread_name_prefix="capture"
    )
    window = max(WINDOW_PER_JOB * settings.jobs, MIN_WINDOW)
    running: dict[Future[PreparedCapture], int] = {}
    finished: dict[int, Future[PreparedCapture]] = {}
    submitted = in_order = 0
    group: list[Future[PreparedCapture]] = []
    """Captures finished in list order, awaiting the group commit (``in_order`` counts them)."""
    group_since = 0.0
    try:
        with _ctrl_c_cancels(cancel) as ctrl_c:
            while in_order < len(todo):
                while (
                    submitted < len(todo) and submitted < in_order + window and not cancel.is_set()
                ):
                    running[pool.submit(work, *todo[submitted])] = submitted
                    submitted += 1
                if cancel.is_set() or not running:
                    break
                timeout = POLL_SECONDS
                if group:
                    timeout = max(0.0, min(timeout, group_since + GROUP_DELAY - time.monotonic()))
                arrived, _ = wait(running, timeout=timeout, return_when=FIRST_COMPLETED)
                for future in arrived:
                    finished[running.pop(future)] = future
                if any(_failed(f) for f in finished.values()):
                    # Keep every capture that is ready, then stop on the error.
                    ready = [*group, *(finished.pop(n) for n in sorted(finished))]
                    group = []
                    _commit(case, signer, ready, result, progress, on_result)
                start = in_order
                while in_order in finished:
                    in_order += 1
                if in_order > start and not group:
                    group_since = time.monotonic()
                group.extend(finished.pop(n) for n in range(start, in_order))
                if group and (
                    len(group) >= GROUP_TARGET
                    or not running
                    or time.monotonic() - group_since >= GROUP_DELAY
                ):
                    ready, group = group, []
                    _commit(case, signer, ready, result, progress, on_result)
            if group and not cancel.is_set():
                ready, group = group, []
                _commit(case, signer, ready, result, progress, on_result)
            if cancel.is_set():
                result.interrupted = ctrl_c.pressed
                for pending in running:
                    pending.cancel()
                arrived, _ = wait(running)
                for future in arrived:
                    finished[running.pop(future)] = future
                # Only what is complete in list order, up to the first capture that was
                # stopped: the ones after it wait for --resume, so the items stay a prefix
                # of the list.
                start = in_order
                while in_order in finished:
                    in_order += 1
                ready = _up_to_first_stopped(
                    [*group, *(finished[n] for n in range(start, in_order))]
                )
                group = []
                _commit(case, signer, ready, result, progress, on_result, quiet=True)
    except BaseException:
        cancel.set()
        for pending in running:
            pending.cancel()
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        if workers is not None:
            workers.close()
        capturer.close()
        progress.finish()
    return result


class _CtrlC:
    """Whether Ctrl-C was pressed during the batch."""

    pressed = False


@contextmanager
def _ctrl_c_cancels(cancel: threading.Event) -> Iterator[_CtrlC]:
    """Ctrl-C sets ``cancel`` instead of raising mid-commit (main thread only).

    A KeyboardInterrupt raised between the custody log's write and the bookkeeping after it
    would report fewer items than the log holds; as a flag, the batch stops between
    commits. A second Ctrl-C raises as usual, for a user who will not wait.
    """
    state = _CtrlC()
    if threading.current_thread() is not threading.main_thread():
        yield state
        return
    previous = signal.getsignal(signal.SIGINT)
    if previous is not signal.default_int_handler:
        yield state
        return

    def pressed(signum: int, frame: FrameType | None) -> None:
        if state.pressed:
            raise KeyboardInterrupt
        state.pressed = True
        cancel.set()

    signal.signal(signal.SIGINT, pressed)
    try:
        yield state
    finally:
        signal.signal(signal.SIGINT, previous)


def _failed(future: Future[PreparedCapture]) -> bool:
    """Whether a finished capture raised a real error (not a cancellation)."""
    if future.cancelled():
        return False
    error = future.exception()
    return error is not None and not isinstance(error, CaptureCancelled)


def _up_to_first_stopped(
    futures: Sequence[Future[PreparedCapture]],
) -> list[Future[PreparedCapture]]:
    """The leading futures that hold a prepared capture, up to the first that does not.

    A stop that is not the batch's own (a bug: neither a cancellation nor a
    :class:`CybercaseError`) is kept, so that committing raises it rather than hiding it.
    """
    kept: list[Future[PreparedCapture]] = []
    for future in futures:
        error = None if future.cancelled() else future.exception()
        if future.cancelled() or error is not None:
            if error is not None and not isinstance(error, (CaptureCancelled, CybercaseError)):
                kept.append(future)
            break
        kept.append(future)
    return kept


def _commit(
    case: Case,
    signer: Signer,
    finished: Sequence[Future[PreparedCapture]],
    result: BatchResult,
    progress: Progress,
    on_result: Callable[[CaptureResult], None] | None,
    *,
    quiet: bool = False,
) -> None:
    """Commit the prepared captures among ``finished`` (in list order), then raise the first
    real error; ``quiet`` (after Ctrl-C) drops errors, which the resumed batch meets again."""
    ready: list[PreparedCapture] = []
    problem: BaseException | None = None
    for future in finished:
        if future.cancelled():
            continue
        error = future.exception()
        if error is None:
            ready.append(future.result())
        elif isinstance(error, CaptureCancelled) or (quiet and isinstance(error, CybercaseError)):
            continue
        elif problem is None:
            problem = error
    for start in range(0, len(ready), MAX_GROUP):
        for committed in commit_captures(case, signer, ready[start : start + MAX_GROUP]):
            result.results.append(committed)
            progress.advance(1)
            if on_result is not None:
                on_result(committed)
    if problem is not None:
        raise problem
