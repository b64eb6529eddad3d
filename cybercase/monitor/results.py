"""What a watch run reports: one event per comparison, and the run's summary.

The CLI prints these (``--json`` gives them as lines) and ``--notify`` sends the events.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cybercase.collect.commit import CaptureResult
from cybercase.evidence.timestamps import TimestampOutcome
from cybercase.monitor.alerts import Alert
from cybercase.monitor.models import (
    Comparison,
)


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
