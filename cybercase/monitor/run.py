"""``watch run``: capture every watched URL that is due, compare each with the one before.

A run is the ordinary capture library at work (:func:`cybercase.collect.session.
capture_urls`), so every recapture is a normal evidence item with its WARC, record,
images, browser view and trusted timestamp. Around it:

1. The run takes the case's watch-run lock (:mod:`.lock`): a second run is turned away
   with a message naming the first.
2. Captures a killed run left uncompared are compared first.
3. A run that was started and never finished is resumed: its ``watch.run.started``
   entry lists its URLs, and those that already have an item from it (its batch id) are
   skipped. Otherwise the due URLs are listed in a new ``watch.run.started`` entry
   before anything is fetched. Either way "due" and "done" come from the log only, so a
   run killed at any point loses no capture and makes no duplicate.
4. Each committed capture is compared with the previous capture of its URL; the
   comparisons are written as signed ``item.compared`` entries, many per commit. When
   the captures are prepared in worker processes, this runs on a thread of its own as
   they are committed; otherwise once the captures are done.
5. ``watch.run.finished`` closes the run, in the same write as its last comparisons.

``--forever`` (:func:`watch_forever`) holds the lock, runs, and sleeps until the next
watch falls due, until it is stopped.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from cybercase.clock import Clock, SystemClock, format_utc
from cybercase.collect.batch import already_captured
from cybercase.collect.commit import CaptureResult
from cybercase.collect.config import CaptureSettings
from cybercase.collect.session import BrowserChoice, browser_pages, capture_urls
from cybercase.collect.workers import worker_count
from cybercase.errors import InvalidInputError
from cybercase.evidence import Case, EntryDraft, Signer
from cybercase.evidence.timestamps import TsaSettings
from cybercase.monitor.actions import WATCH_RUN_FINISHED, WATCH_RUN_STARTED
from cybercase.monitor.comparer import Comparer
from cybercase.monitor.lock import RunLock
from cybercase.monitor.models import (
    WATCH_TAG,
    RunFinished,
    RunStarted,
)
from cybercase.monitor.notify import Notifier
from cybercase.monitor.results import RunResult, WatchEvent
from cybercase.monitor.state import fold
from cybercase.progress import Progress

SLEEP_CAP_SECONDS = 3600.0
"""``--forever`` wakes at least this often to see watches added meanwhile."""


@dataclass(frozen=True, slots=True)
class RunOptions:
    """How a run captures."""

    settings: CaptureSettings = field(default_factory=CaptureSettings)
    browser: bool = True
    """``False`` (``--no-browser``) turns the browser off for every URL of the run."""
    browser_executable: Path | None = None
    tsa: TsaSettings | None = None
    all: bool = False
    """Capture every watched URL now, due or not (``--all``)."""
    notify: Notifier | None = None
    persona: str | None = None


def new_run_id(now: datetime) -> str:
    """``watch-20261203T091500Z-3fa2c1``: when, and a random tail so two ids never meet."""
    return f"watch-{now:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


def _run_locked(
    case: Case,
    signer: Signer,
    options: RunOptions,
    *,
    all_urls: bool,
    progress: Progress | None,
    on_event: Callable[[WatchEvent], None] | None,
    on_capture: Callable[[CaptureResult], None] | None,
    clock: Clock,
    cancel: threading.Event | None,
) -> RunResult:
    result = RunResult()
    case.refresh()
    state = fold(case.entries())
    comparer = Comparer(
        case, signer, state, notify=options.notify, on_event=on_event, result=result
    )
    for url, ref in state.uncompared():
        comparer.add(url, ref)
    comparer.flush()
    result.recovered = len(result.events)
    now = clock.now()
    unfinished = state.unfinished_run()
    if unfinished is not None:
        run_id = unfinished.started.run
        still = {w.url for w in state.active(now)}
        urls = [u for u in unfinished.started.urls if u in still]
        result.resumed = True
    else:
        watches = state.active(now) if all_urls else state.due(now)
        if not watches:
            nxt = state.next_due(now)
            result.next_due = format_utc(nxt) if nxt is not None else None
            return result
        run_id, urls = new_run_id(now), [w.url for w in watches]
        started = RunStarted(run=run_id, urls=urls, reason="all" if all_urls else "due")
        case.append(signer, EntryDraft.of(WATCH_RUN_STARTED, started))
        comparer.catch_up()
    result.run = run_id
    result.planned = len(urls)
    groups: dict[bool, list[str]] = {True: [], False: []}
    done = already_captured(case, run_id)
    for url in urls:
        if done[url] > 0:
            result.skipped += 1
            continue
        watch = state.watches.get(url)
        rendered = options.browser and (watch.spec.browser if watch is not None else True)
        groups[rendered].append(url)

    def committed(item: CaptureResult) -> None:
        comparer.captured(item)
        if on_capture is not None:
            on_capture(item)

    try:
        for rendered, group in ((False, groups[False]), (True, groups[True])):
            if not group or (cancel is not None and cancel.is_set()):
                continue
            if worker_count(len(group), options.settings.jobs, stages=rendered) > 0:
                comparer.start_background()
            session = capture_urls(
                case,
                signer,
                group,
                options.settings,
                browser=BrowserChoice(
                    enabled=rendered,
                    executable=options.browser_executable,
                    pool_size=browser_pages(options.settings.jobs),
                ),
                tsa=options.tsa,
                batch_id=run_id,
                resume=True,
                tags=[WATCH_TAG],
                persona=options.persona,
                progress=progress,
                on_result=committed,
                clock=clock,
                cancel=cancel,
                analyse=comparer.ahead(group),
            )
            if rendered or result.browser is None:
                result.browser = session.browser or result.browser
                result.browser_note = session.browser_note if rendered else result.browser_note
            result.warnings.extend(session.annotation_warnings)
            if session.timestamps is not None:
                result.timestamps.append(session.timestamps)
            if session.batch.interrupted:
                result.interrupted = True
                break
            comparer.settle()
    finally:
        closing = not result.interrupted and not (cancel is not None and cancel.is_set())
        comparer.settle(commit=not closing)
    if closing:
        comparer.catch_up()
        mine = [r for h in state.captures.values() for r in h if r.run == run_id]
        queued = comparer.queued_verdicts()
        found = (state.comparisons.get(r.item) for r in mine)
        verdicts = [c.verdict for c in found if c is not None] + [
            queued[r.item] for r in mine if r.item in queued and r.item not in state.comparisons
        ]
        finished = RunFinished(
            run=run_id,
            captured=len(mine),
            compared=len(verdicts),
            changed=verdicts.count("changed"),
            gone=verdicts.count("gone"),
            failed=sum(1 for r in mine if r.outcome not in ("captured", "http-error")),
        )
        comparer.flush(EntryDraft.of(WATCH_RUN_FINISHED, finished))
        result.finished = True
        comparer.catch_up()
    nxt = comparer.state.next_due(clock.now())
    result.next_due = format_utc(nxt) if nxt is not None else None
    return result


def run_watch(
    case: Case,
    signer: Signer,
    options: RunOptions | None = None,
    *,
    progress: Progress | None = None,
    on_event: Callable[[WatchEvent], None] | None = None,
    on_capture: Callable[[CaptureResult], None] | None = None,
    clock: Clock | None = None,
    cancel: threading.Event | None = None,
) -> RunResult:
    """One run: capture what is due (or everything, with ``options.all``) and compare."""
    options = options or RunOptions()
    clock = clock or SystemClock()
    with RunLock(case.root, clock):
        return _run_locked(
            case,
            signer,
            options,
            all_urls=options.all,
            progress=progress,
            on_event=on_event,
            on_capture=on_capture,
            clock=clock,
            cancel=cancel,
        )


def watch_forever(
    case: Case,
    signer: Signer,
    options: RunOptions | None = None,
    *,
    stop: threading.Event,
    on_run: Callable[[RunResult], None] | None = None,
    on_event: Callable[[WatchEvent], None] | None = None,
    on_capture: Callable[[CaptureResult], None] | None = None,
    on_sleep: Callable[[str], None] | None = None,
    progress: Progress | None = None,
    clock: Clock | None = None,
    max_runs: int | None = None,
) -> int:
    """Run, sleep until the next watch is due, run again, until ``stop`` is set.

    Holds the watch-run lock throughout. Returns the number of runs made; ends by itself
    when nothing is left to watch (every watch removed or past ``--until``).
    """
    options = options or RunOptions()
    clock = clock or SystemClock()
    runs = 0
    with RunLock(case.root, clock):
        while not stop.is_set():
            result = _run_locked(
                case,
                signer,
                options,
                all_urls=options.all and runs == 0,
                progress=progress,
                on_event=on_event,
                on_capture=on_capture,
                clock=clock,
                cancel=stop,
            )
            runs += 1
            if on_run is not None:
                on_run(result)
            if result.interrupted or (max_runs is not None and runs >= max_runs):
                break
            if result.next_due is None:
                if runs == 1 and result.run is None:
                    raise InvalidInputError(
                        "nothing is watched in this case",
                        hint="add URLs with 'cybercase watch add URL --every 6h'",
                    )
                break
            state = fold(case.entries())
            nxt = state.next_due(clock.now())
            if nxt is None:
                break
            wait = max(1.0, (nxt - clock.now()).total_seconds())
            if on_sleep is not None:
                on_sleep(format_utc(nxt))
            stop.wait(min(wait, SLEEP_CAP_SECONDS))
    return runs
