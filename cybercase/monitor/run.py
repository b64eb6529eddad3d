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
   comparisons are written as signed ``item.compared`` entries, several per commit.
5. ``watch.run.finished`` closes the run.

``--forever`` (:func:`watch_forever`) holds the lock, runs, and sleeps until the next
watch falls due, until it is stopped.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from cybercase.clock import Clock, SystemClock, format_utc
from cybercase.collect.batch import already_captured
from cybercase.collect.commit import CaptureResult
from cybercase.collect.config import CaptureSettings
from cybercase.collect.session import BrowserChoice, browser_pages, capture_urls
from cybercase.errors import InvalidInputError
from cybercase.evidence import Case, CustodyEntry, EntryDraft, Signer
from cybercase.evidence.timestamps import TimestampOutcome
from cybercase.evidence.tsa_client import TsaSettings
from cybercase.monitor.alerts import Alert, alert_for
from cybercase.monitor.compare import Texts, compare, read_facts
from cybercase.monitor.lock import RunLock
from cybercase.monitor.models import (
    ITEM_COMPARED,
    WATCH_RUN_FINISHED,
    WATCH_RUN_STARTED,
    WATCH_TAG,
    CaptureFacts,
    Comparison,
    RunFinished,
    RunStarted,
)
from cybercase.monitor.notify import Notifier
from cybercase.monitor.state import CaptureRef, WatchState, fold
from cybercase.progress import Progress

COMPARE_GROUP = 1024
"""Comparisons committed together (one signed append, one fsync). A run's comparisons are
made after its captures, in one quick pass, so a large group costs nothing in latency and
saves a commit per 64 pages; a run killed in that pass redoes the uncommitted ones."""
COMPARE_FLUSH_SECONDS = 2.0
SETTLE_EVERY = 10_000
"""Captures noted before they are compared while the run goes on (see ``Comparer.captured``)."""
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


@dataclass(frozen=True, slots=True)
class WatchEvent:
    """One comparison as it is committed, and the warning it raises, if any."""

    case: str
    comparison: Comparison
    alert: Alert | None

    @property
    def name(self) -> str:
        """``watch.changed``, ``watch.gone``, ``watch.seller-changed``..."""
        if self.alert is not None and self.alert.kind == "seller-changed":
            return "watch.seller-changed"
        return f"watch.{self.comparison.verdict}"

    def to_json(self) -> dict[str, Any]:
        """The event as ``--notify`` and ``--json`` give it."""
        c = self.comparison
        return {
            "event": self.name,
            "case": self.case,
            "url": c.url,
            "item": c.current,
            "previous": c.previous,
            "verdict": c.verdict,
            "identical": c.identical,
            "at": c.facts.started,
            "status": c.facts.status,
            "changes": [ch.summary for ch in c.changes],
            "alert": self.alert.to_json() if self.alert else None,
        }


@dataclass(slots=True)
class RunResult:
    """What one run did."""

    run: str | None = None
    """The run's id (``None`` when nothing was due)."""
    resumed: bool = False
    """It finished a run that an earlier process started."""
    planned: int = 0
    """URLs in the run."""
    skipped: int = 0
    """URLs already captured by the interrupted start of this run."""
    captures: list[CaptureResult] = field(default_factory=list)
    events: list[WatchEvent] = field(default_factory=list)
    recovered: int = 0
    """Comparisons made for captures a killed run had left uncompared."""
    next_due: str | None = None
    finished: bool = False
    interrupted: bool = False
    browser: str | None = None
    browser_note: str | None = None
    timestamps: list[TimestampOutcome] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def failed(self) -> list[CaptureResult]:
        """Captures that did not get the page."""
        return [c for c in self.captures if not c.ok]

    def count(self, verdict: str) -> int:
        """Comparisons with this verdict."""
        return sum(1 for e in self.events if e.comparison.verdict == verdict)

    @property
    def alerts(self) -> list[Alert]:
        """The warnings raised by this run."""
        return [e.alert for e in self.events if e.alert is not None]

    def to_json(self) -> dict[str, Any]:
        """The closing ``--json`` line."""
        return {
            "summary": {
                "run": self.run,
                "resumed": self.resumed,
                "planned": self.planned,
                "skipped": self.skipped,
                "captured": len(self.captures),
                "failed": len(self.failed),
                "recovered_comparisons": self.recovered,
                "unchanged": self.count("unchanged"),
                "changed": self.count("changed"),
                "gone": self.count("gone"),
                "first": self.count("first"),
                "finished": self.finished,
                "interrupted": self.interrupted,
                "next_due": self.next_due,
                "alerts": [a.to_json() for a in self.alerts],
                "browser": self.browser,
                "browser_note": self.browser_note,
                "warnings": self.warnings,
            }
        }


class Comparer:
    """Compares each new capture with the one before and commits the comparisons in groups."""

    def __init__(
        self,
        case: Case,
        signer: Signer,
        state: WatchState,
        *,
        notify: Notifier | None,
        on_event: Callable[[WatchEvent], None] | None,
        result: RunResult,
    ) -> None:
        self.case = case
        self.signer = signer
        self.state = state
        self.notify = notify
        self.on_event = on_event
        self.result = result
        self._folded = sum(1 for _ in case.entries())
        self._queue: list[Comparison] = []
        self._facts: dict[str, CaptureFacts] = {}
        self._first_queued = 0.0
        self._pending: list[CaptureResult] = []

    def catch_up(self) -> None:
        """Fold the entries committed since the last look (new captures, our comparisons)."""
        entries = list(self.case.entries())
        for entry in entries[self._folded :]:
            self.state.apply(entry)
        self._folded = len(entries)

    def _fold_own(self, committed: list[CustodyEntry], queued: list[Comparison]) -> None:
        """Fold the entries of our own commit from the comparisons we hold.

        Reading them back would validate a thousand models just built; any entry another
        process slipped in meanwhile is still folded from the log, in order.
        """
        own = {entry.seq for entry in committed}
        entries = list(self.case.entries())
        for entry in entries[self._folded :]:
            if entry.seq not in own:
                self.state.apply(entry)
        for comparison in queued:
            self.state.comparisons.setdefault(comparison.current, comparison)
        self._folded = len(entries)

    def _facts_of(self, url: str, ref: CaptureRef | None) -> CaptureFacts | None:
        if ref is None:
            return None
        known = self._facts.get(ref.item)
        if known is None and ref.item in self.state.comparisons:
            known = self.state.comparisons[ref.item].facts
        if known is None:
            known = read_facts(ref, url, self.case.read_object)
            self._facts[ref.item] = known
        return known

    def add(self, url: str, ref: CaptureRef) -> None:
        """Compare one capture (once: a capture already compared is left alone)."""
        if ref.item in self.state.comparisons or ref.item in self._facts:
            return
        previous = self._facts_of(url, self.state.previous_of(url, ref.item))
        current = read_facts(ref, url, self.case.read_object, previous)
        self._facts[ref.item] = current
        comparison = compare(url, current, previous, Texts(self.case.read_object))
        if not self._queue:
            self._first_queued = time.monotonic()
        self._queue.append(comparison)
        if (
            len(self._queue) >= COMPARE_GROUP
            or time.monotonic() - self._first_queued > COMPARE_FLUSH_SECONDS
        ):
            self.flush()

    def captured(self, item: CaptureResult) -> None:
        """``on_result`` of the capture session: note a capture just committed.

        It is compared later, by :meth:`settle`: while the capture threads run, every
        file read here would wait for the interpreter lock behind them, and the same
        work done once they are idle costs a fraction of it. A run killed before then
        leaves the captures uncompared, and the next run compares them first.
        """
        self.result.captures.append(item)
        self._pending.append(item)
        if len(self._pending) >= SETTLE_EVERY:
            self.settle()

    def settle(self) -> None:
        """Compare the captures noted so far and commit the comparisons."""
        pending, self._pending = self._pending, []
        self.catch_up()
        for item in pending:
            history = self.state.captures.get(item.url, [])
            ref = next((r for r in reversed(history) if r.item == item.item_id), None)
            if ref is not None:
                self.add(item.url, ref)
        self.flush()

    def flush(self) -> None:
        """Commit the queued comparisons in one write, then report them."""
        if not self._queue:
            return
        queued, self._queue = self._queue, []
        drafts = [
            EntryDraft(
                ITEM_COMPARED,
                (c.current,) if c.previous is None else (c.current, c.previous),
                _detail(c),
            )
            for c in queued
        ]
        self.catch_up()
        committed = self.case.append(self.signer, *drafts)
        self._fold_own(committed, queued)
        for comparison in queued:
            alert = alert_for(self.state, comparison)
            event = WatchEvent(self.case.meta.id, comparison, alert)
            self.result.events.append(event)
            if self.on_event is not None:
                self.on_event(event)
            if self.notify is not None and (
                alert is not None or comparison.verdict in ("changed", "gone")
            ):
                problem = self.notify.send(event.to_json())
                if problem is not None:
                    self.result.warnings.append(f"{comparison.current}: {problem}")


def _detail(comparison: Comparison) -> dict[str, Any]:
    """The entry's detail: fields left at their default are left out (nothing changed,
    no diff), which keeps the log small, except the format, always named."""
    return {
        "format": comparison.format,
        **comparison.model_dump(mode="json", exclude_defaults=True),
    }


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
        case.append(signer, EntryDraft(WATCH_RUN_STARTED, (), started.model_dump()))
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
    finally:
        comparer.settle()
    if not result.interrupted and not (cancel is not None and cancel.is_set()):
        comparer.catch_up()
        mine = [r for h in state.captures.values() for r in h if r.run == run_id]
        verdicts = [state.comparisons[r.item].verdict for r in mine if r.item in state.comparisons]
        finished = RunFinished(
            run=run_id,
            captured=len(mine),
            compared=len(verdicts),
            changed=verdicts.count("changed"),
            gone=verdicts.count("gone"),
            failed=sum(1 for r in mine if r.outcome not in ("captured", "http-error")),
        )
        case.append(signer, EntryDraft(WATCH_RUN_FINISHED, (), finished.model_dump()))
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
