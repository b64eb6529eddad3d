"""Putting URLs under watch and taking them off: each change one signed entry.

The list is the fold of ``watch.added`` and ``watch.removed`` entries
(:mod:`cybercase.monitor.state`); nothing else records it, so it travels with the case
and every change says who made it and when.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from cybercase.clock import Clock, format_utc, parse_utc
from cybercase.collect.http.urls import check_url
from cybercase.errors import InvalidInputError, NotFoundError
from cybercase.evidence import Case, CustodyEntry, EntryDraft, Signer
from cybercase.monitor.actions import WATCH_ADDED, WATCH_REMOVED
from cybercase.monitor.models import MIN_EVERY_SECONDS, WatchAdded, WatchRemoved
from cybercase.monitor.state import Watch, WatchState, fold

DEFAULT_EVERY = "6h"
_DURATION = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$", re.IGNORECASE)
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_every(text: str) -> int:
    """``30m``, ``6h``, ``1d``, ``2w`` as seconds (at least a minute)."""
    match = _DURATION.match(text)
    if not match:
        raise InvalidInputError(f"not a period: {text!r}", hint="write e.g. 30m, 6h, 1d or 1w")
    seconds = int(match.group(1)) * _UNITS[match.group(2).lower()]
    if seconds < MIN_EVERY_SECONDS:
        raise InvalidInputError(
            f"--every {text} is too often", hint="the shortest period is 1m; 6h is usual"
        )
    return seconds


def parse_until(text: str) -> str:
    """A date (``2026-12-31``: the end of that day, UTC) or an ISO time with offset, as UTC."""
    value = text.strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            day = datetime.strptime(value, "%Y-%m-%d").date()
            return format_utc(datetime.combine(day, time.max, tzinfo=UTC))
        return format_utc(parse_utc(value))
    except ValueError as exc:
        raise InvalidInputError(
            f"not a date: {text!r}",
            hint="write YYYY-MM-DD (until the end of that day, UTC) or 2026-12-31T18:00:00Z",
        ) from exc


def load(case: Case) -> WatchState:
    """The watch state of the case as of its last read."""
    return fold(case.entries())


@dataclass(frozen=True, slots=True)
class Added:
    """What ``watch add`` did."""

    entries: list[CustodyEntry]
    already: list[str]
    """URLs that were already watched (left as they were)."""


def add_watches(
    case: Case,
    signer: Signer,
    urls: Sequence[str],
    *,
    every: str = DEFAULT_EVERY,
    until: str | None = None,
    browser: bool = True,
    note: str | None = None,
    clock: Clock | None = None,
) -> Added:
    """Watch these URLs: one ``watch.added`` entry each, committed together."""
    checked = list(dict.fromkeys(check_url(u) for u in urls))
    if not checked:
        raise InvalidInputError("no URL to watch", hint="give one or more http(s) URLs")
    seconds = parse_every(every)
    end = parse_until(until) if until else None
    now = (clock or case.clock).now()
    if end is not None and parse_utc(end) <= now:
        raise InvalidInputError(f"--until {until} is already past", hint="give a later date")
    text = note.strip() if note else None
    with case.transaction(signer) as tx:
        state = load(case)
        already = [u for u in checked if u in state.watches and state.watches[u].active]
        for url in checked:
            if url in already:
                continue
            spec = WatchAdded(
                url=url, every_seconds=seconds, until=end, browser=browser, note=text or None
            )
            tx.add(EntryDraft.of(WATCH_ADDED, spec))
    return Added(tx.committed, already)


def watched_url(entry: CustodyEntry) -> str:
    """The URL a ``watch.added`` or ``watch.removed`` entry names."""
    if entry.action == WATCH_ADDED:
        return entry.detail_as(WatchAdded).url
    return entry.detail_as(WatchRemoved).url


def remove_watches(
    case: Case, signer: Signer, urls: Sequence[str], *, reason: str | None = None
) -> list[CustodyEntry]:
    """Stop watching these URLs (their captures stay evidence): one entry each."""
    checked = list(dict.fromkeys(check_url(u) for u in urls))
    with case.transaction(signer) as tx:
        state = load(case)
        unknown = [u for u in checked if u not in state.watches or not state.watches[u].active]
        if unknown:
            raise NotFoundError(
                f"not watched: {', '.join(unknown)}",
                hint="see the list with 'cybercase watch list'; nothing was removed",
            )
        for url in checked:
            detail = WatchRemoved(url=url, reason=reason.strip() if reason else None)
            tx.add(EntryDraft.of(WATCH_REMOVED, detail))
    return tx.committed


@dataclass(frozen=True, slots=True)
class WatchRow:
    """One line of ``watch list``."""

    watch: Watch
    captures: int
    last_item: str | None
    last_at: str | None
    last_verdict: str | None
    next_due: str | None
    """UTC; ``None`` when it is no longer recaptured."""
    state: str
    """``due``, ``waiting``, ``ended`` or ``removed``."""

    def to_json(self) -> dict[str, object]:
        """For ``--json``."""
        spec = self.watch.spec
        return {
            "url": self.watch.url,
            "every_seconds": spec.every_seconds,
            "until": spec.until,
            "browser": spec.browser,
            "note": spec.note,
            "added": self.watch.added_at,
            "added_by": self.watch.added_by,
            "removed": self.watch.removed_at,
            "state": self.state,
            "captures": self.captures,
            "last_item": self.last_item,
            "last_capture": self.last_at,
            "last_verdict": self.last_verdict,
            "next_due": self.next_due,
        }


def watch_rows(state: WatchState, now: datetime, *, removed: bool = False) -> list[WatchRow]:
    """The watch list as shown (removed watches only when asked)."""
    rows = []
    for watch in state.watches.values():
        if not watch.active and not removed:
            continue
        history = state.captures.get(watch.url, [])
        last = history[-1] if history else None
        comparison = state.comparisons.get(last.item) if last is not None else None
        due = state.due_at(watch)
        if not watch.active:
            label, next_due = "removed", None
        elif watch.ended(now):
            label, next_due = "ended", None
        elif due is None or due <= now:
            label, next_due = "due", format_utc(now if due is None else due)
        else:
            label, next_due = "waiting", format_utc(due)
        rows.append(
            WatchRow(
                watch=watch,
                captures=len(history),
                last_item=last.item if last else None,
                last_at=last.started if last else None,
                last_verdict=comparison.verdict if comparison else None,
                next_due=next_due,
                state=label,
            )
        )
    return rows


def describe_every(seconds: int) -> str:
    """``6h``, ``1d``, ``90m``: the largest unit that divides the period."""
    for unit in ("w", "d", "h", "m"):
        size = _UNITS[unit]
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return str(timedelta(seconds=seconds))
