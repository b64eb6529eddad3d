"""Warnings worth an investigator's attention now: a listing gone, a seller changed.

A disappearing listing is exactly when a preservation request must go out: the capture
still shows what the platform holds, and the platform may delete the account's data.
Each warning names the last capture that still showed the listing and gives the
``cybercase request new`` command to run, prefilled. A warning stops being shown at the
top once a preservation request names that capture.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

from cybercase.monitor.models import Comparison
from cybercase.monitor.state import WatchState

PLATFORM_PLACEHOLDER = "PLATFORM"


@dataclass(frozen=True, slots=True)
class Alert:
    """One warning about a watched URL."""

    kind: Literal["gone", "seller-changed"]
    url: str
    item: str
    """The capture that showed the change."""
    at: str
    """When that capture started (UTC)."""
    reason: str
    """In words: ``HTTP 404``, ``seller links A -> B``."""
    evidence: tuple[str, ...]
    """The captures a preservation request should name (the last that showed it first)."""
    targets: tuple[str, ...]
    platform: str | None
    """The platform key of an earlier request for the same site, if any."""
    covered_by: str | None
    """A preservation request that already names the evidence."""

    @property
    def command(self) -> str:
        """The next command to run, ready to copy."""
        parts = [
            "cybercase",
            "request",
            "new",
            "--type",
            "preservation",
            "--platform",
            self.platform or PLATFORM_PLACEHOLDER,
            "--items",
            ",".join(self.evidence),
        ]
        for target in self.targets:
            parts += ["--target", target]
        return shlex.join(parts)

    @property
    def message(self) -> str:
        """One line for people."""
        when = self.at[:16].replace("T", " ") + " UTC"
        if self.kind == "gone":
            shown = self.evidence[0] if self.evidence else None
            last = f"; last capture that still showed it: {shown}" if shown else ""
            return f"listing gone at {self.url} ({self.reason}, {self.item} {when}){last}"
        return f"seller changed at {self.url} ({self.reason}, {self.item} {when})"

    def to_json(self) -> dict[str, object]:
        """For ``--json`` and ``--notify``."""
        return {
            "kind": self.kind,
            "url": self.url,
            "item": self.item,
            "at": self.at,
            "reason": self.reason,
            "evidence": list(self.evidence),
            "targets": list(self.targets),
            "covered_by": self.covered_by,
            "message": self.message,
            "next_command": self.command,
        }


def _last_showing(state: WatchState, url: str, before_item: str) -> str | None:
    """The latest capture before ``before_item`` that still showed the listing."""
    history = state.captures.get(url, [])
    found = None
    for ref in history:
        if ref.item == before_item:
            break
        comparison = state.comparisons.get(ref.item)
        gone = comparison.facts.gone if comparison is not None else ref.status in (404, 410)
        if ref.outcome == "captured" and not gone:
            found = ref.item
    return found


def _platform_for(state: WatchState, url: str) -> str | None:
    host = urlsplit(url).hostname
    for request in reversed(state.requests):
        for target in request.targets:
            if host and urlsplit(target).hostname == host and request.platform:
                return request.platform
    return None


def _covered(state: WatchState, evidence: tuple[str, ...]) -> str | None:
    if not evidence:
        return None
    for request in state.requests:
        if request.type == "preservation" and evidence[0] in request.evidence:
            return request.id
    return None


def alert_for(state: WatchState, comparison: Comparison) -> Alert | None:
    """The warning one comparison calls for, if any."""
    url = comparison.url
    at = comparison.facts.started
    if comparison.verdict == "gone":
        shown = _last_showing(state, url, comparison.current)
        evidence: tuple[str, ...] = (shown,) if shown else ()
        return Alert(
            kind="gone",
            url=url,
            item=comparison.current,
            at=at,
            reason=comparison.facts.gone_reason or "gone",
            evidence=evidence,
            targets=(url,),
            platform=_platform_for(state, url),
            covered_by=_covered(state, evidence),
        )
    if comparison.seller_changed and comparison.previous is not None:
        change = next((c for c in comparison.changes if c.field == "seller"), None)
        before = change.before if change is not None else []
        evidence = (comparison.previous, comparison.current)
        return Alert(
            kind="seller-changed",
            url=url,
            item=comparison.current,
            at=at,
            reason=change.summary if change else "seller links changed",
            evidence=evidence,
            targets=(url, *before),
            platform=_platform_for(state, url),
            covered_by=_covered(state, evidence),
        )
    return None


def watch_alerts(state: WatchState, *, include_covered: bool = False) -> list[Alert]:
    """Warnings for the watched URLs, from the latest comparison of each.

    A listing that is gone stays flagged on every later capture that shows it gone,
    until a preservation request names its last capture (then ``include_covered`` only).
    A seller change stays flagged the same way, from the capture that showed it.
    """
    alerts: list[Alert] = []
    for watch in state.watches.values():
        if not watch.active:
            continue
        history = state.captures.get(watch.url, [])
        looked_up = (state.comparisons.get(r.item) for r in history)
        compared = [c for c in looked_up if c is not None]
        if not compared:
            continue
        latest = compared[-1]
        found: list[Alert] = []
        if latest.verdict == "gone":
            first_gone = latest
            for comparison in reversed(compared):
                if comparison.verdict != "gone":
                    break
                first_gone = comparison
            alert = alert_for(state, first_gone)
            if alert is not None:
                found.append(alert)
        seller = next((c for c in reversed(compared) if c.seller_changed), None)
        if seller is not None:
            alert = alert_for(state, seller)
            if alert is not None:
                found.append(alert)
        alerts.extend(a for a in found if include_covered or a.covered_by is None)
    alerts.sort(key=lambda a: a.at)
    return alerts
