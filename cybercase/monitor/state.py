"""The watch list, the captures of every URL and their comparisons, folded from the log.

Nothing here is stored: like :mod:`cybercase.evidence.log.state`, this is recomputed from the
custody entries in order, so the log stays the only truth. ``watch.added`` and
``watch.removed`` make the list; ``item.acquired`` captures make each URL's history;
``watch.run.started``/``finished`` say which runs were cut short; ``item.compared``
entries say what changed, each read only when asked for (:class:`Comparisons`). An entry
whose detail does not validate is counted in ``skipped`` (``comparisons.unreadable`` for
comparisons) and otherwise ignored (verify checks signatures; this only reads).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from pydantic import ValidationError

from cybercase.clock import parse_utc
from cybercase.collect.actions import CAPTURE_KIND
from cybercase.errors import CaseCorruptError
from cybercase.evidence import CustodyEntry
from cybercase.evidence.log.state import ITEM_ACQUIRED
from cybercase.monitor.actions import (
    ITEM_COMPARED,
    WATCH_ADDED,
    WATCH_REMOVED,
    WATCH_RUN_FINISHED,
    WATCH_RUN_STARTED,
)
from cybercase.monitor.models import (
    WATCH_TAG,
    Comparison,
    RunFinished,
    RunStarted,
    WatchAdded,
    WatchRemoved,
)

REQUEST_CREATED = "request.created"


@dataclass(frozen=True, slots=True)
class FileRef:
    """An artifact of a capture, as far as a comparison needs it."""

    role: str
    name: str
    digest: str


def file_refs(detail: Mapping[str, object]) -> tuple[FileRef, ...]:
    """The artifacts an entry names, read without validating each one.

    Folding runs over every capture of a case at every ``watch run``; ``verify`` is what
    checks artifacts, so a malformed one is simply not listed here.
    """
    found = []
    listed = detail.get("artifacts")
    for item in listed if isinstance(listed, list) else []:
        if not isinstance(item, dict):
            continue
        role, name, digest = item.get("role"), item.get("name"), item.get("digest")
        if isinstance(role, str) and isinstance(name, str) and isinstance(digest, str):
            found.append(FileRef(role, name, digest))
    return tuple(found)


@dataclass(frozen=True, slots=True)
class CaptureRef:
    """One capture of a URL, as its ``item.acquired`` entry tells it."""

    item: str
    seq: int
    started: str
    outcome: str
    status: int | None
    final_url: str | None
    title: str | None
    run: str | None
    """The batch id, when the capture was made by a watch run."""
    detail: Mapping[str, object] = field(repr=False, hash=False, compare=False)
    """The entry's detail, from which :attr:`artifacts` are read when first needed: of
    the thousands of captures a watched case holds, a run looks at the files of a few."""

    @property
    def artifacts(self) -> tuple[FileRef, ...]:
        """The capture's artifacts, as its entry lists them."""
        return file_refs(self.detail)

    def artifact(self, role: str) -> FileRef | None:
        """The capture's artifact with this role, if any."""
        return next((a for a in self.artifacts if a.role == role), None)


@dataclass(slots=True)
class Watch:
    """One watched URL (the latest ``watch.added`` for it, and whether it was removed)."""

    url: str
    spec: WatchAdded
    added_seq: int
    added_at: str
    added_by: str
    removed_at: str | None = None
    removed_reason: str | None = None

    @property
    def active(self) -> bool:
        """Not removed (an expired ``--until`` is checked against a time: see ``ended``)."""
        return self.removed_at is None

    def ended(self, now: datetime) -> bool:
        """Whether its ``--until`` time has passed."""
        return self.spec.until is not None and parse_utc(self.spec.until) < now

    @property
    def every(self) -> timedelta:
        """How often it is recaptured."""
        return timedelta(seconds=self.spec.every_seconds)


@dataclass(slots=True)
class RunInfo:
    """One watch run, started and perhaps finished."""

    started: RunStarted
    seq: int
    at: str
    finished: RunFinished | None = None


@dataclass(frozen=True, slots=True)
class RequestRef:
    """A request as far as warnings care: its type and the items and targets it names."""

    id: str
    type: str
    platform: str
    evidence: tuple[str, ...]
    targets: tuple[str, ...]


class Comparisons(Mapping[str, Comparison]):
    """The comparisons of a log by current item id, each read from its entry when first asked.

    A watch run needs, of the thousands of comparisons a long-watched case holds, the
    latest of each URL (its facts start the next comparison) and the set of items
    compared: validating every one at each run would make runs slower as the case ages.
    An entry whose detail does not read is dropped when it is first asked for and its
    seq noted in ``unreadable``.
    """

    def __init__(self) -> None:
        self._entries: dict[str, CustodyEntry] = {}
        self._read: dict[str, Comparison] = {}
        self.unreadable: list[int] = []

    def note(self, entry: CustodyEntry) -> None:
        """An ``item.compared`` entry, kept unread (the first for an item wins)."""
        current = entry.detail.get("current")
        if not isinstance(current, str):
            self.unreadable.append(entry.seq)
        elif current not in self:
            self._entries[current] = entry

    def hold(self, comparison: Comparison) -> None:
        """A comparison just committed, already in hand (the first for an item wins)."""
        if comparison.current not in self:
            self._read[comparison.current] = comparison

    def __getitem__(self, item: str) -> Comparison:
        known = self._read.get(item)
        if known is not None:
            return known
        entry = self._entries[item]
        try:
            known = entry.detail_as(Comparison)
        except CaseCorruptError:
            del self._entries[item]
            self.unreadable.append(entry.seq)
            raise KeyError(item) from None
        self._read[item] = known
        return known

    def __contains__(self, item: object) -> bool:
        return item in self._read or item in self._entries

    def __iter__(self) -> Iterator[str]:
        yield from self._entries
        yield from (item for item in self._read if item not in self._entries)

    def __len__(self) -> int:
        return len(self._entries) + sum(1 for item in self._read if item not in self._entries)


@dataclass(slots=True)
class WatchState:
    """Everything the watch feature derives from a case's log."""

    watches: dict[str, Watch] = field(default_factory=dict)
    captures: dict[str, list[CaptureRef]] = field(default_factory=dict)
    """Every capture of every URL, by requested URL, in log order."""
    comparisons: Comparisons = field(default_factory=Comparisons)
    """By current item id (the first recorded one, should a second ever appear)."""
    runs: dict[str, RunInfo] = field(default_factory=dict)
    requests: list[RequestRef] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)
    """Seqs of entries whose detail could not be read as this feature's record."""

    def apply(self, entry: CustodyEntry) -> None:
        """Fold one entry."""
        action = entry.action
        try:
            if action == WATCH_ADDED:
                spec = entry.detail_as(WatchAdded)
                self.watches[spec.url] = Watch(
                    spec.url, spec, entry.seq, entry.at, entry.actor_name
                )
            elif action == WATCH_REMOVED:
                removed = entry.detail_as(WatchRemoved)
                watch = self.watches.get(removed.url)
                if watch is not None and watch.removed_at is None:
                    watch.removed_at = entry.at
                    watch.removed_reason = removed.reason
            elif action == ITEM_ACQUIRED and entry.detail.get("kind") == CAPTURE_KIND:
                self._capture(entry)
            elif action == ITEM_COMPARED:
                self.comparisons.note(entry)
            elif action == WATCH_RUN_STARTED:
                started = entry.detail_as(RunStarted)
                self.runs.setdefault(started.run, RunInfo(started, entry.seq, entry.at))
            elif action == WATCH_RUN_FINISHED:
                finished = entry.detail_as(RunFinished)
                run = self.runs.get(finished.run)
                if run is not None:
                    run.finished = finished
            elif action == REQUEST_CREATED and entry.items:
                self._request(entry)
        except (CaseCorruptError, ValidationError, TypeError, ValueError):
            self.skipped.append(entry.seq)

    def _capture(self, entry: CustodyEntry) -> None:
        detail = entry.detail
        url = detail.get("url")
        if not isinstance(url, str) or len(entry.items) != 1:
            return
        batch = detail.get("batch")
        run = batch.get("id") if isinstance(batch, dict) else None
        tags = detail.get("tags")
        watched = isinstance(tags, list) and WATCH_TAG in tags
        status = detail.get("status")
        final_url = detail.get("final_url")
        title = detail.get("title")
        started = detail.get("started")
        self.captures.setdefault(url, []).append(
            CaptureRef(
                item=entry.items[0],
                seq=entry.seq,
                started=started if isinstance(started, str) else entry.at,
                outcome=str(detail.get("outcome", "")),
                status=status if isinstance(status, int) else None,
                final_url=final_url if isinstance(final_url, str) else None,
                title=title if isinstance(title, str) else None,
                run=run if watched and isinstance(run, str) else None,
                detail=detail,
            )
        )

    def _request(self, entry: CustodyEntry) -> None:
        detail = entry.detail
        evidence = detail.get("evidence")
        targets = detail.get("targets")
        self.requests.append(
            RequestRef(
                id=entry.items[0],
                type=str(detail.get("type", "")),
                platform=str(detail.get("platform", "")),
                evidence=tuple(e for e in evidence if isinstance(e, str))
                if isinstance(evidence, list)
                else (),
                targets=tuple(t for t in targets if isinstance(t, str))
                if isinstance(targets, list)
                else (),
            )
        )

    # -- questions -----------------------------------------------------------------

    def active(self, now: datetime) -> list[Watch]:
        """Watches still to be recaptured (not removed, not past ``--until``)."""
        return [w for w in self.watches.values() if w.active and not w.ended(now)]

    def last_capture(self, url: str) -> CaptureRef | None:
        """The latest capture of ``url``, by anyone, for any reason."""
        found = self.captures.get(url)
        return found[-1] if found else None

    def due_at(self, watch: Watch) -> datetime | None:
        """When ``watch`` is next due (``None``: now, it was never captured)."""
        last = self.last_capture(watch.url)
        return None if last is None else parse_utc(last.started) + watch.every

    def due(self, now: datetime) -> list[Watch]:
        """Active watches whose next capture time has come."""
        found = []
        for watch in self.active(now):
            at = self.due_at(watch)
            if at is None or at <= now:
                found.append(watch)
        return found

    def next_due(self, now: datetime) -> datetime | None:
        """The earliest time a watch falls due (``None`` when nothing is watched)."""
        times = []
        for watch in self.active(now):
            at = self.due_at(watch)
            times.append(now if at is None else max(at, now))
        if not times:
            return None
        return min(times)

    def unfinished_run(self) -> RunInfo | None:
        """The last run that was started and never finished (killed, or the power went)."""
        for run in reversed(list(self.runs.values())):
            return run if run.finished is None else None
        return None

    def previous_of(self, url: str, item: str) -> CaptureRef | None:
        """The capture of ``url`` just before ``item``."""
        history = self.captures.get(url, [])
        for index, ref in enumerate(history):
            if ref.item == item:
                return history[index - 1] if index > 0 else None
        return None

    def uncompared(self) -> list[tuple[str, CaptureRef]]:
        """Captures made by watch runs that have no comparison yet (a run was killed)."""
        found = []
        for url, history in self.captures.items():
            for ref in history:
                if ref.run is not None and ref.item not in self.comparisons:
                    found.append((url, ref))
        found.sort(key=lambda pair: pair[1].seq)
        return found


def fold(entries: Iterable[CustodyEntry]) -> WatchState:
    """The watch state of a log."""
    state = WatchState()
    for entry in entries:
        state.apply(entry)
    return state
