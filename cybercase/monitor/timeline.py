"""Every capture of one URL, oldest first, with what changed at each.

Any capture of the URL counts (by hand or by a watch run); the comparisons are those a
watch run recorded. A capture made by hand between two runs appears in the timeline,
and the next run compares with it, since it is the latest view of the page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cybercase.collect.http.urls import check_url
from cybercase.errors import NotFoundError
from cybercase.evidence import Case
from cybercase.monitor.alerts import Alert, watch_alerts
from cybercase.monitor.models import Comparison
from cybercase.monitor.state import CaptureRef, Watch, WatchState, fold


@dataclass(frozen=True, slots=True)
class TimelineRow:
    """One capture and its comparison with the one before, if one was made."""

    capture: CaptureRef
    comparison: Comparison | None

    def to_json(self) -> dict[str, Any]:
        """For ``--json``."""
        c = self.comparison
        return {
            "item": self.capture.item,
            "started": self.capture.started,
            "outcome": self.capture.outcome,
            "status": self.capture.status,
            "final_url": self.capture.final_url,
            "title": self.capture.title,
            "watch_run": self.capture.run,
            "verdict": c.verdict if c else None,
            "previous": c.previous if c else None,
            "identical": c.identical if c else None,
            "changes": [ch.model_dump() for ch in c.changes] if c else [],
            "text_diff": c.text_diff if c else None,
        }


@dataclass(frozen=True, slots=True)
class Timeline:
    """A URL's history in the case."""

    url: str
    watch: Watch | None
    rows: list[TimelineRow]
    alerts: list[Alert]

    def to_json(self) -> dict[str, Any]:
        """For ``--json``."""
        return {
            "url": self.url,
            "watched": self.watch is not None and self.watch.active,
            "captures": [r.to_json() for r in self.rows],
            "alerts": [a.to_json() for a in self.alerts],
        }


def timeline_of(state: WatchState, url: str) -> Timeline:
    """The timeline of ``url`` in a folded state (empty rows if it was never captured)."""
    rows = [
        TimelineRow(ref, state.comparisons.get(ref.item)) for ref in state.captures.get(url, [])
    ]
    alerts = [a for a in watch_alerts(state, include_covered=True) if a.url == url]
    return Timeline(url, state.watches.get(url), rows, alerts)


def timeline(case: Case, url: str) -> Timeline:
    """The timeline of ``url`` in the case; a URL never captured nor watched is an error."""
    checked = check_url(url)
    found = timeline_of(fold(case.entries()), checked)
    if not found.rows and found.watch is None:
        raise NotFoundError(
            f"{checked} was never captured in case {case.meta.id}",
            hint="capture it with 'cybercase capture URL', or watch it with "
            "'cybercase watch add URL'",
        )
    return found


def timelines(state: WatchState) -> list[Timeline]:
    """The timeline of every watched URL (removed ones too: their captures are evidence)."""
    return [timeline_of(state, url) for url in state.watches]
