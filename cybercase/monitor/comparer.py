"""Comparing a run's captures with the ones before, and committing the comparisons.

The :class:`Comparer` is fed every capture a run commits. It compares them on a thread
of its own as they commit, or once the capture threads are idle (see
:meth:`Comparer.captured`), writes the comparisons as
signed ``item.compared`` entries in large groups, raises each one's warning and sends
the events. Facts already known (in the previous run's comparison) are never read again.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from cybercase.collect.commit import CaptureResult
from cybercase.evidence import Case, EntryDraft, Signer
from cybercase.monitor.actions import ITEM_COMPARED
from cybercase.monitor.alerts import alert_for
from cybercase.monitor.compare import Texts, compare
from cybercase.monitor.facts import Analysed, FactsAhead, read_facts
from cybercase.monitor.models import (
    CaptureFacts,
    Comparison,
)
from cybercase.monitor.notify import Notifier
from cybercase.monitor.results import RunResult, WatchEvent
from cybercase.monitor.state import CaptureRef, WatchState

COMPARE_GROUP = 1024
"""Comparisons committed together (one signed append, one fsync): a commit per 64 pages
saved; a run killed before a group is committed redoes its comparisons."""
COMPARE_FLUSH_SECONDS = 2.0
SETTLE_EVERY = 10_000
"""Captures noted before they are compared while the run goes on (see ``Comparer.captured``)."""


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
        self._wake = threading.Condition()
        self._worker: threading.Thread | None = None
        self._stopping = False
        self._failure: BaseException | None = None

    def catch_up(self, own: frozenset[int] = frozenset()) -> None:
        """Fold the entries committed since the last look (new captures, our comparisons),
        except the seqs in ``own``: comparisons of ours, folded from the models in hand."""
        entries = list(self.case.entries())
        for entry in entries[self._folded :]:
            if entry.seq not in own:
                self.state.apply(entry)
        self._folded = len(entries)

    def _facts_of(self, url: str, ref: CaptureRef | None) -> CaptureFacts | None:
        if ref is None:
            return None
        known = self._facts.get(ref.item)
        if known is None:
            compared = self.state.comparisons.get(ref.item)
            known = compared.facts if compared is not None else None
            if known is None:
                known = read_facts(ref, url, self.case.read_object)
            self._facts[ref.item] = known
        return known

    def ahead(self, urls: list[str]) -> FactsAhead:
        """What reads the facts of these URLs' new captures where they are prepared.

        Made before the captures start: each URL's last capture, and its facts, are what
        the new one will be compared with.
        """
        previous: dict[str, tuple[str | None, CaptureFacts | None]] = {}
        for url in urls:
            history = self.state.captures.get(url)
            last = history[-1] if history else None
            previous[url] = (
                (last.item, self._facts_of(url, last)) if last is not None else (None, None)
            )
        return FactsAhead(previous, self.case.read_object)

    def add(self, url: str, ref: CaptureRef, analysed: object = None) -> None:
        """Compare one capture (once: a capture already compared is left alone).

        ``analysed`` is what :meth:`ahead` read where the capture was prepared; facts
        that do not belong to this capture (or none) are read from its stored objects.
        """
        if ref.item in self.state.comparisons or ref.item in self._facts:
            return
        before = self.state.previous_of(url, ref.item)
        previous = self._facts_of(url, before)
        current = analysed.for_capture(ref, before) if isinstance(analysed, Analysed) else None
        if current is None:
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

        In the background (:meth:`start_background`) it is compared while the run goes
        on; otherwise later, by :meth:`settle`: while capture threads run in this
        process, every file read here would wait for the interpreter lock behind them,
        and the same work done once they are idle costs a fraction of it. A run killed
        before a capture is compared leaves it uncompared, and the next run compares it
        first.
        """
        self.result.captures.append(item)
        with self._wake:
            self._pending.append(item)
            self._wake.notify()
        if self._worker is None and len(self._pending) >= SETTLE_EVERY:
            self.settle()

    def start_background(self) -> None:
        """Compare captures as they are committed, on a thread of their own.

        For runs whose captures are prepared in worker processes: this process then
        mostly waits (for the workers, for the disk), and comparing in those waits takes
        the comparisons off the end of the run.
        """
        self._worker = threading.Thread(target=self._work, name="watch-compare", daemon=True)
        self._worker.start()

    def _work(self) -> None:
        try:
            while True:
                with self._wake:
                    while not self._pending and not self._stopping:
                        self._wake.wait()
                    if not self._pending:
                        return
                    pending, self._pending = self._pending, []
                self._compare(pending)
        except BaseException as exc:  # noqa: BLE001 - raised again by settle, in the run
            self._failure = exc

    def settle(self, *, commit: bool = True) -> None:
        """Compare the captures noted so far and commit the comparisons.

        With ``commit=False`` the comparisons stay queued, for the run to commit them
        with its closing entry (:meth:`flush`), in one write.
        """
        worker, self._worker = self._worker, None
        if worker is not None:
            with self._wake:
                self._stopping = True
                self._wake.notify()
            worker.join()
            self._stopping = False
            if self._failure is not None:
                failure, self._failure = self._failure, None
                raise failure
        with self._wake:
            pending, self._pending = self._pending, []
        self._compare(pending)
        if commit:
            self.flush()

    def queued_verdicts(self) -> dict[str, str]:
        """The verdicts of the comparisons made but not yet committed, by item."""
        return {c.current: c.verdict for c in self._queue}

    def _compare(self, pending: list[CaptureResult]) -> None:
        self.catch_up()
        for item in pending:
            history = self.state.captures.get(item.url, [])
            ref = next((r for r in reversed(history) if r.item == item.item_id), None)
            if ref is not None:
                self.add(item.url, ref, item.analysis)

    def flush(self, *closing: EntryDraft) -> None:
        """Commit the queued comparisons in one write (with ``closing`` entries after
        them, such as the run's last), then report them."""
        if not self._queue and not closing:
            return
        queued, self._queue = self._queue, []
        drafts = [
            EntryDraft.of(
                ITEM_COMPARED,
                c,
                (c.current,) if c.previous is None else (c.current, c.previous),
            )
            for c in queued
        ]
        self.catch_up()
        committed = self.case.append(self.signer, *drafts, *closing)
        # Reading our comparisons back would validate a thousand models just built; any
        # entry another process slipped in meanwhile is still folded from the log.
        self.catch_up(own=frozenset(entry.seq for entry in committed[: len(drafts)]))
        for comparison in queued:
            self.state.comparisons.hold(comparison)
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
